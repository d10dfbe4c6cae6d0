"""One pass of the ResNEst kernels over a range of samples (rows ``a:b``).

Every pass is a function of its rows alone: the forward states, the adjoints and
the tangents of sample ``n`` depend on no other sample, and the parameter
derivatives are sums over samples.  :mod:`resproof.nn.kernels` runs these
passes on fixed chunks of samples in parallel and adds the chunks' parameter
parts in chunk order, so results do not depend on the number of threads.

State arrays span all ``N`` samples: ``XS`` and ``LAM`` are ``(L+1) x N x M``;
block-major buffers (``Z, V, s', s'', Mu, Nu``) hold block ``i`` as the
contiguous ``N x K_i`` array at ``N ko_i``, whose rows ``a:b`` are again
contiguous (:func:`rows_of`).  Temporaries come from a work buffer ``W``.
The equations are those of :mod:`resproof.nn.kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .activations import act_arrays
from .blas import gemm, new_scratch
from .buffers import (
    NO,
    YES,
    ZERO,
    _axpy,
    _block,
    _mat,
    _max_k,
    _put_dot,
    _sum_k,
    _take,
    _take_ones,
)
from .losses import risk_part


@njit(cache=True)
def rows_of(B, N, ko, K, a, b):
    """Rows ``a:b`` of block ``(ko, K)`` of a block-major buffer over ``N`` samples."""
    return B[N * ko + a * K:N * ko + b * K].reshape((b - a, K))


@njit(cache=True)
def _scaled(out, s, x):
    """``out = s x`` (1-D)."""
    for j in range(out.size):
        out[j] = s * x[j]


@njit(cache=True)
def _times(x, y, out):
    """``out = x y`` (1-D)."""
    for j in range(out.size):
        out[j] = x[j] * y[j]


@njit(cache=True)
def _times_plus(out, s, c, x):
    """``out = out s + c x`` (1-D)."""
    for j in range(out.size):
        out[j] = out[j] * s[j] + c[j] * x[j]


@njit(cache=True)
def _tanh_tangent(rz, v, out):
    """``out = s'(Z) R{Z}`` for ``tanh`` from its value ``v``: ``s' = 1 - v^2`` (1-D)."""
    for j in range(out.size):
        out[j] = rz[j] * (1.0 - v[j] * v[j])


@njit(cache=True)
def _tanh_reverse(rmu, mu, nu, v, rz):
    """For ``tanh``: ``Mu = s' Nu`` into ``mu``, as :func:`backward_rows` makes it, and
    ``R{Mu} = s' R{Nu} + s'' Nu R{Z}`` in place of ``rmu = R{Nu}``, with ``s'' = -2 v s'``
    and the curvature weight ``Nu s''`` rounded as :func:`backward_rows` rounds it (1-D).
    Two loops: one loop that writes both did not vectorise (2.2 ns an entry against 0.4)."""
    for j in range(mu.size):
        mu[j] = nu[j] * (1.0 - v[j] * v[j])
    for j in range(rmu.size):
        d = 1.0 - v[j] * v[j]
        rmu[j] = rmu[j] * d + nu[j] * (-2.0 * v[j] * d) * rz[j]


@njit(cache=True)
def forward_rows(th, thT, lay, X, acode, ap, skip, a, b, XS, ZB, VB, S1B, S2B):
    """Rows ``a:b`` of ``X_0..X_L`` and of ``Z, V, s', s''`` (block-major); ``thT``:
    ``th`` with its weights transposed (:func:`resproof.nn.kernels.buffers.transposed`)."""
    N_in, M, L = lay[0], lay[1], lay[3]
    N = X.shape[0]
    np.dot(X[a:b], _mat(thT, lay[4], N_in, M), XS[0][a:b])
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        z = rows_of(ZB, N, ko, K, a, b)
        np.dot(XS[i][a:b], _mat(thT, oU, M, K), z)
        for n in range(b - a):
            for k in range(K):
                z[n, k] += th[ob + k]
        lo, hi = N * ko + a * K, N * ko + b * K
        act_arrays(acode, ap, ZB[lo:hi], VB[lo:hi], S1B[lo:hi], S2B[lo:hi])
        x = XS[i + 1][a:b]
        np.dot(rows_of(VB, N, ko, K, a, b), _mat(thT, oW, K, M), x)
        if skip != 0.0:
            _axpy(x, skip, XS[i][a:b])


@njit(cache=True)
def state_arrays(lay, N, W, pos):
    """``XS, Z, V, s', s''`` for ``N`` samples, carved from ``W`` at ``pos``."""
    M, L = lay[1], lay[3]
    nz = N * _sum_k(lay)
    XS, pos = _take(W, pos, (L + 1, N, M))
    ZB, pos = _take(W, pos, (nz,))
    VB, pos = _take(W, pos, (nz,))
    S1B, pos = _take(W, pos, (nz,))
    S2B, pos = _take(W, pos, (nz,))
    return XS, ZB, VB, S1B, S2B, pos


