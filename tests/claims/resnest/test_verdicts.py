"""The shared search helpers of the ResNEst claims: minimisation from several starts past
those that diverge, every search recorded."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.claims.base import SearchLog
from resproof.claims.resnest._verdicts import minimum_from_starts
from resproof.landscape.objective import FunctionObjective
from resproof.results import StopReason

WELL = 3.0


def _two_basins():
    """``f(t) = softplus(t)`` on ``t < 0`` (running off to ``-inf``) glued to a well with a
    local minimiser at ``t* > 0``."""
    def f(x):
        t = float(x[0])
        return float(np.logaddexp(0.0, t) + (0.5 * (t - WELL) ** 2 - 4.5 if t > 0 else 0.0))

    def g(x):
        t = float(x[0])
        return np.array([1.0 / (1.0 + np.exp(-t)) + ((t - WELL) if t > 0 else 0.0)])

    def h(x):
        t = float(x[0])
        s = 1.0 / (1.0 + np.exp(-t))
        return np.array([[s * (1.0 - s) + (1.0 if t > 0 else 0.0)]])

    return FunctionObjective(f, g, hessian=h, n_params=1)


def test_a_diverging_start_is_recorded_not_needed_and_the_next_start_decides():
    log = SearchLog()
    point = minimum_from_starts(log, "(toy)", _two_basins(), [np.array([-1.0]),
                                                              np.array([1.0])],
                                max_iterations=200, divergence=10.0)
    assert point.converged
    assert point.theta[0] > 0
    first = [r for r in log.records if "start 0" in r["search"]]
    assert first
    assert all(not r["needed"] for r in first)
    assert first[-1]["stop_reason"] == StopReason.DIVERGING.value
    assert "diverged" in first[-1]["search"]
    assert log.failed_needed == 0


def test_when_every_start_diverges_the_last_search_is_needed():
    log = SearchLog()
    point = minimum_from_starts(log, "(toy)", _two_basins(),
                                [np.array([-1.0]), np.array([-2.0])], max_iterations=200,
                                divergence=10.0)
    assert point.stop_reason is StopReason.DIVERGING
    assert log.failed_needed == 1
    assert log.records[-1]["needed"]


def test_starts_are_drawn_lazily_and_needed_at_least_one():
    drawn = []

    def starts():
        for s in ([1.0], [-1.0]):
            drawn.append(s)
            yield np.array(s)

    minimum_from_starts(SearchLog(), "(toy)", _two_basins(), starts(), max_iterations=200)
    assert drawn == [[1.0]]
    with pytest.raises(ValueError, match="at least one start"):
        minimum_from_starts(SearchLog(), "(toy)", _two_basins(), [], max_iterations=10)


def test_a_fallback_from_the_same_start_decides_when_newton_fails():
    from resproof.claims.resnest._verdicts import logged_minimum

    obj = _two_basins()
    log = SearchLog()
    # from -1 the first search runs off (diverging); the fallback is asked and decides
    point = logged_minimum(log, "(toy)", obj, np.array([-1.0]), max_iterations=200,
                           divergence=10.0, fallback=lambda t0: minimum_from_starts(
                               SearchLog(), "(inner)", obj, [np.array([1.0])],
                               max_iterations=200))
    assert point.converged
    assert [r["needed"] for r in log.records] == [False, True]
    assert log.records[-1]["search"].endswith("(output layer projected)")


def test_a_diverged_start_whose_fallback_fails_stays_diverged():
    from resproof.claims.resnest._verdicts import logged_minimum

    obj = _two_basins()
    log = SearchLog()
    point = logged_minimum(log, "(toy)", obj, np.array([-1.0]), max_iterations=200,
                           divergence=10.0, fallback=lambda t0: minimum_from_starts(
                               SearchLog(), "(inner)", obj, [np.array([-3.0])],
                               max_iterations=200, divergence=2.0))
    assert point.stop_reason is StopReason.DIVERGING
    assert [r["needed"] for r in log.records] == [True, False]
