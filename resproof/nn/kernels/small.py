"""Loss and gradient for narrow layers and few samples, in fused feature-major loops.

States are stored transposed (``X_i^T``: ``M x N``; block ``i`` of ``Z, V, s'``:
``K_i x N``) so that every inner loop runs over the samples and vectorises; no
BLAS is called (the size-S bench instance; from size M on BLAS wins, measured).

Products ``out = C B`` (:func:`_acc_rows`) take four terms and make two rows per
pass over the samples, with the skip term, the bias and the factor ``s'`` fused
in; ``tanh`` is the staged SIMD pass of :mod:`resproof.nn.kernels.fastmath`; sums over
the samples (the weight gradients) are its eight-lane SIMD dot products.  All
have a fixed order, so a result depends on neither the machine's vector width
nor the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import fastmath
from .activations import act_arrays
from .buffers import NO, YES, ZERO, _block, _mat, _max_k, _sum_k, _take
from .losses import risk

#: Largest ``N M max K`` for the fused loops: layers up to 8 wide, and up to 16 wide.
SMALL_WORK_8, SMALL_WORK_16 = 32768, 8192


@njit(cache=True)
def _small(lay, N):
    """Whether the fused feature-major loops beat BLAS calls: narrow layers and few
    samples (size S; from size M on, BLAS wins).

    Measured on SkylakeX OpenBLAS kernels, loss+grad, BLAS time / fused time: layers
    up to 8 wide 1.81 (``N M K = 256``) to 1.46 (size S, 8192) and 1.02-1.19 at 32768;
    16 wide 1.13 at 8192, 0.94-1.08 at 16384, 0.81-0.91 at 24576-32768.
    """
    kmax = _max_k(lay)
    width = max(lay[0], lay[1], lay[2], kmax)
    work = N * lay[1] * max(kmax, 1)
    return (width <= 8 and work <= SMALL_WORK_8) or (width <= 16 and work <= SMALL_WORK_16)


@njit(cache=True, inline="always")
def _coef(C, i, j, trans):
    return C[j, i] if trans else C[i, j]


@njit(cache=True, inline="always")
def _coefs4(C, i, j, trans):
    return (_coef(C, i, j, trans), _coef(C, i, j + 1, trans), _coef(C, i, j + 2, trans),
            _coef(C, i, j + 3, trans))


#: Start of ``out`` in :func:`_acc_rows`: zero, the constants ``a``, or ``sigma P``.
_FRESH, _CONST, _SCALED = np.int64(0), np.int64(1), np.int64(2)


@njit(cache=True, error_model="numpy")
def _acc_rows(out, C, B, trans, start, a, P, S):
    """``out = S * (out_0 + C B)`` (``trans``: ``C^T B``) over feature-major rows:
    ``out`` (``p x N``), ``B`` (``q x N``); by ``start``, ``out_0`` is 0, the
    constant ``a[i]`` along row ``i`` or ``a[0] P``; no factor ``S`` if it has no rows.

    Each ``out[i, n]`` adds its ``q`` terms one at a time in order of ``j`` onto
    ``out_0``, four per pass over the samples.  A pass makes two rows ``e, f``
    (``f = e`` for the last of an odd ``p``: each is stored after both are
    computed, so it is stored twice with the same value), so each row of ``B``
    it loads serves two.  The loops are written out and index the 2-D arrays
    (row views cost reference counts; a helper per pass costs a third more).
    """
    p, N = out.shape
    q = B.shape[0]
    sigma = a[0]
    for e in range(0, p, 2):
        f = min(e + 1, p - 1)
        j = 0
        if start == _SCALED and sigma == 1.0 and q >= 4:
            c0, c1, c2, c3 = _coefs4(C, e, 0, trans)
            d0, d1, d2, d3 = _coefs4(C, f, 0, trans)
            for n in range(N):
                b0, b1, b2, b3 = B[0, n], B[1, n], B[2, n], B[3, n]
                ye = (((P[e, n] + c0 * b0) + c1 * b1) + c2 * b2) + c3 * b3
                yf = (((P[f, n] + d0 * b0) + d1 * b1) + d2 * b2) + d3 * b3
                out[e, n] = ye
                out[f, n] = yf
            j = 4
        elif start == _SCALED:
            for n in range(N):
                ye, yf = sigma * P[e, n], sigma * P[f, n]
                out[e, n] = ye
                out[f, n] = yf
        elif start == _CONST and q >= 4:
            c0, c1, c2, c3 = _coefs4(C, e, 0, trans)
            d0, d1, d2, d3 = _coefs4(C, f, 0, trans)
            ae, af = a[e], a[f]
            for n in range(N):
                b0, b1, b2, b3 = B[0, n], B[1, n], B[2, n], B[3, n]
                ye = (((ae + c0 * b0) + c1 * b1) + c2 * b2) + c3 * b3
                yf = (((af + d0 * b0) + d1 * b1) + d2 * b2) + d3 * b3
                out[e, n] = ye
                out[f, n] = yf
            j = 4
        elif start == _CONST:
            out[e, :] = a[e]
            out[f, :] = a[f]
        elif q >= 4:
            c0, c1, c2, c3 = _coefs4(C, e, 0, trans)
            d0, d1, d2, d3 = _coefs4(C, f, 0, trans)
            for n in range(N):
                b0, b1, b2, b3 = B[0, n], B[1, n], B[2, n], B[3, n]
                ye = ((c0 * b0 + c1 * b1) + c2 * b2) + c3 * b3
                yf = ((d0 * b0 + d1 * b1) + d2 * b2) + d3 * b3
                out[e, n] = ye
                out[f, n] = yf
            j = 4
        elif q >= 2:
            c0, c1, d0, d1 = _coef(C, e, 0, trans), _coef(C, e, 1, trans), _coef(C, f, 0, trans), \
                _coef(C, f, 1, trans)
            for n in range(N):
                b0, b1 = B[0, n], B[1, n]
                ye, yf = c0 * b0 + c1 * b1, d0 * b0 + d1 * b1
                out[e, n] = ye
                out[f, n] = yf
            j = 2
        else:
            out[e, :] = 0.0
            out[f, :] = 0.0
        while j + 4 <= q:
            c0, c1, c2, c3 = _coefs4(C, e, j, trans)
            d0, d1, d2, d3 = _coefs4(C, f, j, trans)
            for n in range(N):
                b0, b1, b2, b3 = B[j, n], B[j + 1, n], B[j + 2, n], B[j + 3, n]
                ye = (((out[e, n] + c0 * b0) + c1 * b1) + c2 * b2) + c3 * b3
                yf = (((out[f, n] + d0 * b0) + d1 * b1) + d2 * b2) + d3 * b3
                out[e, n] = ye
                out[f, n] = yf
            j += 4
        while j < q:
            c0, d0 = _coef(C, e, j, trans), _coef(C, f, j, trans)
            for n in range(N):
                b0 = B[j, n]
                ye, yf = out[e, n] + c0 * b0, out[f, n] + d0 * b0
                out[e, n] = ye
                out[f, n] = yf
            j += 1
        if S.shape[0] > 0:
            for n in range(N):
                ye, yf = out[e, n] * S[e, n], out[f, n] * S[f, n]
                out[e, n] = ye
                out[f, n] = yf


@njit(cache=True, error_model="numpy")
def _dot_rows(A, B, g, off):
    """``g[off + i q + j] = sum_n A[i, n] B[j, n]`` (:func:`fastmath.dot` order), two
    rows of ``A`` against two of ``B`` at a time."""
    p, N = A.shape
    q = B.shape[0]
    for i in range(0, p - 1, 2):
        for j in range(0, q - 1, 2):
            s00, s01, s10, s11 = fastmath.dot_2x2(A, B, i * N, j * N, N, N, N)
            g[off + i * q + j] = s00
            g[off + i * q + j + 1] = s01
            g[off + (i + 1) * q + j] = s10
            g[off + (i + 1) * q + j + 1] = s11
        if q % 2:
            for r in range(i, i + 2):
                g[off + r * q + q - 1] = fastmath.dot(A, B, r * N, (q - 1) * N, N)
    if p % 2:
        for j in range(q):
            g[off + (p - 1) * q + j] = fastmath.dot(A, B, (p - 1) * N, j * N, N)


@njit(cache=True, error_model="numpy")
def _activate(acode, ap, Z, V, S1, S2):
    """``V = s(Z)``, ``S1 = s'(Z)`` over flat blocks (tanh: ``s''`` is not needed here)."""
    if acode == 1:
        fastmath.tanh_pair(Z, V, S1)
    else:
        act_arrays(acode, ap, Z, V, S1, S2)


