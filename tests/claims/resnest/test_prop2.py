"""resnest.prop2 both ways: holds or vacuous over its strategy (any width, any loss of A2);
no-input-feature refuted (eps < 0 certified one-sided), shrunk; A2 missing gives vacuous."""

from __future__ import annotations

from hypothesis import given, settings

from resproof.claims import get
from resproof.results import Verdict
from resproof.strategies import ResnestSpec, resnest_instance, resnest_specs

from .helpers import QUICK, missed, rng, shrunk

CLAIM = get("resnest.prop2")


def check(spec, control=None, loss=None):
    return CLAIM.check(resnest_instance(spec), loss or spec.loss, control, QUICK, rng())


@settings(max_examples=8)
@given(resnest_specs(width="any", max_blocks=2))
def test_prop2_holds_or_is_vacuous_over_its_strategy(spec):
    result = check(spec)
    assert result.verdict is not Verdict.REFUTED


def test_prop2_holds_for_each_convex_loss():
    for loss in ("squared", "logistic", "pseudo_huber", "softmax_ce"):
        result = check(ResnestSpec(2, 3, 1, 1, 2, 36, "tanh", loss, 1))
        assert result.verdict is Verdict.HOLDS, (loss, result.evidence)


def test_no_input_feature_is_refuted_certified_and_shrinks_to_one_block_one_unit():
    spec = shrunk(resnest_specs(losses=("squared",), max_blocks=2, max_n_in=2,
                                max_extra_width=0), lambda s: check(s, "no-input-feature"))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 1)
    result = check(spec, "no-input-feature")
    assert result.margin < 0
    assert result.evidence["eps"] < 0
    cert = result.evidence["certificate"]
    assert cert["margin"] < -cert["error_bound"]


def test_missing_a2_gives_vacuous():
    result = check(ResnestSpec(1, 2, 1, 1, 1, 24, "tanh", "squared", 0), loss="welsch")
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A2"}
