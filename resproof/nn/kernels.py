"""Compiled ResNEst kernels: risk, gradient, Hessian-vector product and Hessian.

Model (Chen et al. 2021, eq. (1)), on the batch ``X`` (``N x N_in``, one sample
per row)::

    X_0 = X W_0^T
    Z_i = X_{i-1} U_i^T + b_i,   V_i = s(Z_i),   X_i = sigma X_{i-1} + V_i W_i^T   (i = 1..L)
    Yhat = X_L W_{L+1}^T,        R = (1/N) sum_n l(yhat_n, y_n)

``sigma`` is 1 (the skip connection) or 0 (the no-skip control).

Reverse mode, adjoints ``Lam_i = dR/dX_i``::

    G = dR/dYhat,  Lam_L = G W_{L+1},  Nu_i = Lam_i W_i,  Mu_i = s'(Z_i) * Nu_i,
    Lam_{i-1} = sigma Lam_i + Mu_i U_i,
    dR/dW_{L+1} = G^T X_L,  dR/dW_i = Lam_i^T V_i,  dR/dU_i = Mu_i^T X_{i-1},
    dR/db_i = 1^T Mu_i,     dR/dW_0 = Lam_0^T X

The HVP is the R-operator (Pearlmutter 1994) of that pass: a tangent forward
pass ``R{X_i}, R{Z_i}`` and a reverse pass with ``R{Lam_i}``; the activation
adds ``R{Mu_i} = s''(Z_i) R{Z_i} Nu_i + s'(Z_i) R{Nu_i}``.

The Hessian is assembled from its Kronecker structure in :mod:`resproof.nn.hessian`.

Every compiled kernel takes arrays and integers only; samples are visited in a
fixed order.  Layout and speed (measured on the bench instances):

* ``tanh`` is :func:`resproof.nn.fastmath.tanh`, vectorised over whole blocks
  (libm's costs ~18 ns a call and does not vectorise);
* states are block-major (block ``i`` of ``Z, V, s', s''`` is one contiguous
  ``N x K_i`` array), so no product needs a copy of its operand;
* temporaries are carved (:mod:`resproof.nn.buffers`) from work buffers that the
  Python wrappers keep per thread: fresh multi-megabyte arrays cost more in page faults than the
  products written into them;
* narrow layers with few samples (size S) take the BLAS-free feature-major loops
  of :mod:`resproof.nn.small` for the loss and gradient; elsewhere products go to BLAS on one thread
  (:func:`_one_thread`), so results never depend on the thread count;
* the forward and adjoint states are remembered for the last ``theta``
  (:func:`_states`): Lanczos and Newton-CG apply many HVPs at one point, and
  the Hessian reuses them too.

The public entry points keep their signatures: ``forward``, ``output``,
``backward_states`` (compiled) and ``loss``, ``loss_grad``, ``hvp``, ``hessian``
(Python wrappers over compiled kernels).
"""

from __future__ import annotations

import os
import threading

import numpy as np
from numba import njit

from .activations import act_arrays
from .buffers import _axpy, _block, _bv, _colsum, _fit, _mat, _need, _put_dot, _sum_k, _take
from .losses import risk
from .small import _loss_grad_small, _small


@njit(cache=True)
def _forward_ws(th, lay, X, acode, ap, skip, W, pos):
    """States ``X_0..X_L`` (``(L+1) x N x M``) and ``Z, V, s', s''`` in block-major
    buffers (block ``i`` is the contiguous ``N x K_i`` array :func:`_bv`), in ``W``."""
    N_in, M, L = lay[0], lay[1], lay[3]
    N = X.shape[0]
    nz = N * _sum_k(lay)
    XS, pos = _take(W, pos, (L + 1, N, M))
    ZB, pos = _take(W, pos, (nz,))
    VB, pos = _take(W, pos, (nz,))
    S1B, pos = _take(W, pos, (nz,))
    S2B, pos = _take(W, pos, (nz,))
    np.dot(X, _mat(th, lay[4], M, N_in).T, XS[0])
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        z = _bv(ZB, N, ko, K)
        np.dot(XS[i], _mat(th, oU, K, M).T, z)
        for n in range(N):
            for k in range(K):
                z[n, k] += th[ob + k]
        a, b = N * ko, N * (ko + K)
        act_arrays(acode, ap, ZB[a:b], VB[a:b], S1B[a:b], S2B[a:b])
        x = XS[i + 1]
        np.dot(_bv(VB, N, ko, K), _mat(th, oW, M, K).T, x)
        if skip != 0.0:
            _axpy(x, skip, XS[i])
    return XS, ZB, VB, S1B, S2B, pos


