"""yun.near-identity holds at critical points of several depths (C the same for every L);
both controls refuted and certified, with their shrunk counterexamples; every assumption
missing gives vacuous."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.yun.near_identity import NearIdentityInstance
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import near_identity_instances

CLAIM = get("yun.near-identity")
QUICK = get_budget("quick")
SHRINK = settings(max_examples=60, database=None, deadline=None)


@settings(max_examples=3, deadline=None, database=None)
@given(near_identity_instances(max_depth=2, max_samples=12))
def test_claim_holds_or_is_vacuous_over_its_strategy(inst):
    assert CLAIM.check(inst, QUICK).verdict in (Verdict.HOLDS, Verdict.VACUOUS)


def test_claim_holds_at_every_quick_depth_with_one_constant():
    outcome = CLAIM.verify(trials=1, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    worst = outcome.evidence["worst_trial"]
    rows = worst["per_depth"]
    assert [r["L"] for r in rows] == [1, 2, 4, 8]
    assert not worst["C_grows_with_L"]
    assert all(r["critical_points"] > 0 for r in rows)
    assert all(r["C_L"] <= r["C"] for r in rows)
    assert all(r["worst_gap"] <= r["C"] for r in rows)
    assert worst["searches"]["failed_needed"] == 0


@pytest.mark.parametrize("loss", ["logistic", "pseudo_huber", "softmax_ce"])
def test_claim_holds_for_every_lipschitz_loss(loss):
    inst = NearIdentityInstance(depths=(1, 2), samples=16, loss=loss, seed=5)
    result = CLAIM.check(inst, QUICK)
    assert result.verdict is Verdict.HOLDS
    assert result.evidence["per_depth"][0]["constructed"]["kind"] != "not_critical"


@pytest.mark.slow
def test_claim_holds_up_to_depth_32():
    outcome = CLAIM.verify(trials=1, seed=0, budget="standard")
    assert outcome.verdict is Verdict.HOLDS
    assert [r["L"] for r in outcome.evidence["worst_trial"]["per_depth"]] == [1, 2, 4, 8, 16, 32]


@pytest.mark.parametrize("control", ["zero-constant", "no-anchor"])
def test_control_refuted_and_certified(control):
    outcome = CLAIM.verify(control=control, trials=4, seed=0, budget="quick")
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    cert = outcome.counterexample["certificate"]
    assert cert["exact_critical"]
    assert cert["budget_exact"]
    assert cert["anchor_as_required"]
    assert float(cert["lower_bound_of_R_minus_R_lin_minus_C"]) > 0


@pytest.mark.parametrize(("control", "samples"), [("zero-constant", 4), ("no-anchor", 2)])
def test_control_shrinks_to_one_block_of_width_one(control, samples):
    def refuted(inst):
        result = CLAIM.check_control(inst, control)
        return result.verdict is Verdict.REFUTED and result.certified

    example = find(near_identity_instances(control=control, max_samples=8), refuted,
                   settings=SHRINK)
    assert (example.d_x, example.depths, example.width) == (1, (1,), 1)
    assert example.samples == samples


def test_no_anchor_control_measures_the_anchor_broken():
    outcome = CLAIM.verify(control="no-anchor", trials=2, seed=0)
    broken = outcome.counterexample["broken_assumptions"]
    assert broken[0]["name"] == "phi_l(0) = 0"
    assert broken[0]["value"] > 0


BASE = NearIdentityInstance(depths=(1,), samples=12, seed=3)


@pytest.mark.parametrize("change", [
    {"loss": "squared"},                    # not Lipschitz
    {"loss": "welsch"},                     # not convex
    {"activation": "softplus"},             # phi_l(0) = V softplus(0) != 0
    {"budget_factor": 16.0},                # rho_l may exceed alpha / L
], ids=["not-lipschitz", "not-convex", "not-anchored", "over-budget"])
def test_instance_missing_an_assumption_is_vacuous(change):
    result = CLAIM.check(dataclasses.replace(BASE, **change), QUICK)
    assert result.verdict is Verdict.VACUOUS


def test_no_anchor_control_on_an_anchored_instance_is_vacuous():
    inst = NearIdentityInstance(d_x=1, depths=(1,), width=1, samples=6, activation="relu",
                                alpha=2.0**-8, seed=0)
    assert CLAIM.check_control(inst, "no-anchor").verdict is Verdict.VACUOUS


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"control": "nope"}, "control"), ({"max_depth": 0}, "max_depth"),
    ({"max_samples": 1}, "max_samples")], ids=["control", "max-depth", "max-samples"])
def test_strategy_rejects_bad_arguments(kwargs, field):
    from resproof.errors import InvalidInput

    with pytest.raises(InvalidInput, match=field):
        near_identity_instances(**kwargs)
