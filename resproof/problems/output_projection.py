"""Variable projection of a network's output layer: minimise over the other weights with
``W_{L+1}`` eliminated by an exact convex solve.

For every network here the prediction is ``yhat_n = W_{L+1} z_n(theta')``, ``theta'`` the
other weights and ``z_n`` the last representation (``x_L`` of a ResNEst, the concatenation
``[x; v_1; ...; v_L]`` of a DenseNEst).  For a convex loss (A2), ``W_{L+1}`` enters a convex
generalised linear model over ``z``, so

.. math::

    \\rho(\\theta') = \\min_{W_{L+1}} R(\\theta', W_{L+1}),\\qquad
    \\nabla\\rho = \\partial_{\\theta'} R,\\qquad
    \\nabla^2\\rho = H_{\\theta'\\theta'} - H_{\\theta' O} H_{OO}^{+} H_{O\\theta'}

at the inner optimum (the Schur complement of the network's exact Hessian, by the
implicit function theorem), as in :mod:`resproof.problems.pphi_reduced`, whose inner
Newton solve (:func:`~resproof.problems.pphi_reduced.newton_glm`) is reused.  Needs ``z``
of full column rank (``rho = inf`` where it is not).  Local minimisers of ``rho`` with
their optimal ``W_{L+1}`` are local minimisers of the network's risk; the answer is
classified on the network's own objective.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..landscape.minimize import minimize
from ..landscape.points import GTOL, make_point
from ..nn.losses import resolve_loss
from ..nn.models import LinearObjective
from ..results import CriticalPoint, StopReason
from .pphi_reduced import RANK_TOL, _rank_ratio, newton_glm, schur_complement

#: Network trust-region iterations allowed to polish the lifted point.
POLISH_ITERATIONS = 20


class ProjectedOutput:
    """``rho(theta') = min_{W_{L+1}} R`` as an Objective over the weights ``theta'`` outside
    ``out`` (the indices of ``W_{L+1}``, row-major ``N_o x M``, in ``objective``'s vector).

    ``features(theta)`` returns ``z`` (``N x M``) for a full vector (its ``W_{L+1}`` part is
    not read); ``base`` gives the start's ``W_{L+1}`` (the warm start of the inner solve,
    which fixes the component along the softmax shift)."""

    def __init__(self, objective: Any, out: np.ndarray, features: Callable[[np.ndarray],
                 np.ndarray], Y: np.ndarray, loss: str, base: np.ndarray,
                 loss_param: float | None = None):
        self.objective = objective
        self.out = np.asarray(out, dtype=np.int64)
        self.rest = np.setdiff1d(np.arange(objective.n_params), self.out)
        self.n_params = int(self.rest.size)
        self.features, self.Y, self.loss_name = features, np.asarray(Y, dtype=np.float64), loss
        self._loss = resolve_loss(loss, loss_param)
        self._warm = np.asarray(base, dtype=np.float64)[self.out].copy()
        self._cache: dict[bytes, tuple[np.ndarray | None, float]] = {}

    def full(self, w: np.ndarray, o: np.ndarray) -> np.ndarray:
        theta = np.empty(self.objective.n_params)
        theta[self.rest] = w
        theta[self.out] = o
        return theta

    def inner(self, w: np.ndarray) -> tuple[np.ndarray | None, float]:
        w = np.ascontiguousarray(w, dtype=np.float64)
        key = w.tobytes()
        if key in self._cache:
            return self._cache[key]
        Z = np.ascontiguousarray(self.features(self.full(w, self._warm)))
        out: tuple[np.ndarray | None, float]
        if not np.all(np.isfinite(Z)) or _rank_ratio(Z) <= RANK_TOL:
            out = (None, np.inf)
        else:
            lin = LinearObjective(Z, self.Y, self.loss_name, None)
            lin._loss = self._loss
            o, f, ok = newton_glm(lin, self._warm)
            out = (o, f) if ok else (None, np.inf)
            if ok:
                self._warm = o
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = out
        return out

    def lift(self, w: np.ndarray) -> np.ndarray | None:
        o, _ = self.inner(w)
        return None if o is None else self.full(np.asarray(w, dtype=np.float64), o)

    def loss(self, w: np.ndarray) -> float:
        return float(self.inner(w)[1])

    def loss_grad(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        theta = self.lift(w)
        if theta is None:
            return np.inf, np.full(self.n_params, np.nan)
        f, g = self.objective.loss_grad(theta)
        return float(f), np.asarray(g)[self.rest]

    def grad(self, w: np.ndarray) -> np.ndarray:
        return self.loss_grad(w)[1]

    def hessian(self, w: np.ndarray) -> np.ndarray:
        theta = self.lift(w)
        if theta is None:
            return np.full((self.n_params, self.n_params), np.nan)
        H = self.objective.hessian(theta)
        H = 0.5 * (H + H.T)
        return schur_complement(H[np.ix_(self.rest, self.rest)], H[np.ix_(self.rest, self.out)],
                                H[np.ix_(self.out, self.out)])

    def hvp(self, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.hessian(w) @ v


def projected_minimum(objective: Any, out: np.ndarray, features: Callable[[np.ndarray],
                      np.ndarray], Y: np.ndarray, loss: str, theta0: np.ndarray, *,
                      gtol: float = GTOL, max_iterations: int = 500,
                      symmetry_modes: int | None = None, divergence: float | None = None,
                      size: Callable[[np.ndarray], float] | None = None) -> CriticalPoint:
    """A local minimiser of ``objective`` from ``theta0`` by variable projection of the
    output layer (module docstring), as a point of ``objective`` (classified there with
    ``symmetry_modes``; polished there when rounding left its gradient above ``gtol``).
    ``divergence``/``size`` as in :func:`~resproof.landscape.minimize.minimize`, measured
    on the lifted full vector."""
    theta0 = np.asarray(theta0, dtype=np.float64)
    reduced = ProjectedOutput(objective, out, features, Y, loss, theta0)
    w0 = theta0[reduced.rest]
    if not np.isfinite(reduced.loss(w0)):
        return make_point(objective, theta0, StopReason.NONFINITE, 0, gtol=gtol,
                          symmetry_modes=symmetry_modes)
    cap = abs(objective.loss(theta0))
    measure = size if size is not None else (lambda t: float(np.linalg.norm(t)))

    def lifted_size(w: np.ndarray) -> float:
        theta = reduced.lift(w)
        return measure(theta) if theta is not None else np.inf

    limit = None if divergence is None else divergence * max(1.0, measure(theta0))
    outer = minimize(reduced, w0, gtol=0.5 * gtol, max_iterations=max_iterations,
                     method="dense", symmetry_modes=symmetry_modes,
                     divergence=None if limit is None else limit / max(1.0, lifted_size(w0)),
                     size=lifted_size if limit is not None else None)
    theta = reduced.lift(outer.theta)
    if theta is None:
        return make_point(objective, theta0, StopReason.NONFINITE, outer.iterations,
                          gtol=gtol, symmetry_modes=symmetry_modes)
    gscale = max(1.0, min(abs(outer.loss), cap))
    reason = outer.stop_reason
    point = make_point(objective, theta, reason, outer.iterations, gtol=gtol, gscale=gscale,
                       symmetry_modes=symmetry_modes)
    if point.converged or reason not in (StopReason.CONVERGED, StopReason.STALLED):
        return point
    polished = minimize(objective, theta, gtol=gtol, gscale=gscale,
                        max_iterations=POLISH_ITERATIONS, method="dense",
                        symmetry_modes=symmetry_modes)
    import dataclasses

    return dataclasses.replace(polished, iterations=outer.iterations + polished.iterations)


__all__ = ["ProjectedOutput", "projected_minimum"]