@njit(cache=True)
def _forward(th, lay, X, acode, ap, skip):
    XS, ZB, VB, S1B, S2B, _ = _forward_ws(th, lay, X, acode, ap, skip,
                                          np.empty(_need(lay, X.shape[0])), 0)
    return XS, ZB, VB, S1B, S2B


@njit(cache=True)
def _columns(lay, B, N):
    """A block-major buffer as the ``N x sum K`` matrix (blocks side by side)."""
    out = np.empty((N, _sum_k(lay)))
    for i in range(lay[3]):
        K, oU, ob, oW, ko = _block(lay, i)
        out[:, ko:ko + K] = _bv(B, N, ko, K)
    return out


@njit(cache=True)
def forward(th, lay, X, acode, ap, skip):
    """States ``X_0..X_L`` (``(L+1) x N x M``), ``Z``, ``V``, ``s'``, ``s''`` (``N x sum K``)."""
    N = X.shape[0]
    XS, ZB, VB, S1B, S2B = _forward(th, lay, X, acode, ap, skip)
    return (XS.copy(), _columns(lay, ZB, N), _columns(lay, VB, N), _columns(lay, S1B, N),
            _columns(lay, S2B, N))


@njit(cache=True)
def output(th, lay, XL):
    M, N_o = lay[1], lay[2]
    return np.dot(XL, _mat(th, lay[5], N_o, M).T)




@njit(cache=True)
def risk_terms(yhat, Y, lcode, lp, want_h):
    """``R``, ``G = dR/dYhat`` and (if ``want_h``) per-sample ``d^2 R / dyhat_n^2``."""
    N, N_o = yhat.shape
    G = np.empty((N, N_o))
    Hl = np.zeros((N if want_h else 0, N_o, N_o))
    return risk(yhat, Y, lcode, lp, G, Hl, want_h), G, Hl


@njit(cache=True)
def _loss(th, lay, X, Y, acode, ap, lcode, lp, skip, W):
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    W = _fit(W, lay, N)
    if _small(lay, N):
        return _loss_grad_small(th, lay, X, Y, acode, ap, lcode, lp, skip, W, False)[0], W
    XS, ZB, VB, S1B, S2B, pos = _forward_ws(th, lay, X, acode, ap, skip, W, 0)
    yhat, pos = _take(W, pos, (N, N_o))
    G, pos = _take(W, pos, (N, N_o))
    np.dot(XS[L], _mat(th, lay[5], N_o, M).T, yhat)
    return risk(yhat, Y, lcode, lp, G, np.empty((0, N_o, N_o)), False), W


