"""resnest.cor1: a nested deeper model's local minima are no worse; both controls are
refuted with a one-sided 50-digit certificate on the smallest instance shrinking finds."""

from __future__ import annotations

import dataclasses

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest._cases import NetSpec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import full_problem_specs

CLAIM = get("resnest.cor1")
QUICK = get_budget("quick")


@settings(max_examples=8, deadline=None, derandomize=True)
@given(full_problem_specs(min_blocks=2, max_blocks=2, max_bottleneck=1, losses=("squared",
                                                                         "pseudo_huber")))
def test_cor1_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is not Verdict.REFUTED
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0 or "confirmed_alpha" not in result.evidence


def _minimal(control, specs):
    def refuted(s):
        r = CLAIM.check(s, control, QUICK)
        return r.verdict is Verdict.REFUTED and r.certified is True

    return find(specs, refuted, settings=settings(max_examples=60, derandomize=True,
                                                  database=None))


def test_not_nested_refuted_certified_on_a_minimal_instance():
    spec = _minimal("not-nested", full_problem_specs(min_blocks=2, max_blocks=2,
                                                losses=("squared",), min_samples=16))
    # shrinking reaches N_in = K = 1 and 16 samples; it stops at N_o = 2 (measured)
    assert (spec.n_in, spec.bottleneck, spec.n_out, spec.samples) == (1, 1, 2, 16)
    result = CLAIM.check(spec, "not-nested", QUICK)
    assert result.evidence["certificate"]["gap_lower_bound"] > 0
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_not_wide_refuted_certified_on_a_minimal_instance():
    specs = full_problem_specs(min_blocks=2, max_blocks=2, losses=("squared",), min_samples=16)
    spec = _minimal("not-wide", specs.map(lambda s: dataclasses.replace(
        s, width=s.n_in + s.bottleneck)))
    assert (spec.n_in, spec.bottleneck, spec.n_out, spec.samples) == (1, 1, 1, 16)
    result = CLAIM.check(spec, "not-wide", QUICK)
    assert result.evidence["broken_assumptions"][0]["name"] == "A4"
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_quick_verify_of_the_controls():
    for control in ("not-nested", "not-wide"):
        outcome = CLAIM.verify(control=control, trials=4)
        assert outcome.verdict is Verdict.REFUTED
        assert outcome.certified is True


def test_missing_assumptions_are_vacuous():
    base = NetSpec(1, 2, 1, 2, 1, 16, "tanh", "squared", 4)
    assert CLAIM.check(dataclasses.replace(base, loss="welsch"), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A2
    assert CLAIM.check(dataclasses.replace(base, n_out=3), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A3
    narrow = CLAIM.check(dataclasses.replace(base, width=1, n_in=2), None, QUICK)  # A4
    assert narrow.verdict is Verdict.VACUOUS
    assert {a["name"]: a["met"] for a in narrow.evidence["assumptions"]}["A4"] is False
