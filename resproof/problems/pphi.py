"""The (P_phi) problem of Chen et al. with the features frozen, on Gram statistics.

With ``phi`` frozen, ``F_n = [x_{L-1}(x_n); v_L(x_n)]`` (length ``M + K``) and
``B = [I_M  W_L]``, the prediction is ``yhat_n = C F_n`` with ``C = W_{L+1} B``
and the squared-loss risk depends on the data only through

.. math:: S = \\tfrac1N \\sum_n F_n F_n^T,\\quad T = \\tfrac1N \\sum_n F_n y_n^T,\\quad
          c = \\tfrac1{2N} \\sum_n \\|y_n\\|^2,

    R(W_L, W_{L+1}) = \\tfrac12 \\operatorname{tr}(C S C^T) - \\operatorname{tr}(C T) + c.

With ``E = C S - T^T`` (``dR/dC``): ``dR/dW_{L+1} = E B^T``,
``dR/dW_L = (W_{L+1}^T E)_{:, M:}``, and the Hessian, for the parameter order
``(W_L, W_{L+1})`` row-major::

    H[W_{L+1}(o,m), W_{L+1}(o',m')] = delta_{oo'} (B S B^T)_{mm'}
    H[W_L(m,k),     W_L(m',k')]     = (W_{L+1}^T W_{L+1})_{mm'} S_{M+k, M+k'}
    H[W_{L+1}(o,m), W_L(m',k)]      = (B S)_{m, M+k} W_{L+1}[o, m'] + delta_{mm'} E_{o, M+k}

Each evaluation costs ``O((M+K)^2 M)``, independent of ``N``.  The same
formulas in mpmath (:class:`PphiHighPrecision`) serve certification.
"""

from __future__ import annotations

import mpmath
import numpy as np
from numba import njit


@njit(cache=True)
def _unpack(t, M, K, N_o):
    """``W_L``, ``W_{L+1}`` (views of ``t``) and ``B = [I_M  W_L]``."""
    WL = t[:M * K].reshape((M, K))
    Wo = t[M * K:].reshape((N_o, M))
    B = np.zeros((M, M + K))
    # element loops, not slice assignments: those compile numba's shape-error formatting
    for m in range(M):
        B[m, m] = 1.0
        for k in range(K):
            B[m, M + k] = WL[m, k]
    return WL, Wo, B


@njit(cache=True)
def pphi_loss_grad(t, S, T, c, M, K, N_o):
    _, Wo, B = _unpack(t, M, K, N_o)
    C = np.dot(Wo, B)
    CS = np.dot(C, S)
    E = CS - T.T
    R = 0.5 * np.sum(CS * C) - np.sum(C * T.T) + c
    g = np.empty_like(t)
    GL = np.dot(Wo.T, E)
    GO = np.dot(E, B.T)
    for m in range(M):
        for k in range(K):
            g[m * K + k] = GL[m, M + k]
    for o in range(N_o):
        for m in range(M):
            g[M * K + o * M + m] = GO[o, m]
    return R, g


@njit(cache=True)
def pphi_hessian(t, S, T, c, M, K, N_o):
    _, Wo, B = _unpack(t, M, K, N_o)
    BS = np.dot(B, S)
    BSB = np.dot(BS, B.T)
    WtW = np.dot(Wo.T, Wo)
    E = np.dot(np.dot(Wo, B), S) - T.T
    P = M * K + N_o * M
    H = np.zeros((P, P))
    for m in range(M):
        for k in range(K):
            i = m * K + k
            for m2 in range(M):
                for k2 in range(K):
                    H[i, m2 * K + k2] = WtW[m, m2] * S[M + k, M + k2]
    o0 = M * K
    for o in range(N_o):
        for m in range(M):
            i = o0 + o * M + m
            for m2 in range(M):
                H[i, o0 + o * M + m2] = BSB[m, m2]
            for m2 in range(M):
                for k in range(K):
                    v = BS[m, M + k] * Wo[o, m2]
                    if m == m2:
                        v += E[o, M + k]
                    H[i, m2 * K + k] = v
                    H[m2 * K + k, i] = v
    return H


def pphi_symmetry_modes(W_out: np.ndarray, K: int) -> int:
    """``(M - rank W_{L+1}) K`` for ``W_{L+1}`` of shape ``N_o x M`` (numpy's rank
    tolerance): the dimension of ``{W_L + q r^T : W_{L+1} q = 0}``."""
    M = W_out.shape[1]
    rank = int(np.linalg.matrix_rank(W_out)) if W_out.size else 0
    return (M - rank) * K


