"""yun.thm1 and the extension yun.thm1-no-coverage hold (or are vacuous) over their
strategies; :drop-curvature is refuted and certified; each missing condition gives vacuous."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from resproof.claims import get
from resproof.claims.yun import _critical as c
from resproof.nn.yun import YunResNet
from resproof.problems.yun_mp import YunHighPrecision
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import yun_specs

QUICK = get_budget("quick")
FAST = settings(max_examples=4, deadline=None, derandomize=True,
                suppress_health_check=(HealthCheck.too_slow,))


@FAST
@given(yun_specs("thm1", searched=False))
def test_thm1_holds_at_constructed_points(spec):
    assert get("yun.thm1").check(spec, QUICK).verdict in (Verdict.HOLDS, Verdict.VACUOUS)


@FAST
@given(yun_specs("no-coverage", searched=False))
def test_no_coverage_extension_holds_at_constructed_points(spec):
    result = get("yun.thm1-no-coverage").check(spec, QUICK)
    assert result.verdict is Verdict.HOLDS


def test_thm1_holds_with_searches():
    outcome = get("yun.thm1").verify(trials=2, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["worst_trial"]["searches"]["failed_needed"] == 0


def test_extension_is_reported_as_such():
    claim = get("yun.thm1-no-coverage")
    assert claim.extension is True
    assert claim.reading
    assert get("yun.thm1").extension is False


def test_drop_curvature_refuted_and_certified_smallest_instance():
    # the control's instance has the smallest sizes of the space (fixed), so the
    # counterexample needs no shrinking: the first seed is it
    outcome = get("yun.thm1").verify(control="drop-curvature", trials=1, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    evidence = outcome.counterexample
    spec = evidence["spec"]
    assert (spec["d_x"], spec["widths"], spec["samples"]) == (2, [1, 1], 8)
    assert evidence["kind"] == "saddle"
    assert evidence["gap"] > 0
    cert = evidence["certificate"]
    assert cert["margin"] - cert["error_bound"] > 0
    assert [a["met"] for a in evidence["broken_assumptions"]] == [False]


def test_missing_coverage_gives_vacuous():
    spec = c.Spec(3, (1, 1), 12, "tanh", "squared", 0, dead_coordinate=True, searched=False)
    result = get("yun.thm1").check(spec, QUICK)
    assert result.verdict is Verdict.VACUOUS
    assert not result.evidence["assumptions"][0]["met"]
    assert get("yun.thm1-no-coverage").check(spec, QUICK).verdict is Verdict.HOLDS


def test_missing_room_gives_vacuous():
    spec = c.Spec(2, (1, 2), 12, "tanh", "squared", 0, searched=False)  # U_2 is 2 x 2
    result = get("yun.thm1").check(spec, QUICK)
    assert result.verdict is Verdict.VACUOUS
    names = {a["name"]: a["met"] for a in result.evidence["assumptions"]}
    assert names["(2) col([U_2^T ... U_L^T]) != R^d_x"] is False


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber"])
def test_high_precision_jets_agree_with_the_kernels(loss):
    rng = np.random.default_rng(1)
    model = YunResNet(2, (1, 1), "softplus")
    X, y = rng.standard_normal((5, 2)), np.sign(rng.standard_normal(5))
    obj = model.objective(X, y, loss)
    theta = rng.standard_normal(model.n_params)
    hp = YunHighPrecision(model, X, y, loss)
    assert float(hp.mp_loss(theta)) == pytest.approx(obj.loss(theta), rel=1e-13)
    np.testing.assert_allclose(np.array(hp.mp_grad(theta).tolist(), float).ravel(),
                               obj.grad(theta), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(np.array(hp.mp_hessian(theta).tolist(), float),
                               obj.hessian(theta), rtol=1e-10, atol=1e-13)


def test_features_are_the_models_h_L():
    rng = np.random.default_rng(2)
    model = YunResNet(3, (2, 1), "tanh")
    X = rng.standard_normal((6, 3))
    theta = rng.standard_normal(model.n_params)
    w = model.split(theta)["Wout"][0]
    f = model.resnest.predict(model.full_theta(theta), X)[:, 0]
    np.testing.assert_allclose(c.features(model, theta, X) @ w, f, rtol=1e-12, atol=1e-12)


def test_high_precision_jets_two_layer_phi():
    from resproof.nn.models import YunTwoLayerResNet

    rng = np.random.default_rng(3)
    model = YunTwoLayerResNet(2, ((1, 1), (1, 1)), "tanh")
    X, y = rng.standard_normal((4, 2)), rng.standard_normal(4)
    obj = model.objective(X, y, "pseudo_huber")
    theta = rng.standard_normal(model.n_params)
    hp = YunHighPrecision(model, X, y, "pseudo_huber")
    np.testing.assert_allclose(np.array(hp.mp_grad(theta).tolist(), float).ravel(),
                               obj.grad(theta), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(np.array(hp.mp_hessian(theta).tolist(), float),
                               obj.hessian(theta), rtol=1e-10, atol=1e-13)
    w = model.split(theta)["Wout"][0]
    np.testing.assert_allclose(c.features(model, theta, X) @ w,
                               model.predict(theta, X)[:, 0], rtol=1e-12, atol=1e-12)


def test_two_layer_phi_holds_with_searches():
    spec = c.Spec(2, (1, 1), 10, "softplus", "logistic", 5, phi_layers=2)
    assert get("yun.thm1").check(spec, QUICK).verdict is Verdict.HOLDS


def test_no_coverage_drop_curvature_refuted_and_certified():
    outcome = get("yun.thm1-no-coverage").verify(control="drop-curvature", trials=1, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    assert outcome.counterexample["spec"]["samples"] == 8
