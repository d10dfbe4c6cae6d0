"""Trust-region Newton: relative gradient 1e-10 on degenerate problems, honest stop reasons."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resproof.errors import InvalidInput
from resproof.landscape.minimize import exact_subproblem, minimize, steihaug
from resproof.landscape.objective import FunctionObjective, Restricted, counted
from resproof.results import PointKind, StopReason

from .problems import DoubleWell, Quadratic, Rosenbrock, random_two_layer


@pytest.mark.parametrize("method", ["dense", "cg"])
@pytest.mark.parametrize(("n", "start"), [(2, [-1.2, 1.0]), (10, [0.0] * 10)])
def test_rosenbrock(method, n, start):
    point = minimize(Rosenbrock(n), np.array(start), method=method)
    assert point.stop_reason is StopReason.CONVERGED
    assert point.relative_grad_norm <= 1e-10
    assert point.kind is PointKind.MINIMUM
    np.testing.assert_allclose(point.theta, np.ones(n), atol=1e-8)


def test_rosenbrock_second_local_minimum():
    """For n >= 4 Rosenbrock has a local minimum near (-1, 1, ..., 1): found and confirmed."""
    point = minimize(Rosenbrock(10), np.tile([-1.2, 1.0], 5))
    assert point.converged
    assert point.kind is PointKind.MINIMUM
    assert point.margin > 0
    assert point.theta[0] < -0.9
    assert point.loss > 3.0


def rank_deficient_quadratic(seed, P, rank, log_scale):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((P, rank))
    A = 10.0**log_scale * (B @ B.T)
    b = A @ rng.standard_normal(P)          # in the range: a minimum exists
    return Quadratic(A, b), rng


@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.data(), st.floats(-3, 3))
def test_psd_rank_deficient_quadratic_minimum_and_zero_modes(seed, P, data, log_scale):
    rank = data.draw(st.integers(1, P))
    q, rng = rank_deficient_quadratic(seed, P, rank, log_scale)
    point = minimize(q, rng.standard_normal(P), symmetry_modes=P - rank)
    assert point.converged
    assert point.n_zero_modes == P - rank
    assert point.kind is PointKind.MINIMUM
    x_star = np.linalg.lstsq(q.A, q.b, rcond=None)[0]
    assert point.loss == pytest.approx(q.loss(x_star), rel=1e-9, abs=1e-9 * 10.0**log_scale)
    if rank < P:
        unexplained = minimize(q, rng.standard_normal(P))
        assert unexplained.kind is PointKind.DEGENERATE


@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(2, 5), st.data())
def test_two_layer_linear_network_global_minimum(seed, d, o, data):
    """Every local minimum is global; the GL(h) orbit gives exactly h^2 zero modes."""
    h = data.draw(st.integers(1, min(d, o)))
    rng = np.random.default_rng(seed)
    prob = random_two_layer(rng, d, o, h, d + 6)
    point = minimize(prob, rng.standard_normal(prob.n_params), symmetry_modes=h * h)
    assert point.converged
    assert point.relative_grad_norm <= 1e-10
    assert point.n_zero_modes == h * h
    assert point.kind is PointKind.MINIMUM
    assert point.loss == pytest.approx(prob.optimal_loss(), rel=1e-12, abs=1e-14)


def test_cg_path_on_a_two_layer_network():
    rng = np.random.default_rng(4)
    prob = random_two_layer(rng, 6, 4, 3, 12)
    point = minimize(prob, rng.standard_normal(prob.n_params), method="cg", symmetry_modes=9)
    assert point.converged
    assert point.kind is PointKind.MINIMUM
    assert point.loss == pytest.approx(prob.optimal_loss(), rel=1e-12)


def test_a_start_on_a_saddle_escapes_to_the_minimum():
    rng = np.random.default_rng(5)
    prob = random_two_layer(rng, 5, 4, 2, 11)
    zero = np.zeros(prob.n_params)
    stuck = minimize(prob, zero, symmetry_modes=4, max_escapes=0)
    assert stuck.converged
    assert stuck.kind is PointKind.SADDLE
    assert stuck.iterations == 0
    point = minimize(prob, zero, symmetry_modes=4)
    assert point.kind is PointKind.MINIMUM
    assert point.loss == pytest.approx(prob.optimal_loss(), rel=1e-12)
    well = minimize(DoubleWell(), np.zeros(2))
    np.testing.assert_allclose(np.abs(well.theta), [1.0, 0.0], atol=1e-9)


def test_restricted_subset_minimisation():
    rng = np.random.default_rng(6)
    prob = random_two_layer(rng, 4, 3, 2, 9)
    base = rng.standard_normal(prob.n_params)
    k = prob.h * prob.d
    second_layer = Restricted(prob, np.arange(k, prob.n_params), base)
    point = minimize(second_layer, base[k:])
    assert point.converged
    assert point.kind is PointKind.MINIMUM
    W1, _ = prob.split(base)
    Z = W1 @ prob.X
    W2 = np.linalg.lstsq(Z.T, prob.Y.T, rcond=None)[0].T
    np.testing.assert_allclose(point.theta, W2.ravel(), atol=1e-8)


def test_unbounded_below_is_reported_not_converged():
    q = Quadratic(np.diag([1.0, 0.0]), np.array([0.0, 1.0]))
    point = minimize(q, np.zeros(2), max_iterations=50)
    assert not point.converged
    assert point.kind is PointKind.NOT_CRITICAL
    assert point.margin < 0


def test_max_iterations_is_reported():
    point = minimize(Rosenbrock(2), np.array([-1.2, 1.0]), max_iterations=3)
    assert point.stop_reason is StopReason.MAX_ITERATIONS
    assert point.kind is PointKind.NOT_CRITICAL
    assert point.iterations == 3


def test_nonfinite_is_reported():
    def loss(x):
        return float(x[0] ** 2) if x[0] > -0.5 else np.nan

    obj = FunctionObjective(loss, lambda x: np.array([2 * x[0]]) if x[0] > -0.5 else
                            np.array([np.nan]), hessian=lambda x: np.array([[2.0]]), n_params=1)
    point = minimize(obj, np.array([-1.0]))
    assert point.stop_reason is StopReason.NONFINITE
    assert point.kind is PointKind.NOT_CRITICAL


def test_exact_hessian_path_is_frugal():
    rng = np.random.default_rng(7)
    prob = counted(random_two_layer(rng, 8, 5, 3, 20))
    point = minimize(prob, rng.standard_normal(prob.n_params), symmetry_modes=9)
    assert point.converged
    assert prob.counts.hessian <= point.iterations + 1   # one factorisation per accepted step
    assert prob.counts.hvp == 0


def test_exact_subproblem_boundary_interior_and_hard_case():
    w = np.array([1.0, 2.0])
    gh = np.array([1.0, 1.0])
    interior = exact_subproblem(w, gh, 10.0, 0.0, 2.0)
    np.testing.assert_allclose(interior, [-1.0, -0.5])
    boundary = exact_subproblem(w, gh, 0.1, 0.0, 2.0)
    assert np.linalg.norm(boundary) == pytest.approx(0.1, rel=1e-6)
    hard = exact_subproblem(np.array([-1.0, 2.0]), np.array([0.0, 1.0]), 1.0, 0.0, 2.0)
    assert np.linalg.norm(hard) == pytest.approx(1.0)
    assert abs(hard[0]) > 0.9


def test_steihaug_follows_negative_curvature_to_the_boundary():
    H = np.diag([1.0, -1.0])
    p, Hp = steihaug(lambda v: H @ v, np.array([1.0, 0.1]), 2.0, tol=1e-12, max_iter=10)
    assert np.linalg.norm(p) == pytest.approx(2.0)
    np.testing.assert_allclose(Hp, H @ p, atol=1e-12)


@pytest.mark.parametrize(("kwargs", "field"), [
    pytest.param({"theta0": np.zeros(3)}, "theta0", id="shape"),
    pytest.param({"gtol": 0.0}, "gtol", id="gtol"),
    pytest.param({"method": "bfgs"}, "method", id="method"),
    pytest.param({"max_iterations": 0}, "max_iterations", id="iterations"),
    pytest.param({"delta0": -1.0}, "delta0", id="delta0"),
    pytest.param({"symmetry_modes": -1}, "symmetry_modes", id="symmetry"),
])
def test_bad_minimize_inputs(kwargs, field):
    options = {"theta0": np.zeros(2), **kwargs}
    with pytest.raises(InvalidInput) as info:
        minimize(Rosenbrock(2), options.pop("theta0"), **options)
    assert info.value.field == field


def _softplus_descent():
    """``f(x) = sum_i log(1 + e^{-x_i})``: descending forever, the infimum 0 at infinity."""
    return FunctionObjective(lambda x: float(np.sum(np.logaddexp(0.0, -x))),
                             lambda x: -1.0 / (1.0 + np.exp(x)),
                             hessian=lambda x: np.diag(np.exp(x) / (1.0 + np.exp(x)) ** 2),
                             n_params=2)


@pytest.mark.parametrize("method", ["dense", "cg"])
def test_divergence_bound_stops_a_search_whose_weights_run_off(method):
    obj, start = _softplus_descent(), np.array([0.5, -0.3])
    point = minimize(obj, start, method=method, divergence=4.0)
    assert point.stop_reason is StopReason.DIVERGING
    assert not point.converged
    assert np.linalg.norm(point.theta) > 4.0
    assert point.loss < obj.loss(start)
    # without the bound the search runs on to the plateau where the gradient test passes
    far = minimize(obj, start, method=method)
    assert np.linalg.norm(far.theta) > 20.0


@pytest.mark.parametrize("method", ["dense", "cg"])
def test_divergence_bound_leaves_a_minimum_inside_the_ball_alone(method):
    obj = Quadratic(np.diag([1.0, 10.0]), np.array([-3.0, 20.0]))
    point = minimize(obj, np.zeros(2), method=method, divergence=10.0)
    assert point.converged
    np.testing.assert_allclose(point.theta, [-3.0, 2.0], atol=1e-8)


def test_divergence_is_measured_by_the_given_size():
    obj, start = _softplus_descent(), np.array([0.5, -0.3])
    point = minimize(obj, start, divergence=4.0, size=lambda t: 1.0)   # never grows
    assert point.stop_reason is not StopReason.DIVERGING
