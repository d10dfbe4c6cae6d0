"""yun.single-block holds (or is vacuous) over its strategy; both controls refuted and
certified under every loss with the counterexample's size asserted; the w-zero point
measured a strict saddle; the report hooks rebuild the trial's instance and landscape."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from resproof.claims import get
from resproof.claims.base import SearchLog, trial_sequence
from resproof.claims.yun import _critical as c
from resproof.claims.yun import single_block as sb
from resproof.claims.yun._critical import Spec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import yun_specs

QUICK = get_budget("quick")


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=(HealthCheck.too_slow,))
@given(yun_specs("single-block"))
def test_single_block_holds_over_its_strategy(spec):
    result = get("yun.single-block").check(spec, QUICK)
    assert result.evidence["points_checked"] > 0  # the constructed embedding at least
    if result.verdict is Verdict.INCONCLUSIVE:
        # the measured residual (README): a softplus minimisation crawling along a valley
        # to infinity that neither converged nor grew 20x within the search budget; every
        # critical-point search converged
        failed = [r for r in result.evidence["searches"]["records"]
                  if r["needed"] and not r["converged"]]
        assert failed
        assert all(r["search"].startswith("minimum") for r in failed)
        assert spec.activation == "softplus"
    else:
        assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS)
        assert result.evidence["searches"]["failed_needed"] == 0


def test_single_block_holds_at_seed_0():
    outcome = get("yun.single-block").verify(seed=0, budget="quick")  # the quick budget's 4
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["worst_trial"]["points_checked"] > 0
    assert outcome.evidence["searches"]["failed_needed"] == 0


@pytest.mark.parametrize("activation", ["tanh", "softplus"])
@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber"])
def test_the_constructed_embedding_is_a_critical_point_with_w_nonzero(activation, loss):
    spec = Spec(2, (2,), 24, activation, loss, 3)
    X, y = c.draw_data(spec, np.random.default_rng(3))
    model = spec.model
    theta = c.linear_embedding(model, X, y, loss)
    obj = model.objective(X, y, loss, loss_param=c.loss_param(loss))
    point = c.constructed_point(obj, model, theta, SearchLog(), "embedding")
    assert point.converged
    assert c.w_zero_margin(model, theta).met
    gap = c.risk_gap(point.loss, c.linear_risk(X, y, loss))
    if activation == "tanh":
        assert abs(gap) < 1e-12  # the tie R = R_lin
    else:
        assert gap < 0  # the affine predictor: R = R_aff < R_lin


def _smallest_refutation(control):
    # the controls' instances have fixed, smallest sizes: the first seed is the counterexample
    outcome = get("yun.single-block").verify(control=control, trials=1, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    return outcome.counterexample


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber"])
def test_w_zero_refuted_and_certified_under_every_loss(loss):
    result = get("yun.single-block").w_zero(5, "tanh", loss=loss)
    assert result.verdict is Verdict.REFUTED
    assert result.certified is True
    evidence = result.evidence
    assert evidence["sizes"] == {"d_x": 2, "hidden": 2, "samples": 8}
    assert evidence["kind"] == "saddle"
    assert evidence["negative_curvature"]["certified"]
    cert = evidence["certificate"]
    assert cert["margin"] - cert["error_bound"] > 0
    if loss == "logistic":
        assert evidence["data"]["R_lin_attained"] is True


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber"])
def test_no_skip_refuted_and_certified_under_every_loss(loss):
    result = get("yun.single-block").no_skip(5, loss=loss)
    assert result.verdict is Verdict.REFUTED
    assert result.certified is True
    recheck = result.evidence["recheck"]
    assert recheck["certified"]
    assert float(Fraction(recheck["gap_lower_bound"])) > 0
    assert Fraction(recheck["exact_dead_margin"]) > 0


def test_no_skip_recheck_bounds_r_lin_from_above_at_50_digits():
    _, model, X, y, theta = sb.no_skip_instance(5, loss="logistic")
    recheck = sb.no_skip_recheck(model, theta, X, y, "logistic")
    # f = 0 at the dead point: R = log 2 exactly; R_lin's bound is the float R_lin + rounding
    assert recheck["risk"] == pytest.approx(np.log(2), abs=1e-15)
    assert recheck["R_lin_upper"] == pytest.approx(c.linear_risk(X, y, "logistic"), abs=1e-12)
    assert recheck["R_lin_upper"] >= c.linear_risk(X, y, "logistic") - 1e-15


@pytest.mark.parametrize("control", [None, "w-zero", "no-skip"])
def test_report_hooks_rebuild_the_trial(control):
    claim = get("yun.single-block")
    seed = trial_sequence(0, 0)
    data = claim.instance(seed, control)
    assert data.model["family"] == "yun-single-block"
    assert {"X", "Y"} <= set(data.arrays)
    assert data.arrays["X"].shape[0] == data.model["sizes"]["N"]
    assert ("theta" in data.arrays) is (control is not None)
    landscape = claim.landscape(seed, control, QUICK)
    assert landscape.theta.size == landscape.objective.n_params
    if control is not None:
        np.testing.assert_array_equal(landscape.theta, data.arrays["theta"])
        result = claim.run_trial(0, 0, control, QUICK)
        np.testing.assert_array_equal(result.evidence["theta"], data.arrays["theta"])


def test_w_zero_refuted_certified_and_a_strict_saddle():
    evidence = _smallest_refutation("w-zero")
    assert evidence["sizes"] == {"d_x": 2, "hidden": 2, "samples": 8}
    assert evidence["kind"] == "saddle"
    assert evidence["lambda_min"] < 0
    assert evidence["negative_curvature"]["certified"]
    cert = evidence["certificate"]
    assert cert["margin"] - cert["error_bound"] > 0
    assert [a["met"] for a in evidence["broken_assumptions"]] == [False]


def test_no_skip_refuted_certified_exactly():
    evidence = _smallest_refutation("no-skip")
    assert evidence["sizes"] == {"d_x": 2, "hidden": 2, "samples": 8}
    assert evidence["relative_grad_norm"] == 0.0
    assert [a["met"] for a in evidence["broken_assumptions"]] == [False]
    assert [a["met"] for a in evidence["assumptions"]] == [True]


def test_w_zero_with_w_off_zero_is_vacuous():
    result = get("yun.single-block").w_zero(0, w_norm=0.5)
    assert result.verdict is Verdict.VACUOUS
    assert [a["met"] for a in result.evidence["broken_assumptions"]] == [True]


def test_no_skip_with_the_skip_kept_is_vacuous():
    result = get("yun.single-block").no_skip(0, skip=True)
    assert result.verdict is Verdict.VACUOUS
    assert [a["met"] for a in result.evidence["broken_assumptions"]] == [True]


def test_no_skip_with_live_relus_is_vacuous():
    result = get("yun.single-block").no_skip(0, dead=False)
    assert result.verdict is Verdict.VACUOUS
    assert [a["met"] for a in result.evidence["assumptions"]] == [False]


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber"])
def test_softplus_embedding_is_a_critical_point_no_worse_than_linear(loss):
    """The affine construction for ``s(0) != 0``: measured gradient ~ 0, ``w != 0``,
    ``R = R_aff <= R_lin``."""
    from resproof.claims.yun import _critical as c
    from resproof.nn.yun import YunResNet

    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 3)) + 0.5
    y = X @ np.array([0.7, -0.4, 0.2]) + 0.3 + 0.5 * rng.standard_normal(30)
    if loss == "logistic":
        y = np.where(rng.random(30) < 1 / (1 + np.exp(-y)), 1.0, -1.0)
    model = YunResNet(3, (2,), "softplus")
    theta = c.linear_embedding(model, X, y, loss)
    assert theta is not None
    obj = model.objective(X, y, loss, loss_param=c.loss_param(loss))
    R, g = obj.loss(theta), obj.grad(theta)
    assert np.linalg.norm(g) < 1e-8 * max(1.0, R)
    assert np.linalg.norm(model.split(theta)["Wout"]) > 0.1
    assert c.linear_risk(X, y, loss) + 1e-12 >= R
