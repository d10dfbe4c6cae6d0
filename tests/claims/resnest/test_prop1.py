"""resnest.prop1 both ways: holds or vacuous over its strategy; dead-last-block refuted
(Hessian PSD at every sample, exactly), certified and shrunk; A1 missing gives vacuous."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings

from resproof.claims import get
from resproof.claims.resnest.common import Study
from resproof.claims.resnest.prop1 import kill_last_block
from resproof.problems.pphi_exact import is_psd_exact
from resproof.results import Verdict
from resproof.strategies import ResnestSpec, resnest_instance, resnest_specs

from .helpers import QUICK, missed, rng, shrunk

CLAIM = get("resnest.prop1")


def check(spec, control=None, dead=False):
    inst = resnest_instance(spec)
    return CLAIM.check(kill_last_block(inst) if dead else inst, control, QUICK, rng())


@settings(max_examples=6)
@given(resnest_specs(width="any", losses=("squared",), max_blocks=2))
def test_prop1_holds_or_is_vacuous_over_its_strategy(spec):
    result = check(spec)
    assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS)
    if result.verdict is Verdict.HOLDS:
        assert result.evidence["nonconvex_margin"] > 0
        assert result.evidence["nonconcave_margin"] > 0


def test_dead_last_block_is_refuted_certified_and_shrinks_to_one_block_one_unit():
    spec = shrunk(resnest_specs(activations=("tanh",), losses=("squared",), max_blocks=2,
                                max_n_in=2, max_extra_width=0),
                  lambda s: check(s, "dead-last-block", dead=True))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 1)
    result = check(spec, "dead-last-block", dead=True)
    assert all(result.evidence["exact_psd_at_samples"])
    assert result.evidence["broken_assumptions"][0]["margin"] <= 0   # v_L == 0 measured


def test_dead_last_block_really_kills_v_L():
    spec = ResnestSpec(1, 2, 1, 2, 1, 24, "tanh", "squared", 0)
    study = Study.of(kill_last_block(resnest_instance(spec)))
    assert not study.features[-1].any()


def test_missing_a1_gives_vacuous():
    result = check(ResnestSpec(1, 2, 1, 1, 1, 24, "tanh", "squared", 0), dead=True)
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A1"}


def test_exact_psd_decides_both_ways():
    F = Fraction
    assert is_psd_exact([[F(2), F(1)], [F(1), F(1)]])
    assert is_psd_exact([[F(0), F(0)], [F(0), F(3)]])
    assert not is_psd_exact([[F(1), F(2)], [F(2), F(1)]])
    assert not is_psd_exact([[F(0), F(1)], [F(1), F(0)]])
    assert not is_psd_exact([[F(1), F(0)], [F(0), F(-1, 10**30)]])
