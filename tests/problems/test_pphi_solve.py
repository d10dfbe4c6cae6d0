"""Variable-projection minimiser of (P_phi): agreement, first and second order, failures."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape.classify import classify_spectrum
from resproof.landscape.minimize import minimize
from resproof.nn.instances import resnest_random, resnest_tanh
from resproof.problems.augmented import augmented_optimum
from resproof.problems.pphi import PphiObjective
from resproof.problems.pphi_solve import (
    _factor,
    _gauss_newton,
    _joint_polish,
    _projected,
    local_minimum,
)
from resproof.results import PointKind, StopReason
from tests.oracles import central_gradient


def _problem(seed: int, residual_targets: bool = False):
    inst = resnest_tanh("S", seed)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    Y = inst.Y
    if residual_targets:
        beta, *_ = np.linalg.lstsq(x_prev, Y, rcond=None)
        Y = Y - x_prev @ beta
    p = PphiObjective(x_prev, features[-1], Y)
    return p, augmented_optimum(features, Y), inst.theta[-p.n_params:]


def _reduced(p: PphiObjective):
    RF, Yq, c_perp = _factor(p.F, p.Y)
    return lambda x: _projected(np.ascontiguousarray(x), RF, Yq, c_perp, p.M, p.K, p.N_o)


def test_factor_reproduces_the_gram_statistics():
    p, _, _ = _problem(1)
    RF, Yq, c_perp = _factor(p.F, p.Y)
    np.testing.assert_allclose(RF.T @ RF, p.S, rtol=0, atol=1e-14 * np.abs(p.S).max())
    np.testing.assert_allclose(RF.T @ Yq, p.T, rtol=0, atol=1e-14 * np.abs(p.T).max())
    assert c_perp + 0.5 * np.sum(Yq**2) == pytest.approx(p.c, rel=1e-14)


def _degenerate_features_problem() -> PphiObjective:
    """Seed 1 with half of ``x_{L-1}`` exactly zero (as when A4 fails): ``S`` is singular."""
    inst = resnest_tanh("S", 1)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    x_prev = x_prev.copy()
    x_prev[:, 4:] = 0.0
    return PphiObjective(x_prev, features[-1], inst.Y)


def test_factor_keeps_the_rows_of_exactly_zero_features():
    p = _degenerate_features_problem()
    RF, Yq, c_perp = _factor(p.F, p.Y)
    assert c_perp + 0.5 * np.sum(Yq**2) == pytest.approx(p.c, rel=1e-14)
    np.testing.assert_allclose(RF.T @ RF, p.S, rtol=0, atol=1e-14 * np.abs(p.S).max())
    np.testing.assert_allclose(RF.T @ Yq, p.T, rtol=0, atol=1e-14 * np.abs(p.T).max())


def test_singular_features_agree_with_the_generic_minimiser():
    p = _degenerate_features_problem()
    theta0 = resnest_tanh("S", 1).theta[-p.n_params:]
    fast = local_minimum(p, theta0)
    slow = minimize(p, theta0, max_iterations=5000, symmetry_modes=(p.M - p.N_o) * p.K)
    assert fast.converged
    assert slow.converged
    assert p.residual_risk(fast.theta) == pytest.approx(p.residual_risk(slow.theta), abs=1e-13)


def test_projected_risk_is_the_joint_risk_at_the_optimal_output_layer():
    p, _, theta0 = _problem(3)
    rng = np.random.default_rng(0)
    x = theta0[:p.M * p.K] + 0.3 * rng.standard_normal(p.M * p.K)
    rho, g, Wo, *_ = _reduced(p)(x)
    t = np.concatenate([x, Wo.ravel()])
    R, gj = p.loss_grad(t)
    assert rho == pytest.approx(R, rel=1e-13)
    np.testing.assert_allclose(g, gj[:p.M * p.K], rtol=0, atol=1e-13)
    # W_{L+1}(W_L) is optimal: the joint gradient's W_{L+1} block vanishes
    assert np.linalg.norm(gj[p.M * p.K:]) < 1e-12
    np.testing.assert_allclose(g, central_gradient(lambda y: _reduced(p)(y)[0], x),
                               rtol=0, atol=1e-9)


def test_gauss_newton_matrix_is_the_exact_reduced_hessian_at_the_minimum():
    p, _, theta0 = _problem(2)
    point = local_minimum(p, theta0)
    x = point.theta[:p.M * p.K]
    _, _, Wo, RA, E2, Sigma = _reduced(p)(x)
    JtJ = _gauss_newton(Wo, RA, E2, Sigma, p.M, p.K)
    # Schur complement of the joint Hessian's W_{L+1} block
    H = p.hessian(point.theta)
    n = p.M * p.K
    schur = H[:n, :n] - H[:n, n:] @ np.linalg.solve(H[n:, n:], H[n:, :n])
    np.testing.assert_allclose(JtJ, schur, rtol=0, atol=1e-9 * np.abs(schur).max())
    assert np.linalg.eigvalsh(JtJ)[0] > -1e-12 * np.abs(JtJ).max()


@pytest.mark.parametrize("seed", [2, 6, 10])
def test_risk_agrees_with_the_generic_trust_region_minimiser(seed):
    p, best, theta0 = _problem(seed)
    fast = local_minimum(p, theta0)
    slow = minimize(p, theta0, max_iterations=5000, symmetry_modes=(p.M - p.N_o) * p.K)
    assert fast.converged
    assert slow.converged
    assert p.residual_risk(fast.theta) == pytest.approx(p.residual_risk(slow.theta), abs=1e-13)
    assert abs(p.residual_risk(fast.theta) - best) <= 1e-12
    assert fast.iterations < slow.iterations


@pytest.mark.parametrize("seed", range(5))
def test_converged_point_passes_independent_first_and_second_order_checks(seed):
    p, best, theta0 = _problem(seed)
    point = local_minimum(p, theta0)
    assert point.stop_reason is StopReason.CONVERGED
    assert point.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)
    # first order, re-evaluated by the objective itself
    R, g = p.loss_grad(point.theta)
    assert np.linalg.norm(g) <= 1e-10 * max(1.0, min(abs(R), abs(p.loss(theta0))))
    # second order, from a fresh eigendecomposition
    w = np.linalg.eigvalsh(p.hessian(point.theta))
    c = classify_spectrum(w, grad_norm=float(np.linalg.norm(g)),
                          theta_norm=float(np.linalg.norm(point.theta)),
                          symmetry_modes=(p.M - p.N_o) * p.K)
    assert c.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)
    assert w[0] >= -c.zero_tolerance
    assert c.n_zero_modes >= (p.M - p.N_o) * p.K  # the W_out-null-space symmetry
    assert abs(p.residual_risk(point.theta) - best) <= 1e-12


def test_joint_polish_recovers_a_perturbed_minimiser():
    p, _, theta0 = _problem(7)
    point = local_minimum(p, theta0)
    t = point.theta + 1e-7 * np.random.default_rng(1).standard_normal(p.n_params)
    assert np.linalg.norm(p.grad(t)) > 1e-6
    t, risk, g, taken = _joint_polish(t, p.S, p.T, p.c, p.M, p.K, p.N_o, 1e-10, 8)
    assert np.linalg.norm(g) <= 1e-10
    assert 1 <= taken <= 8
    assert risk == pytest.approx(p.loss(t), abs=1e-15)


def test_strict_saddle_is_reported_then_escaped():
    # Targets orthogonal to x_{L-1}: (W_L, W_{L+1}) = (0, 0) is critical with W_{L+1} = 0.
    p, best, _ = _problem(0, residual_targets=True)
    zero = np.zeros(p.n_params)
    stuck = local_minimum(p, zero, max_escapes=0)
    assert stuck.kind is PointKind.SADDLE
    assert stuck.lambda_min < -1e-3
    escaped = local_minimum(p, zero)
    assert escaped.converged
    assert escaped.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)
    assert abs(p.residual_risk(escaped.theta) - best) <= 1e-12


def test_iteration_budget_exhausted_is_not_converged():
    p, _, theta0 = _problem(3)
    point = local_minimum(p, theta0, max_iterations=2)
    assert point.stop_reason is StopReason.MAX_ITERATIONS
    assert not point.converged
    assert point.kind is PointKind.NOT_CRITICAL


def test_drift_to_infinity_without_a_minimiser_is_not_converged():
    # A3 broken (M = 2 < N_o = 3): here (P_phi) has no minimiser; the search runs off
    inst = resnest_random(np.random.default_rng(0), 2, 2, 2, 1, 3, 64)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    p = PphiObjective(x_prev, features[-1], inst.Y)
    point = local_minimum(p, inst.theta[-p.n_params:])
    assert not point.converged
    assert point.kind is PointKind.NOT_CRITICAL
    assert np.linalg.norm(point.theta) > 1e3


@pytest.mark.parametrize("theta0", [np.zeros(47), np.zeros((48, 1)), np.full(48, np.nan)],
                         ids=["short", "2d", "nan"])
def test_bad_start_is_invalid_input(theta0):
    p, _, _ = _problem(0)
    with pytest.raises(InvalidInput, match="theta0"):
        local_minimum(p, theta0)


def test_sweep_converges_with_eps_at_rounding_level():
    from resproof.claims.resnest.thm1_sweep import sweep

    result = sweep(range(4))
    assert all(result["converged"])
    assert max(abs(e) for e in result["eps"]) <= 1e-12
    assert max(result["relative_grad_norm"]) <= 1e-10
    assert set(result["kind"]) <= {"minimum", "degenerate"}
