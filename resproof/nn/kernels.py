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

The Hessian is assembled from its Kronecker structure (:func:`hessian_blocks`).
Every kernel takes arrays and integers only; samples are visited in a fixed
order and matrix products go to BLAS, whose results do not depend on the
number of threads for these shapes (tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .activations import act_eval
from .layout import HEAD, PER_BLOCK
from .losses import loss_eval


@njit(cache=True)
def _block(lay, i):
    """``(K_i, off U_i, off b_i, off W_i, column offset)`` of block ``i`` (0-based)."""
    j = HEAD + PER_BLOCK * i
    return lay[j], lay[j + 1], lay[j + 2], lay[j + 3], lay[j + 4]


@njit(cache=True)
def _mat(th, off, r, c):
    return th[off:off + r * c].reshape((r, c))


@njit(cache=True)
def _activate(acode, ap, Z):
    n, k = Z.shape
    V = np.empty_like(Z)
    S1 = np.empty_like(Z)
    S2 = np.empty_like(Z)
    for a in range(n):
        for b in range(k):
            V[a, b], S1[a, b], S2[a, b] = act_eval(acode, ap, Z[a, b])
    return V, S1, S2


@njit(cache=True)
def forward(th, lay, X, acode, ap, skip):
    """States ``X_0..X_L`` (``(L+1) x N x M``), ``Z``, ``V``, ``s'``, ``s''`` (``N x sum K``)."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    sum_k = 0
    for i in range(L):
        sum_k += _block(lay, i)[0]
    XS = np.empty((L + 1, N, M))
    Z = np.empty((N, sum_k))
    V = np.empty((N, sum_k))
    S1 = np.empty((N, sum_k))
    S2 = np.empty((N, sum_k))
    XS[0] = np.dot(X, _mat(th, lay[4], M, N_in).T)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        z = np.dot(XS[i], _mat(th, oU, K, M).T)
        for n in range(N):
            for k in range(K):
                t = z[n, k] + th[ob + k]
                Z[n, ko + k] = t
                V[n, ko + k], S1[n, ko + k], S2[n, ko + k] = act_eval(acode, ap, t)
        XS[i + 1] = np.dot(np.ascontiguousarray(V[:, ko:ko + K]), _mat(th, oW, M, K).T)
        if skip != 0.0:
            XS[i + 1] += skip * XS[i]
    return XS, Z, V, S1, S2


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
    h = np.empty((N_o, N_o))
    total = 0.0
    inv = 1.0 / N
    for n in range(N):
        total += loss_eval(lcode, lp, yhat[n], Y[n], G[n], h, want_h)
        if want_h:
            for a in range(N_o):
                for b in range(N_o):
                    Hl[n, a, b] = h[a, b] * inv
        for a in range(N_o):
            G[n, a] *= inv
    return total * inv, G, Hl


@njit(cache=True)
def loss(th, lay, X, Y, acode, ap, lcode, lp, skip):
    XS, Z, V, S1, S2 = forward(th, lay, X, acode, ap, skip)
    L = lay[3]
    return risk_terms(output(th, lay, XS[L]), Y, lcode, lp, False)[0]


@njit(cache=True)
def loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """``(R, dR/dtheta)``."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    XS, Z, V, S1, S2 = forward(th, lay, X, acode, ap, skip)
    R, G, _ = risk_terms(output(th, lay, XS[L]), Y, lcode, lp, False)
    g = np.zeros_like(th)
    _put(g, lay[5], np.dot(G.T, XS[L]))
    lam = np.dot(G, _mat(th, lay[5], N_o, M))
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        Vi = np.ascontiguousarray(V[:, ko:ko + K])
        _put(g, oW, np.dot(lam.T, Vi))
        mu = np.dot(lam, _mat(th, oW, M, K)) * S1[:, ko:ko + K]
        _put(g, oU, np.dot(mu.T, XS[i]))
        _put(g, ob, mu.sum(axis=0))
        lam_prev = np.dot(mu, _mat(th, oU, K, M))
        if skip != 0.0:
            lam_prev += skip * lam
        lam = lam_prev
    _put(g, lay[4], np.dot(lam.T, X))
    return R, g


@njit(cache=True)
def _put(g, off, A):
    flat = A.ravel()
    for j in range(flat.size):
        g[off + j] = flat[j]


@njit(cache=True)
def _apply_loss_hessian(Hl, RY):
    N, N_o = RY.shape
    out = np.zeros_like(RY)
    for n in range(N):
        for a in range(N_o):
            acc = 0.0
            for b in range(N_o):
                acc += Hl[n, a, b] * RY[n, b]
            out[n, a] = acc
    return out


@njit(cache=True)
def hvp(th, lay, X, Y, acode, ap, lcode, lp, skip, v):
    """``H(theta) v`` by the R-operator: one tangent forward and one reverse pass."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    XS, Z, V, S1, S2 = forward(th, lay, X, acode, ap, skip)
    Wout = _mat(th, lay[5], N_o, M)
    dWout = _mat(v, lay[5], N_o, M)
    R, G, Hl = risk_terms(output(th, lay, XS[L]), Y, lcode, lp, True)
    # tangent forward
    RXS = np.empty_like(XS)
    RZ = np.empty_like(Z)
    RXS[0] = np.dot(X, _mat(v, lay[4], M, N_in).T)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        rz = np.dot(RXS[i], _mat(th, oU, K, M).T) + np.dot(XS[i], _mat(v, oU, K, M).T)
        for k in range(K):
            rz[:, k] += v[ob + k]
        RZ[:, ko:ko + K] = rz
        rv = rz * S1[:, ko:ko + K]
        RXS[i + 1] = (np.dot(rv, _mat(th, oW, M, K).T)
                      + np.dot(np.ascontiguousarray(V[:, ko:ko + K]), _mat(v, oW, M, K).T))
        if skip != 0.0:
            RXS[i + 1] += skip * RXS[i]
    RY = np.dot(RXS[L], Wout.T) + np.dot(XS[L], dWout.T)
    RG = _apply_loss_hessian(Hl, RY)
    # reverse
    out = np.zeros_like(th)
    _put(out, lay[5], np.dot(RG.T, XS[L]) + np.dot(G.T, RXS[L]))
    lam = np.dot(G, Wout)
    rlam = np.dot(RG, Wout) + np.dot(G, dWout)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        Wi = _mat(th, oW, M, K)
        Ui = _mat(th, oU, K, M)
        Vi = np.ascontiguousarray(V[:, ko:ko + K])
        s1 = S1[:, ko:ko + K]
        rv = RZ[:, ko:ko + K] * s1
        _put(out, oW, np.dot(rlam.T, Vi) + np.dot(lam.T, rv))
        nu = np.dot(lam, Wi)
        rnu = np.dot(rlam, Wi) + np.dot(lam, _mat(v, oW, M, K))
        mu = nu * s1
        rmu = rnu * s1 + nu * S2[:, ko:ko + K] * RZ[:, ko:ko + K]
        _put(out, oU, np.dot(rmu.T, XS[i]) + np.dot(mu.T, RXS[i]))
        _put(out, ob, rmu.sum(axis=0))
        lam_prev = np.dot(mu, Ui)
        rlam_prev = np.dot(rmu, Ui) + np.dot(mu, _mat(v, oU, K, M))
        if skip != 0.0:
            lam_prev += skip * lam
            rlam_prev += skip * rlam
        lam, rlam = lam_prev, rlam_prev
    _put(out, lay[4], np.dot(rlam.T, X))
    return out


@njit(cache=True)
def backward_states(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """Forward states plus adjoints: ``Lam_i`` (``(L+1) x N x M``), ``Mu`` (``N x sum K``),
    ``G = dR/dYhat`` and the per-sample loss Hessians (all carrying the ``1/N``)."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    XS, Z, V, S1, S2 = forward(th, lay, X, acode, ap, skip)
    R, G, Hl = risk_terms(output(th, lay, XS[L]), Y, lcode, lp, True)
    LAM = np.empty_like(XS)
    MU = np.empty_like(Z)
    NU = np.empty_like(Z)
    LAM[L] = np.dot(G, _mat(th, lay[5], N_o, M))
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        nu = np.dot(LAM[i + 1], _mat(th, oW, M, K))
        NU[:, ko:ko + K] = nu
        MU[:, ko:ko + K] = nu * S1[:, ko:ko + K]
        LAM[i] = np.dot(np.ascontiguousarray(MU[:, ko:ko + K]), _mat(th, oU, K, M))
        if skip != 0.0:
            LAM[i] += skip * LAM[i + 1]
    return XS, V, S1, S2, G, Hl, LAM, MU, NU


@njit(cache=True)
def _groups(lay):
    """Parameter groups of the Kronecker assembly, one row each:
    ``(param offset, node offset, r, c, input kind, input index)``.

    A group is a weight ``W_a`` (``r x c``) entering only through the node
    ``y_a = W_a u_a``; input kinds: 0 the data ``x``, 1 the state ``x_j``,
    2 the constant 1 (a bias), 3 the activation ``v_i``.  Node offsets index
    the node perturbations ``eps = (e_0, z_1, w_1, ..., z_L, w_L, e_out)``.
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    out = np.zeros((3 * L + 2, 6), dtype=np.int64)
    out[0] = (lay[4], 0, M, N_in, 0, 0)
    node = M
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        out[1 + 3 * i] = (oU, node, K, M, 1, i)
        out[2 + 3 * i] = (ob, node, K, 1, 2, 0)
        out[3 + 3 * i] = (oW, node + K, M, K, 3, i)
        node += K + M
    out[3 * L + 1] = (lay[5], node, N_o, M, 1, L)
    return out


@njit(cache=True)
def _node_jacobians(th, lay, S1c, skip, D):
    """``SJ[j] = dx_j/deps`` (``M x Nc x D``) and ``VJ = dv/deps`` (``sum K x Nc x D``),
    ``ZJ = dz/deps`` likewise, for a chunk of ``Nc`` samples."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    Nc, sum_k = S1c.shape
    SJ = np.zeros((L + 1, M, Nc, D))
    ZJ = np.zeros((sum_k, Nc, D))
    VJ = np.zeros((sum_k, Nc, D))
    for m in range(M):
        for n in range(Nc):
            SJ[0, m, n, m] = 1.0
    node = M
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        z = np.dot(_mat(th, oU, K, M), SJ[i].reshape((M, Nc * D))).reshape((K, Nc, D))
        for k in range(K):
            for n in range(Nc):
                z[k, n, node + k] += 1.0
        ZJ[ko:ko + K] = z
        for k in range(K):
            for n in range(Nc):
                s = S1c[n, ko + k]
                for d in range(D):
                    VJ[ko + k, n, d] = s * z[k, n, d]
        x = np.dot(_mat(th, oW, M, K),
                   np.ascontiguousarray(VJ[ko:ko + K]).reshape((K, Nc * D))).reshape((M, Nc, D))
        if skip != 0.0:
            x += skip * SJ[i]
        for m in range(M):
            for n in range(Nc):
                x[m, n, node + K + m] += 1.0
        SJ[i + 1] = x
        node += K + M
    return SJ, ZJ, VJ


@njit(cache=True)
def hessian(th, lay, X, Y, acode, ap, lcode, lp, skip, chunk):
    """The full Hessian ``d^2 R / dtheta^2``, assembled from its Kronecker structure.

    Every weight ``W_a`` enters only through its node ``y_a = W_a u_a``, so
    ``dphi/dW_a[r, c] = dphi/deps_a[r] u_a[c]`` for any function ``phi``.
    Applied to ``phi = dR/dW_a = delta_a u_a^T``::

        H[(a, r, c), (b, r', c')] = sum_n ( G_n[a r, b r'] u_a[c]
                                            + delta_a[r] du_a[c]/deps_b[r'] ) u_b[c'],

    with ``delta = dR/deps`` and ``G_n = d^2 R_n / deps^2 = J_o^T l'' J_o +
    sum_i J_{z_i}^T diag(nu_i s''(z_i)) J_{z_i}`` the curvature of the node
    perturbations (``D x D`` per sample).  Each block pair is two matrix
    products over the samples: ``O(N P^2)`` work in all, against ``O(N P^2 R)``
    for stacking per-sample Jacobians of the ``R = N_o + sum K`` curvature rows.
    Samples are processed in chunks of ``chunk`` to bound memory.
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    P = lay[6]
    N = X.shape[0]
    XS, V, S1, S2, G, Hl, LAM, MU, NU = backward_states(th, lay, X, Y, acode, ap, lcode, lp,
                                                       skip)
    grp = _groups(lay)
    ng = grp.shape[0]
    sum_k = S1.shape[1]
    D = M + sum_k + L * M + N_o
    Wout = _mat(th, lay[5], N_o, M)
    H = np.zeros((P, P))
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        Nc = n1 - n0
        S1c = np.ascontiguousarray(S1[n0:n1])
        SJ, ZJ, VJ = _node_jacobians(th, lay, S1c, skip, D)
        # curvature rows R_n (N_o + sum K) x D and their weighted copies
        Rr = N_o + sum_k
        Gc = np.empty((Nc, D, D))
        delta = np.zeros((Nc, D))
        OJ = np.dot(Wout, SJ[L].reshape((M, Nc * D))).reshape((N_o, Nc, D))
        for o in range(N_o):
            for n in range(Nc):
                OJ[o, n, D - N_o + o] += 1.0
        rows = np.empty((Rr, D))
        wrows = np.empty((Rr, D))
        for n in range(Nc):
            for o in range(N_o):
                rows[o] = OJ[o, n]
            for o in range(N_o):
                for d in range(D):
                    acc = 0.0
                    for q in range(N_o):
                        acc += Hl[n0 + n, o, q] * OJ[q, n, d]
                    wrows[o, d] = acc
            for k in range(sum_k):
                c = NU[n0 + n, k] * S2[n0 + n, k]
                for d in range(D):
                    rows[N_o + k, d] = ZJ[k, n, d]
                    wrows[N_o + k, d] = c * ZJ[k, n, d]
            Gc[n] = np.dot(rows.T, wrows)
            # node adjoints
            for m in range(M):
                delta[n, m] = LAM[0, n0 + n, m]
            node = M
            for i in range(L):
                K, oU, ob, oW, ko = _block(lay, i)
                for k in range(K):
                    delta[n, node + k] = MU[n0 + n, ko + k]
                for m in range(M):
                    delta[n, node + K + m] = LAM[i + 1, n0 + n, m]
                node += K + M
            for o in range(N_o):
                delta[n, D - N_o + o] = G[n0 + n, o]
        for a in range(ng):
            pa, na, ra, ca, ka, ia = grp[a]
            ua = _input(ka, ia, X, XS, V, lay, n0, n1)
            for b in range(a + 1):
                pb, nb, rb, cb, kb, ib = grp[b]
                ub = _input(kb, ib, X, XS, V, lay, n0, n1)
                Kab = np.empty((Nc, ca * cb))
                Gab = np.empty((Nc, ra * rb))
                for n in range(Nc):
                    for c in range(ca):
                        for c2 in range(cb):
                            Kab[n, c * cb + c2] = ua[n, c] * ub[n, c2]
                    for r in range(ra):
                        for r2 in range(rb):
                            Gab[n, r * rb + r2] = Gc[n, na + r, nb + r2]
                T1 = np.dot(Gab.T, Kab)
                for r in range(ra):
                    for c in range(ca):
                        row = pa + r * ca + c
                        for r2 in range(rb):
                            for c2 in range(cb):
                                H[row, pb + r2 * cb + c2] += T1[r * rb + r2, c * cb + c2]
                if (ka == 1 or ka == 3) and nb < na:
                    Dab = np.empty((Nc, ra * cb))
                    Jab = np.empty((Nc, ca * rb))
                    for n in range(Nc):
                        for r in range(ra):
                            for c2 in range(cb):
                                Dab[n, r * cb + c2] = delta[n, na + r] * ub[n, c2]
                        for c in range(ca):
                            for r2 in range(rb):
                                if ka == 1:
                                    Jab[n, c * rb + r2] = SJ[ia, c, n, nb + r2]
                                else:
                                    Jab[n, c * rb + r2] = VJ[_block(lay, ia)[4] + c, n, nb + r2]
                    T2 = np.dot(Jab.T, Dab)
                    for r in range(ra):
                        for c in range(ca):
                            row = pa + r * ca + c
                            for r2 in range(rb):
                                for c2 in range(cb):
                                    H[row, pb + r2 * cb + c2] += T2[c * rb + r2, r * cb + c2]
    # mirror the lower block triangle
    for a in range(ng):
        pa, na, ra, ca, ka, ia = grp[a]
        for b in range(a):
            pb, nb, rb, cb, kb, ib = grp[b]
            for i in range(pa, pa + ra * ca):
                for j in range(pb, pb + rb * cb):
                    H[j, i] = H[i, j]
    return H


@njit(cache=True)
def _input(kind, idx, X, XS, V, lay, n0, n1):
    """The input ``u`` of a group on samples ``n0:n1`` (``Nc x c``)."""
    if kind == 0:
        return np.ascontiguousarray(X[n0:n1])
    if kind == 1:
        return np.ascontiguousarray(XS[idx, n0:n1])
    if kind == 2:
        return np.ones((n1 - n0, 1))
    K, oU, ob, oW, ko = _block(lay, idx)
    return np.ascontiguousarray(V[n0:n1, ko:ko + K])