@njit(cache=True, error_model="numpy")
def _forward_small(th, lay, X, acode, ap, skip, W):
    """Feature-major forward::

        X_0^T = W_0 X^T,  Z_i^T = U_i X_{i-1}^T + b_i,  V_i^T = s(Z_i^T),
        X_i^T = sigma X_{i-1}^T + W_i V_i^T,  Yhat^T = W_{L+1} X_L^T

    into ``W``: ``X_i^T`` (``M x N``), block ``i`` of ``V, s'`` (``K_i x N`` at ``N ko_i``)."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    nz = N * _sum_k(lay)
    XT, pos = _take(W, ZERO, (L + 1, M, N))
    X0T, pos = _take(W, pos, (N_in, N))
    ZB, pos = _take(W, pos, (nz,))
    VB, pos = _take(W, pos, (nz,))
    S1B, pos = _take(W, pos, (nz,))
    S2B, pos = _take(W, pos, (nz if acode != 1 else 0,))
    sk, pos = _take(W, pos, (1,))
    sk[0] = skip
    none = X0T[:0]
    for k in range(N_in):
        for n in range(N):
            X0T[k, n] = X[n, k]
    _acc_rows(XT[0], _mat(th, lay[4], M, N_in), X0T, NO, _FRESH, sk, none, none)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        a, b = N * ko, N * (ko + K)
        _acc_rows(ZB[a:b].reshape((K, N)), _mat(th, oU, K, M), XT[i], NO, _CONST,
                  th[ob:ob + K], none, none)
        _activate(acode, ap, ZB[a:b], VB[a:b], S1B[a:b], S2B[a:b] if acode != 1 else S2B)
        _acc_rows(XT[i + 1], _mat(th, oW, M, K), VB[a:b].reshape((K, N)), NO,
                  _SCALED if skip != 0.0 else _FRESH, sk, XT[i], none)
    YT, pos = _take(W, pos, (N_o, N))
    _acc_rows(YT, _mat(th, lay[5], N_o, M), XT[L], NO, _FRESH, sk, none, none)
    return XT, X0T, VB, S1B, YT, sk, pos


@njit(cache=True, error_model="numpy")
def _squared_risk(YT, Y, GT):
    """``R = 1/(2N) sum_o sum_n (yhat_on - y_no)^2`` (the inner sums by
    :func:`fastmath.dot`) and ``G^T = (Yhat - Y)^T / N``, from ``Yhat^T``."""
    N_o, N = YT.shape
    inv = 1.0 / N
    total = 0.0
    for o in range(N_o):
        for n in range(N):
            GT[o, n] = YT[o, n] - Y[n, o]
        total += fastmath.dot(GT, GT, o * N, o * N, N)
        for n in range(N):
            GT[o, n] *= inv
    return 0.5 * total * inv


@njit(cache=True, error_model="numpy")
def _risk_fm(YT, Y, lcode, lp, GT, W, pos):
    """``R`` and ``G^T = (dR/dYhat)^T`` from ``Yhat^T`` (other losses via sample-major
    copies for :func:`resproof.nn.losses.risk`)."""
    if lcode == 0:
        return _squared_risk(YT, Y, GT)
    N_o, N = YT.shape
    yhat, pos = _take(W, pos, (N, N_o))
    G, pos = _take(W, pos, (N, N_o))
    # element loops, not slice assignments: those compile numba's shape-error formatting
    for n in range(N):
        for o in range(N_o):
            yhat[n, o] = YT[o, n]
    R = risk(yhat, Y, lcode, lp, G, np.empty((0, N_o, N_o)), NO)
    for n in range(N):
        for o in range(N_o):
            GT[o, n] = G[n, o]
    return R


@njit(cache=True, error_model="numpy")
def _loss_grad_small(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g):
    """:func:`resproof.nn.kernels.drivers._loss_grad` in feature-major loops, no BLAS calls::

        Lam_L^T = W_{L+1}^T G^T,  Mu_i^T = s'(Z_i^T) * (W_i^T Lam_i^T),
        Lam_{i-1}^T = sigma Lam_i^T + U_i^T Mu_i^T,
        dR/dW_{L+1} = G^T X_L,  dR/dW_i = Lam_i^T V_i,  dR/dU_i = Mu_i^T X_{i-1},
        dR/db_i = Mu_i^T 1,     dR/dW_0 = Lam_0^T X
    """
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    XT, X0T, VB, S1B, YT, sk, pos = _forward_small(th, lay, X, acode, ap, skip, W)
    GT, pos = _take(W, pos, (N_o, N))
    R = _risk_fm(YT, Y, lcode, lp, GT, W, pos)
    g = np.empty(th.size if want_g else 0)
    if not want_g:
        return R, g
    lam, pos = _take(W, pos, (M, N))
    lam_prev, pos = _take(W, pos, (M, N))
    ones, pos = _take(W, pos, (1, N))
    ones[:] = 1.0
    none = lam[:0]
    _dot_rows(GT, XT[L], g, lay[5])
    _acc_rows(lam, _mat(th, lay[5], N_o, M), GT, YES, _FRESH, sk, none, none)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        vT = VB[N * ko:N * (ko + K)].reshape((K, N))
        s1T = S1B[N * ko:N * (ko + K)].reshape((K, N))
        _dot_rows(lam, vT, g, oW)
        mu = _take(W, pos, (K, N))[0]
        _acc_rows(mu, _mat(th, oW, M, K), lam, YES, _FRESH, sk, none, s1T)
        _dot_rows(mu, XT[i], g, oU)
        _dot_rows(mu, ones, g, ob)
        _acc_rows(lam_prev, _mat(th, oU, K, M), mu, YES,
                  _SCALED if skip != 0.0 else _FRESH, sk, lam, none)
        lam, lam_prev = lam_prev, lam
    _dot_rows(lam, X0T, g, lay[4])
    return R, g
