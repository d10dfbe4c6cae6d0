"""Local minimisation of (P_phi) for any convex loss by variable projection.

With ``phi`` frozen, ``yhat_n = W_{L+1} z_n`` with ``z_n = x_{L-1}(x_n) + W_L v_L(x_n)``:
for fixed ``W_L`` the risk is a convex generalised linear model in ``W_{L+1}`` (A2).
The reduced risk

.. math::

    \\rho(W_L) = \\min_{W_{L+1}} R(W_L, W_{L+1})

is minimised over ``W_L`` alone (Golub & Pereyra's variable projection, the general-loss
counterpart of :mod:`resproof.problems.pphi_solve`).  Its derivatives are exact at the
inner optimum ``W_{L+1}^*(W_L)`` (``dR/dW_{L+1} = 0`` there):

.. math::

    \\nabla\\rho = \\partial_{W_L} R,\\qquad
    \\nabla^2\\rho = H_{LL} - H_{LO} H_{OO}^{+} H_{OL},

the Schur complement of the joint Hessian, by the implicit function theorem.  ``H_OO``
is singular only along the exact symmetry of softmax cross-entropy (``W_{L+1} -> W_{L+1}
+ 1 c^T``), whose directions are also null for ``H_LO``, so the pseudo-inverse is exact.
The formula needs ``z`` of full column rank ``M`` (otherwise prediction-preserving
directions of ``W_{L+1}`` change with ``W_L``); :func:`reduced_applies` checks it on
``x_{L-1}``, and a point where ``z`` loses rank is rejected (``rho = inf``).

Why: the joint problem couples a large ``W_{L+1}`` (entries in the hundreds when the
logistic data are nearly separable: the optimum of (PA_phi) has a large norm) with
``W_L`` through a curved valley; joint trust-region Newton takes steps of order one
along it and runs out of iterations (measured: ``resnest.thm1`` trial 8, 1000 joint
iterations moved ``||theta||`` from 3 to 217 toward a minimiser at ~445).  Eliminating
``W_{L+1}`` removes the valley.

The inner problem is solved by Newton with the exact Hessian and minimum-norm steps
(eigenvalues below ``1e-12`` of the largest dropped: the softmax shift), with a
backtracking line search (the problem is convex), warm-started from the last inner
optimum.  The answer is judged on the joint problem: the returned point is
``(W_L^*, W_{L+1}^*(W_L^*))``, classified with the joint Hessian by
:func:`~resproof.landscape.points.make_point`; when rounding left the joint gradient
above tolerance, joint trust-region Newton polishes it (a few iterations).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..landscape.minimize import minimize
from ..landscape.points import GTOL, make_point
from ..nn.models import LinearObjective
from ..results import CriticalPoint, StopReason
from .pphi_loss import PphiLossObjective

#: Inner Newton iterations before the inner problem counts as unsolved.
INNER_ITERATIONS = 60
#: Inner stop: ``||dR/dW_{L+1}|| <= INNER_GTOL * max(1, |R|)``.
INNER_GTOL = 1e-14
#: An inner solve stuck at rounding counts as solved when its gradient is within this.
ROUNDING_GTOL = 1e-12
_EPS = float(np.finfo(np.float64).eps)
#: ``sigma_min / sigma_max`` of ``z`` below this: rank deficient (reduced formulas void).
RANK_TOL = 1e-10
#: Joint trust-region iterations allowed to polish the lifted point.
POLISH_ITERATIONS = 20


def reduced_applies(x_prev: np.ndarray) -> bool:
    """Variable projection needs ``z = x_{L-1} + v_L W_L^T`` of full column rank; generically
    so iff ``x_{L-1}`` is (``N >= M`` and ``rank x_{L-1} = M``)."""
    return _rank_ratio(x_prev) > RANK_TOL


def _rank_ratio(Z: np.ndarray) -> float:
    if Z.shape[0] < Z.shape[1]:
        return 0.0
    s = np.linalg.svd(Z, compute_uv=False)
    return float(s[-1] / s[0]) if s.size and s[0] > 0 else 0.0


def _pinv_solve(H: np.ndarray, g: np.ndarray, rel: float = 1e-12) -> np.ndarray:
    """``H^+ g`` for a symmetric PSD ``H`` (eigenvalues below ``rel`` of the largest
    dropped); ``g`` a vector or a matrix of columns (one eigendecomposition for all)."""
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    top = float(np.max(np.abs(w))) if w.size else 0.0
    keep = w > rel * top if top > 0 else np.zeros(w.shape, dtype=bool)
    c = V[:, keep].T @ g
    return V[:, keep] @ (c.T / w[keep]).T


def schur_complement(H_rr: np.ndarray, H_ro: np.ndarray, H_oo: np.ndarray) -> np.ndarray:
    """``H_rr - H_ro H_oo^+ H_ro^T``: the Hessian of ``min_o`` over the remaining block."""
    return H_rr - H_ro @ _pinv_solve(H_oo, H_ro.T)


class ReducedPphi:
    """``rho(W_L) = min_{W_{L+1}} R`` as an :class:`~resproof.landscape.objective.Objective`
    over ``vec(W_L)`` (row-major ``M x K``), with exact gradient and Hessian (module
    docstring).  ``inner(w)`` is the optimal ``W_{L+1}`` (``None`` when the inner problem
    was not solved or ``z`` is rank deficient: ``rho = inf`` there)."""

    def __init__(self, joint: PphiLossObjective, warm: np.ndarray | None = None):
        self.joint = joint
        self.M, self.K, self.N_o = joint.M, joint.K, joint.N_o
        self.n_params = self.M * self.K
        self._cache: dict[bytes, tuple[np.ndarray | None, float]] = {}
        # Newton's minimum-norm steps never change the component of W_{L+1} along the
        # inner problem's null directions (the softmax shift 1 c^T), so it stays the
        # warm start's: the start's W_{L+1} fixes that gauge (zero would make W_{L+1}
        # rank deficient by construction)
        self._warm = (np.zeros(self.N_o * self.M) if warm is None
                      else np.array(warm, dtype=np.float64))
        self.inner_failures = 0

    def _lin(self, w: np.ndarray) -> tuple[LinearObjective, np.ndarray]:
        Z = self.joint.x_prev + self.joint.V @ w.reshape(self.M, self.K).T
        j = self.joint
        lin = LinearObjective(np.ascontiguousarray(Z), j.Y, j.loss_name, None)
        lin._loss = j._loss  # the joint objective's resolved loss and scale
        return lin, Z

    def inner(self, w: np.ndarray) -> tuple[np.ndarray | None, float]:
        """``(W_{L+1}^*(W_L) flattened, rho)``; ``(None, inf)`` when not solvable."""
        w = np.ascontiguousarray(w, dtype=np.float64)
        key = w.tobytes()
        if key in self._cache:
            return self._cache[key]
        lin, Z = self._lin(w)
        out: tuple[np.ndarray | None, float]
        if _rank_ratio(Z) <= RANK_TOL:
            out = (None, np.inf)
        else:
            o, f, ok = newton_glm(lin, self._warm)
            if ok:
                self._warm = o
                out = (o, f)
            else:
                self.inner_failures += 1
                out = (None, np.inf)
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = out
        return out

    def lift(self, w: np.ndarray) -> np.ndarray | None:
        """The joint point ``(W_L, W_{L+1}^*(W_L))``, or ``None``."""
        o, _ = self.inner(w)
        return None if o is None else np.concatenate([np.asarray(w, dtype=np.float64), o])

    def loss(self, w: np.ndarray) -> float:
        return float(self.inner(w)[1])

    def loss_grad(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        t = self.lift(w)
        if t is None:
            return np.inf, np.full(self.n_params, np.nan)
        f, g = self.joint.loss_grad(t)
        return float(f), g[:self.n_params]

    def grad(self, w: np.ndarray) -> np.ndarray:
        return self.loss_grad(w)[1]

    def hessian(self, w: np.ndarray) -> np.ndarray:
        t = self.lift(w)
        if t is None:
            return np.full((self.n_params, self.n_params), np.nan)
        H = self.joint.hessian(t)
        H = 0.5 * (H + H.T)
        p = self.n_params
        return schur_complement(H[:p, :p], H[:p, p:], H[p:, p:])

    def hvp(self, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.hessian(w) @ v

    def hvp_block(self, w: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``H v_j`` for every row of ``V``, from one Hessian."""
        return np.asarray(V, dtype=np.float64) @ self.hessian(w).T

    def symmetry_modes(self, w: np.ndarray) -> int:
        """``W_L -> W_L + n k^T`` with ``W_{L+1} n`` prediction-neutral (``0``, or a multiple
        of ``1`` for softmax cross-entropy): ``(M - r) K``, ``r`` that rank."""
        o, _ = self.inner(w)
        if o is None:
            return 0
        Wo = o.reshape(self.N_o, self.M)
        if self.joint.loss_name == "softmax_ce":
            Wo = Wo - Wo.mean(axis=0, keepdims=True)
        s = np.linalg.svd(Wo, compute_uv=False)
        r = int(np.sum(s > 1e-10 * s[0])) if s.size and s[0] > 0 else 0
        return (self.M - r) * self.K


