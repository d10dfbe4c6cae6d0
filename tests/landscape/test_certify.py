"""High-precision certification: margins beyond error bounds, never a rounding artefact."""

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape.certify import (
    Certificate,
    certify_critical_point,
    certify_negative_curvature,
    on_refuting_side,
    refine_high_precision,
)
from resproof.landscape.minimize import minimize
from resproof.results import dumps

from .problems import random_two_layer


class ExactDoubleWell:
    """``f(x, y) = (x^2 - 1)^2 + y^2 - x y / 4`` in mpmath and exactly over Fractions."""

    n_params = 2

    def mp_loss(self, t):
        x, y = t
        return (x * x - 1) ** 2 + y * y - x * y / 4

    def mp_grad(self, t):
        return mpmath.matrix(self.exact_grad(t))

    def mp_hessian(self, t):
        return mpmath.matrix(self.exact_hessian(t))

    def exact_grad(self, t):
        x, y = t
        return [4 * x * (x * x - 1) - y / 4, 2 * y - x / 4]

    def exact_hessian(self, t):
        x, _ = t
        return [[12 * x * x - 4, Fraction(-1, 4)], [Fraction(-1, 4), 2]]


@pytest.fixture(scope="module")
def two_layer_minimum():
    rng = np.random.default_rng(5)
    prob = random_two_layer(rng, 4, 3, 2, 8)
    point = minimize(prob, rng.standard_normal(prob.n_params), symmetry_modes=4)
    assert point.converged
    return prob, point


def test_refinement_converges_despite_symmetric_zero_modes(two_layer_minimum):
    prob, point = two_layer_minimum
    ref = refine_high_precision(prob, point.theta, dps=50)
    assert ref.converged
    assert ref.null_dimension == 4
    assert float(ref.grad_norm) < 1e-44
    assert ref.distance_bound < 1e-40


def test_a_real_gap_is_certified(two_layer_minimum):
    prob, point = two_layer_minimum
    threshold = prob.optimal_loss() - 1e-6
    cert = certify_critical_point(prob, point.theta, prob.mp_loss, threshold)
    assert cert.certified
    assert cert.margin == pytest.approx(1e-6, rel=1e-6)
    assert cert.error_bound < 1e-30
    assert cert.details["refinement_converged"]


def test_an_identically_zero_quantity_is_never_certified(two_layer_minimum):
    """``f(theta) - f(symmetry(theta))`` is 0: float noise must not become a refutation."""
    prob, point = two_layer_minimum
    A = mpmath.matrix([[2, 1], [0, 1]])

    def moved(theta):
        W1, W2 = prob._mp_split(theta)
        return list(prob._mp_join(A * W1, W2 * A**-1))

    cert = certify_critical_point(prob, point.theta,
                                  lambda th: prob.mp_loss(th) - prob.mp_loss(moved(th)), 0)
    assert not cert.certified
    assert abs(cert.margin) <= cert.error_bound


def test_negative_curvature_at_a_saddle_is_certified_and_not_at_a_minimum(two_layer_minimum):
    prob, point = two_layer_minimum
    zero = np.zeros(prob.n_params)
    w, V = np.linalg.eigh(prob.hessian(zero))
    saddle = certify_negative_curvature(prob, zero, V[:, 0])
    assert saddle.certified
    assert saddle.margin == pytest.approx(-w[0], rel=1e-12)
    _w_min, V_min = np.linalg.eigh(prob.hessian(point.theta))
    minimum = certify_negative_curvature(prob, point.theta, V_min[:, 0])
    assert not minimum.certified


def test_exact_rationals():
    hp = ExactDoubleWell()
    origin = [Fraction(0), Fraction(0)]
    cert = certify_critical_point(hp, origin, hp.mp_loss, Fraction(-1, 10))
    assert cert.certified
    assert cert.method == "exact"
    assert cert.error_bound == 0
    assert cert.margin == pytest.approx(1.1)
    curvature = certify_negative_curvature(hp, origin, [Fraction(1), Fraction(0)])
    assert curvature.certified
    assert curvature.margin == 4.0
    not_critical = certify_critical_point(hp, [Fraction(1), Fraction(0)], hp.mp_loss, -1)
    assert not not_critical.certified
    assert not not_critical.details["exact_critical"]


def test_float_point_of_an_exact_objective_goes_through_mpmath():
    hp = ExactDoubleWell()
    cert = certify_critical_point(hp, [1e-9, -2e-9], hp.mp_loss, Fraction(-1, 10), dps=40)
    assert cert.certified
    assert cert.method == "mpmath"
    assert cert.dps == 40