class PphiObjective:
    """(P_phi) over ``theta = (W_L, W_{L+1})`` (row-major), from frozen features.

    Parameters
    ----------
    x_prev
        ``x_{L-1}`` on the sample (``N x M``).
    v_last
        ``v_L`` on the sample (``N x K``).
    Y
        Targets (``N x N_o``).
    """

    def __init__(self, x_prev: np.ndarray, v_last: np.ndarray, Y: np.ndarray):
        self.F = np.ascontiguousarray(np.hstack([x_prev, v_last]))
        self.Y = np.ascontiguousarray(Y, dtype=np.float64)
        N = self.F.shape[0]
        self.M, self.K, self.N_o = x_prev.shape[1], v_last.shape[1], Y.shape[1]
        self.S = self.F.T @ self.F / N
        self.T = self.F.T @ self.Y / N
        self.c = float(np.sum(self.Y * self.Y) / (2 * N))
        self.n_params = self.M * self.K + self.N_o * self.M
        self._dims = (self.M, self.K, self.N_o)

    def loss_grad(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        R, g = pphi_loss_grad(np.ascontiguousarray(t, dtype=np.float64), self.S, self.T, self.c,
                              *self._dims)
        return float(R), g

    def loss(self, t: np.ndarray) -> float:
        return self.loss_grad(t)[0]

    def grad(self, t: np.ndarray) -> np.ndarray:
        return self.loss_grad(t)[1]

    def hessian(self, t: np.ndarray) -> np.ndarray:
        return pphi_hessian(np.ascontiguousarray(t, dtype=np.float64), self.S, self.T, self.c,
                            *self._dims)

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.hessian(t) @ v

    def hvp_block(self, t: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``H v_j`` for every row of ``V``, from one Hessian."""
        return np.asarray(V, dtype=np.float64) @ self.hessian(t).T

    def symmetry_modes(self, t: np.ndarray) -> int:
        """``(M - rank W_{L+1}) K``: the flat directions ``W_L + q r^T`` with
        ``W_{L+1} q = 0`` (the prediction ``W_{L+1} (x_{L-1} + W_L v_L)`` does not move)."""
        return pphi_symmetry_modes(self.split(t)[1], self.K)

    def residual_risk(self, t: np.ndarray) -> float:
        """``R`` from the residuals ``C F_n - y_n`` (no cancellation between Gram terms)."""
        WL = t[:self.M * self.K].reshape(self.M, self.K)
        Wo = t[self.M * self.K:].reshape(self.N_o, self.M)
        C = Wo @ np.hstack([np.eye(self.M), WL])
        r = self.F @ C.T - self.Y
        return float(0.5 * np.sum(r * r) / self.F.shape[0])

    def split(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (t[:self.M * self.K].reshape(self.M, self.K),
                t[self.M * self.K:].reshape(self.N_o, self.M))


class PphiHighPrecision:
    """The same risk in mpmath, from the float64 data converted exactly (certification)."""

    def __init__(self, objective: PphiObjective):
        self.M, self.K, self.N_o = objective._dims
        self.n_params = objective.n_params
        F, Y = objective.F, objective.Y
        N = F.shape[0]
        Fm = mpmath.matrix(F.tolist())
        Ym = mpmath.matrix(Y.tolist())
        self.S = Fm.T * Fm / N
        self.T = Fm.T * Ym / N
        self.c = sum(Ym[i, j] ** 2 for i in range(Ym.rows) for j in range(Ym.cols)) / (2 * N)
        self._F, self._Y, self._N = Fm, Ym, N

    def _parts(self, theta):
        M, K, N_o = self.M, self.K, self.N_o
        WL = mpmath.matrix(M, K)
        Wo = mpmath.matrix(N_o, M)
        for m in range(M):
            for k in range(K):
                WL[m, k] = mpmath.mpf(theta[m * K + k])
        for o in range(N_o):
            for m in range(M):
                Wo[o, m] = mpmath.mpf(theta[M * K + o * M + m])
        B = mpmath.matrix(M, M + K)
        for m in range(M):
            B[m, m] = 1
            for k in range(K):
                B[m, M + k] = WL[m, k]
        return WL, Wo, B

    def mp_loss(self, theta):
        _WL, Wo, B = self._parts(theta)
        C = Wo * B
        CS = C * self.S
        R = self.c
        for o in range(self.N_o):
            for j in range(self.M + self.K):
                R += CS[o, j] * C[o, j] / 2 - C[o, j] * self.T[j, o]
        return R

    def mp_grad(self, theta):
        M, K, N_o = self.M, self.K, self.N_o
        _WL, Wo, B = self._parts(theta)
        E = Wo * B * self.S - self.T.T
        gL = Wo.T * E
        gO = E * B.T
        g = mpmath.matrix(self.n_params, 1)
        for m in range(M):
            for k in range(K):
                g[m * K + k] = gL[m, M + k]
        for o in range(N_o):
            for m in range(M):
                g[M * K + o * M + m] = gO[o, m]
        return g

    def mp_hessian(self, theta):
        M, K, N_o = self.M, self.K, self.N_o
        _WL, Wo, B = self._parts(theta)
        BS = B * self.S
        BSB = BS * B.T
        WtW = Wo.T * Wo
        E = Wo * B * self.S - self.T.T
        P = self.n_params
        H = mpmath.matrix(P, P)
        for m in range(M):
            for k in range(K):
                for m2 in range(M):
                    for k2 in range(K):
                        H[m * K + k, m2 * K + k2] = WtW[m, m2] * self.S[M + k, M + k2]
        o0 = M * K
        for o in range(N_o):
            for m in range(M):
                i = o0 + o * M + m
                for m2 in range(M):
                    H[i, o0 + o * M + m2] = BSB[m, m2]
                for m2 in range(M):
                    for k in range(K):
                        v = BS[m, M + k] * Wo[o, m2] + (E[o, M + k] if m == m2 else 0)
                        H[i, m2 * K + k] = v
                        H[m2 * K + k, i] = v
        return H
