"""Checks that an objective's derivatives are what they claim, returning numbers.

Taylor remainders along a direction ``d`` (as in pymanopt's ``check_gradient``
and ``check_hessian``)::

    r1(h) = |f(x + h d) - f(x) - h <g, d>|                        = O(h^2)
    r2(h) = |f(x + h d) - f(x) - h <g, d> - h^2/2 <d, H d>|       = O(h^3)

so their log-log slopes are 2 and 3 where neither rounding nor the higher
terms dominate; a wrong gradient leaves ``r1`` of order ``h`` (slope 1), a
wrong Hessian-vector product ``r2`` of order ``h^2``.  The order is an
asymptotic (``h -> 0``) property, so the slope is fitted on the
:data:`FIT_STEPS` smallest steps whose remainder stands clear of rounding
(``> NOISE_FACTOR * eps * scale``, ``scale`` the size of the terms
subtracted); a fit over all steps would let the higher-order terms of large
``h`` hide a wrong low-order term.  Nothing in the fit looks at the slope it is
supposed to find.

``hvp_symmetry`` and ``hvp_linearity`` measure ``|<u, H v> - <v, H u>|`` and
``||H(a u + b v) - a H u - b H v||`` relative to the sizes involved (both zero
to rounding for an exact HVP).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_array, check_seed
from .objective import Objective, loss_and_grad

#: Steps of the Taylor checks.
STEPS = np.logspace(-8, 0, 33)

#: Remainders below ``NOISE_FACTOR * eps * scale`` are rounding, left out of the fit.
NOISE_FACTOR = 1e3

#: The slope is fitted on this many of the smallest usable steps (1.5 decades of ``h``).
FIT_STEPS = 7


@dataclasses.dataclass(frozen=True)
class TaylorCheck:
    """One Taylor-remainder check: ``remainders[i]`` at ``steps[i]``, the least-squares
    log-log ``slope`` over the steps in ``used`` and the ``expected`` slope."""

    what: str
    steps: np.ndarray
    remainders: np.ndarray
    used: np.ndarray
    slope: float
    expected: float

    @property
    def verdict(self) -> str:
        """``"passed"`` (slope within 0.2 of the expected one), ``"failed"``, or
        ``"exact"``: no remainder above rounding at any step up to ``h = 1e-1`` (the
        Taylor model is exact, e.g. a quadratic ``f`` for the HVP check)."""
        n = np.count_nonzero(self.used)
        if n == 0:
            return "exact"
        return "passed" if n >= 3 and abs(self.slope - self.expected) <= 0.2 else "failed"

    @property
    def passed(self) -> bool:
        return self.verdict != "failed"


def _direction(theta: np.ndarray, direction, seed: int) -> np.ndarray:
    if direction is None:
        d = np.random.default_rng(check_seed("seed", seed)).standard_normal(theta.size)
    else:
        d = check_array("direction", direction, ndim=1)
    return d / np.linalg.norm(d)


def _fit(what: str, steps: np.ndarray, rem: np.ndarray, scale: np.ndarray,
         expected: float) -> TaylorCheck:
    eps = np.finfo(float).eps
    usable = (rem > NOISE_FACTOR * eps * scale) & (steps <= 1e-1) & np.isfinite(rem)
    used = np.zeros_like(usable)
    used[np.flatnonzero(usable)[:FIT_STEPS]] = True
    slope = float("nan")
    if np.count_nonzero(used) >= 2:
        slope = float(np.polyfit(np.log10(steps[used]), np.log10(rem[used]), 1)[0])
    return TaylorCheck(what, steps, rem, used, slope, expected)


def gradient_check(objective: Objective, theta, direction=None, *, seed: int = 0,
                   steps: np.ndarray = STEPS) -> TaylorCheck:
    """Slope of ``r1(h)`` (expected 2)."""
    x = check_array("theta", theta, ndim=1)
    d = _direction(x, direction, seed)
    f0, g = loss_and_grad(objective, x)
    slope0 = float(g @ d)
    values = np.array([objective.loss(x + h * d) for h in steps])
    rem = np.abs(values - f0 - steps * slope0)
    scale = np.abs(values) + abs(f0) + np.abs(steps * slope0)
    return _fit("gradient", steps, rem, scale, 2.0)


def hvp_check(objective: Objective, theta, direction=None, *, seed: int = 0,
              steps: np.ndarray = STEPS) -> TaylorCheck:
    """Slope of ``r2(h)`` (expected 3; 2 or less if the HVP is wrong)."""
    x = check_array("theta", theta, ndim=1)
    d = _direction(x, direction, seed)
    f0, g = loss_and_grad(objective, x)
    slope0, curv = float(g @ d), float(d @ objective.hvp(x, d))
    values = np.array([objective.loss(x + h * d) for h in steps])
    quad = steps * slope0 + 0.5 * steps**2 * curv
    rem = np.abs(values - f0 - quad)
    scale = np.abs(values) + abs(f0) + np.abs(steps * slope0) + np.abs(0.5 * steps**2 * curv)
    return _fit("hvp", steps, rem, scale, 3.0)


def hvp_symmetry(objective: Objective, theta, *, seed: int = 0) -> float:
    """``|<u, H v> - <v, H u>| / (||u|| ||H v|| + ||v|| ||H u||)`` for random ``u, v``."""
    x = check_array("theta", theta, ndim=1)
    u, v = np.random.default_rng(check_seed("seed", seed)).standard_normal((2, x.size))
    Hu, Hv = objective.hvp(x, u), objective.hvp(x, v)
    size = np.linalg.norm(u) * np.linalg.norm(Hv) + np.linalg.norm(v) * np.linalg.norm(Hu)
    return float(abs(u @ Hv - v @ Hu) / size) if size > 0 else 0.0


def hvp_linearity(objective: Objective, theta, *, seed: int = 0) -> float:
    """``||H(a u + b v) - a H u - b H v|| / (|a| ||H u|| + |b| ||H v||)``, random ``a, b, u, v``."""
    x = check_array("theta", theta, ndim=1)
    rng = np.random.default_rng(check_seed("seed", seed))
    u, v = rng.standard_normal((2, x.size))
    a, b = rng.standard_normal(2)
    Hu, Hv = objective.hvp(x, u), objective.hvp(x, v)
    size = abs(a) * np.linalg.norm(Hu) + abs(b) * np.linalg.norm(Hv)
    gap = np.linalg.norm(objective.hvp(x, a * u + b * v) - a * Hu - b * Hv)
    return float(gap / size) if size > 0 else 0.0
