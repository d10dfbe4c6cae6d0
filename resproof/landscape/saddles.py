"""Saddle finders: escape along negative curvature, Newton on the gradient norm, refinement.

* :func:`escape_saddle` leaves a strict saddle along its most negative
  eigenvector and minimises from there: a lower critical point.
* :func:`find_critical_point` (alias :func:`find_saddle`) minimises
  ``phi(theta) = ||grad f(theta)||^2 / 2`` by Levenberg-Marquardt on the
  Gauss-Newton model ``||g + H p||^2 / 2`` (``grad phi = H g``,
  Gauss-Newton Hessian ``H^2``), which converges quadratically to critical
  points of any index.  :func:`refine` is the same iteration with a small
  budget, for critical points the claims construct.

The trap of gradient-norm methods: ``phi`` is also stationary where ``H g = 0``
with ``g != 0`` (``g`` in the null space of ``H``).  Such points are
*gradient-flat*, not critical.  Here criticality is decided by ``||g||`` alone
(relative tolerance ``gtol``, :mod:`resproof.landscape.points`), never by
``||H g||``: a search that stalls with ``||H g|| <= flat_rtol * s * ||g||``
(``s = max|lambda|``) stops with ``StopReason.GRADIENT_FLAT`` and kind
``NOT_CRITICAL``, so it can never be reported as a saddle.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .._validation import check_int, check_real
from ..errors import SearchFailed
from ..results import CriticalPoint, PointKind, StopReason
from .minimize import minimize, negative_curvature_step
from .objective import Objective, check_objective, check_theta, loss_and_grad
from .points import GTOL, gradient_scale, make_point, stop_test
from .spectrum import DENSE_LIMIT, extreme_eigenvalues

#: ``||H g|| <= FLAT_RTOL * s * ||g||`` with ``||g||`` above tolerance: gradient-flat.
FLAT_RTOL = 1e-8


def escape_saddle(objective: Objective, theta: np.ndarray, *, symmetry_modes: int | None = None,
                  **minimize_options) -> CriticalPoint:
    """From a strict saddle, descend along negative curvature to a lower critical point.

    The step is :func:`~resproof.landscape.minimize.negative_curvature_step`
    along the eigenvector of ``lambda_min`` (dense or Lanczos), followed by
    :func:`~resproof.landscape.minimize.minimize` (monotone, so the result's
    loss is below ``f(theta)``).

    Raises
    ------
    SearchFailed
        When ``theta`` has no eigenvalue below ``-zero_tolerance`` or no
        decrease is found; ``best_point`` is ``theta`` classified.
    """
    check_objective(objective)
    theta = check_theta(objective, theta)
    f, g = loss_and_grad(objective, theta)
    here = make_point(objective, theta, StopReason.CONVERGED, loss=f, grad=g,
                      symmetry_modes=symmetry_modes)
    if not here.lambda_min < -here.zero_tolerance:
        raise SearchFailed(f"no negative curvature at theta: lambda_min={here.lambda_min:.3g} "
                           f">= -{here.zero_tolerance:.3g}", best_point=here)
    step = negative_curvature_step(objective, theta, f, g)
    if step is None:
        raise SearchFailed("no decrease along the negative-curvature direction", here)
    return minimize(objective, step[0], symmetry_modes=symmetry_modes, **minimize_options)


def find_critical_point(objective: Objective, theta0: np.ndarray, *, gtol: float = GTOL,
                        gscale: float | None = None, max_iterations: int = 200,
                        symmetry_modes: int | None = None,
                        flat_rtol: float = FLAT_RTOL) -> CriticalPoint:
    """Newton on the gradient norm: a critical point of any index near ``theta0``.

    Levenberg-Marquardt on ``phi = ||g||^2 / 2``: the step minimises
    ``||g + H p||^2 + mu ||p||^2``, i.e. in the eigenbasis of ``H``
    ``p_i = -w_i ghat_i / (w_i^2 + mu)`` with ``mu = nu s ||g|| / max(1, ||theta||)``
    and ``nu`` adapted by the ratio of actual to predicted decrease of ``phi``.
    Zero modes (``w_i = 0``) get no step, so symmetric manifolds of critical
    points do not disturb it.  Above :data:`~resproof.landscape.spectrum.DENSE_LIMIT`
    parameters the step is computed by CG on ``(H^2 + mu I) p = -H g`` (two HVPs
    per CG iteration).

    Parameters
    ----------
    gtol, gscale
        Criticality: ``||g|| <= gtol * gscale`` (``gscale`` default
        ``max(1, min(|f|, |f(theta0)|))``).
    flat_rtol
        Stop as ``GRADIENT_FLAT`` once ``||H g|| <= flat_rtol * s * ||g||``
        with ``||g||`` above tolerance.

    Returns
    -------
    CriticalPoint
        ``kind`` decided by the spectrum only if the gradient is below tolerance;
        ``NOT_CRITICAL`` otherwise (in particular at gradient-flat points).
    """
    check_objective(objective)
    theta = check_theta(objective, theta0, "theta0")
    check_real("gtol", gtol, positive=True)
    check_real("flat_rtol", flat_rtol, nonnegative=True)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    if symmetry_modes is not None:
        symmetry_modes = check_int("symmetry_modes", symmetry_modes, minimum=0)
    dense = objective.n_params <= DENSE_LIMIT
    f, g = loss_and_grad(objective, theta)
    cap = abs(f) if gscale is None else np.inf
    state = _GradientNormSearch(objective, dense)
    reason = StopReason.MAX_ITERATIONS
    it = 0
    nu = 1e-2
    fresh = True
    while it < max_iterations:
        gn, stop = stop_test(f, g, gtol, gscale, cap)
        if stop is not None:
            reason = stop
            break
        if fresh:
            state.at(theta, g)
            if state.hg_norm <= flat_rtol * state.scale * gn:
                reason = StopReason.GRADIENT_FLAT
                break
            fresh = False
        it += 1
        mu = nu * state.scale * gn / max(1.0, float(np.sqrt(theta @ theta)))
        p, pred = state.step(mu)
        trial = theta + p
        f_new, g_new = loss_and_grad(objective, trial)
        phi, phi_new = 0.5 * gn * gn, 0.5 * float(g_new @ g_new)
        if not np.isfinite(phi_new):
            rho = -np.inf
        elif pred <= 1e3 * np.finfo(np.float64).eps * phi:
            rho = 1.0 if phi_new < phi else -1.0
        else:
            rho = (phi - phi_new) / pred
        if rho > 1e-4:
            theta, f, g, fresh = trial, f_new, g_new, True
        nu = nu * 4.0 if rho < 0.25 else (max(nu / 4.0, 1e-12) if rho > 0.75 else nu)
        if nu > 1e16:
            reason = StopReason.STALLED
            break
    if reason is not StopReason.CONVERGED and reason is not StopReason.NONFINITE:
        state.at(theta, g)
        if state.hg_norm <= 1e3 * flat_rtol * state.scale * float(np.linalg.norm(g)):
            reason = StopReason.GRADIENT_FLAT
    return make_point(objective, theta, reason, it, loss=f, grad=g, gtol=gtol,
                      gscale=gradient_scale(f, gscale, cap), symmetry_modes=symmetry_modes)


#: The same search, named for its main use.
find_saddle = find_critical_point


def refine(objective: Objective, theta: np.ndarray, *, max_iterations: int = 50,
           **options) -> CriticalPoint:
    """Polish a constructed (near-)critical point by Newton on the gradient norm.

    For points the claims build in closed form (e.g. ``(W_L, W_{L+1}) = (0, 0)``
    after replacing targets by residuals): a handful of Levenberg-Marquardt
    steps (:func:`find_critical_point`) remove rounding, then the spectrum
    classifies the point.  A constructed point that is not critical stays
    ``NOT_CRITICAL`` with its stop reason.
    """
    return find_critical_point(objective, theta, max_iterations=max_iterations, **options)


def find_saddles(objective: Objective, starts: Iterable[np.ndarray],
                 **options) -> list[CriticalPoint]:
    """Run :func:`find_critical_point` from every start; return the converged saddles."""
    found = []
    for start in starts:
        point = find_critical_point(objective, start, **options)
        if point.converged and point.kind is PointKind.SADDLE:
            found.append(point)
    return found


class _GradientNormSearch:
    """Linear algebra of one Levenberg-Marquardt step on ``||g||^2 / 2`` at a fixed point."""

    def __init__(self, objective: Objective, dense: bool) -> None:
        self.objective = objective
        self.dense = dense
        self.scale = 0.0

    def at(self, theta: np.ndarray, g: np.ndarray) -> None:
        """Factor ``H`` (dense) or bind the HVP (large) at ``theta``."""
        self.theta, self.g = theta, g
        if self.dense:
            H = self.objective.hessian(theta)
            self.w, V = np.linalg.eigh(0.5 * (H + H.T))
            self.V, self.gh = V, V.T @ g
            self.scale = float(max(abs(self.w[0]), abs(self.w[-1])))
            self.hg_norm = float(np.linalg.norm(self.w * self.gh))
        else:
            self.Hg = self.objective.hvp(theta, g)
            self.hg_norm = float(np.linalg.norm(self.Hg))
            if self.scale == 0.0:
                top = extreme_eigenvalues(self.objective, theta, "LA", tol=1e-2, method="lanczos")
                low = extreme_eigenvalues(self.objective, theta, "SA", tol=1e-2, method="lanczos")
                self.scale = max(abs(top.value), abs(low.value))

    def step(self, mu: float) -> tuple[np.ndarray, float]:
        """``(p, predicted decrease of phi)`` for the damping ``mu``."""
        if self.dense:
            w, gh = self.w, self.gh
            ph = -(w * gh) / (w * w + mu)
            r = gh + w * ph
            return self.V @ ph, 0.5 * float(gh @ gh) - 0.5 * float(r @ r)
        p = _cg_normal(lambda v: self.objective.hvp(self.theta, v), -self.Hg, mu,
                       max_iter=2 * self.objective.n_params)
        r = self.g + self.objective.hvp(self.theta, p)
        return p, 0.5 * float(self.g @ self.g) - 0.5 * float(r @ r)


def _cg_normal(hvp, rhs: np.ndarray, mu: float, *, max_iter: int) -> np.ndarray:
    """CG on ``(H^2 + mu I) x = rhs`` (positive definite for ``mu > 0``)."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    d = r.copy()
    rr = float(r @ r)
    stop = 1e-12 * np.sqrt(rr)
    for _ in range(max_iter):
        Ad = hvp(hvp(d)) + mu * d
        alpha = rr / float(d @ Ad)
        x += alpha * d
        r -= alpha * Ad
        rr_next = float(r @ r)
        if np.sqrt(rr_next) <= stop:
            break
        d = r + (rr_next / rr) * d
        rr = rr_next
    return x
