"""resnest.cor2: local minimisers of (P) are no worse than R_lin (strictly under the
reading's premise); the seed's strictness clause with a non-unique H* is refuted exactly."""

from __future__ import annotations

import dataclasses

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest._cases import NetSpec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import full_problem_specs

CLAIM = get("resnest.cor2")
QUICK = get_budget("quick")


@settings(max_examples=6, deadline=None, derandomize=True)
@given(full_problem_specs(max_bottleneck=1))
def test_cor2_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is not Verdict.REFUTED
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0


def test_strict_as_worded_refuted_exactly_on_a_minimal_instance():
    specs = full_problem_specs(max_n_in=3, max_blocks=1, losses=("squared",),
                          activations=("identity",), constant_input=True)
    spec = find(specs.filter(lambda s: s.n_in >= 2),
                lambda s: CLAIM.check(s, "strict-as-worded", QUICK).verdict is Verdict.REFUTED,
                settings=settings(max_examples=40, derandomize=True, database=None))
    assert (spec.n_in, spec.blocks, spec.bottleneck, spec.n_out, spec.samples) == (2, 1, 1, 1, 24)
    result = CLAIM.check(spec, "strict-as-worded", QUICK)
    assert result.certified is True
    assert result.evidence["certificate"]["R_lin_minus_R_exact"] == "0"
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_quick_verify_of_the_control():
    outcome = CLAIM.verify(control="strict-as-worded", trials=4)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True


def test_unique_optimum_makes_the_control_vacuous():
    spec = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "squared", 4, True)
    assert CLAIM.check(spec, "strict-as-worded", QUICK).verdict is Verdict.VACUOUS


def test_missing_assumptions_are_vacuous():
    base = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "squared", 4)
    assert CLAIM.check(dataclasses.replace(base, loss="welsch"), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A2
    assert CLAIM.check(dataclasses.replace(base, width=1, n_out=2), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A3
    a4 = CLAIM.check(dataclasses.replace(base, width=1), None, QUICK)             # A4
    assert a4.verdict is Verdict.VACUOUS
    assert [a["met"] for a in a4.evidence["assumptions"]] == [True, True, False]
