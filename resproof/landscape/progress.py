"""Iteration budgets that scale with progress: run a local search in chunks.

A local search (trust-region Newton, Newton on the gradient norm) either converges
fast (quadratically near a nondegenerate critical point, linearly near a
Morse-Bott manifold) or crawls: towards a critical point "at infinity" (the
gradient decays like ``e^{-c ||theta||}`` or ``1 / ||theta||`` along a path
that leaves every bounded set) or over a plateau.  A fixed iteration cap wastes
the budget on crawls and cuts good searches short.

:func:`run_with_progress` runs ``search(theta, chunk)`` repeatedly from the last
point and keeps going while the gradient norm falls by at least a factor
``10**min_decades`` over every ``patience`` consecutive chunks (progress), up to
``max_total`` iterations; it stops at convergence, at a non-finite point, or
when the progress test fails (stagnation).  The returned point's stop reason is
the last chunk's (``MAX_ITERATIONS`` for a stagnated search: it did not converge),
so a stagnated search is reported as failed, never as converged; callers may
then spend the saved budget on a fresh start.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from .._validation import check_int, check_real
from ..results import CriticalPoint, StopReason

#: Iterations of one chunk.
CHUNK = 50
#: Decades of gradient decrease required over ``patience`` chunks.
MIN_DECADES = 0.5
#: Chunks over which the decrease is measured.
PATIENCE = 2


@dataclasses.dataclass(frozen=True)
class Progress:
    """What one progressive run did: iterations used, the gradient norm and
    ``||theta||`` after every chunk, and why it stopped (``converged``,
    ``nonfinite``, ``stagnated``, ``budget``, or the search's own reason)."""

    iterations: int
    grad_norms: tuple[float, ...]
    theta_norms: tuple[float, ...]
    outcome: str

    def to_json(self) -> dict[str, object]:
        return {"iterations": self.iterations, "outcome": self.outcome,
                "grad_norms": [float(f"{g:.3g}") for g in self.grad_norms],
                "theta_norms": [float(f"{t:.3g}") for t in self.theta_norms]}


def stagnated(grad_norms: list[float], patience: int, min_decades: float,
              theta_norms: list[float] | None = None, min_growth: float | None = None) -> bool:
    """Whether the last ``patience`` chunks lowered ``||g||`` by less than
    ``10**min_decades`` (``log10(g_{k - patience} / g_k) < min_decades``) and, when
    ``min_growth`` is given, did not grow ``||theta||`` by a factor ``min_growth``
    either (a path leaving for infinity is progress for a caller that detects
    divergence: it is followed until its growth is measured)."""
    if len(grad_norms) <= patience:
        return False
    before, now = grad_norms[-1 - patience], grad_norms[-1]
    if not (math.isfinite(before) and math.isfinite(now)):
        return True
    if now <= 0.0:
        return False
    if min_growth is not None and theta_norms is not None:
        start, end = theta_norms[-1 - patience], theta_norms[-1]
        if end >= min_growth * max(start, 1.0):
            return False
    return math.log10(before / now) < min_decades


def run_with_progress(search: Callable[[np.ndarray, int], CriticalPoint], theta0: np.ndarray,
                      *, max_total: int, chunk: int = CHUNK, patience: int = PATIENCE,
                      min_decades: float = MIN_DECADES, min_growth: float | None = None,
                      diverged: Callable[[CriticalPoint], bool] | None = None
                      ) -> tuple[CriticalPoint, Progress]:
    """Run ``search(theta, iterations)`` in chunks from ``theta0`` while it progresses.

    Returns the last point (iterations summed over the chunks) and its
    :class:`Progress`.  The gradient norm before the first chunk is not known to
    the caller's search, so the first test compares chunk ends only: a search gets
    at least ``patience + 1`` chunks unless it converges or leaves the finite
    numbers first.  ``min_growth`` counts growth of ``||theta||`` as progress
    (:func:`stagnated`); ``diverged(point)`` true at a chunk's end stops the run with
    outcome ``diverged``.
    """
    max_total = check_int("max_total", max_total, minimum=1)
    chunk = check_int("chunk", chunk, minimum=1)
    patience = check_int("patience", patience, minimum=1)
    check_real("min_decades", min_decades, nonnegative=True)
    theta = np.asarray(theta0, dtype=np.float64)
    used = 0
    grads: list[float] = []
    norms: list[float] = []
    while True:
        point = search(theta, min(chunk, max_total - used))
        used += max(point.iterations, 1)
        grads.append(float(point.grad_norm))
        norms.append(float(np.linalg.norm(point.theta)))
        point = dataclasses.replace(point, iterations=used)
        if point.stop_reason is StopReason.CONVERGED:
            outcome = "converged"
        elif point.stop_reason is StopReason.NONFINITE or not np.all(np.isfinite(point.theta)):
            outcome = "nonfinite"
        elif point.stop_reason not in (StopReason.MAX_ITERATIONS,):
            outcome = point.stop_reason.value
        elif diverged is not None and diverged(point):
            outcome = "diverged"
        elif used >= max_total:
            outcome = "budget"
        elif stagnated(grads, patience, min_decades, norms, min_growth):
            outcome = "stagnated"
        else:
            theta = point.theta
            continue
        return point, Progress(used, tuple(grads), tuple(norms), outcome)