@njit(cache=True)
def loss_grad_rows(th, thT, lay, X, Y, acode, ap, lcode, lp, skip, inv, W, g, want_g):
    """The part of ``R`` (returned) and, if ``want_g``, of ``dR/dtheta`` (written to ``g``)
    carried by the samples ``X, Y`` (a chunk), ``inv = 1/N`` for all ``N`` samples."""
    M, N_o, L = lay[1], lay[2], lay[3]
    n = X.shape[0]
    XS, ZB, VB, S1B, S2B, pos = state_arrays(lay, n, W, ZERO)
    forward_rows(th, thT, lay, X, acode, ap, skip, ZERO, n, XS, ZB, VB, S1B, S2B)
    yhat, pos = _take(W, pos, (n, N_o))
    G, pos = _take(W, pos, (n, N_o))
    Wout = _mat(th, lay[5], N_o, M)
    np.dot(XS[L], _mat(thT, lay[5], M, N_o), yhat)
    R = risk_part(yhat, Y, lcode, lp, G, np.empty((0, N_o, N_o)), NO, inv)
    if not want_g:
        return R
    lam, pos = _take(W, pos, (n, M))
    lam_prev, pos = _take(W, pos, (n, M))
    MUB, pos = _take(W, pos, (n * _sum_k(lay),))
    ones, pos = _take_ones(W, pos, n)
    _put_dot(g, lay[5], G, XS[L])
    np.dot(G, Wout, lam)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        _put_dot(g, oW, lam, rows_of(VB, n, ko, K, ZERO, n))
        mu = rows_of(MUB, n, ko, K, ZERO, n)
        np.dot(lam, _mat(th, oW, M, K), mu)
        s1 = rows_of(S1B, n, ko, K, ZERO, n)
        for r in range(n):
            for k in range(K):
                mu[r, k] *= s1[r, k]
        _put_dot(g, oU, mu, XS[i])
        # dR/db_i = 1^T Mu_i as a product: BLAS adds the rows faster than a loop
        _put_dot(g, ob, ones, mu)
        np.dot(mu, _mat(th, oU, K, M), lam_prev)
        if skip != 0.0:
            _axpy(lam_prev, skip, lam)
        lam, lam_prev = lam_prev, lam
    _put_dot(g, lay[4], lam, X)
    return R


@njit(cache=True)
def backward_rows(th, thT, lay, Y, lcode, lp, skip, a, b, N, XS, S1B, CB, G, Hl, LAM, MUB, NUB,
                  yhat):
    """Rows ``a:b`` of ``G = dR/dYhat``, the loss Hessians ``Hl``, the adjoints
    ``Lam_i`` and ``Mu_i, Nu_i`` (block-major); returns the part of ``R``.  ``CB`` holds
    ``s''`` on entry and the curvature weights ``C_i = Nu_i * s''(Z_i)`` on return: the
    HVP and the Hessian read ``s''`` only in that product (one state array fewer to
    stream per HVP).  ``yhat``: scratch of ``b - a`` rows."""
    M, N_o, L = lay[1], lay[2], lay[3]
    Wout = _mat(th, lay[5], N_o, M)
    np.dot(XS[L][a:b], _mat(thT, lay[5], M, N_o), yhat)
    R = risk_part(yhat, Y[a:b], lcode, lp, G[a:b], Hl[a:b], YES, 1.0 / N)
    np.dot(G[a:b], Wout, LAM[L][a:b])
    for i in range(L - 1, -1, -1):
        K, oU, _, oW, ko = _block(lay, i)
        nu = rows_of(NUB, N, ko, K, a, b)
        mu = rows_of(MUB, N, ko, K, a, b)
        s1 = rows_of(S1B, N, ko, K, a, b)
        c = rows_of(CB, N, ko, K, a, b)
        np.dot(LAM[i + 1][a:b], _mat(th, oW, M, K), nu)
        for n in range(b - a):
            for k in range(K):
                mu[n, k] = nu[n, k] * s1[n, k]
                c[n, k] = nu[n, k] * c[n, k]
        np.dot(mu, _mat(th, oU, K, M), LAM[i][a:b])
        if skip != 0.0:
            _axpy(LAM[i][a:b], skip, LAM[i + 1][a:b])
    return R


