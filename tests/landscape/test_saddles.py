"""Saddle finders, and the guard that gradient-flat points are never saddles."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st

from resproof.errors import SearchFailed
from resproof.landscape.classify import classify_spectrum
from resproof.landscape.saddles import (
    escape_saddle,
    find_critical_point,
    find_saddle,
    find_saddles,
    refine,
)
from resproof.landscape.spectrum import eigenvalues
from resproof.results import PointKind, StopReason

from .problems import DoubleWell, GradientFlat, Quadratic, random_two_layer


def naive_gradient_norm_search(objective, theta0):
    """What the trap catches: minimise ||g||^2/2 with BFGS, trust grad(phi) = H g, classify."""
    result = scipy.optimize.minimize(
        lambda x: 0.5 * float(objective.grad(x) @ objective.grad(x)), theta0,
        jac=lambda x: objective.hvp(x, objective.grad(x)), method="BFGS",
        options={"gtol": 1e-10})
    return result.x, classify_spectrum(eigenvalues(objective, result.x)).kind


def test_naive_gradient_norm_minimisation_mistakes_a_gradient_flat_point_for_a_saddle():
    objective = GradientFlat()
    theta, naive_kind = naive_gradient_norm_search(objective, np.array([0.3, 0.2]))
    np.testing.assert_allclose(theta, [0.0, 0.0], atol=1e-4)
    assert naive_kind is PointKind.SADDLE                      # the trap
    assert np.linalg.norm(objective.grad(theta)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("start", [[0.3, 0.2], [-1.0, 0.5], [2.0, -3.0]])
def test_the_guard_reports_gradient_flat_never_a_saddle(start):
    point = find_saddle(GradientFlat(), np.array(start))
    assert point.stop_reason is StopReason.GRADIENT_FLAT
    assert point.kind is PointKind.NOT_CRITICAL
    assert not point.converged
    assert point.grad_norm == pytest.approx(1.0, abs=1e-6)


def test_gradient_norm_newton_finds_the_double_well_saddle():
    point = find_critical_point(DoubleWell(), np.array([0.2, 0.3]))
    assert point.converged
    assert point.kind is PointKind.SADDLE
    np.testing.assert_allclose(point.theta, [0.0, 0.0], atol=1e-12)
    assert point.lambda_min == pytest.approx(-4.0)


def test_refine_a_constructed_saddle_of_a_two_layer_network():
    """(W1, W2) = (0, 0) is critical; its Hessian has eigenvalues +-sigma_j(Y X^T / n)."""
    rng = np.random.default_rng(0)
    prob = random_two_layer(rng, 4, 3, 2, 9)
    point = refine(prob, np.zeros(prob.n_params))
    assert point.converged
    assert point.kind is PointKind.SADDLE
    assert point.iterations == 0
    sigma = np.linalg.svd(prob.Y @ prob.X.T / prob.n, compute_uv=False)
    assert point.lambda_min == pytest.approx(-sigma[0], rel=1e-12)
    perturbed = refine(prob, 1e-6 * rng.standard_normal(prob.n_params))
    assert perturbed.converged
    assert perturbed.kind is PointKind.SADDLE


def test_escape_from_a_saddle_reaches_a_lower_minimum():
    rng = np.random.default_rng(1)
    prob = random_two_layer(rng, 4, 3, 2, 9)
    zero = np.zeros(prob.n_params)
    point = escape_saddle(prob, zero, symmetry_modes=4)
    assert point.converged
    assert point.kind is PointKind.MINIMUM
    assert point.loss < prob.loss(zero)
    assert point.loss == pytest.approx(prob.optimal_loss(), rel=1e-12)


def test_escape_refuses_a_minimum():
    with pytest.raises(SearchFailed) as info:
        escape_saddle(DoubleWell(), np.array([1.0, 0.0]))
    assert info.value.best_point.kind is PointKind.MINIMUM


def test_find_saddles_returns_only_converged_saddles():
    rng = np.random.default_rng(2)
    prob = random_two_layer(rng, 4, 3, 2, 9)
    starts = [1e-2 * rng.standard_normal(prob.n_params) for _ in range(4)]
    found = find_saddles(prob, starts)
    assert found
    assert all(p.converged and p.kind is PointKind.SADDLE for p in found)


@given(st.integers(0, 2**32 - 1), st.integers(2, 8), st.data())
def test_random_strict_saddles_are_classified_as_saddles(seed, P, data):
    n_neg = data.draw(st.integers(1, P - 1))
    n_zero = data.draw(st.integers(0, P - 1 - n_neg))
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((P, P)))[0]
    w = np.concatenate([-rng.uniform(0.1, 2, n_neg), np.zeros(n_zero),
                        rng.uniform(0.1, 2, P - n_neg - n_zero)])
    A = Q @ np.diag(w) @ Q.T
    x_star = rng.standard_normal(P)
    q = Quadratic(A, A @ x_star)
    point = find_critical_point(q, x_star + rng.standard_normal(P), symmetry_modes=n_zero)
    assert point.converged
    assert point.kind is PointKind.SADDLE
    assert point.margin > 0
    assert point.n_zero_modes == n_zero
