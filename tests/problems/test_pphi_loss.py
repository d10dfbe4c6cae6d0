"""(P_phi) for any loss equals the network restricted to (W_L, W_{L+1}); (PA_phi) by the
landscape engine agrees with least squares; the exact Hessian equals the float one."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from resproof.nn.instances import resnest_tanh
from resproof.problems.augmented import (
    augmented_minimum,
    augmented_optimum,
    augmented_symmetry_modes,
)
from resproof.problems.pphi import PphiObjective
from resproof.problems.pphi_exact import exact_hessian, residual_targets
from resproof.problems.pphi_loss import PphiLossObjective
from resproof.strategies import ResnestSpec, resnest_instance


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber", "softmax_ce"])
def test_pphi_loss_objective_equals_the_network_restricted_to_W_L_W_out(loss):
    inst = resnest_instance(ResnestSpec(2, 3, 2, 2, 2, 40, "softplus", loss, 3))
    net = inst.objective("P_phi", loss=loss)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    p = PphiLossObjective(x_prev, features[-1], inst.Y, loss)
    t = inst.theta[net.indices]
    assert p.loss(t) == pytest.approx(net.loss(t), rel=1e-12)
    np.testing.assert_allclose(p.grad(t), net.grad(t), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(p.hessian(t), net.hessian(t), rtol=1e-9, atol=1e-12)


def test_augmented_minimum_agrees_with_least_squares_for_the_squared_loss():
    inst = resnest_tanh("S", 2)
    features = inst.model.features(inst.theta, inst.X)[:-1]
    point = augmented_minimum(features, inst.Y, "squared")
    assert point.converged
    assert point.loss == pytest.approx(augmented_optimum(features, inst.Y), rel=1e-10)


def test_softmax_symmetry_modes_count_the_common_logit_shift():
    features = [np.random.default_rng(0).standard_normal((30, 3))]
    assert augmented_symmetry_modes(features, 3, "softmax_ce") == 3
    assert augmented_symmetry_modes(features, 3, "logistic") == 0
    assert augmented_symmetry_modes([*features, features[0][:, :1]], 2, "squared") == 2


def test_exact_hessian_equals_the_float_hessian():
    inst = resnest_instance(ResnestSpec(1, 2, 1, 1, 2, 24, "tanh", "squared", 0))
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    p = PphiObjective(x_prev, features[-1], inst.Y)
    t = inst.theta[-p.n_params:]
    H = np.array([[float(v) for v in row] for row in exact_hessian(p, t)])
    np.testing.assert_allclose(H, p.hessian(t), rtol=1e-12, atol=1e-14)
    assert isinstance(exact_hessian(p, t)[0][0], Fraction)


def test_residual_targets_make_zero_critical():
    inst = resnest_tanh("S", 1)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    Y = residual_targets(np.hstack(features[:-1]), inst.Y)
    p = PphiObjective(x_prev, features[-1], Y)
    original = PphiObjective(x_prev, features[-1], inst.Y)
    zero = np.zeros(p.n_params)
    assert np.linalg.norm(p.grad(zero)) < 1e-12 * np.linalg.norm(original.grad(zero))
