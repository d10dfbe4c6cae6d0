"""Small dense linear algebra compiled for the (P_phi) solver (:mod:`resproof.problems.pphi_solve`).

Cholesky with a diagonal shift and its solves, a triangular solve, and the
Householder QR of ``[F  Y]`` that gives ``R_F`` and ``Y_q`` (the data enter the
solver through these only, never through the Gram matrix).  Written out here
because the solver loop runs compiled end to end, with no Python (so no
SciPy/LAPACK wrappers) between iterations.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _cholesky(A, shift):
    """Lower ``L`` with ``L L^T = A + shift I`` and ``True``, or ``(_, False)`` if not PD."""
    n = A.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        d = A[j, j] + shift
        for k in range(j):
            d -= L[j, k] * L[j, k]
        if not d > 0.0:
            return L, False
        d = np.sqrt(d)
        L[j, j] = d
        for i in range(j + 1, n):
            v = A[i, j]
            for k in range(j):
                v -= L[i, k] * L[j, k]
            L[i, j] = v / d
    return L, True


@njit(cache=True)
def _cholesky_solve(L, b):
    """``x`` with ``L L^T x = b`` (``b`` a vector)."""
    n = b.size
    y = np.empty(n)
    for i in range(n):
        v = b[i]
        for k in range(i):
            v -= L[i, k] * y[k]
        y[i] = v / L[i, i]
    for i in range(n - 1, -1, -1):
        v = y[i]
        for k in range(i + 1, n):
            v -= L[k, i] * y[k]
        y[i] = v / L[i, i]
    return y


@njit(cache=True)
def _upper_solve(R, X):
    """``R^{-1} X`` for upper-triangular ``R`` (``n x n``) and ``X`` (``n x r``)."""
    n, r = X.shape
    Y = np.empty((n, r))
    for j in range(r):
        for i in range(n - 1, -1, -1):
            v = X[i, j]
            for k in range(i + 1, n):
                v -= R[i, k] * Y[k, j]
            Y[i, j] = v / R[i, i]
    return Y


@njit(cache=True)
def _factor(F, Y):
    """``(R_F, Y_q, c_perp)`` of the module docstring from :func:`_triangular_factor`."""
    n = F.shape[1]
    R = _triangular_factor(F, Y)
    return (np.ascontiguousarray(R[:n, :n]), np.ascontiguousarray(R[:n, n:]),
            0.5 * np.sum(R[n:, n:] * R[n:, n:]))


@njit(cache=True)
def _triangular_factor(F, Y):
    """``R`` (square, upper triangular) of the Householder QR of ``[F  Y] / sqrt(N)``.

    Works on the transpose so that each column is a contiguous row; rows of
    ``R`` past ``N`` stay zero when ``N`` is smaller than the width.
    """
    N = F.shape[0]
    n = F.shape[1] + Y.shape[1]
    X = np.empty((n, N))
    scale = 1.0 / np.sqrt(N)
    for i in range(N):
        for j in range(F.shape[1]):
            X[j, i] = F[i, j] * scale
        for j in range(Y.shape[1]):
            X[F.shape[1] + j, i] = Y[i, j] * scale
    R = np.zeros((n, n))
    for j in range(min(n, N)):
        xj = X[j]
        alpha = np.sqrt(np.dot(xj[j:], xj[j:]))
        if alpha == 0.0:  # nothing to eliminate (e.g. a feature that is exactly zero)
            for c in range(j + 1, n):
                R[j, c] = X[c, j]
            continue
        if xj[j] > 0.0:
            alpha = -alpha
        v = xj[j:].copy()
        v[0] -= alpha
        vv = np.dot(v, v)
        R[j, j] = alpha
        for c in range(j + 1, n):
            xc = X[c]
            s = 2.0 * np.dot(v, xc[j:]) / vv
            for i in range(v.size):
                xc[j + i] -= s * v[i]
            R[j, c] = xc[j]
    return R