def test_certificate_json_round_trip():
    cert = Certificate(True, 1e-3, 1e-40, 50, "mpmath", {"gamma": 0.5, "rigorous": False})
    back = Certificate.from_json(json.loads(dumps(cert)))
    assert back == cert


@pytest.mark.parametrize(("kwargs", "field"), [
    pytest.param({"dps": 10}, "dps", id="dps"),
    pytest.param({"theta": [0.0]}, "theta", id="theta-length"),
    pytest.param({"hp": object()}, "hp_objective", id="not-an-objective"),
])
def test_bad_certify_inputs(kwargs, field):
    options = {"hp": ExactDoubleWell(), "theta": [0.0, 0.0], **kwargs}
    with pytest.raises(InvalidInput) as info:
        certify_critical_point(options.pop("hp"), options.pop("theta"), lambda t: 0, 0,
                               **options)
    assert info.value.field == field


# -- one-sided certification: the interval must lie on the refuting side ------------------

@pytest.mark.parametrize(("margin", "error", "refutes", "certified"), [
    (1e-3, 1e-6, "above", True),       # interval above 0: refutes "Q > t"
    (-1e-3, 1e-6, "above", False),     # confidently on the wrong side: not a refutation
    (1e-7, 1e-6, "above", False),      # straddles 0
    (-1e-7, 1e-6, "below", False),     # straddles 0
    (-1e-3, 1e-6, "below", True),
    (1e-3, 1e-6, "below", False),
    (0.0, 0.0, "above", False),        # exactly on the threshold
    (1.0, float("inf"), "above", False),
    (float("nan"), 0.0, "above", False),
])
def test_on_refuting_side(margin, error, refutes, certified):
    assert on_refuting_side(margin, error, refutes) is certified


def test_a_gap_on_the_wrong_side_is_not_certified(two_layer_minimum):
    """``Q < threshold`` by 1e-6 >> error: ``|margin| > error`` but "Q > t" is not refuted."""
    prob, point = two_layer_minimum
    threshold = prob.optimal_loss() + 1e-6
    above = certify_critical_point(prob, point.theta, prob.mp_loss, threshold, refutes="above")
    assert above.margin == pytest.approx(-1e-6, rel=1e-6)
    assert abs(above.margin) > above.error_bound
    assert not above.certified
    below = certify_critical_point(prob, point.theta, prob.mp_loss, threshold, refutes="below")
    assert below.certified
    assert below.upper < 0
    assert below.bound == below.upper


def test_an_interval_straddling_the_threshold_is_not_certified(two_layer_minimum):
    """``Q - t = 1e-41`` is below the 50-digit rounding term: the interval contains 0."""
    prob, point = two_layer_minimum
    ref = refine_high_precision(prob, point.theta, dps=50)
    with mpmath.workdps(50):
        threshold = prob.mp_loss(ref.theta) - mpmath.mpf("1e-41")
    for refutes in ("above", "below"):
        cert = certify_critical_point(prob, point.theta, prob.mp_loss, threshold,
                                      refutes=refutes)
        assert cert.lower < 0 < cert.upper
        assert not cert.certified
        assert cert.margin == pytest.approx(1e-41, rel=1e-6)


def test_exact_certificates_are_one_sided():
    hp = ExactDoubleWell()
    origin = [Fraction(0), Fraction(0)]
    assert certify_critical_point(hp, origin, hp.mp_loss, Fraction(-1, 10)).certified
    assert not certify_critical_point(hp, origin, hp.mp_loss, Fraction(-1, 10),
                                      refutes="below").certified
    assert certify_critical_point(hp, origin, hp.mp_loss, 2, refutes="below").certified
    assert not certify_critical_point(hp, origin, hp.mp_loss, 2).certified   # f(0) = 1 < 2
    for refutes in ("above", "below"):   # on the threshold: neither side
        assert not certify_critical_point(hp, origin, hp.mp_loss, 1, refutes=refutes).certified


def test_certificate_json_carries_side_and_interval():
    cert = Certificate(True, 1e-3, 1e-6, 50, "mpmath", {}, "above")
    data = json.loads(dumps(cert.to_json()))
    assert data["refutes"] == "above"
    assert data["interval"] == [pytest.approx(1e-3 - 1e-6), pytest.approx(1e-3 + 1e-6)]
    assert Certificate.from_json(data) == cert


def test_bad_side():
    with pytest.raises(InvalidInput) as info:
        certify_critical_point(ExactDoubleWell(), [0.0, 0.0], lambda t: 0, 0, refutes="either")
    assert info.value.field == "refutes"