@njit(cache=True)
def _loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, W):
    """``(R, dR/dtheta)`` and the work buffer."""
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    W = _fit(W, lay, N)
    if _small(lay, N):
        R, g = _loss_grad_small(th, lay, X, Y, acode, ap, lcode, lp, skip, W, True)
        return R, g, W
    XS, ZB, VB, S1B, S2B, pos = _forward_ws(th, lay, X, acode, ap, skip, W, 0)
    yhat, pos = _take(W, pos, (N, N_o))
    G, pos = _take(W, pos, (N, N_o))
    lam, pos = _take(W, pos, (N, M))
    lam_prev, pos = _take(W, pos, (N, M))
    MUB, pos = _take(W, pos, (N * _sum_k(lay),))
    np.dot(XS[L], _mat(th, lay[5], N_o, M).T, yhat)
    R = risk(yhat, Y, lcode, lp, G, np.empty((0, N_o, N_o)), False)
    g = np.empty_like(th)
    _put_dot(g, lay[5], G, XS[L])
    np.dot(G, _mat(th, lay[5], N_o, M), lam)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        _put_dot(g, oW, lam, _bv(VB, N, ko, K))
        mu = _bv(MUB, N, ko, K)
        np.dot(lam, _mat(th, oW, M, K), mu)
        s1 = _bv(S1B, N, ko, K)
        for n in range(N):
            for k in range(K):
                mu[n, k] *= s1[n, k]
        _put_dot(g, oU, mu, XS[i])
        _colsum(g, ob, mu)
        np.dot(mu, _mat(th, oU, K, M), lam_prev)
        if skip != 0.0:
            _axpy(lam_prev, skip, lam)
        lam, lam_prev = lam_prev, lam
    _put_dot(g, lay[4], lam, X)
    return R, g, W


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
def _backward_ws(th, lay, X, Y, acode, ap, lcode, lp, skip, W):
    """:func:`backward_states` into the work buffer ``W`` (returned, grown if too small)."""
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    nz = N * _sum_k(lay)
    need = _need(lay, N) + (L + 1) * N * M + 2 * nz + N * N_o * (N_o + 2)
    if W.size < need:
        W = np.empty(need)
    XS, ZB, VB, S1B, S2B, pos = _forward_ws(th, lay, X, acode, ap, skip, W, 0)
    yhat, pos = _take(W, pos, (N, N_o))
    G, pos = _take(W, pos, (N, N_o))
    Hl, pos = _take(W, pos, (N, N_o, N_o))
    LAM, pos = _take(W, pos, (L + 1, N, M))
    MUB, pos = _take(W, pos, (nz,))
    NUB, pos = _take(W, pos, (nz,))
    np.dot(XS[L], _mat(th, lay[5], N_o, M).T, yhat)
    risk(yhat, Y, lcode, lp, G, Hl, True)
    np.dot(G, _mat(th, lay[5], N_o, M), LAM[L])
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        nu = _bv(NUB, N, ko, K)
        mu = _bv(MUB, N, ko, K)
        s1 = _bv(S1B, N, ko, K)
        np.dot(LAM[i + 1], _mat(th, oW, M, K), nu)
        for n in range(N):
            for k in range(K):
                mu[n, k] = nu[n, k] * s1[n, k]
        np.dot(mu, _mat(th, oU, K, M), LAM[i])
        if skip != 0.0:
            _axpy(LAM[i], skip, LAM[i + 1])
    return (XS, VB, S1B, S2B, G, Hl, LAM, MUB, NUB), W


