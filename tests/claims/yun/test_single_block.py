"""yun.single-block over its strategy (never refuted; holds where decided); both controls
refuted and certified with the counterexample's size asserted; the w-zero point measured
a strict saddle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from resproof.claims import get
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import yun_specs

QUICK = get_budget("quick")


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=(HealthCheck.too_slow,))
@given(yun_specs("single-block"))
def test_single_block_never_refuted_over_its_strategy(spec):
    result = get("yun.single-block").check(spec, QUICK)
    assert result.verdict is not Verdict.REFUTED
    if result.verdict is Verdict.INCONCLUSIVE:
        searches = result.evidence["searches"]
        assert searches["failed_needed"] or result.evidence.get("points_checked") == 0
    else:
        assert result.verdict is Verdict.HOLDS


def test_single_block_holds_at_seed_0():
    outcome = get("yun.single-block").verify(trials=1, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["worst_trial"]["points_checked"] > 0


def _smallest_refutation(control):
    # the controls' instances have fixed, smallest sizes: the first seed is the counterexample
    outcome = get("yun.single-block").verify(control=control, trials=1, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    return outcome.counterexample


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
