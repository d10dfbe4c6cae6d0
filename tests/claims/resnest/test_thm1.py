"""resnest.thm1 both ways: holds or vacuous over its strategy; each control refuted,
certified and shrunk; each assumption missing gives vacuous (A4 and A3 on instances where
the conclusion fails, so the test fails if the assumption's check is removed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from resproof.claims import get
from resproof.claims.base import SearchLog
from resproof.claims.resnest.common import Study, a4_ratio, constructed_saddle
from resproof.nn.instances import resnest_tanh
from resproof.problems.pphi import PphiObjective
from resproof.results import PointKind, Verdict
from resproof.strategies import ResnestSpec, resnest_instance, resnest_specs

from .helpers import QUICK, missed, rng, shrunk

CLAIM = get("resnest.thm1")


def check(spec: ResnestSpec, control=None, loss=None):
    return CLAIM.check(resnest_instance(spec), loss or spec.loss, control, QUICK, rng())


def test_pphi_gram_objective_equals_the_network_restricted_to_W_L_W_out():
    inst = resnest_tanh("S", 3)
    net = inst.objective("P_phi")
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    p = PphiObjective(x_prev, features[-1], inst.Y)
    t = inst.theta[net.indices]
    assert p.loss(t) == pytest.approx(net.loss(t), rel=1e-13)
    np.testing.assert_allclose(p.grad(t), net.grad(t), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(p.hessian(t), net.hessian(t), rtol=1e-11, atol=1e-13)


@settings(max_examples=4)
@given(resnest_specs(max_blocks=2))
def test_thm1_holds_or_is_vacuous_over_its_strategy(spec):
    result = check(spec)
    assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS, Verdict.INCONCLUSIVE)
    assert result.verdict is not Verdict.REFUTED


def test_thm1_holds_on_drawn_trials_with_every_loss_of_a2():
    outcome = CLAIM.verify(trials=4, seed=0)
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["counts"]["refuted"] == 0


def test_thm1_holds_on_bench_size_s_and_is_vacuous_on_size_m_naming_a4():
    assert CLAIM.verify_on(resnest_tanh("S", 0)).verdict is Verdict.HOLDS
    outcome = CLAIM.verify_on(resnest_tanh("M", 0))
    assert outcome.verdict is Verdict.VACUOUS
    assert missed(outcome.evidence["worst_trial"]) == {"A4"}


def test_narrow_is_refuted_certified_and_shrinks_to_one_block_one_unit():
    spec = shrunk(resnest_specs(width="narrow", losses=("squared",), max_blocks=2,
                                max_n_in=2), lambda s: check(s, "narrow"))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 2)
    assert spec.samples == 24


def test_not_wide_is_refuted_certified_and_shrinks_to_one_block():
    spec = shrunk(resnest_specs(width="not-wide", losses=("squared",), max_blocks=2,
                                max_n_in=2), lambda s: check(s, "not-wide"))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (2, 1, 1, 1, 1)
    assert spec.samples == 30


def test_all_critical_global_is_refuted_by_a_rank_deficient_saddle_and_shrinks():
    spec = shrunk(resnest_specs(losses=("squared",), max_blocks=2),
                  lambda s: check(s, "all-critical-global"))
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 1)
    result = check(spec, "all-critical-global")
    assert result.evidence["broken_assumptions"][0]["margin"] <= 0   # rank deficient
    assert result.evidence["certificate"]["one_sided"] is True


@pytest.mark.parametrize("control", ["narrow", "not-wide", "all-critical-global"])
def test_every_control_is_refuted_and_certified_from_drawn_trials(control):
    outcome = CLAIM.verify(control=control, trials=2, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    assert outcome.counterexample["certificate"]["margin"] > \
        outcome.counterexample["certificate"]["error_bound"]


def test_missing_a4_gives_vacuous_where_eps_is_positive():
    # the not-wide control's instance: eps > 0 there (refuted, certified), so the claim is
    # only saved by A4; without the A4 check this trial would be refuted
    spec = ResnestSpec(2, 1, 1, 1, 1, 30, "tanh", "squared", 0)
    assert check(spec, "not-wide").verdict is Verdict.REFUTED
    result = check(spec)
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A4"}
    assert a4_ratio(resnest_instance(spec)) == 0.0


def test_missing_a3_gives_vacuous_where_eps_is_positive():
    spec = ResnestSpec(1, 1, 1, 1, 2, 24, "tanh", "squared", 0)
    assert check(spec, "narrow").verdict is Verdict.REFUTED
    result = check(spec)
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A3"}


def test_missing_a2_gives_vacuous():
    spec = ResnestSpec(1, 2, 1, 1, 1, 24, "tanh", "squared", 0)
    result = check(spec, loss="welsch")
    assert result.verdict is Verdict.VACUOUS
    assert missed(result) == {"A2"}


def test_a_control_whose_assumption_holds_is_vacuous_not_refuted():
    wide = ResnestSpec(1, 2, 1, 1, 1, 24, "tanh", "squared", 0)
    result = check(wide, "narrow")   # M >= N_o: A3 is not broken
    assert result.verdict is Verdict.VACUOUS


def test_constructed_point_is_critical_and_a_strict_saddle():
    study = Study.of(resnest_tanh("S", 1)).with_residual_targets()
    point = constructed_saddle(study, SearchLog())
    assert point.converged
    assert point.kind is PointKind.SADDLE
    assert study.w_out_rank_ratio(point.theta) == 0.0
