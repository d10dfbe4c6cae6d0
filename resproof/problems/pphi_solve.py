"""Local minimisation of (P_phi) by variable projection, compiled end to end.

(P_phi) is separable: for fixed ``W_L`` the risk is a linear least-squares
problem in ``W_{L+1}`` (Golub & Pereyra 1973).  Notation of
:mod:`resproof.problems.pphi`; ``B = [I_M  W_L]``, ``G = B S B^T``.  The data enter
through one QR factorisation ``[F  Y] / sqrt(N) = Q [[R_F, Y_q], [0, R_Y]]``
(``S = R_F^T R_F``, ``T = R_F^T Y_q``), never through the Gram matrix ``S``:
with ``A = R_F B^T = Q_A R_A``

.. math::

    W_{L+1}(W_L)^T = R_A^{-1} Q_A^T Y_q,\\qquad
    \\rho(W_L) = \\tfrac12 \\|r\\|^2 + \\tfrac12 \\|R_Y\\|_F^2,\\quad
    r = -(I - Q_A Q_A^T) Y_q,

so ``W_{L+1}`` is accurate to ``cond(A) eps = sqrt(cond G) eps`` and ``rho``
has no cancellation.  With ``R_F = [R_1  R_2]`` (``M`` and ``K`` columns),
one Householder pass over ``[A | Y_q | R_2]`` gives ``R_A`` and the parts
``Y_perp``, ``Z`` of ``Y_q`` and ``R_2`` outside ``range(A)``; then
``E_2 = -Y_perp^T Z`` (the ``v_L`` block of ``dR/dC``) and

.. math::

    \\nabla\\rho = W_{L+1}^T E_2,\\qquad
    J^T J = (W_{L+1}^T W_{L+1}) \\otimes (Z^T Z) + G^{-1} \\otimes (E_2^T E_2),

``J`` the Golub-Pereyra Jacobian of ``r`` with respect to ``W_L`` (row-major
``(m, k)``; its two parts are orthogonal, so no cross term).  At a global
minimiser ``r = 0`` (the optimum of (PA_phi) is representable) and ``J^T J``
is the exact Hessian of ``rho`` there, so Gauss-Newton converges
quadratically; away from it ``J^T J`` is positive semidefinite, which keeps the
steps long where the exact Hessian has negative curvature (on these instances
Gauss-Newton needs about half the iterations of damped Newton).

The search is Levenberg-Marquardt on ``rho`` over the ``M K`` entries of
``W_L`` from the start's ``W_L``: ``(J^T J + (lambda + mu) I) p = -grad rho``
by Cholesky, Nielsen's update of ``lambda`` from the ratio of actual to
predicted decrease, and the shift ``mu = ||g|| / max(1, ||W_L||)`` of
:mod:`resproof.landscape.minimize`, which keeps quadratic convergence onto the
manifold of minimisers (these minima are not isolated: ``(M - N_o) K`` zero
modes).  The step comes from normal equations on purpose: it only has to be
a descent direction, and the answer is judged by the gradient, not by the step.
``W_{L+1}`` is never iterated: it is the exact minimiser for the current
``W_L``, so the start's ``W_{L+1}`` enters only the gradient scale.

A local minimiser of ``rho`` with its ``W_{L+1}(W_L)`` is a local minimiser of
(P_phi), but nothing is taken on trust: the joint gradient is re-evaluated by
the objective's own kernel (:func:`~resproof.problems.pphi.pphi_loss_grad`) at the
returned ``(W_L, W_{L+1})``, damped joint Newton steps polish it if rounding
left it above tolerance, and the point is classified from all eigenvalues of
the exact joint Hessian (:func:`~resproof.problems.pphi.pphi_hessian`,
:func:`~resproof.landscape.points.make_point`, zero modes counted).  A strict
saddle is left along its most negative eigenvector and the search resumed.

Why: the joint problem couples a large ``W_{L+1}`` (entries in the hundreds
when the features are nearly collinear) with ``W_L``; its Hessian spans ten
orders of magnitude and joint trust-region Newton needs 50-640 iterations,
each with a dense eigendecomposition.  Here ``W_{L+1}`` is eliminated
exactly, an iteration costs one ``M K``-square Cholesky factorisation, and the
whole loop runs compiled with no Python between iterations.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._validation import check_array, check_int, check_real
from ..landscape.minimize import negative_curvature_step
from ..landscape.points import GTOL, gradient_scale, make_point
from ..nn.kernels.cache import await_warmup
from ..nn.kernels.dense import _cholesky, _cholesky_solve, _factor, _upper_solve
from ..results import CriticalPoint, PointKind, StopReason
from .pphi import PphiObjective, pphi_hessian, pphi_loss_grad

# Status codes of the kernels (mapped to StopReason by the wrapper).
_CONVERGED, _MAX_ITERATIONS, _STALLED, _NONFINITE = 0, 1, 2, 3
_REASONS = {_CONVERGED: StopReason.CONVERGED, _MAX_ITERATIONS: StopReason.MAX_ITERATIONS,
            _STALLED: StopReason.STALLED, _NONFINITE: StopReason.NONFINITE}

_EPS = 2.220446049250313e-16

#: Joint Newton steps allowed after the reduced search to bring the joint gradient down.
POLISH_STEPS = 8

#: Strict saddles escaped along negative curvature before giving up.
MAX_ESCAPES = 3


# ---------------------------------------------------------------- reduced problem


@njit(cache=True)
def _projected(x, RF, Yq, c_perp, M, K, N_o):
    """``(rho, grad rho, W_{L+1}, R_A, E_2, Z^T Z)`` at ``W_L = x.reshape(M, K)``.

    ``rho = inf`` (and ``nan`` elsewhere) when ``A`` is rank deficient.  Works
    on the transpose of ``[A | Y_q | R_2]`` (columns as contiguous rows).
    """
    n = M + K
    w = M + N_o + K
    Xt = np.empty((w, n))
    for m in range(M):
        for i in range(n):
            v = RF[i, m]
            for k in range(K):
                v += RF[i, M + k] * x[m * K + k]
            Xt[m, i] = v
    for i in range(n):
        for o in range(N_o):
            Xt[M + o, i] = Yq[i, o]
        for k in range(K):
            Xt[M + N_o + k, i] = RF[i, M + k]
    RA = np.zeros((M, M))
    Wo = np.empty((N_o, M))
    E2 = np.empty((N_o, K))
    Sigma = np.empty((K, K))
    g = np.empty(M * K)
    v = np.empty(n)
    for j in range(M):
        col = Xt[j]
        alpha = 0.0
        for i in range(j, n):
            alpha += col[i] * col[i]
        alpha = np.sqrt(alpha)
        if not alpha > 0.0:
            Wo[:] = np.nan
            g[:] = np.nan
            return np.inf, g, Wo, RA, E2, Sigma
        if col[j] > 0.0:
            alpha = -alpha
        L = n - j
        for i in range(L):
            v[i] = col[j + i]
        v[0] -= alpha
        vv = 0.0
        for i in range(L):
            vv += v[i] * v[i]
        col[j] = alpha
        for i in range(j + 1, n):
            col[i] = 0.0
        for c in range(j + 1, w):
            cc = Xt[c]
            s = 0.0
            for i in range(L):
                s += v[i] * cc[j + i]
            s *= 2.0 / vv
            for i in range(L):
                cc[j + i] -= s * v[i]
    for m in range(M):
        for i in range(m + 1):
            RA[i, m] = Xt[m, i]
    for o in range(N_o):
        b = Xt[M + o]
        for i in range(M - 1, -1, -1):
            s = b[i]
            for k in range(i + 1, M):
                s -= RA[i, k] * Wo[o, k]
            Wo[o, i] = s / RA[i, i]
    R = c_perp
    for o in range(N_o):
        yo = Xt[M + o]
        for i in range(M, n):
            R += 0.5 * yo[i] * yo[i]
        for k in range(K):
            zk = Xt[M + N_o + k]
            s = 0.0
            for i in range(M, n):
                s -= yo[i] * zk[i]
            E2[o, k] = s
    for k1 in range(K):
        z1 = Xt[M + N_o + k1]
        for k2 in range(K):
            z2 = Xt[M + N_o + k2]
            s = 0.0
            for i in range(M, n):
                s += z1[i] * z2[i]
            Sigma[k1, k2] = s
    for m in range(M):
        for k in range(K):
            s = 0.0
            for o in range(N_o):
                s += Wo[o, m] * E2[o, k]
            g[m * K + k] = s
    return R, g, Wo, RA, E2, Sigma


@njit(cache=True)
def _gauss_newton(Wo, RA, E2, Sigma, M, K):
    """``J^T J`` of the module docstring, ``M K``-square, row-major ``(m, k)``."""
    Rinv = _upper_solve(RA, np.eye(M))
    Ginv = np.dot(Rinv, Rinv.T)
    WtW = np.dot(Wo.T, Wo)
    EtE = np.dot(E2.T, E2)
    H = np.empty((M * K, M * K))
    for m1 in range(M):
        for k1 in range(K):
            i = m1 * K + k1
            for m2 in range(M):
                for k2 in range(K):
                    H[i, m2 * K + k2] = WtW[m1, m2] * Sigma[k1, k2] + Ginv[m1, m2] * EtE[k1, k2]
    return H


@njit(cache=True)
def _damped_step(H, g, lam, mu):
    """``(p, shift)``: ``p = -(H + shift I)^{-1} g``, ``shift >= lam + mu`` the first PD one."""
    s = 0.0
    for i in range(H.shape[0]):
        s = max(s, abs(H[i, i]))
    s = max(s, 1e-300)
    shift = lam + mu
    for _ in range(80):
        L, ok = _cholesky(H, shift)
        if ok:
            return -_cholesky_solve(L, g), shift
        shift = max(4.0 * shift, 1e-10 * s)
    return np.zeros(g.size), np.inf


@njit(cache=True)
def _varpro_search(x0, RF, Yq, c_perp, M, K, N_o, gabs, max_iterations):
    """Levenberg-Marquardt on ``rho`` from ``W_L = x0``; stops at ``||grad rho|| <= gabs``.

    Returns ``(x, rho, grad, W_{L+1}, status, iterations)``; ``iterations``
    counts trial points (accepted or not).
    """
    x = x0.copy()
    f, g, Wo, RA, E2, Sigma = _projected(x, RF, Yq, c_perp, M, K, N_o)
    status = _MAX_ITERATIONS
    H = np.zeros((x.size, x.size))
    fresh = True
    lam = 0.0
    nu = 2.0
    it = 0
    while it < max_iterations:
        gn = np.sqrt(np.dot(g, g))
        if not (np.isfinite(f) and np.isfinite(gn)):
            status = _NONFINITE
            break
        if gn <= gabs:
            status = _CONVERGED
            break
        if fresh:
            H = _gauss_newton(Wo, RA, E2, Sigma, M, K)
            if not np.all(np.isfinite(H)):
                status = _NONFINITE
                break
            fresh = False
        mu = gn / max(1.0, np.sqrt(np.dot(x, x)))
        p, shift = _damped_step(H, g, lam, mu)
        if not np.isfinite(shift):
            status = _STALLED
            break
        it += 1
        Hp = np.dot(H, p)
        pred = -(np.dot(g, p) + 0.5 * np.dot(p, Hp))
        trial = x + p
        f_new, g_new, Wo_new, RA_new, E2_new, Sigma_new = _projected(
            trial, RF, Yq, c_perp, M, K, N_o)
        gn_new = np.sqrt(np.dot(g_new, g_new))
        if not (np.isfinite(f_new) and np.isfinite(gn_new)):
            rho = -np.inf
        elif pred <= 64.0 * _EPS * max(abs(f), abs(f_new)):
            # below the resolution of rho only the gradient norm is informative
            rho = 1.0 if gn_new < gn else -1.0
        else:
            rho = (f - f_new) / pred
        if rho > 0.01:
            x, f, g = trial, f_new, g_new
            Wo, RA, E2, Sigma = Wo_new, RA_new, E2_new, Sigma_new
            fresh = True
            lam = (shift - mu) * max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            if rho > 0.75:
                lam = 0.0 if lam < 1e-3 * mu else lam
            nu = 2.0
        else:
            lam = max(shift - mu, 1e-3 * mu) * nu
            nu *= 2.0
            if np.sqrt(np.dot(p, p)) <= 1e-15 * max(1.0, np.sqrt(np.dot(x, x))):
                status = _STALLED
                break
    return x, f, g, Wo, status, it


# ---------------------------------------------------------------- joint problem


@njit(cache=True)
def _joint_polish(t, S, T, c, M, K, N_o, gabs, steps):
    """Up to ``steps`` damped joint Newton steps, each kept only if it lowers ``||g||``.

    ``p = -(H + tau I)^{-1} g`` with ``tau`` the first of ``mu = ||g|| /
    max(1, ||t||)``, ``4 mu``, ... that makes ``H + tau I`` positive definite
    (the zero modes of the symmetry carry rounding-level curvature of either
    sign).  Returns ``(t, R, g, steps_taken)``.
    """
    R, g = pphi_loss_grad(t, S, T, c, M, K, N_o)
    taken = 0
    for _ in range(steps):
        gn = np.sqrt(np.dot(g, g))
        if gn <= gabs or not np.isfinite(gn):
            break
        H = pphi_hessian(t, S, T, c, M, K, N_o)
        H = 0.5 * (H + H.T)
        p, shift = _damped_step(H, g, 0.0, gn / max(1.0, np.sqrt(np.dot(t, t))))
        if not np.isfinite(shift):
            break
        trial = t + p
        R_new, g_new = pphi_loss_grad(trial, S, T, c, M, K, N_o)
        taken += 1
        if not np.sqrt(np.dot(g_new, g_new)) < gn:
            break
        t, R, g = trial, R_new, g_new
    return t, R, g, taken


@njit(cache=True)
def _local_minimum(t0, F, Y, S, T, c, M, K, N_o, gabs, max_iterations, polish):
    """Factor, reduced search from ``t0``'s ``W_L``, joint gradient (and polish), spectrum.

    Returns ``(theta, R, g, spectrum, status, iterations, R(t0))``.  A reduced
    search that converged or stalled is polished; the status is then
    ``CONVERGED`` iff the joint gradient is at most ``gabs``.
    """
    R0, _ = pphi_loss_grad(t0, S, T, c, M, K, N_o)
    RF, Yq, c_perp = _factor(F, Y)
    x0 = t0[:M * K].copy()
    P = M * K
    x, _, _, Wo, status, it = _varpro_search(x0, RF, Yq, c_perp, M, K, N_o, 0.5 * gabs,
                                             max_iterations)
    t = np.empty(P + N_o * M)
    # element loops, not slice assignments: those compile numba's shape-error formatting
    for j in range(P):
        t[j] = x[j]
    for o in range(N_o):
        for m in range(M):
            t[P + o * M + m] = Wo[o, m]
    R, g = pphi_loss_grad(t, S, T, c, M, K, N_o)
    if status in (_CONVERGED, _STALLED):
        if np.sqrt(np.dot(g, g)) > gabs:
            t, R, g, taken = _joint_polish(t, S, T, c, M, K, N_o, gabs, polish)
            it += taken
        status = _CONVERGED if np.sqrt(np.dot(g, g)) <= gabs else _STALLED
    H = pphi_hessian(t, S, T, c, M, K, N_o)
    H = 0.5 * (H + H.T)
    spectrum = np.linalg.eigvalsh(H) if np.all(np.isfinite(H)) else np.full(t.size, np.nan)
    return t, R, g, spectrum, status, it, R0


# ---------------------------------------------------------------- public wrapper


def local_minimum(objective: PphiObjective, theta0: np.ndarray, *, gtol: float = GTOL,
                  max_iterations: int = 500, symmetry_modes: int | None = None,
                  polish_steps: int = POLISH_STEPS, max_escapes: int = MAX_ESCAPES
                  ) -> CriticalPoint:
    """A local minimiser of (P_phi) from ``theta0`` by variable projection (module docstring).

    Parameters
    ----------
    objective
        The (P_phi) objective (frozen features).
    theta0
        Start ``(W_L, W_{L+1})``, row-major, length ``objective.n_params``;
        the search starts from its ``W_L`` with the optimal ``W_{L+1}`` for it.
    gtol
        Relative tolerance of the joint gradient: converged when
        ``||grad R|| <= gtol * max(1, min(|R|, |R(theta0)|))`` (the
        convention of :func:`resproof.landscape.minimize.minimize`).
    max_iterations
        Trial steps of the reduced search, over all escapes.
    symmetry_modes
        Zero modes explained by the symmetry ``W_L -> W_L + n k^T``,
        ``W_{L+1} n = 0``; default the objective's own count at each point,
        ``(M - rank W_{L+1}) K`` (:meth:`PphiObjective.symmetry_modes`).
    polish_steps
        Joint Newton steps allowed when the joint gradient is still above
        tolerance after the reduced search.
    max_escapes
        Strict saddles escaped along negative curvature.

    Returns
    -------
    CriticalPoint
        ``stop_reason`` ``CONVERGED`` iff the joint relative gradient reached
        ``gtol``; ``kind`` from all joint Hessian eigenvalues; ``iterations``
        counts reduced trial steps plus polish steps.

    Raises
    ------
    InvalidInput
        If ``theta0`` has the wrong shape or is not finite.
    """
    M, K, N_o = objective.M, objective.K, objective.N_o
    theta = check_array("theta0", theta0, shape=(objective.n_params,))
    gtol = check_real("gtol", gtol, positive=True)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    polish_steps = check_int("polish_steps", polish_steps, minimum=0)
    max_escapes = check_int("max_escapes", max_escapes, minimum=0)
    if symmetry_modes is not None:
        symmetry_modes = check_int("symmetry_modes", symmetry_modes, minimum=0)
    cap = 1.0
    used, escapes = 0, 0
    await_warmup(_local_minimum)
    while True:
        # The final gradient scale max(1, min(|R|, cap)) is at least 1, so the
        # kernels stop at gtol itself and the classification's test is a formality.
        t, R, g, spectrum, status, it, R0 = _local_minimum(
            theta, objective.F, objective.Y, objective.S, objective.T, objective.c, M, K, N_o, gtol,
            max_iterations - used, polish_steps)
        if escapes == 0:
            cap = abs(float(R0))
        used += int(it)
        R = float(R)
        point = make_point(objective, t, _REASONS[int(status)], used, loss=R, grad=g, gtol=gtol,
                           gscale=gradient_scale(R, None, cap), symmetry_modes=symmetry_modes,
                           spectrum=spectrum)
        if (point.kind is not PointKind.SADDLE or escapes >= max_escapes
                or used >= max_iterations):
            return point
        escaped = negative_curvature_step(objective, t, R, g)
        if escaped is None:
            return point
        # Restarting from the escaped W_L keeps the descent: rho(W_L') is a
        # minimum over W_{L+1}, so rho(W_L') <= R(escaped) < R(saddle).
        theta = np.ascontiguousarray(escaped[0])
        escapes += 1


__all__ = ["MAX_ESCAPES", "POLISH_STEPS", "local_minimum"]
