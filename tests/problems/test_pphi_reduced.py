"""Variable projection for (P_phi) with any convex loss: the inner convex solve against the
exact least-squares answer, the reduced gradient and Schur-complement Hessian against
finite differences of rho, and the minimiser against min (PA_phi) (Theorem 1: equal under
A3 and A4), where joint trust-region Newton runs out of iterations."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.landscape.minimize import minimize
from resproof.nn.models import LinearObjective
from resproof.problems.augmented import augmented_minimum, augmented_optimum
from resproof.problems.pphi_loss import PphiLossObjective
from resproof.problems.pphi_reduced import (
    ReducedPphi,
    newton_glm,
    reduced_applies,
    reduced_minimum,
)
from resproof.strategies import ResnestSpec, resnest_instance


def problem(loss: str, spec: ResnestSpec | None = None):
    spec = spec or ResnestSpec(2, 3, 2, 2, 2, 40, "softplus", loss, 3)
    inst = resnest_instance(spec)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    joint = PphiLossObjective(x_prev, features[-1], inst.Y, loss)
    n = joint.n_params
    return inst, features, joint, inst.theta[-n:].copy()


def test_inner_newton_solve_is_the_least_squares_solution():
    rng = np.random.default_rng(0)
    Z, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 2))
    lin = LinearObjective(Z, Y, "squared", None)
    T, risk, solved = newton_glm(lin, np.zeros(8))
    exact, *_ = np.linalg.lstsq(Z, Y, rcond=None)
    assert solved
    np.testing.assert_allclose(T.reshape(2, 4), exact.T, rtol=1e-10, atol=1e-12)
    assert risk == pytest.approx(0.5 * np.sum((Z @ exact - Y) ** 2) / 30, rel=1e-12)


def test_inner_solve_keeps_the_start_component_along_the_softmax_shift():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((40, 3))
    logits = Z @ rng.standard_normal((3, 3))
    Y = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    lin = LinearObjective(Z, Y, "softmax_ce", None)
    start = rng.standard_normal(9)
    T, _, solved = newton_glm(lin, start)
    assert solved
    # the common shift 1 c^T changes no prediction: its component stays the start's
    np.testing.assert_allclose(T.reshape(3, 3).mean(axis=0), start.reshape(3, 3).mean(axis=0),
                               atol=1e-10)
    assert np.linalg.norm(lin.grad(T)) <= 1e-12


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber", "softmax_ce"])
def test_reduced_gradient_and_hessian_match_finite_differences_of_rho(loss):
    _, _, joint, t0 = problem(loss)
    reduced = ReducedPphi(joint, warm=t0[joint.M * joint.K:])
    w = t0[:reduced.n_params]
    g, H = reduced.grad(w), reduced.hessian(w)
    h = 1e-5
    fd_g = np.array([(reduced.loss(w + h * e) - reduced.loss(w - h * e)) / (2 * h)
                     for e in np.eye(w.size)])
    fd_H = np.array([(reduced.grad(w + h * e) - reduced.grad(w - h * e)) / (2 * h)
                     for e in np.eye(w.size)])
    scale = max(1.0, float(np.abs(H).max()))
    np.testing.assert_allclose(g, fd_g, atol=1e-8)
    np.testing.assert_allclose(H, 0.5 * (fd_H + fd_H.T), atol=1e-6 * scale)
    # rho is the inner minimum: never above the joint risk at the start's W_{L+1}
    assert reduced.loss(w) <= joint.loss(t0) + 1e-15


@pytest.mark.parametrize("loss", ["squared", "logistic", "pseudo_huber", "softmax_ce"])
def test_reduced_minimum_reaches_min_pa_phi_under_a3_a4(loss):
    # M = 5 >= N_in + K_1 = 4 (A4 can hold) and M >= N_o (A3)
    inst, features, joint, t0 = problem(loss, ResnestSpec(2, 5, 2, 2, 2, 48, "tanh", loss, 4))
    point = reduced_minimum(joint, t0, max_iterations=300)
    assert point.converged
    pa = (augmented_optimum(features, inst.Y) if loss == "squared"
          else augmented_minimum(features, inst.Y, loss).loss)
    assert point.loss == pytest.approx(pa, rel=1e-9, abs=1e-12)
    # the joint gradient at the lifted point passes the tolerance too
    assert np.linalg.norm(joint.grad(point.theta)) <= 1e-10 * max(1.0, point.loss)


def test_reduced_minimum_converges_where_joint_newton_runs_out_of_iterations():
    # resnest.thm1 trial 8 of seed 0: logistic labels nearly separable on the features, so
    # min (PA_phi) needs ||H|| ~ 170 and the minimiser of (P_phi) lies at ||theta|| ~ 450
    spec = ResnestSpec(1, 5, 2, 3, 2, 70, "relu", "logistic", 2529857696)
    inst, features, joint, t0 = problem("logistic", spec)
    pa = augmented_minimum(features, inst.Y, "logistic")
    joint_point = minimize(joint, t0, max_iterations=400)
    point = reduced_minimum(joint, t0, max_iterations=400)
    assert not joint_point.converged
    assert point.converged
    assert point.iterations < 100
    assert point.loss == pytest.approx(pa.loss, rel=1e-12)


def test_reduced_projection_needs_full_column_rank_features():
    _, _, joint, _ = problem("logistic")
    assert reduced_applies(joint.x_prev)
    assert not reduced_applies(np.hstack([joint.x_prev, joint.x_prev[:, :1]]))
