"""Loss and gradient for narrow layers and few samples, in fused feature-major loops.

States are stored transposed (``X_i^T``: ``M x N``; block ``i`` of ``Z, V, s'``:
``K_i x N``) so that every inner loop runs over the samples and vectorises; no
BLAS is called (the size-S bench instance; from size M on BLAS wins, measured).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .activations import act_arrays
from .buffers import _block, _mat, _sum_k, _take
from .losses import risk


@njit(cache=True)
def _small(lay, N):
    """Whether the fused feature-major loops beat BLAS calls: narrow layers and few
    samples (size S; from size M on, BLAS wins, measured)."""
    kmax = 0
    for i in range(lay[3]):
        kmax = max(kmax, _block(lay, i)[0])
    return max(lay[0], lay[1], lay[2], kmax) <= 16 and N * lay[1] * max(kmax, 1) <= 32768


@njit(cache=True, error_model="numpy")
def _acc_rows(out, C, B, trans):
    """``out += C B`` (``trans``: ``C^T B``) over sample rows: ``out`` (``p x N``),
    ``B`` (``q x N``); the inner loop runs over the samples (SIMD)."""
    p, N = out.shape
    q = B.shape[0]
    for i in range(p):
        row = out[i]
        for j in range(q):
            c = C[j, i] if trans else C[i, j]
            b = B[j]
            for n in range(N):
                row[n] += c * b[n]


@njit(cache=True, error_model="numpy")
def _dot_rows(A, B, g, off):
    """``g[off + i q + j] = sum_n A[i, n] B[j, n]`` with four fixed partial sums."""
    p, N = A.shape
    q = B.shape[0]
    N4 = N - N % 4
    for i in range(p):
        a = A[i]
        for j in range(q):
            b = B[j]
            s0 = s1 = s2 = s3 = 0.0
            for n in range(0, N4, 4):
                s0 += a[n] * b[n]
                s1 += a[n + 1] * b[n + 1]
                s2 += a[n + 2] * b[n + 2]
                s3 += a[n + 3] * b[n + 3]
            for n in range(N4, N):
                s0 += a[n] * b[n]
            g[off + i * q + j] = (s0 + s1) + (s2 + s3)


@njit(cache=True, error_model="numpy")
def _forward_small(th, lay, X, acode, ap, skip, W):
    """Feature-major forward (``X_i^T``: ``M x N``; block ``i`` of ``Z, V, s'``:
    ``K_i x N`` at ``N ko_i``), with ``Yhat`` returned sample-major."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    nz = N * _sum_k(lay)
    XT, pos = _take(W, 0, (L + 1, M, N))
    X0T, pos = _take(W, pos, (N_in, N))
    ZB, pos = _take(W, pos, (nz,))
    VB, pos = _take(W, pos, (nz,))
    S1B, pos = _take(W, pos, (nz,))
    S2B, pos = _take(W, pos, (nz,))
    X0T[:] = X.T
    XT[0] = 0.0
    _acc_rows(XT[0], _mat(th, lay[4], M, N_in), X0T, False)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        zT = ZB[N * ko:N * (ko + K)].reshape((K, N))
        for k in range(K):
            zT[k] = th[ob + k]
        _acc_rows(zT, _mat(th, oU, K, M), XT[i], False)
        a, b = N * ko, N * (ko + K)
        act_arrays(acode, ap, ZB[a:b], VB[a:b], S1B[a:b], S2B[a:b])
        x = XT[i + 1]
        x[:] = 0.0
        if skip != 0.0:
            for m in range(M):
                xm, pm = x[m], XT[i, m]
                for n in range(N):
                    xm[n] = skip * pm[n]
        _acc_rows(x, _mat(th, oW, M, K), VB[a:b].reshape((K, N)), False)
    YT, pos = _take(W, pos, (N_o, N))
    YT[:] = 0.0
    _acc_rows(YT, _mat(th, lay[5], N_o, M), XT[L], False)
    yhat, pos = _take(W, pos, (N, N_o))
    yhat[:] = YT.T
    return XT, X0T, VB, S1B, yhat, pos


@njit(cache=True, error_model="numpy")
def _loss_grad_small(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g):
    """:func:`_loss_grad` in feature-major fused loops, no BLAS calls (small layers)."""
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    XT, X0T, VB, S1B, yhat, pos = _forward_small(th, lay, X, acode, ap, skip, W)
    G, pos = _take(W, pos, (N, N_o))
    R = risk(yhat, Y, lcode, lp, G, np.empty((0, N_o, N_o)), False)
    g = np.empty(th.size if want_g else 0)
    if not want_g:
        return R, g
    GT, pos = _take(W, pos, (N_o, N))
    GT[:] = G.T
    lam, pos = _take(W, pos, (M, N))
    lam_prev, pos = _take(W, pos, (M, N))
    _dot_rows(GT, XT[L], g, lay[5])
    lam[:] = 0.0
    _acc_rows(lam, _mat(th, lay[5], N_o, M), GT, True)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        vT = VB[N * ko:N * (ko + K)].reshape((K, N))
        s1T = S1B[N * ko:N * (ko + K)].reshape((K, N))
        _dot_rows(lam, vT, g, oW)
        mu, pos2 = _take(W, pos, (K, N))
        mu[:] = 0.0
        _acc_rows(mu, _mat(th, oW, M, K), lam, True)
        for k in range(K):
            mk, sk = mu[k], s1T[k]
            for n in range(N):
                mk[n] *= sk[n]
        _dot_rows(mu, XT[i], g, oU)
        _dot_rows(mu, np.ones((1, N)), g, ob)
        for m in range(M):
            lp_, lm = lam_prev[m], lam[m]
            for n in range(N):
                lp_[n] = skip * lm[n]
        _acc_rows(lam_prev, _mat(th, oU, K, M), mu, True)
        lam, lam_prev = lam_prev, lam
    _dot_rows(lam, X0T, g, lay[4])
    return R, g