@njit(cache=True)
def backward_states(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """Forward states plus adjoints: ``XS``, block-major ``V, s', s''``, ``G = dR/dYhat``,
    per-sample loss Hessians (all carrying the ``1/N``), ``Lam_i`` (``(L+1) x N x M``)
    and block-major ``Mu``, ``Nu``."""
    return _backward_ws(th, lay, X, Y, acode, ap, lcode, lp, skip, np.empty(0))[0]


@njit(cache=True)
def _dot2(A, B, C, D, out, T):
    """``out = A B + C D`` (``T``: scratch of at least ``out.size``)."""
    np.dot(A, B, out)
    t = T[:out.size].reshape(out.shape)
    np.dot(C, D, t)
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            out[a, b] += t[a, b]


@njit(cache=True)
def _hvp(th, lay, X, skip, v, XS, VB, S1B, S2B, G, Hl, LAM, MUB, NUB, W):
    """``H v`` from the states of :func:`backward_states` (R-operator, Pearlmutter 1994)."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    W = _fit(W, lay, N)
    Wout = _mat(th, lay[5], N_o, M)
    dWout = _mat(v, lay[5], N_o, M)
    nz = VB.size
    RXS, pos = _take(W, 0, (L + 1, N, M))
    RVB, pos = _take(W, pos, (nz,))
    RZB, pos = _take(W, pos, (nz,))
    T, pos = _take(W, pos, (N * max(M, nz // N + 1),))
    RY, pos = _take(W, pos, (N, N_o))
    RG, pos = _take(W, pos, (N, N_o))
    rlam, pos = _take(W, pos, (N, M))
    rlam_prev, pos = _take(W, pos, (N, M))
    RMUB, pos = _take(W, pos, (nz,))
    # tangent forward: R{X_i}, R{Z_i} and R{V_i} = s' R{Z_i}
    np.dot(X, _mat(v, lay[4], M, N_in).T, RXS[0])
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        rz = _bv(RZB, N, ko, K)
        rv = _bv(RVB, N, ko, K)
        s1 = _bv(S1B, N, ko, K)
        _dot2(RXS[i], _mat(th, oU, K, M).T, XS[i], _mat(v, oU, K, M).T, rz, T)
        for n in range(N):
            for k in range(K):
                rz[n, k] += v[ob + k]
                rv[n, k] = rz[n, k] * s1[n, k]
        _dot2(rv, _mat(th, oW, M, K).T, _bv(VB, N, ko, K), _mat(v, oW, M, K).T, RXS[i + 1], T)
        if skip != 0.0:
            _axpy(RXS[i + 1], skip, RXS[i])
    _dot2(RXS[L], Wout.T, XS[L], dWout.T, RY, T)
    _apply_loss_hessian(Hl, RY, RG)
    # reverse: R{Lam_i}, R{Mu_i} = s'' R{Z_i} Nu_i + s' R{Nu_i}
    out = np.empty_like(th)
    _dot2(RG.T, XS[L], G.T, RXS[L], out[lay[5]:lay[5] + N_o * M].reshape((N_o, M)), T)
    _dot2(RG, Wout, G, dWout, rlam, T)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        lam = LAM[i + 1]
        s1 = _bv(S1B, N, ko, K)
        s2 = _bv(S2B, N, ko, K)
        rz = _bv(RZB, N, ko, K)
        nu = _bv(NUB, N, ko, K)
        mu = _bv(MUB, N, ko, K)
        rmu = _bv(RMUB, N, ko, K)
        rW = out[oW:oW + M * K].reshape((M, K))
        _dot2(rlam.T, _bv(VB, N, ko, K), lam.T, _bv(RVB, N, ko, K), rW, T)
        _dot2(rlam, _mat(th, oW, M, K), lam, _mat(v, oW, M, K), rmu, T)
        for n in range(N):
            for k in range(K):
                rmu[n, k] = rmu[n, k] * s1[n, k] + nu[n, k] * s2[n, k] * rz[n, k]
        rU = out[oU:oU + K * M].reshape((K, M))
        _dot2(rmu.T, XS[i], mu.T, RXS[i], rU, T)
        _colsum(out, ob, rmu)
        _dot2(rmu, _mat(th, oU, K, M), mu, _mat(v, oU, K, M), rlam_prev, T)
        if skip != 0.0:
            _axpy(rlam_prev, skip, rlam)
        rlam, rlam_prev = rlam_prev, rlam
    _put_dot(out, lay[4], rlam, X)
    return out, W


@njit(cache=True)
def _same(a, b):
    if a.size != b.size:
        return False
    fa, fb = a.ravel(), b.ravel()
    for j in range(fa.size):
        if fa[j] != fb[j]:
            return False
    return True


def _states(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """:func:`backward_states`, remembered for the last ``(theta, data)`` seen.

    Krylov methods apply the Hessian at one ``theta`` many times; the forward and
    adjoint states do not depend on ``v``, so they are computed once.  The key is
    compared by value (a copy is kept), so a changed array is never served stale.
    """
    key = (int(acode), int(lcode), float(skip))
    arrays = (th, lay, X, Y, ap, lp)
    hit = getattr(_LOCAL, "states", None)
    if hit is not None and hit[0] == key and all(
            a.dtype == b.dtype and a.shape == b.shape and _same(a, b)
            for a, b in zip(arrays, hit[1], strict=True)):
        return hit[2]
    # the slot's buffer is reused: the states it held are being replaced
    _LOCAL.states = None
    st, _LOCAL.sbuf = _backward_ws(th, lay, X, Y, acode, ap, lcode, lp, skip, _work("sbuf"))
    _LOCAL.states = (key, tuple(a.copy() for a in arrays), st)
    return st


_BLAS: list = []


def _blas_libs() -> list:
    """threadpoolctl controllers of the BLAS that numba's ``np.dot`` calls (scipy's
    OpenBLAS; every BLAS found if it cannot be told apart), looked up once."""
    if not _BLAS:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS numba binds to)
        from threadpoolctl import ThreadpoolController

        libs = [lc for lc in ThreadpoolController().lib_controllers if lc.user_api == "blas"]
        mark = os.sep + "scipy.libs" + os.sep
        _BLAS.append([lc for lc in libs if mark in lc.filepath] or libs)
    return _BLAS[0]


def _one_thread(kernel, *args):
    """``kernel(*args)`` with its BLAS on one thread, the caller's setting restored.

    The products here are skinny (inner sizes 4..32); on two cores OpenBLAS's
    second thread costs more than it gives (3.5x slower for size L when the other
    core is busy, measured), and one thread makes every result thread-independent
    by construction.
    """
    libs = _blas_libs()
    old = [lc.get_num_threads() for lc in libs]
    for lc, n in zip(libs, old, strict=True):
        if n != 1:
            lc.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        for lc, n in zip(libs, old, strict=True):
            if n != 1:
                lc.set_num_threads(n)


_LOCAL = threading.local()


def _work(name: str) -> np.ndarray:
    """This thread's work buffer ``name`` (kernels grow it when too small)."""
    return getattr(_LOCAL, name, _EMPTY)