def newton_glm(lin: LinearObjective, o0: np.ndarray, *,
               max_iterations: int = INNER_ITERATIONS) -> tuple[np.ndarray, float, bool]:
    """``argmin_T`` of a convex GLM risk by Newton (exact Hessian, minimum-norm steps,
    backtracking on the Armijo condition); returns ``(T, risk, solved)``, ``solved`` iff
    the gradient reached ``INNER_GTOL * max(1, |risk|)``.  Once the Newton decrement is
    below the float64 resolution of the risk, a full step is kept iff it lowers the
    gradient norm (the rule of :mod:`resproof.landscape.minimize`); when that fails the
    answer counts as solved only if the gradient is within ``ROUNDING_GTOL``."""
    o = np.array(o0, dtype=np.float64)
    f, g = lin.loss_grad(o)
    for _ in range(max_iterations):
        gn = float(np.linalg.norm(g))
        scale = max(1.0, abs(f))
        if not (np.isfinite(f) and np.isfinite(gn)):
            return o, f, False
        if gn <= INNER_GTOL * scale:
            return o, f, True
        p = -_pinv_solve(lin.hessian(o), g)
        decrement = -float(g @ p)
        if not decrement > 0:
            return o, f, gn <= ROUNDING_GTOL * scale
        if decrement <= 1e3 * _EPS * scale:
            f_new, g_new = lin.loss_grad(o + p)
            if not (np.isfinite(f_new) and np.linalg.norm(g_new) < gn):
                return o, f, gn <= ROUNDING_GTOL * scale
            o, f, g = o + p, f_new, g_new
            continue
        t = 1.0
        for _ in range(60):
            f_new, g_new = lin.loss_grad(o + t * p)
            if np.isfinite(f_new) and f_new <= f - 1e-4 * t * decrement:
                break
            t *= 0.5
        else:
            return o, f, gn <= ROUNDING_GTOL * scale
        o, f, g = o + t * p, f_new, g_new
    return o, f, False