@njit(cache=True)
def _apply_loss_hessian(Hl, RY, out):
    N, N_o = RY.shape
    for n in range(N):
        for a in range(N_o):
            acc = 0.0
            for b in range(N_o):
                acc += Hl[n, a, b] * RY[n, b]
            out[n, a] = acc


@njit(cache=True)
def hvp_rows(th, lay, X, skip, acode, lcode, v, thT, vT, a, b, XS, VB, S1B, CB, G, Hl, LAM, MUB,
             NUB, W, out):
    """The part of ``H v`` carried by rows ``a:b`` (R-operator, Pearlmutter 1994), written
    to ``out`` from the states of :func:`forward_rows` and :func:`backward_rows`;
    ``thT, vT``: ``th`` and ``v`` with their weights transposed
    (:func:`resproof.nn.kernels.buffers.transposed`), read by the tangent forward pass.

    For ``tanh`` (``acode`` 1) the derivatives are polynomials in the value,
    ``s' = 1 - V^2`` and ``s'' = -2 V s'``, so ``s'``, ``C = Nu s''`` and ``Mu = Nu s'``
    are made again from ``V`` and ``Nu`` by the operations of
    :func:`resproof.nn.kernels.fastmath.tanh_array` and :func:`backward_rows` (the same
    bits) instead of being read: three state arrays fewer to stream per block.  For the
    squared loss (``lcode`` 0) every ``Hl_n`` is ``I / N``, applied without reading it.
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    n = b - a
    Wout = _mat(th, lay[5], N_o, M)
    dWout = _mat(v, lay[5], N_o, M)
    nz = n * _sum_k(lay)
    RXS, pos = _take(W, ZERO, (L + 1, n, M))
    RVB, pos = _take(W, pos, (nz,))
    RZB, pos = _take(W, pos, (nz,))
    RY, pos = _take(W, pos, (n, N_o))
    RG, pos = _take(W, pos, (n, N_o))
    rlam, pos = _take(W, pos, (n, M))
    RMUB, pos = _take(W, pos, (nz,))
    rUT, pos = _take(W, pos, (M * _max_k(lay),))
    MUL, pos = _take(W, pos, (n * _max_k(lay),))
    ones, pos = _take_ones(W, pos, n)
    from_v = acode == 1
    Xr = X[a:b]
    sc = new_scratch()
    # tangent forward: R{X_i}, R{Z_i} and R{V_i} = s' R{Z_i}
    gemm(Xr, NO, _mat(vT, lay[4], N_in, M), NO, RXS[0], 0.0, sc)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        rz = rows_of(RZB, n, ko, K, ZERO, n)
        rv = rows_of(RVB, n, ko, K, ZERO, n)
        vb = rows_of(VB, N, ko, K, a, b)
        s1 = rows_of(S1B, N, ko, K, a, b)
        gemm(RXS[i], NO, _mat(thT, oU, M, K), NO, rz, 0.0, sc)
        gemm(XS[i][a:b], NO, _mat(vT, oU, M, K), NO, rz, 1.0, sc)
        # + 1 R{b_i}^T as a rank-one product: the same bits as a loop over the rows
        gemm(ones, NO, v[ob:ob + K].reshape((1, K)), NO, rz, 1.0, sc)
        # the elementwise passes run as 1-D loops over whole blocks: the 2-D ones, whose
        # rows of K = 16 entries were too short to vectorise, took 1.3-2.2 ns an entry
        # against 0.3-0.4 (one thread, measured)
        if from_v:
            _tanh_tangent(rz.reshape(rz.size), vb.reshape(vb.size), rv.reshape(rv.size))
        else:
            _times(rz.reshape(rz.size), s1.reshape(s1.size), rv.reshape(rv.size))
        _scaled(RXS[i + 1].reshape(n * M), skip, RXS[i].reshape(n * M))
        gemm(rv, NO, _mat(thT, oW, K, M), NO, RXS[i + 1], 1.0, sc)
        gemm(vb, NO, _mat(vT, oW, K, M), NO, RXS[i + 1], 1.0, sc)
    gemm(RXS[L], NO, _mat(thT, lay[5], M, N_o), NO, RY, 0.0, sc)
    gemm(XS[L][a:b], NO, _mat(vT, lay[5], M, N_o), NO, RY, 1.0, sc)
    if lcode == 0:
        _scaled(RG.reshape(RG.size), 1.0 / N, RY.reshape(RY.size))
    else:
        _apply_loss_hessian(Hl[a:b], RY, RG)
    # reverse: R{Lam_i}, R{Mu_i} = s'' R{Z_i} Nu_i + s' R{Nu_i}
    rWout = out[lay[5]:lay[5] + N_o * M].reshape((N_o, M))
    gemm(RG, YES, XS[L][a:b], NO, rWout, 0.0, sc)
    gemm(G[a:b], YES, RXS[L], NO, rWout, 1.0, sc)
    gemm(RG, NO, Wout, NO, rlam, 0.0, sc)
    gemm(G[a:b], NO, dWout, NO, rlam, 1.0, sc)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        lam = LAM[i + 1][a:b]
        vb = rows_of(VB, N, ko, K, a, b)
        rz = rows_of(RZB, n, ko, K, ZERO, n)
        rmu = rows_of(RMUB, n, ZERO, K, ZERO, n)
        rW = out[oW:oW + M * K].reshape((M, K))
        gemm(rlam, YES, vb, NO, rW, 0.0, sc)
        gemm(lam, YES, rows_of(RVB, n, ko, K, ZERO, n), NO, rW, 1.0, sc)
        gemm(rlam, NO, _mat(th, oW, M, K), NO, rmu, 0.0, sc)
        gemm(lam, NO, _mat(v, oW, M, K), NO, rmu, 1.0, sc)
        if from_v:
            mu = rows_of(MUL, n, ZERO, K, ZERO, n)
            nu = rows_of(NUB, N, ko, K, a, b)
            _tanh_reverse(rmu.reshape(rmu.size), mu.reshape(mu.size), nu.reshape(nu.size),
                          vb.reshape(vb.size), rz.reshape(rz.size))
        else:
            mu = rows_of(MUB, N, ko, K, a, b)
            _times_plus(rmu.reshape(rmu.size), rows_of(S1B, N, ko, K, a, b).reshape(n * K),
                        rows_of(CB, N, ko, K, a, b).reshape(n * K), rz.reshape(rz.size))
        # dU-part^T = X^T R{Mu} + R{X}^T Mu: OpenBLAS makes an M x K result from these
        # operands at 63 GF/s, a K x M one at 48 (512 rows, one thread, measured)
        ut = rUT[:M * K].reshape((M, K))
        gemm(XS[i][a:b], YES, rmu, NO, ut, 0.0, sc)
        gemm(RXS[i], YES, mu, NO, ut, 1.0, sc)
        for m in range(M):
            for k in range(K):
                out[oU + k * M + m] = ut[m, k]
        gemm(ones, YES, rmu, NO, out[ob:ob + K].reshape((1, K)), 0.0, sc)
        # R{Lam_{i-1}} = sigma R{Lam_i} + R{Mu} U + Mu dU, in place: R{Lam_i} is read
        # no more once R{Mu} is made
        gemm(rmu, NO, _mat(th, oU, K, M), NO, rlam, skip, sc)
        gemm(mu, NO, _mat(v, oU, K, M), NO, rlam, 1.0, sc)
    _put_dot(out, lay[4], rlam, Xr)
