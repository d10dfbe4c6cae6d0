"""resnest.linear-unpredictability: re-optimised prefixes never gain from a linearly
predictable feature; the seed's wording (prefixes of one H*) is refuted, certified."""

from __future__ import annotations

import dataclasses

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest._cases import NetSpec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import full_problem_specs

CLAIM = get("resnest.linear-unpredictability")
QUICK = get_budget("quick")


@settings(max_examples=25, deadline=None, derandomize=True)
@given(full_problem_specs(max_n_in=3, constant_input=True, dead_blocks=True))
def test_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS)


def test_a_dead_block_gives_no_gain_and_zero_residual():
    spec = NetSpec(2, 3, 1, 2, 1, 24, "tanh", "pseudo_huber", 5, True, dead_block=2)
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is Verdict.HOLDS
    last = result.evidence["blocks"][-1]
    assert last["linear_residual"] < 1e-12
    assert abs(last["gap"]) < 1e-9


def test_as_worded_refuted_certified_on_a_minimal_instance():
    spec = find(full_problem_specs(constant_input=True).filter(lambda s: s.n_in == 2),
                lambda s: CLAIM.check(dataclasses.replace(s, dead_block=1), "as-worded",
                                      QUICK).verdict is Verdict.REFUTED,
                settings=settings(max_examples=50, derandomize=True, database=None))
    assert (spec.blocks, spec.bottleneck, spec.n_out, spec.samples) == (1, 1, 1, 24)
    result = CLAIM.check(dataclasses.replace(spec, dead_block=1), "as-worded", QUICK)
    assert result.certified is True
    assert result.evidence["v1_exactly_linear_in_x"] is True
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_unique_optimum_makes_the_control_vacuous():
    # no dead block: v_1 is not linear in x, the optimum is unique (assumption met)
    spec = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "squared", 1, True, dead_block=0)
    assert CLAIM.check(spec, "as-worded", QUICK).verdict is Verdict.VACUOUS


def test_missing_a2_is_vacuous():
    spec = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "welsch", 1, True)
    assert CLAIM.check(spec, None, QUICK).verdict is Verdict.VACUOUS


def test_quick_verify():
    assert CLAIM.verify(trials=4).verdict is Verdict.HOLDS
    outcome = CLAIM.verify(control="as-worded", trials=4)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