def reduced_minimum(joint: PphiLossObjective, theta0: np.ndarray, *, gtol: float = GTOL,
                    max_iterations: int = 500, symmetry_modes: int | None = None) -> CriticalPoint:
    """A local minimiser of (P_phi) from ``theta0``'s ``W_L`` by variable projection (module
    docstring), as a :class:`~resproof.results.CriticalPoint` of the joint problem.

    The outer search is :func:`~resproof.landscape.minimize.minimize` (trust-region Newton
    with the exact Schur-complement Hessian) on :class:`ReducedPphi`; the lifted point is
    classified on ``joint`` with ``symmetry_modes`` (and polished there when the joint
    gradient is above ``gtol``).  ``iterations`` counts outer plus polish iterations.
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    reduced = ReducedPphi(joint, warm=theta0[joint.M * joint.K:])
    w0 = theta0[:reduced.n_params]
    if not np.isfinite(reduced.loss(w0)):
        return make_point(joint, theta0, StopReason.NONFINITE, 0, gtol=gtol,
                          symmetry_modes=symmetry_modes)
    cap = abs(joint.loss(theta0))
    outer = minimize(reduced, w0, gtol=0.5 * gtol, max_iterations=max_iterations,
                     method="dense")
    t = reduced.lift(outer.theta)
    if t is None:
        return make_point(joint, theta0, StopReason.NONFINITE, outer.iterations, gtol=gtol,
                          symmetry_modes=symmetry_modes)
    gscale = max(1.0, min(abs(outer.loss), cap))
    point = make_point(joint, t, outer.stop_reason, outer.iterations, gtol=gtol,
                       gscale=gscale, symmetry_modes=symmetry_modes)
    if outer.converged and not point.converged:
        point = make_point(joint, t, StopReason.MAX_ITERATIONS, outer.iterations, gtol=gtol,
                           gscale=gscale, symmetry_modes=symmetry_modes)
    if point.converged or outer.stop_reason not in (StopReason.CONVERGED, StopReason.STALLED):
        return point
    polished = minimize(joint, t, gtol=gtol, gscale=gscale, max_iterations=POLISH_ITERATIONS,
                        method="dense", symmetry_modes=symmetry_modes)
    return _with_iterations(polished, outer.iterations + polished.iterations)


def _with_iterations(point: CriticalPoint, iterations: int) -> CriticalPoint:
    import dataclasses

    return dataclasses.replace(point, iterations=iterations)


def inner_summary(reduced: ReducedPphi) -> dict[str, Any]:
    return {"inner_failures": reduced.inner_failures}


__all__ = ["ReducedPphi", "newton_glm", "reduced_applies", "reduced_minimum"]
