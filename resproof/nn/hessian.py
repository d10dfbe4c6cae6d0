"""The full Hessian of a ResNEst risk, assembled from its Kronecker structure.

Every weight ``W_a`` enters only through its node ``y_a = W_a u_a``, so for any
function ``phi`` of the parameters ``dphi/dW_a[r, c] = dphi/deps_a[r] u_a[c]``
(``eps_a`` an additive perturbation of the node).  Applied to
``phi = dR/dW_a = delta_a u_a^T`` this gives, for every pair of parameter groups,

    H[(a, r, c), (b, r', c')] = sum_n ( G_n[a r, b r'] u_a[c]
                                        + delta_a[r] du_a[c]/deps_b[r'] ) u_b[c'],

with ``G_n`` the curvature of the node perturbations.  :func:`assemble` works on
the forward and adjoint states of :mod:`resproof.nn.kernels` (which calls it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .buffers import _block, _bv, _mat, _sum_k, _take


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
def _node_of(lay, g):
    """Node index (``0 = e_0, 1 + 2i = z_i, 2 + 2i = w_i, 2L + 1 = e_out``) of group ``g``."""
    L = lay[3]
    if g == 0:
        return 0
    if g == 3 * L + 1:
        return 2 * L + 1
    i = (g - 1) // 3
    return 1 + 2 * i if (g - 1) % 3 < 2 else 2 + 2 * i


@njit(cache=True, error_model="numpy")
def _node_jacobians_t(th, lay, skip, s1T, W, pos):
    """Sample-innermost Jacobians of the chunk's states w.r.t. the node perturbations.

    ``SJ_j[m, d, n] = dx_j[m] / deps_d`` (``M x Dx_j x Nc``, ``Dx_j`` the start of
    the node after ``x_j``: later columns are zero and not stored); ``ZJ_i``,
    ``VJ_i = s'(z_i) ZJ_i`` (``K_i x Dz_i x Nc``) likewise, as flat buffers with
    offsets ``so`` and ``zo``.  ``s1T`` is ``s'`` (``sum K x Nc``).
    """
    M, L = lay[1], lay[3]
    Nc = s1T.shape[1]
    so = np.empty(L + 1, dtype=np.int64)
    zo = np.empty(L, dtype=np.int64)
    dx = M
    ns = M * M * Nc
    nz = 0
    so[0] = 0
    for i in range(L):
        K = _block(lay, i)[0]
        zo[i] = nz
        nz += K * (dx + K) * Nc
        dx += K + M
        so[i + 1] = ns
        ns += M * dx * Nc
    SJ, pos = _take(W, pos, (ns,))
    ZJ, pos = _take(W, pos, (nz,))
    VJ, pos = _take(W, pos, (nz,))
    T, pos = _take(W, pos, (M * dx * Nc,))
    SJ[:] = 0.0
    ZJ[:] = 0.0
    s0 = SJ[0:M * M * Nc].reshape((M, M, Nc))
    for m in range(M):
        s0[m, m, :] = 1.0
    dx = M
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        dz = dx + K
        sp = SJ[so[i]:so[i] + M * dx * Nc].reshape((M, dx * Nc))
        z = ZJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
        vj = VJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
        t = T[:K * dx * Nc].reshape((K, dx * Nc))
        np.dot(_mat(th, oU, K, M), sp, t)
        t = t.reshape((K, dx, Nc))
        for k in range(K):
            z[k, :dx, :] = t[k]
            z[k, dx + k, :] = 1.0
            s = s1T[ko + k]
            for d in range(dz):
                zr = z[k, d]
                vr = vj[k, d]
                for n in range(Nc):
                    vr[n] = s[n] * zr[n]
        x = SJ[so[i + 1]:so[i + 1] + M * (dz + M) * Nc].reshape((M, dz + M, Nc))
        t2 = T[:M * dz * Nc].reshape((M, dz * Nc))
        np.dot(_mat(th, oW, M, K), vj.reshape((K, dz * Nc)), t2)
        t2 = t2.reshape((M, dz, Nc))
        spr = sp.reshape((M, dx, Nc))
        for m in range(M):
            x[m, :dz, :] = t2[m]
            if skip != 0.0:
                for d in range(dx):
                    xr = x[m, d]
                    pr = spr[m, d]
                    for n in range(Nc):
                        xr[n] += skip * pr[n]
            x[m, dz + m, :] = 1.0
        dx = dz + M
    return SJ, so, ZJ, VJ, zo, pos


@njit(cache=True, error_model="numpy")
def assemble(th, lay, X, skip, chunk, XS, VB, S1B, S2B, G, Hl, LAM, MUB, NUB, W):
    """The full Hessian ``d^2 R / dtheta^2``, assembled from its Kronecker structure.

    Every weight ``W_a`` enters only through its node ``y_a = W_a u_a``, so
    ``dphi/dW_a[r, c] = dphi/deps_a[r] u_a[c]`` for any function ``phi``.
    Applied to ``phi = dR/dW_a = delta_a u_a^T``::

        H[(a, r, c), (b, r', c')] = sum_n ( G_n[a r, b r'] u_a[c]
                                            + delta_a[r] du_a[c]/deps_b[r'] ) u_b[c'],

    with ``delta = dR/deps`` and ``G_n = d^2 R_n / deps^2 = J_o^T l'' J_o +
    sum_i J_{z_i}^T diag(nu_i s''(z_i)) J_{z_i}`` the curvature of the node
    perturbations.  Per pair of nodes the needed block of ``G_n`` is summed over
    the curvature rows whose Jacobian reaches the later node (later columns are
    zero), vectorised over the samples; each block pair is then two matrix
    products over the samples: ``O(N P^2)`` work in all, against ``O(N P^2 R)``
    for stacking per-sample Jacobians of the ``R = N_o + sum K`` curvature rows.
    Samples are processed in chunks of ``chunk`` to bound memory; the lower block
    triangle is computed and mirrored, so ``H`` is exactly symmetric.  The states
    are those of :func:`~resproof.nn.kernels.backward_states`; temporaries come from the work buffer
    ``W`` (returned, grown if it was too small).
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    P = lay[6]
    N = X.shape[0]
    grp = _groups(lay)
    ng = grp.shape[0]
    sum_k = _sum_k(lay)
    D = M + sum_k + L * M + N_o
    nn = 2 * L + 2
    nstart = np.empty(nn + 1, dtype=np.int64)   # node d-ranges
    nstart[0] = 0
    for i in range(L):
        K = _block(lay, i)[0]
        nstart[1 + 2 * i] = M + i * M + _block(lay, i)[4]
        nstart[2 + 2 * i] = nstart[1 + 2 * i] + K
    nstart[nn - 1] = D - N_o
    nstart[nn] = D
    rmax = max(M, N_o)
    for i in range(L):
        rmax = max(rmax, _block(lay, i)[0])
    cmax = max(N_in, rmax)
    H = np.zeros((P, P))
    chunk = max(1, min(chunk, N))
    ns = M * M
    nz = 0
    for i in range(L):
        nz += _block(lay, i)[0] * (nstart[2 + 2 * i])
        ns += M * (nstart[3 + 2 * i] if i + 1 < L else D - N_o)
    need = chunk * (3 * nz + ns + M * (D - N_o) + 2 * N_o * D + 2 * rmax * cmax
                    + rmax * rmax + cmax * cmax + 3 * sum_k + N_in + (L + 1) * M + 1 + D)
    if W.size < need:
        W = np.empty(need)
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        Nc = n1 - n0
        # per-chunk, sample-innermost inputs, adjoints and curvature weights
        s1T, pos = _take(W, 0, (sum_k, Nc))
        cT, pos = _take(W, pos, (sum_k, Nc))
        VT, pos = _take(W, pos, (sum_k, Nc))
        for i in range(L):
            K, oU, ob, oW, ko = _block(lay, i)
            s1, s2 = _bv(S1B, N, ko, K), _bv(S2B, N, ko, K)
            nu, v = _bv(NUB, N, ko, K), _bv(VB, N, ko, K)
            for k in range(K):
                for n in range(Nc):
                    s1T[ko + k, n] = s1[n0 + n, k]
                    cT[ko + k, n] = nu[n0 + n, k] * s2[n0 + n, k]
                    VT[ko + k, n] = v[n0 + n, k]
        XT, pos = _take(W, pos, (N_in, Nc))
        XT[:] = X[n0:n1].T
        XST, pos = _take(W, pos, (L + 1, M, Nc))
        for j in range(L + 1):
            XST[j] = XS[j, n0:n1].T
        ones, pos = _take(W, pos, (1, Nc))
        ones[:] = 1.0
        delta, pos = _take(W, pos, (D, Nc))
        delta[0:M] = LAM[0, n0:n1].T
        for i in range(L):
            K, oU, ob, oW, ko = _block(lay, i)
            a = nstart[1 + 2 * i]
            delta[a:a + K] = _bv(MUB, N, ko, K)[n0:n1].T
            delta[a + K:a + K + M] = LAM[i + 1, n0:n1].T
        delta[D - N_o:D] = G[n0:n1].T
        SJ, so, ZJ, VJ, zo, pos = _node_jacobians_t(th, lay, skip, s1T, W, pos)
        # curvature rows: outputs (and l'' times them), z_i (and nu s'' times them)
        Dx = D - N_o
        OJ, pos = _take(W, pos, (N_o, D, Nc))
        OJ[:] = 0.0
        OJ[:, :Dx, :] = np.dot(_mat(th, lay[5], N_o, M),
                               SJ[so[L]:so[L] + M * Dx * Nc].reshape((M, Dx * Nc))
                               ).reshape((N_o, Dx, Nc))
        for o in range(N_o):
            OJ[o, Dx + o, :] = 1.0
        WOJ, pos = _take(W, pos, (N_o, D, Nc))
        WOJ[:] = 0.0
        for o in range(N_o):
            for q in range(N_o):
                for d in range(D):
                    w, r = WOJ[o, d], OJ[q, d]
                    for n in range(Nc):
                        w[n] += Hl[n0 + n, o, q] * r[n]
        WZJ, pos = _take(W, pos, (ZJ.size,))
        for i in range(L):
            K, oU, ob, oW, ko = _block(lay, i)
            dz = nstart[2 + 2 * i]
            z = ZJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
            wz = WZJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
            for k in range(K):
                c = cT[ko + k]
                for d in range(dz):
                    zr, wr = z[k, d], wz[k, d]
                    for n in range(Nc):
                        wr[n] = c[n] * zr[n]
        # first term: per node pair the G_n block, then one product per group pair
        KT, pos = _take(W, pos, (cmax * cmax, Nc))
        GTbuf, pos = _take(W, pos, (rmax * rmax * Nc,))
        JTbuf, pos = _take(W, pos, (rmax * cmax * Nc,))
        DTbuf, pos = _take(W, pos, (rmax * cmax * Nc,))
        for A in range(nn):
            sA, rA = nstart[A], nstart[A + 1] - nstart[A]
            for B in range(A + 1):
                sB, rB = nstart[B], nstart[B + 1] - nstart[B]
                GT = GTbuf[:rA * rB * Nc].reshape((rA * rB, Nc))
                GT[:] = 0.0
                for r in range(rA):
                    for r2 in range(rB):
                        acc = GT[r * rB + r2]
                        for o in range(N_o):
                            x1, x2 = OJ[o, sA + r], WOJ[o, sB + r2]
                            for n in range(Nc):
                                acc[n] += x1[n] * x2[n]
                        for i in range(L):
                            K = _block(lay, i)[0]
                            dz = nstart[2 + 2 * i]
                            if dz <= sA:
                                continue
                            z = ZJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
                            wz = WZJ[zo[i]:zo[i] + K * dz * Nc].reshape((K, dz, Nc))
                            for k in range(K):
                                x1, x2 = z[k, sA + r], wz[k, sB + r2]
                                for n in range(Nc):
                                    acc[n] += x1[n] * x2[n]
                for a in range(ng):
                    if _node_of(lay, a) != A:
                        continue
                    pa, na, ra, ca, ka, ia = grp[a]
                    ua = _input_t(ka, ia, XT, XST, VT, ones, lay)
                    for b in range(a + 1):
                        if _node_of(lay, b) != B:
                            continue
                        pb, nb, rb, cb, kb, ib = grp[b]
                        ub = _input_t(kb, ib, XT, XST, VT, ones, lay)
                        kt = KT[:ca * cb]
                        _outer_rows(kt, ua, ub)
                        T1 = np.dot(GT, kt.T)
                        for r in range(ra):
                            for c in range(ca):
                                hr = H[pa + r * ca + c]
                                for r2 in range(rb):
                                    t1 = T1[r * rb + r2]
                                    for c2 in range(cb):
                                        hr[pb + r2 * cb + c2] += t1[c * cb + c2]
        # second term: inputs that are states or activations, against earlier nodes
        for a in range(ng):
            pa, na, ra, ca, ka, ia = grp[a]
            if ka != 1 and ka != 3:
                continue
            # d u_a / d eps over the nodes before a's (states: SJ; activations: VJ)
            if ka == 1:
                J = SJ[so[ia]:so[ia] + ca * na * Nc].reshape((ca, na, Nc))
            else:
                J = VJ[zo[ia]:zo[ia] + ca * na * Nc].reshape((ca, na, Nc))
            for b in range(a):
                pb, nb, rb, cb, kb, ib = grp[b]
                if nb >= na:
                    continue
                ub = _input_t(kb, ib, XT, XST, VT, ones, lay)
                JT = JTbuf[:ca * rb * Nc].reshape((ca * rb, Nc))
                for c in range(ca):
                    JT[c * rb:(c + 1) * rb] = J[c, nb:nb + rb]
                DT = DTbuf[:ra * cb * Nc].reshape((ra * cb, Nc))
                _outer_rows(DT, delta[na:na + ra], ub)
                T2 = np.dot(JT, DT.T)
                for r in range(ra):
                    for c in range(ca):
                        hr = H[pa + r * ca + c]
                        for r2 in range(rb):
                            t2 = T2[c * rb + r2]
                            for c2 in range(cb):
                                hr[pb + r2 * cb + c2] += t2[r * cb + c2]
    # mirror the lower block triangle
    for a in range(ng):
        pa, na, ra, ca, ka, ia = grp[a]
        for b in range(a):
            pb, nb, rb, cb, kb, ib = grp[b]
            for i in range(pa, pa + ra * ca):
                for j in range(pb, pb + rb * cb):
                    H[j, i] = H[i, j]
    return H, W


@njit(cache=True)
def _outer_rows(out, A, B):
    """``out[i * len(B) + j] = A[i] * B[j]`` elementwise over samples (rows of length Nc)."""
    nb = B.shape[0]
    for i in range(A.shape[0]):
        a = A[i]
        for j in range(nb):
            row, b = out[i * nb + j], B[j]
            for n in range(row.shape[0]):
                row[n] = a[n] * b[n]


@njit(cache=True)
def _input_t(kind, idx, XT, XST, VT, ones, lay):
    """The input ``u`` of a group, sample-innermost (``c x Nc``)."""
    if kind == 0:
        return XT
    if kind == 1:
        return XST[idx]
    if kind == 2:
        return ones
    K, oU, ob, oW, ko = _block(lay, idx)
    return VT[ko:ko + K]
