"""Trust-region Newton with second-order confirmation -> :class:`CriticalPoint`.

Each iteration minimises the regularised quadratic model

.. math::

    m(p) = g^T p + \\tfrac12 p^T (H + \\mu I) p \\quad \\text{s.t. } \\|p\\| \\le \\Delta,
    \\qquad \\mu = \\min\\!\\Big(\\frac{\\|g\\|}{\\max(1, \\|\\theta\\|)},\\;
    10^{-6} \\max_i |\\lambda_i|\\Big).

Small P (``method="dense"``): ``H = V diag(w) V^T`` by ``eigh`` and the
subproblem is solved exactly in the eigenbasis (Moré-Sorensen secular
equation, hard case included): ``p(lam) = -sum_i (v_i^T g) / (w_i + lam) v_i``
with ``lam >= max(0, -w_min) + mu``.  Large P (``method="cg"``):
Steihaug-Toint truncated CG on Hessian-vector products.

Why ``mu``: the minima here are manifolds (exact zero modes).  Plain Newton is
singular there and its zero-mode components are rounding noise over rounding
noise.  The shift ``mu ~ ||g||`` (Li, Fukushima, Qi & Yamashita's regularised
Newton) damps those components while keeping local quadratic convergence
under a local error bound, which Morse-Bott minima satisfy.

Steps are accepted on the ratio of actual to predicted decrease; once the
predicted decrease is below the float64 resolution of ``f`` only the gradient
norm is informative, so there a step is accepted iff it lowers ``||g||``.

Divergence (optional, ``divergence=c``): an accepted step that takes the size of the
iterate (``||theta||``, or the caller's gauge-invariant ``size``) beyond
``c max(1, size(theta_0))`` stops the search with ``DIVERGING``.  Every accepted step
lowered the loss, so the path left that ball while descending: it reaches no critical
point inside it (the infimum along it may be approached at infinity, e.g. units
saturating), and running the rest of the budget would only confirm that slowly.

Convergence: ``||g|| <= gtol * gscale`` with ``gscale = max(1, min(|f|,
|f(theta_0)|))`` unless given (:mod:`resproof.landscape.points`).  At a converged point the Hessian
spectrum classifies it; a strict saddle is escaped along its most negative
eigenvector (up to ``max_escapes`` times) and the search resumed.  Whatever
stopped the search is reported in ``stop_reason``; callers turn anything but
``CONVERGED`` into ``inconclusive``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_choice, check_int, check_real
from ..results import CriticalPoint, PointKind, StopReason
from .classify import GRADIENT_FACTOR
from .objective import Objective, check_objective, check_theta, loss_and_grad
from .points import GTOL, gradient_scale, make_point, stop_test
from .spectrum import DENSE_LIMIT, extreme_eigenvalues

_EPS = float(np.finfo(np.float64).eps)
_SQRT_EPS = float(np.sqrt(_EPS))
_MU_CAP = 1e-2


def minimize(objective: Objective, theta0: np.ndarray, *, gtol: float = GTOL,
             gscale: float | None = None, max_iterations: int = 1000, method: str = "auto",
             delta0: float | None = None, symmetry_modes: int | None = None,
             max_escapes: int = 5, divergence: float | None = None,
             size: Callable[[np.ndarray], float] | None = None) -> CriticalPoint:
    """Find a local minimiser of ``objective`` from ``theta0`` and classify it.

    Parameters
    ----------
    objective
        Any :class:`~resproof.landscape.objective.Objective`.
    theta0
        Start, shape ``(P,)``.
    gtol
        Relative gradient tolerance: converged when ``||g|| <= gtol * gscale``.
    gscale
        Gradient scale; default ``max(1, min(|f(theta)|, |f(theta0)|))`` at the
        current point: loss-relative, but never looser than at the start (an
        objective unbounded below must not "converge" because ``|f|`` grew).
    max_iterations
        Trust-region iterations (accepted or not) over all escapes.
    method
        ``"dense"`` (exact subproblem from ``eigh``), ``"cg"`` (Steihaug on
        HVPs) or ``"auto"`` (dense up to :data:`~resproof.landscape.spectrum.DENSE_LIMIT`).
    delta0
        Initial trust radius; default ``max(1, ||theta0||)``.
    symmetry_modes
        Zero modes explained by the problem's symmetries (for the kind); ``None``
        asks the objective's own ``symmetry_modes(theta)`` (0 when it has none).
    max_escapes
        How many converged strict saddles to escape along negative curvature.
    divergence
        Stop with ``DIVERGING`` once an accepted step has ``size(theta) > divergence *
        max(1, size(theta0))`` (module docstring); ``None``: never.
    size
        The size measured for ``divergence``; default ``||theta||`` (give a
        gauge-invariant one when the objective has non-compact symmetries).

    Returns
    -------
    CriticalPoint
        ``stop_reason`` ``CONVERGED`` iff the relative gradient tolerance was
        reached; ``kind`` from the spectrum at the returned point (a ``SADDLE``
        only when escapes ran out or failed).

    Raises
    ------
    InvalidInput
        For a bad objective, start or option.
    """
    check_objective(objective)
    theta = check_theta(objective, theta0, "theta0")
    check_real("gtol", gtol, positive=True)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    max_escapes = check_int("max_escapes", max_escapes, minimum=0)
    if symmetry_modes is not None:
        symmetry_modes = check_int("symmetry_modes", symmetry_modes, minimum=0)
    check_choice("method", method, ("auto", "dense", "cg"))
    if gscale is not None:
        gscale = check_real("gscale", gscale, positive=True)
    dense = method == "dense" or (method == "auto" and objective.n_params <= DENSE_LIMIT)
    delta = check_real("delta0", delta0, positive=True) if delta0 is not None \
        else max(1.0, float(np.linalg.norm(theta)))
    search = _trust_region_dense if dense else _trust_region_cg
    bound = _divergence_bound(theta, divergence, size)
    cap = abs(objective.loss(theta)) if gscale is None else np.inf
    used = 0
    escapes = 0
    while True:
        theta, f, g, reason, iterations, delta = search(objective, theta, gtol, gscale, cap,
                                                        max_iterations - used, delta, bound)
        final_scale = gradient_scale(f, gscale, cap)
        used += iterations
        if reason is not StopReason.CONVERGED:
            return make_point(objective, theta, reason, used, loss=f, grad=g, gtol=gtol,
                              gscale=final_scale, symmetry_modes=symmetry_modes)
        point = make_point(objective, theta, reason, used, loss=f, grad=g, gtol=gtol,
                           gscale=final_scale, symmetry_modes=symmetry_modes)
        if point.kind is not PointKind.SADDLE or escapes >= max_escapes or used >= max_iterations:
            return point
        escaped = negative_curvature_step(objective, theta, f, g)
        if escaped is None:
            return point
        theta, step = escaped
        delta = max(delta, step)
        escapes += 1


class _Bound:
    """``size(theta) > limit`` tells a diverging iterate."""

    def __init__(self, size: Callable[[np.ndarray], float], limit: float):
        self.size, self.limit = size, limit

    def exceeded(self, theta: np.ndarray) -> bool:
        return bool(self.size(theta) > self.limit)


def _divergence_bound(theta: np.ndarray, divergence: float | None,
                      size: Callable[[np.ndarray], float] | None) -> _Bound | None:
    if divergence is None:
        return None
    check_real("divergence", divergence, positive=True)
    measure = size if size is not None else (lambda t: float(np.linalg.norm(t)))
    return _Bound(measure, float(divergence) * max(1.0, float(measure(theta))))


def negative_curvature_step(objective: Objective, theta: np.ndarray, f: float, g: np.ndarray, *,
                            dense: bool | None = None, direction: np.ndarray | None = None,
                            curvature: float | None = None) -> tuple[np.ndarray, float] | None:
    """Leave a saddle along ``v_min``: ``theta + t s v`` with a lower loss, or ``None``.

    ``s = -sign(g^T v)``; along ``v`` the model is
    ``f + t s g^T v + lambda t^2 / 2`` with ``lambda < 0``.  ``t`` starts at
    ``1e-2 max(1, ||theta||)``; it is halved until ``f`` drops by at least a
    quarter of ``|lambda| t^2 / 2`` (half the second-order model decrease, with
    room for rounding), then doubled while ``f`` keeps dropping.

    Returns ``(new_theta, t)``, or ``None`` when ``lambda_min >= 0`` or no
    decrease is found.
    """
    if direction is None:
        if dense if dense is not None else objective.n_params <= DENSE_LIMIT:
            H = objective.hessian(theta)
            w, V = np.linalg.eigh(0.5 * (H + H.T))
            curvature, direction = float(w[0]), V[:, 0]
        else:
            ritz = extreme_eigenvalues(objective, theta, "SA", method="lanczos")
            curvature, direction = ritz.value, ritz.vectors[:, 0]
    v = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    lam = float(curvature) if curvature is not None else float(v @ objective.hvp(theta, v))
    if not lam < 0:
        return None
    v = -v if float(g @ v) > 0 else v
    t = 1e-2 * max(1.0, float(np.linalg.norm(theta)))

    def drop(step: float) -> float:
        value = objective.loss(theta + step * v)
        return f - value if np.isfinite(value) else -np.inf

    for _ in range(60):
        if drop(t) >= 0.25 * abs(lam) * t * t / 2:
            break
        t *= 0.5
    else:
        return None
    best = drop(t)
    for _ in range(40):
        bigger = drop(2.0 * t)
        if not bigger > best:
            break
        t, best = 2.0 * t, bigger
    return theta + t * v, t


# ---------------------------------------------------------------- dense path


def _trust_region_dense(objective: Objective, theta: np.ndarray, gtol: float,
                        gscale: float | None, cap: float, max_iterations: int, delta: float,
                        bound: _Bound | None = None):
    """Trust-region Newton with the exact subproblem; returns the loop state."""
    f, g = loss_and_grad(objective, theta)
    reason = StopReason.MAX_ITERATIONS
    fresh = True
    it = 0
    w = gh = V = None
    while it < max_iterations:
        gn, stop = stop_test(f, g, gtol, gscale, cap)
        if stop is not None:
            reason = stop
            break
        it += 1
        if fresh:
            H = objective.hessian(theta)
            H = 0.5 * (H + H.T)
            if not np.all(np.isfinite(H)):
                reason = StopReason.NONFINITE
                break
            w, V = np.linalg.eigh(H)
            gh = V.T @ g
            s = max(abs(w[0]), abs(w[-1]))
            mu, floor = _damping(w, s, gn, float(np.sqrt(theta @ theta)))
            fresh = False
        assert w is not None  # set on the first pass (fresh)
        assert gh is not None
        ph = exact_subproblem(w, gh, delta, mu, s, floor)
        pred = -(float(gh @ ph) + 0.5 * float(ph @ (w * ph)))
        p = V @ ph
        pn = float(np.sqrt(ph @ ph))
        trial = theta + p
        f_new, g_new = loss_and_grad(objective, trial)
        rho = _ratio(f, f_new, g_new, gn, pred)
        delta = _update_radius(delta, rho, pn)
        if rho > 0.01:
            theta, f, g, fresh = trial, f_new, g_new, True
            if bound is not None and bound.exceeded(theta):
                reason = StopReason.DIVERGING
                break
        elif delta <= 1e-15 * max(1.0, float(np.sqrt(theta @ theta))):
            reason = StopReason.STALLED
            break
    return theta, f, g, reason, it, delta


def _damping(w: np.ndarray, s: float, gn: float, theta_norm: float) -> tuple[float, float]:
    """``(mu, floor)``: the shift ``mu`` and the curvature below which ``-floor`` is used.

    ``mu = min(||g|| / l, 1e-2 s)`` with ``l = max(1, ||theta||)``;
    ``floor = min(10 s ||g|| / (gamma l), 1e-2 s)`` is the gradient term of the
    zero threshold (:mod:`~resproof.landscape.classify`): eigenvalues above
    ``-floor`` may be zero modes displaced by the distance to the critical set.
    """
    ell = max(1.0, theta_norm)
    magnitudes = np.abs(w)
    above = magnitudes[magnitudes > _SQRT_EPS * s]
    gamma = float(above.min()) if above.size else s
    cap = _MU_CAP * s
    return min(gn / ell, cap), min(GRADIENT_FACTOR * s * gn / (gamma * ell), cap)


def exact_subproblem(w: np.ndarray, gh: np.ndarray, delta: float, mu: float,
                     scale: float, floor: float = 0.0) -> np.ndarray:
    """Minimise ``gh^T p + p^T diag(w + mu) p / 2`` over ``||p|| <= delta``, eigen-coordinates.

    ``p(lam) = -gh / (w + lam)`` with the smallest ``lam >= lam_0 =
    max(0, -w_min) + mu`` such that ``||p(lam)|| <= delta``; Newton on
    ``1/||p(lam)|| - 1/delta`` (Moré & Sorensen 1983) finds it.  Hard case:
    if ``w_min < -max(sqrt(eps) scale, mu, floor)`` and ``||p(lam_0)|| < delta``,
    the step is completed to the boundary along the bottom eigenvector, on the
    side that lowers the model.  Curvature above ``-floor`` is not exploited:
    near a manifold of minima the zero modes have eigenvalues ``O(||g||)`` of
    either sign, and following them to the boundary wastes iterations.
    """
    lam = max(0.0, -float(w[0])) + mu
    shifted = w + lam
    positive = shifted > 0.0
    p = np.where(positive, -gh / np.where(positive, shifted, 1.0), 0.0)
    pn = float(np.sqrt(p @ p))
    if pn <= delta:
        if w[0] < -max(_SQRT_EPS * scale, mu, floor) and pn < delta:
            tau = np.sqrt(delta * delta - pn * pn)
            p[0] += -tau if gh[0] > 0 else tau
        return p
    for _ in range(60):
        q = float(np.sum(gh * gh / shifted**3))
        lam += (pn / delta - 1.0) * pn * pn / q
        shifted = w + lam
        p = -gh / shifted
        pn = float(np.sqrt(p @ p))
        if abs(pn - delta) <= 1e-8 * delta:
            break
    return p * min(1.0, delta / pn)


def _ratio(f: float, f_new: float, g_new: np.ndarray, gn: float, pred: float) -> float:
    """Actual over predicted decrease; gradient-norm test below the resolution of ``f``."""
    if not np.isfinite(f_new):
        return -np.inf
    if pred <= 1e3 * _EPS * max(abs(f), abs(f_new), 1e-300):
        gn_new = float(np.sqrt(g_new @ g_new))
        if not np.isfinite(gn_new):
            return -np.inf
        return 1.0 if gn_new < gn else -1.0
    return (f - f_new) / pred


def _update_radius(delta: float, rho: float, pn: float) -> float:
    if rho < 0.25:
        return 0.25 * min(pn, delta)
    if rho > 0.75 and pn >= 0.99 * delta:
        return min(2.0 * delta, 1e12)
    return delta


# ---------------------------------------------------------------- CG path


def _trust_region_cg(objective: Objective, theta: np.ndarray, gtol: float,
                     gscale: float | None, cap: float, max_iterations: int, delta: float,
                     bound: _Bound | None = None):
    """Trust-region Newton with Steihaug-Toint CG on HVPs; returns the loop state."""
    f, g = loss_and_grad(objective, theta)
    reason = StopReason.MAX_ITERATIONS
    it = 0
    cg_limit = 2 * objective.n_params
    while it < max_iterations:
        gn, stop = stop_test(f, g, gtol, gscale, cap)
        if stop is not None:
            reason = stop
            break
        it += 1
        mu = gn / max(1.0, float(np.sqrt(theta @ theta)))
        current = theta

        def hvp(v: np.ndarray, at: np.ndarray = current, shift: float = mu) -> np.ndarray:
            return objective.hvp(at, v) + shift * v

        p, Hp = steihaug(hvp, g, delta, tol=min(0.1, np.sqrt(gn)) * gn, max_iter=cg_limit)
        pred = -(float(g @ p) + 0.5 * float(p @ Hp))
        pn = float(np.sqrt(p @ p))
        trial = theta + p
        f_new, g_new = loss_and_grad(objective, trial)
        rho = _ratio(f, f_new, g_new, gn, pred)
        delta = _update_radius(delta, rho, pn)
        if rho > 0.01:
            theta, f, g = trial, f_new, g_new
            if bound is not None and bound.exceeded(theta):
                reason = StopReason.DIVERGING
                break
        elif delta <= 1e-15 * max(1.0, float(np.sqrt(theta @ theta))):
            reason = StopReason.STALLED
            break
    return theta, f, g, reason, it, delta


def steihaug(hvp, g: np.ndarray, delta: float, *, tol: float,
             max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Steihaug-Toint truncated CG for ``min g^T p + p^T H p / 2, ||p|| <= delta``.

    CG on ``H p = -g`` from ``p = 0``; stops at residual ``tol``, at the
    boundary, or on a direction of non-positive curvature (then follows it to
    the boundary).  Returns ``(p, H p)`` (``H p`` accumulated, no extra HVP).
    """
    p = np.zeros_like(g)
    Hp = np.zeros_like(g)
    r = g.copy()
    d = -r
    rr = float(r @ r)
    for _ in range(max_iter):
        Hd = hvp(d)
        dHd = float(d @ Hd)
        if dHd <= 0.0:
            tau = _to_boundary(p, d, delta)
            return p + tau * d, Hp + tau * Hd
        alpha = rr / dHd
        p_next = p + alpha * d
        if float(p_next @ p_next) >= delta * delta:
            tau = _to_boundary(p, d, delta)
            return p + tau * d, Hp + tau * Hd
        p, Hp = p_next, Hp + alpha * Hd
        r = r + alpha * Hd
        rr_next = float(r @ r)
        if np.sqrt(rr_next) <= tol:
            break
        d = -r + (rr_next / rr) * d
        rr = rr_next
    return p, Hp


def _to_boundary(p: np.ndarray, d: np.ndarray, delta: float) -> float:
    """``tau >= 0`` with ``||p + tau d|| = delta``."""
    a, b, c = float(d @ d), 2.0 * float(p @ d), float(p @ p) - delta * delta
    return (-b + np.sqrt(max(b * b - 4.0 * a * c, 0.0))) / (2.0 * a)


__all__ = ["exact_subproblem", "minimize", "negative_curvature_step", "steihaug"]
