"""resnest.thm2 both ways: holds or vacuous over its strategy with saddles actually found
(constructed and searched); no-saddles refuted, certified and shrunk; A1, A3, A4 missing
give vacuous."""

from __future__ import annotations

from hypothesis import given, settings

from resproof.claims import get
from resproof.claims.resnest.prop1 import kill_last_block
from resproof.results import Verdict
from resproof.strategies import ResnestSpec, resnest_instance, resnest_specs

from .helpers import QUICK, missed, rng, shrunk

CLAIM = get("resnest.thm2")


def check(spec, control=None, instance=None):
    return CLAIM.check(instance or resnest_instance(spec), control, QUICK, rng())


@settings(max_examples=6)
@given(resnest_specs(losses=("squared",), max_blocks=2))
def test_thm2_holds_or_is_vacuous_over_its_strategy(spec):
    result = check(spec)
    assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS)
    if result.verdict is Verdict.HOLDS:
        assert result.evidence["counts"]["saddles"] >= 1


def test_thm2_holds_on_drawn_trials_with_searched_saddles_besides_the_constructed_one():
    outcome = CLAIM.verify(trials=4, seed=0)
    assert outcome.verdict is Verdict.HOLDS
    result = check(ResnestSpec(1, 4, 2, 2, 1, 54, "tanh", "squared", 5))
    assert result.verdict is Verdict.HOLDS
    searched = [p for p in result.evidence["points"][1:] if p["kind"] == "saddle"]
    assert searched, "Newton on the gradient norm found no saddle besides the constructed one"
    # rank deficient to the searches' accuracy (relative gradient ~1e-11 leaves
    # sigma_min / sigma_max ~1e-6); none anywhere near full rank
    assert all(p["rank_ratio_Wout"] <= 1e-4 for p in searched)
    assert sum(p["rank_ratio_Wout"] <= 1e-6 for p in searched) >= 3


def test_no_saddles_is_refuted_certified_and_shrinks_to_one_block_one_unit():
    spec = shrunk(resnest_specs(losses=("squared",), max_blocks=2),
                  lambda s: check(s, "no-saddles"))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 1)
    result = check(spec, "no-saddles")
    assert result.evidence["critical_50_digits"]["W_out_exactly_zero"] is True
    assert result.evidence["negative_curvature"]["one_sided"] is True


def test_missing_a1_gives_vacuous():
    spec = ResnestSpec(1, 2, 1, 1, 1, 24, "tanh", "squared", 0)
    result = check(spec, instance=kill_last_block(resnest_instance(spec)))
    assert result.verdict is Verdict.VACUOUS
    assert "A1" in missed(result)


def test_missing_a3_gives_vacuous():
    result = check(ResnestSpec(1, 1, 1, 1, 2, 24, "tanh", "squared", 0))
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A3"}


def test_missing_a4_gives_vacuous():
    result = check(ResnestSpec(2, 1, 1, 1, 1, 30, "tanh", "squared", 0))
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A4"}
