"""Exact and high-precision companions of (P_phi) with the squared loss, for certificates.

* :func:`exact_hessian` is the Hessian of :mod:`resproof.problems.pphi` in
  Fractions, from the float64 data and point converted exactly.
* :func:`is_psd_exact` decides positive semidefiniteness of a symmetric
  Fraction matrix exactly (LDL^T with diagonal pivoting).
* :func:`residual_targets` / :func:`residual_high_precision`: the targets
  replaced by their least-squares residual on ``[v_0, ..., v_{L-1}]`` (in
  float64 / at ``dps`` digits), so that ``(W_L, W_{L+1}) = (0, 0)`` is critical
  (to that precision).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from .pphi import PphiHighPrecision, PphiObjective


def exact_hessian(objective: PphiObjective, theta: np.ndarray) -> list[list[Fraction]]:
    """The (P_phi) Hessian at ``theta`` in exact rational arithmetic (module docstring of
    :mod:`resproof.problems.pphi` for the formulas)."""
    M, K, N_o = objective.M, objective.K, objective.N_o
    F = [[Fraction(v) for v in row] for row in objective.F.tolist()]
    Y = [[Fraction(v) for v in row] for row in objective.Y.tolist()]
    N, D = len(F), M + K
    S = [[sum((F[n][i] * F[n][j] for n in range(N)), Fraction(0)) / N for j in range(D)]
         for i in range(D)]
    T = [[sum((F[n][i] * Y[n][o] for n in range(N)), Fraction(0)) / N for o in range(N_o)]
         for i in range(D)]
    t = [Fraction(v) for v in np.asarray(theta, dtype=np.float64).tolist()]
    WL = [[t[m * K + k] for k in range(K)] for m in range(M)]
    Wo = [[t[M * K + o * M + m] for m in range(M)] for o in range(N_o)]
    B = [[Fraction(int(i == j)) for j in range(M)] + WL[i] for i in range(M)]
    BS = [[sum((B[i][a] * S[a][j] for a in range(D)), Fraction(0)) for j in range(D)]
          for i in range(M)]
    BSB = [[sum((BS[i][a] * B[j][a] for a in range(D)), Fraction(0)) for j in range(M)]
           for i in range(M)]
    WtW = [[sum((Wo[o][i] * Wo[o][j] for o in range(N_o)), Fraction(0)) for j in range(M)]
           for i in range(M)]
    C = [[sum((Wo[o][m] * B[m][j] for m in range(M)), Fraction(0)) for j in range(D)]
         for o in range(N_o)]
    E = [[sum((C[o][a] * S[a][j] for a in range(D)), Fraction(0)) - T[j][o] for j in range(D)]
         for o in range(N_o)]
    P = objective.n_params
    H = [[Fraction(0)] * P for _ in range(P)]
    for m in range(M):
        for k in range(K):
            for m2 in range(M):
                for k2 in range(K):
                    H[m * K + k][m2 * K + k2] = WtW[m][m2] * S[M + k][M + k2]
    o0 = M * K
    for o in range(N_o):
        for m in range(M):
            i = o0 + o * M + m
            for m2 in range(M):
                H[i][o0 + o * M + m2] = BSB[m][m2]
            for m2 in range(M):
                for k in range(K):
                    v = BS[m][M + k] * Wo[o][m2] + (E[o][M + k] if m == m2 else 0)
                    H[i][m2 * K + k] = v
                    H[m2 * K + k][i] = v
    return H


def is_psd_exact(H: list[list[Fraction]]) -> bool:
    """Whether the symmetric rational matrix ``H`` is positive semidefinite, exactly.

    Symmetric Gaussian elimination on the largest positive diagonal entry; once no
    diagonal entry is positive, ``H`` is PSD iff the remaining block is zero (a
    negative diagonal entry, or a nonzero ``h_ij`` with ``h_ii = h_jj = 0``, gives a
    direction of negative curvature)."""
    A = [list(row) for row in H]
    while A:
        diag = [A[i][i] for i in range(len(A))]
        if any(d < 0 for d in diag):
            return False
        p = max(range(len(A)), key=lambda i: diag[i])
        if diag[p] == 0:
            return all(v == 0 for row in A for v in row)
        piv = A[p]
        rest = [i for i in range(len(A)) if i != p]
        A = [[A[i][j] - A[i][p] * piv[j] / piv[p] for j in rest] for i in rest]
    return True


def residual_targets(U: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``Y - U beta``, ``beta`` the least-squares fit (lstsq).  With
    ``U = [v_0, ..., v_{L-1}]``, whose range contains that of ``x_{L-1} = [v_0 ... v_{L-1}]
    A_phi^T``, the residual is orthogonal to ``x_{L-1}``: ``(W_L, W_{L+1}) = (0, 0)`` is
    then a critical point of (P_phi)."""
    beta, *_ = np.linalg.lstsq(U, Y, rcond=None)
    return Y - U @ beta


def residual_high_precision(objective: PphiObjective, dps: int = 50) -> PphiHighPrecision:
    """(P_phi) at ``dps`` digits on ``F = [x_{L-1}, v_L]`` of ``objective`` with the targets
    replaced by their residual on the columns of the float64 ``x_{L-1}`` (QR at ``dps``
    digits), from ``objective``'s float64 targets (the *original* targets).  The residual
    is then orthogonal to ``x_{L-1}`` to ``dps`` digits, so ``(0, 0)`` is critical to that
    precision.  (The float64 construction, :func:`residual_targets`, projects on
    ``[v_0, ..., v_{L-1}]``; when ``x_{L-1}`` is rank deficient up to rounding the two
    target sets differ, and the high-precision one is the instance certified.)"""
    M = objective.M
    with mpmath.workdps(dps):
        hp = PphiHighPrecision.__new__(PphiHighPrecision)
        hp.M, hp.K, hp.N_o = objective._dims
        hp.n_params = objective.n_params
        F = mpmath.matrix(objective.F.tolist())
        Y = mpmath.matrix(objective.Y.tolist())
        N = F.rows
        X = mpmath.matrix(N, M)
        for n in range(N):
            for m in range(M):
                X[n, m] = F[n, m]
        Q, _ = mpmath.qr(X)
        Q1 = mpmath.matrix(N, M)
        for n in range(N):
            for m in range(M):
                Q1[n, m] = Q[n, m]
        Yr = Y - Q1 * (Q1.T * Y)
        hp.S = F.T * F / N
        hp.T = F.T * Yr / N
        hp.c = sum(Yr[i, j] ** 2 for i in range(Yr.rows) for j in range(Yr.cols)) / (2 * N)
        hp._F, hp._Y, hp._N = F, Yr, N
    return hp


def high_precision(objective: PphiObjective, dps: int = 50) -> PphiHighPrecision:
    """:class:`PphiHighPrecision` with its Gram statistics formed at ``dps`` digits."""
    with mpmath.workdps(dps):
        return PphiHighPrecision(objective)
