"""Claim.outcome: the certified flag describes the counterexample shown; statistics per verdict."""

import numpy as np
import pytest

from resproof.claims.base import Assumption, Claim, SearchLog, choose_counterexample, decide
from resproof.results import CriticalPoint, PointKind, StopReason, TrialResult, Verdict


def _point(converged=True):
    return CriticalPoint(theta=np.zeros(1), loss=0.0, grad_norm=0.0, relative_grad_norm=0.0,
                         lambda_min=1.0, lambda_max=1.0, n_zero_modes=0, zero_tolerance=0.0,
                         kind=PointKind.MINIMUM, margin=1.0,
                         stop_reason=StopReason.CONVERGED if converged
                         else StopReason.MAX_ITERATIONS)


def _log(converged, failed=0):
    log = SearchLog()
    for i in range(converged):
        log.add(f"ok{i}", _point())
    for i in range(failed):
        log.add(f"failed{i}", _point(converged=False))
    return log


class Scripted(Claim):
    """Returns the scripted trial results in order."""

    id = "test.scripted"
    statement = "scripted"

    def __init__(self, results):
        self.results = list(results)

    def trial(self, seed, control, budget):
        return self.results.pop(0)


def _outcome(results):
    return Scripted(results).verify(trials=len(results))


def test_worst_certified_refutation_is_reported_not_a_worse_uncertified_one():
    outcome = _outcome([
        decide(-5.0, certified=False, evidence={"which": "uncertified"}),
        decide(-1.0, certified=True, evidence={"which": "mild certified"}),
        decide(-2.0, certified=True, evidence={"which": "worst certified"}),
        decide(0.5),
    ])
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    assert outcome.counterexample["which"] == "worst certified"
    assert outcome.margin == -2.0
    choice = outcome.evidence["counterexample_choice"]
    assert choice["rule"] == "worst certified refutation"
    assert (choice["refutations"], choice["certified_refutations"]) == (3, 2)
    assert choice["worse_uncertified"]["margin"] == -5.0
    assert outcome.evidence["certified_refutations"] == 2


def test_uncertified_counterexample_is_reported_uncertified():
    """Old rule: any() over refutations said certified while showing an uncertified one."""
    outcome = _outcome([decide(-5.0, certified=False, evidence={"which": "a"}),
                        decide(-1.0, certified=False, evidence={"which": "b"})])
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is False
    assert outcome.counterexample["which"] == "a"
    assert outcome.counterexample["certified"] is False
    assert outcome.evidence["counterexample_choice"]["rule"] == \
        "worst refutation (none certified)"


def test_certified_none_counts_as_uncertified():
    outcome = _outcome([decide(-1.0)])
    assert outcome.certified is False


def test_statistics_per_verdict_and_searches_summed():
    met = [Assumption("A", 0.5)]
    missed = [Assumption("A", -0.5)]
    outcome = _outcome([
        decide(0.3, assumptions=met, searches=_log(3)),
        decide(0.2, assumptions=met, searches=_log(2)),
        decide(0.1, assumptions=met, searches=_log(2, failed=1)),     # inconclusive
        decide(0.4, assumptions=missed, searches=_log(1, failed=1)),  # vacuous
        TrialResult(Verdict.HOLDS, 0.9),                               # no search log
    ])
    assert outcome.verdict is Verdict.INCONCLUSIVE
    ev = outcome.evidence
    assert ev["counts"] == {"holds": 3, "refuted": 0, "vacuous": 1, "inconclusive": 1}
    assert ev["inconclusive_rate"] == pytest.approx(0.2)
    assert ev["vacuous_rate"] == pytest.approx(0.2)
    assert ev["by_verdict"]["holds"] == {"trials": 3, "searches_run": 5,
                                         "searches_converged": 5, "searches_failed_needed": 0}
    assert ev["by_verdict"]["inconclusive"]["searches_run"] == 3
    assert ev["by_verdict"]["inconclusive"]["searches_converged"] == 2
    assert ev["by_verdict"]["vacuous"]["searches_failed_needed"] == 1
    assert ev["searches"] == {"run": 10, "converged": 8, "failed_needed": 2,
                              "trials_without_search_log": 1}


def test_all_holding_trials_have_zero_inconclusive_rate():
    outcome = _outcome([decide(0.1, searches=_log(2)), decide(0.2, searches=_log(1))])
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.certified is None
    assert outcome.evidence["inconclusive_rate"] == 0
    assert outcome.evidence["searches"]["converged"] == 3


def test_decide_rules_unchanged():
    assert decide(-1.0, searches=_log(1, failed=1)).verdict is Verdict.REFUTED
    assert decide(1.0, searches=_log(1, failed=1)).verdict is Verdict.INCONCLUSIVE
    assert decide(None).verdict is Verdict.INCONCLUSIVE
    assert decide(-1.0, broken=[Assumption("A3", 0.1)]).verdict is Verdict.VACUOUS
    assert decide(-1.0, broken=[Assumption("A3", -0.1)]).verdict is Verdict.REFUTED


def test_choose_counterexample_needs_a_refutation():
    with pytest.raises(ValueError, match="no refutation"):
        choose_counterexample([])