_EMPTY = np.empty(0)


def _no_blas(lay, N) -> bool:
    """:func:`_small` (the loss and gradient then call no BLAS), remembered per layout."""
    memo = getattr(_LOCAL, "small", None)
    if memo is None or memo[0] is not lay or memo[1] != N:
        memo = _LOCAL.small = (lay, N, bool(_small(lay, N)))
    return memo[2]


def loss(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """The risk ``R`` (see the module docstring)."""
    args = (th, lay, X, Y, acode, ap, lcode, lp, skip, _work("fwd"))
    if _no_blas(lay, X.shape[0]):
        R, _LOCAL.fwd = _loss(*args)
    else:
        R, _LOCAL.fwd = _one_thread(_loss, *args)
    return R


def loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """``(R, dR/dtheta)``."""
    args = (th, lay, X, Y, acode, ap, lcode, lp, skip, _work("fwd"))
    if _no_blas(lay, X.shape[0]):
        R, g, _LOCAL.fwd = _loss_grad(*args)
    else:
        R, g, _LOCAL.fwd = _one_thread(_loss_grad, *args)
    return R, g


def hvp(th, lay, X, Y, acode, ap, lcode, lp, skip, v):
    """``H(theta) v`` by the R-operator: a tangent forward and a reverse pass over the
    (remembered, see :func:`_states`) forward and adjoint states."""
    st = _one_thread(_states, th, lay, X, Y, acode, ap, lcode, lp, skip)
    out, _LOCAL.tan = _one_thread(_hvp, th, lay, X, skip, v, *st, _work("tan"))
    return out


def hessian(th, lay, X, Y, acode, ap, lcode, lp, skip, chunk):
    """The full Hessian (:func:`resproof.nn.hessian.assemble`), from the remembered states."""
    from .hessian import assemble

    st = _one_thread(_states, th, lay, X, Y, acode, ap, lcode, lp, skip)
    H, _LOCAL.hess = _one_thread(assemble, th, lay, X, skip, chunk, *st, _work("hess"))
    return H
