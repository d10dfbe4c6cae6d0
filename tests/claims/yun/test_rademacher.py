"""yun.rademacher: no violation found by the lower estimates over its strategy; both
controls refuted and certified (exact enumeration), shrunk to their minimal instances;
instances outside the class give vacuous."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.yun.rademacher import RademacherInstance
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import rademacher_instances

CLAIM = get("yun.rademacher")
QUICK = get_budget("quick")
SHRINK = settings(max_examples=40, database=None, deadline=None)


@settings(max_examples=4, deadline=None, database=None)
@given(rademacher_instances(max_depth=4, max_samples=8))
def test_claim_holds_over_its_strategy(inst):
    result = CLAIM.check(inst, None, QUICK)
    assert result.verdict is Verdict.HOLDS
    assert result.evidence["meaning"].startswith("lower estimates only")


def test_claim_holds_at_several_depths_far_below_the_bound():
    outcome = CLAIM.verify(trials=1, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    rows = outcome.evidence["worst_trial"]["per_depth"]
    assert [r["L"] for r in rows] == [1, 2, 4, 8]
    assert all(r["ratio_to_e2_bound"] < 0.5 for r in rows)


def test_monte_carlo_path_for_many_samples():
    inst = RademacherInstance(d_x=2, depths=(2,), samples=32, seed=1)
    result = CLAIM.check(inst, None, QUICK)
    assert result.verdict is Verdict.HOLDS
    row = result.evidence["per_depth"][0]
    assert row["method"] == "monte-carlo"
    assert row["certified_lower"] < row["lower_estimate"]


@pytest.mark.parametrize("control", ["no-depth-scaling", "constant-one"])
def test_control_refuted_and_certified(control):
    outcome = CLAIM.verify(control=control, trials=2, seed=0, budget="quick")
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True
    assert outcome.counterexample["certification"].startswith("exact enumeration")


def test_no_depth_scaling_refuted_from_l_3_not_before():
    inst = RademacherInstance(d_x=1, depths=(2, 3, 4), width=1, samples=1,
                              block_radius=1.0, seed=0)
    result = CLAIM.check(inst, "no-depth-scaling", QUICK)
    assert result.verdict is Verdict.REFUTED
    assert result.certified
    assert result.evidence["refuted_from_L"] == 3
    assert result.evidence["broken_assumptions"][0]["margin"] < 0


@pytest.mark.parametrize(("control", "depth", "max_depth"),
                         [("no-depth-scaling", 3, 4), ("constant-one", 1, 1)])
def test_control_shrinks_to_one_point(control, depth, max_depth):
    def refuted(inst):
        result = CLAIM.check(inst, control, QUICK)
        return result.verdict is Verdict.REFUTED and result.certified

    example = find(rademacher_instances(control=control, max_depth=max_depth, max_samples=3),
                   refuted, settings=SHRINK)
    assert (example.d_x, example.depths, example.width, example.samples) == (1, (depth,), 1, 1)


BASE = RademacherInstance(d_x=2, depths=(2,), samples=4, seed=0)


@pytest.mark.parametrize("change", [{"w_radius": 2.0}, {"block_radius": 1.0}],
                         ids=["w-outside-ball", "blocks-not-depth-scaled"])
def test_instance_outside_the_class_is_vacuous(change):
    result = CLAIM.check(dataclasses.replace(BASE, **change), None, QUICK)
    assert result.verdict is Verdict.VACUOUS


def test_constant_one_certified_by_concentration_for_many_samples():
    inst = RademacherInstance(d_x=2, depths=(1,), samples=32, seed=5)
    result = CLAIM.check(inst, "constant-one", QUICK)
    assert result.verdict is Verdict.REFUTED
    assert result.certified is True
    assert result.evidence["certification"].startswith("Hoeffding / empirical Bernstein")
    row = result.evidence["per_depth"][0]
    assert row["certified_lower"] > result.evidence["bound_upper"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"control": "nope"}, "control"), ({"max_depth": 0}, "max_depth"),
    ({"max_samples": 0}, "max_samples")], ids=["control", "max-depth", "max-samples"])
def test_strategy_rejects_bad_arguments(kwargs, field):
    from resproof.errors import InvalidInput

    with pytest.raises(InvalidInput, match=field):
        rademacher_instances(**kwargs)
