"""yun.single-block over its strategy (never refuted; holds where decided); both controls
refuted and certified with the counterexample's size asserted; the w-zero point measured
a strict saddle."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

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
    claim = get("yun.single-block")

    def refuted(seed: int) -> bool:
        r = claim.trial(np.random.SeedSequence(seed), control, QUICK)
        return r.verdict is Verdict.REFUTED and bool(r.certified)

    seed = find(st.integers(0, 2**16), refuted,
                settings=settings(max_examples=5, derandomize=True, database=None))
    return claim.trial(np.random.SeedSequence(seed), control, QUICK)


def test_w_zero_refuted_certified_and_a_strict_saddle():
    result = _smallest_refutation("w-zero")
    assert result.evidence["sizes"] == {"d_x": 2, "hidden": 2, "samples": 8}
    assert result.evidence["kind"] == "saddle" and result.evidence["lambda_min"] < 0
    assert result.evidence["negative_curvature"]["certified"]
    cert = result.evidence["certificate"]
    assert cert["margin"] - cert["error_bound"] > 0
    assert [a["met"] for a in result.evidence["broken_assumptions"]] == [False]


def test_no_skip_refuted_certified_exactly():
    result = _smallest_refutation("no-skip")
    assert result.evidence["sizes"] == {"d_x": 2, "hidden": 2, "samples": 8}
    assert result.evidence["relative_grad_norm"] == 0.0
    assert [a["met"] for a in result.evidence["broken_assumptions"]] == [False]
    assert [a["met"] for a in result.evidence["assumptions"]] == [True]
