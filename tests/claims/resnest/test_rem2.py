"""resnest.rem2: linear risks from x_i are monotone at minima of (P) under A4; the
scalar-stream control is refuted at a certified global minimiser (an exact interpolant)."""

from __future__ import annotations

import dataclasses

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest._cases import NetSpec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import full_problem_specs

CLAIM = get("resnest.rem2")
QUICK = get_budget("quick")


@settings(max_examples=6, deadline=None, derandomize=True)
@given(full_problem_specs(max_blocks=2, max_bottleneck=1, activations=("tanh", "quadratic"),
                     losses=("squared", "pseudo_huber", "softmax_ce")))
def test_rem2_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is not Verdict.REFUTED
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0


def test_scalar_stream_refuted_certified_on_a_minimal_instance():
    specs = full_problem_specs(min_blocks=2, max_blocks=2, max_n_in=1, max_bottleneck=1,
                          max_n_out=1, wide=False, max_width=1, min_samples=3, max_samples=5,
                          activations=("tanh",), losses=("squared",))
    spec = find(specs, lambda s: CLAIM.check(s, "scalar-stream", QUICK).verdict
                is Verdict.REFUTED,
                settings=settings(max_examples=30, derandomize=True, database=None))
    assert (spec.width, spec.blocks, spec.samples) == (1, 2, 3)
    result = CLAIM.check(spec, "scalar-stream", QUICK)
    assert result.certified is True
    cert = result.evidence["certificate"]
    assert cert["rise"] > cert["error_bound"]
    assert result.evidence["broken_assumptions"][0]["name"] == "A4"
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_quick_verify_of_the_control():
    outcome = CLAIM.verify(control="scalar-stream", trials=4)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True


def test_missing_assumptions_are_vacuous():
    base = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "squared", 4)
    assert CLAIM.check(dataclasses.replace(base, loss="welsch"), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A2
    assert CLAIM.check(dataclasses.replace(base, width=1, n_out=2), None, QUICK).verdict \
        is Verdict.VACUOUS                                                        # A3
    a4 = CLAIM.check(dataclasses.replace(base, width=1), None, QUICK)             # A4
    assert a4.verdict is Verdict.VACUOUS
    assert {a["name"]: a["met"] for a in a4.evidence["assumptions"]}["A4"] is False


def test_yun_sec32_data_give_a_certified_non_monotone_global_minimum():
    from resproof.claims.resnest.rem2 import yun_sec32_data_on_scalar_resnest

    found = yun_sec32_data_on_scalar_resnest(restarts=8, seed=0)
    assert found["risk"] < 1e-25
    assert found["monotone"] is False
    assert found["certified_non_monotone"] is True
    assert found["linear_risks"][1] > found["linear_risks"][0]
