"""run_with_progress: chunks while the gradient falls, the exact critical point of a known
function, stagnation and divergence measured, never reported as converged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from resproof.landscape.minimize import minimize
from resproof.landscape.objective import FunctionObjective
from resproof.landscape.points import make_point
from resproof.landscape.progress import run_with_progress, stagnated
from resproof.landscape.saddles import find_critical_point
from resproof.results import PointKind, StopReason


def _saddle_objective(c: float = -1.0) -> FunctionObjective:
    """``f = (x^2 - 1)^2 / 4 + c y^2 / 2 + x y / 10``; for ``c = -1`` the critical points
    solve ``y = x/10``, ``x^3 = 0.99 x`` (saddles at ``x = +-sqrt(0.99)``); for ``c = 1``
    ``y = -x/10``, ``x^3 = 1.01 x`` (minima at ``x = +-sqrt(1.01)``)."""
    def loss(t: np.ndarray) -> float:
        x, y = t
        return float((x * x - 1) ** 2 / 4 + c * y * y / 2 + x * y / 10)

    def grad(t: np.ndarray) -> np.ndarray:
        x, y = t
        return np.array([x ** 3 - x + y / 10, c * y + x / 10])

    def hessian(t: np.ndarray) -> np.ndarray:
        x, _ = t
        return np.array([[3 * x * x - 1, 0.1], [0.1, c]])

    return FunctionObjective(loss, grad, hessian=hessian, n_params=2)


def test_newton_on_the_gradient_norm_in_chunks_finds_the_exact_saddle() -> None:
    obj = _saddle_objective()
    point, progress = run_with_progress(
        lambda t, n: find_critical_point(obj, t, max_iterations=n), np.array([0.8, 0.3]),
        max_total=500, chunk=2)
    x = np.sqrt(0.99)
    assert point.converged
    assert progress.outcome == "converged"
    np.testing.assert_allclose(point.theta, [x, x / 10], atol=1e-10)
    assert point.kind is PointKind.SADDLE
    assert point.iterations == progress.iterations <= 2 * len(progress.grad_norms)
    # the gradient norms recorded per chunk are the true ones at the chunk ends
    assert progress.grad_norms[-1] == pytest.approx(np.linalg.norm(obj.grad(point.theta)))


def test_minimisation_in_chunks_finds_the_exact_minimum() -> None:
    obj = _saddle_objective(1.0)
    chunked, progress = run_with_progress(lambda t, n: minimize(obj, t, max_iterations=n),
                                          np.array([0.3, -0.2]), max_total=500, chunk=3)
    x = np.sqrt(1.01)
    assert chunked.converged
    assert progress.outcome == "converged"
    assert chunked.kind is PointKind.MINIMUM
    np.testing.assert_allclose(np.abs(chunked.theta), [x, x / 10], atol=1e-10)
    # the minimiser agrees with finite differences of the loss: a true critical point
    h = 1e-6
    fd = [(obj.loss(chunked.theta + h * e) - obj.loss(chunked.theta - h * e)) / (2 * h)
          for e in np.eye(2)]
    np.testing.assert_allclose(fd, 0.0, atol=1e-8)


def _fake(norms: list[float], thetas: list[float] | None = None):
    """A search whose successive chunk ends have the given gradient and theta norms."""
    base = make_point(FunctionObjective(lambda t: 0.0, lambda t: np.zeros(1),
                                        hessian=lambda t: np.ones((1, 1)), n_params=1),
                      np.zeros(1), StopReason.MAX_ITERATIONS, 10)
    state = {"k": 0}

    def search(theta: np.ndarray, iterations: int):
        k = state["k"]
        state["k"] += 1
        t = np.array([thetas[k] if thetas else 1.0])
        return dataclasses.replace(base, theta=t, grad_norm=norms[k], iterations=iterations,
                                   kind=PointKind.NOT_CRITICAL)
    return search


def test_a_crawl_is_stopped_as_stagnated_and_not_converged() -> None:
    norms = [1e-3, 9e-4, 8e-4, 7e-4, 6e-4]
    point, progress = run_with_progress(_fake(norms), np.ones(1), max_total=1000, chunk=10)
    assert progress.outcome == "stagnated"
    assert not point.converged
    assert progress.iterations == 30  # patience 2: three chunk ends compared


def test_steady_progress_runs_to_the_budget() -> None:
    norms = [10.0 ** -k for k in range(1, 40)]
    point, progress = run_with_progress(_fake(norms), np.ones(1), max_total=100, chunk=10)
    assert progress.outcome == "budget"
    assert progress.iterations == 100
    assert not point.converged


def test_growth_counts_as_progress_until_divergence_is_measured() -> None:
    norms = [1e-3] * 20
    thetas = [2.0 ** k for k in range(20)]
    point, progress = run_with_progress(
        _fake(norms, thetas), np.ones(1), max_total=1000, chunk=10, min_growth=1.05,
        diverged=lambda p: float(np.linalg.norm(p.theta)) > 100.0)
    assert progress.outcome == "diverged"
    assert float(point.theta[0]) == 128.0
    # without the growth rule the same run stagnates early
    _, early = run_with_progress(_fake(norms, thetas), np.ones(1), max_total=1000, chunk=10)
    assert early.outcome == "stagnated"


def test_stagnation_rule() -> None:
    assert not stagnated([1.0, 0.5], 2, 0.5)                 # too few chunks
    assert stagnated([1.0, 0.5, 0.4], 2, 0.5)                # 0.4 decades < 0.5
    assert not stagnated([1.0, 0.5, 0.3], 2, 0.5)            # 0.52 decades
    assert not stagnated([1.0, 1.0, 1.0], 2, 0.5, [1.0, 1.1, 1.3], 1.25)
    assert stagnated([1.0, float("nan"), float("nan")], 2, 0.5)
