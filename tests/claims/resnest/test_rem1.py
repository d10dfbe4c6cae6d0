"""resnest.rem1: minimisers of (P) restrict to second-order optimal points of (P_phi); the
reverse control is refuted by a certified non-zero gradient in phi."""

from __future__ import annotations

import dataclasses

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest._cases import NetSpec
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import full_problem_specs

CLAIM = get("resnest.rem1")
QUICK = get_budget("quick")


@settings(max_examples=8, deadline=None, derandomize=True)
@given(full_problem_specs(max_blocks=1, max_bottleneck=1, activations=("tanh", "quadratic"),
                     losses=("squared", "pseudo_huber", "softmax_ce")))
def test_rem1_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is not Verdict.REFUTED
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0


def test_reverse_refuted_certified_on_a_minimal_instance():
    specs = full_problem_specs(max_blocks=1, losses=("squared",), wide=False, max_width=2,
                          min_samples=12).filter(lambda s: s.width == s.n_in)
    spec = find(specs, lambda s: CLAIM.check(s, "reverse", QUICK).verdict is Verdict.REFUTED,
                settings=settings(max_examples=40, derandomize=True, database=None))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out, spec.samples) \
        == (1, 1, 1, 1, 1, 12)
    result = CLAIM.check(spec, "reverse", QUICK)
    assert result.certified is True
    cert = result.evidence["certificate"]
    assert cert["margin"] > cert["error_bound"]


def test_quick_verify_of_the_control():
    outcome = CLAIM.verify(control="reverse", trials=4)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True


def test_missing_a2_is_vacuous():
    spec = NetSpec(2, 2, 1, 1, 1, 24, "tanh", "welsch", 4)
    assert CLAIM.check(spec, None, QUICK).verdict is Verdict.VACUOUS
    assert CLAIM.check(dataclasses.replace(spec, loss="squared"), None, QUICK).verdict \
        is Verdict.HOLDS
