"""resnest.thm1 holds on wide instances; each control is refuted (both directions)."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.claims import get
from resproof.claims.resnest.thm1 import a4_margin, draw, pphi_problem
from resproof.nn.instances import resnest_tanh
from resproof.problems.pphi import PphiObjective
from resproof.results import Verdict


def test_pphi_gram_objective_equals_the_network_restricted_to_W_L_W_out():
    inst = resnest_tanh("S", 3)
    net = inst.objective("P_phi")
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    p = PphiObjective(x_prev, features[-1], inst.Y)
    t = inst.theta[net.indices]
    assert p.loss(t) == pytest.approx(net.loss(t), rel=1e-13)
    np.testing.assert_allclose(p.grad(t), net.grad(t), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(p.hessian(t), net.hessian(t), rtol=1e-11, atol=1e-13)


def test_thm1_holds_with_eps_at_rounding_level():
    outcome = get("resnest.thm1").verify(trials=2, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["counts"]["holds"] == 2


@pytest.mark.parametrize(("control", "trials", "witness"), [
    ("narrow", 2, [0, 1]),  # trial [0, 0] drifts (no minimiser): inconclusive, not a pass
    ("not-wide", 1, [0, 0]),
    ("all-critical-global", 1, [0, 0])])
def test_every_control_is_refuted(control, trials, witness):
    outcome = get("resnest.thm1").verify(control=control, trials=trials, seed=0, budget="quick")
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.counterexample["seed"] == witness


def test_not_wide_breaks_a4_and_the_claim_instance_satisfies_it():
    seed = np.random.SeedSequence(0)
    assert a4_margin(draw(seed, None)) > 1e-3
    assert a4_margin(draw(seed, "not-wide")) == 0.0


def test_constructed_point_is_critical_and_a_strict_saddle():
    inst = draw(np.random.SeedSequence(1), "all-critical-global")
    p, _, _ = pphi_problem(inst, residual_targets=True)
    original, _, _ = pphi_problem(inst)
    zero = np.zeros(p.n_params)
    # critical to rounding: relative to the gradient the untouched targets give there
    assert np.linalg.norm(p.grad(zero)) < 1e-12 * np.linalg.norm(original.grad(zero))
    assert np.linalg.eigvalsh(p.hessian(zero))[0] < -1e-3


@pytest.mark.parametrize("control", ["not-wide", "all-critical-global"])
def test_refutations_are_certified_in_high_precision(control):
    outcome = get("resnest.thm1").verify(control=control, trials=1, seed=0)
    assert outcome.certified is True
    cert = outcome.counterexample["certificate"]
    assert cert["margin"] > cert["error_bound"] > 0
