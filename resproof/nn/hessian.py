"""The full Hessian of a ResNEst risk, assembled from its Kronecker structure.

Every weight enters only through a node ``y_A = W_A u_A`` (the bias ``b_i`` is
the last column of ``[U_i b_i]`` against the input ``[x_{i-1}; 1]``), so for any
function ``phi`` of the parameters ``dphi/dW_A[r, c] = dphi/deps_A[r] u_A[c]``
(``eps_A`` an additive perturbation of the node).  Applied to
``phi = dR/dW_A = delta_A u_A^T`` this gives, for every pair of nodes ``A >= B``
(in the order ``e_0, z_1, w_1, ..., z_L, w_L, e_out``),

    H[(A, r, c), (B, r', c')] = sum_n ( G_n[A r, B r'] u_A[c]
                                        + delta_A[r] du_A[c]/deps_B[r'] ) u_B[c'],

with ``G_n = F_n^T C_n F_n`` the curvature of the node perturbations (``F_n``
the Jacobian of the curvature rows, outputs and ``z_i``).  The rows of ``delta``
and ``G_n`` of ``w_i`` are a constant map of those of the later ``z_j`` and the
output (:func:`_bases`), so both terms are formed in these fewer rows and mapped
afterwards.  :func:`assemble` works on the forward and adjoint states of
:mod:`resproof.nn.kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .blas import gemm, new_scratch
from .buffers import _block, _bv, _mat, _sum_k, _take

# columns of the node table (:func:`_nodes`)
_D0, _R, _C, _CJ, _Q0, _U0, _J0, _JS, _RHO, _KO = range(10)

#: Parallel bins of node-pair tasks per chunk, a constant: reading the thread
#: count in a compiled kernel would prevent caching.  Which bin a pair lands in
#: changes nothing in how it is computed.
BINS = 4

#: Largest store (entries) of ``G_n`` over all pairs of basis rows, formed once
#: per chunk for all node pairs; beyond it (an L2 cache, about) the node pairs
#: form their blocks themselves, again where bases overlap but from cache.
GE_MAX = 1 << 17


@njit(cache=True)
def _nodes(lay):
    """Node table, one row per node ``e_0, z_1, w_1, ..., z_L, w_L, e_out``.

    Columns: ``d0`` (offset in the node space ``D``), ``r`` (width), ``c`` (input
    width), ``cj`` (input columns that depend on earlier nodes), ``q0`` (offset in
    the node-ordered parameters), ``u0`` (first input row), ``j0``, ``js`` (first
    row and row length of ``du/deps`` in the Jacobian store), ``rho`` (curvature
    rows that reach the node: a prefix, outputs first, then ``z_L, ..., z_1``),
    ``ko`` (column offset of the block's ``s'``).
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    nd = np.zeros((2 * L + 2, 10), dtype=np.int64)
    rho = N_o + _sum_k(lay)
    nd[0, _R], nd[0, _C], nd[0, _RHO] = M, N_in, rho
    d, q, u, j = M, M * N_in, N_in, 0
    for i in range(L):
        K, ko = _block(lay, i)[0], _block(lay, i)[4]
        z, w = 1 + 2 * i, 2 + 2 * i
        # z_i: input [x_{i-1}; 1]; dx_{i-1}/deps is stored up to its producer (e_0 or w_{i-1})
        dp = nd[z - 1, _D0]
        nd[z] = (d, K, M + 1, M, q, u, j - M * dp, dp, rho, ko)
        d, q, u = d + K, q + K * (M + 1), u + M + 1
        rho -= K
        # w_i: input v_i; stored: dv_i/deps, then dx_i/deps (both over the nodes up to z_i)
        nd[w] = (d, M, K, K, q, u, j, d, rho, ko)
        j += (K + M) * d
        d, q, u = d + M, q + M * K, u + K
    e = 2 * L + 1
    dp = nd[e - 1, _D0]
    nd[e] = (d, N_o, M, M, q, u, j - M * dp, dp, N_o, 0)
    return nd


@njit(cache=True)
def _bases(th, lay, nd, skip):
    """Row bases of the nodes in the first and the second term: ``(nb, bas, RM, ro,
    rhoD)``.

    ``eps_{w_i}`` perturbs ``x_i``, which reaches the risk only through ``z_{i+1}``
    and ``x_{i+1}``, so ``delta_{w_i} = U_{i+1}^T delta_{z_{i+1}} + sigma
    delta_{w_{i+1}}`` (``delta_{w_L} = W_out^T delta_out``), and so are the rows of
    ``G_n``: ``[delta, G_n]_{w_i} = R_{w_i} [delta, G_n]_{z_{i+1}, ..., z_L, out}``,

        R_{w_i} = [U_{i+1}^T, sigma U_{i+2}^T, ..., sigma^{L-i} W_out^T],

    a constant map.  Node ``w_i`` takes these ``rho(w_i)`` rows as its basis when
    they are fewer than its ``M`` own.  ``bas[A, :nb[A]]``: basis rows in the node
    space; ``RM[ro[A]:ro[A + 1]]``: ``R_A`` (``r x nb``, row-major; empty for a node
    that is its own basis); ``rhoD``: curvature rows that reach each node row.
    """
    M, N_o, L = lay[1], lay[2], lay[3]
    nn = nd.shape[0]
    e = nd[nn - 1]
    D = e[_D0] + N_o
    rhoD = np.empty(D, dtype=np.int64)
    nb = nd[:, _R].copy()
    for A in range(nn):
        rhoD[nd[A, _D0]:nd[A, _D0] + nd[A, _R]] = nd[A, _RHO]
        if A % 2 == 0 and 0 < A < nn - 1 and nd[A, _RHO] < M:
            nb[A] = nd[A, _RHO]
    bas = np.zeros((nn, nb.max()), dtype=np.int64)
    ro = np.zeros(nn + 1, dtype=np.int64)
    for A in range(nn):
        ro[A + 1] = ro[A] + (nd[A, _R] * nb[A] if nb[A] < nd[A, _R] else 0)
        for x in range(nb[A]):
            bas[A, x] = nd[A, _D0] + x
    RM = np.zeros(ro[nn])
    for i in range(L):
        A = 2 + 2 * i
        if ro[A + 1] == ro[A]:
            continue
        R = RM[ro[A]:ro[A + 1]].reshape((M, nb[A]))
        x, s = 0, 1.0
        for j in range(i + 1, L):
            K, oU = _block(lay, j)[0], _block(lay, j)[1]
            U = _mat(th, oU, K, M)
            for k in range(K):
                bas[A, x] = nd[1 + 2 * j, _D0] + k
                for r in range(M):
                    R[r, x] = s * U[k, r]
                x += 1
            s *= skip
        Wout = _mat(th, lay[5], N_o, M)
        for o in range(N_o):
            bas[A, x] = e[_D0] + o
            for r in range(M):
                R[r, x] = s * Wout[o, r]
            x += 1
    # x_0 = W0 x: u_{z_1} = [x_0; 1] = C [x; 1], C = diag(W0, 1), from the rows of
    # [x; 1] kept after the inputs (first row ``nU``) when they are fewer
    cu, uu = nd[:, _C].copy(), nd[:, _U0].copy()
    co = np.zeros(nn + 1, dtype=np.int64)
    N_in = lay[0]
    if L > 0 and N_in < M:
        cu[1], uu[1] = N_in + 1, e[_U0] + M
    for A in range(nn):
        co[A + 1] = co[A] + (nd[A, _C] * cu[A] if cu[A] < nd[A, _C] else 0)
    CM = np.zeros(co[nn])
    if co[2] > co[1]:
        C = CM[co[1]:co[2]].reshape((M + 1, N_in + 1))
        C[:M, :N_in] = _mat(th, lay[4], M, N_in)
        C[M, N_in] = 1.0
    # the node rows in some basis: the rows of the nodes that are their own basis
    eix = np.full(D, -1, dtype=np.int64)
    nE = 0
    for A in range(nn):
        if ro[A + 1] == ro[A]:
            for r in range(nd[A, _R]):
                eix[nd[A, _D0] + r] = nE
                nE += 1
    eD = np.empty(nE, dtype=np.int64)
    for d in range(D):
        if eix[d] >= 0:
            eD[eix[d]] = d
    return nb, bas, RM, ro, rhoD, cu, uu, CM, co, eix, eD


@njit(cache=True)
def _param_index(lay, nd):
    """``theta`` index of each node-ordered parameter ``(A, r, c)`` (row-major in ``r, c``)."""
    N_in, M, L = lay[0], lay[1], lay[3]
    out = np.empty(lay[6], dtype=np.int64)
    for j in range(M * N_in):
        out[j] = lay[4] + j
    for i in range(L):
        K, oU, ob, oW = _block(lay, i)[:4]
        q = nd[1 + 2 * i, _Q0]
        for r in range(K):
            for c in range(M):
                out[q + r * (M + 1) + c] = oU + r * M + c
            out[q + r * (M + 1) + M] = ob + r
        q = nd[2 + 2 * i, _Q0]
        for j in range(M * K):
            out[q + j] = oW + j
    q = nd[2 * L + 1, _Q0]
    for j in range(lay[2] * M):
        out[q + j] = lay[5] + j
    return out


@njit(cache=True)
def _curvature_rows(lay, nd):
    """First row of each curvature row's Jacobian in the store ``F`` (``D`` rows for
    an output, ``d0(z_i) + K_i`` for a row of ``z_i``), and the total."""
    N_o, L = lay[2], lay[3]
    D = nd[2 * L + 1, _D0] + N_o
    R = N_o + _sum_k(lay)
    fo = np.empty(R + 1, dtype=np.int64)
    f = 0
    for o in range(N_o):
        fo[o] = f
        f += D
    rho = N_o
    for i in range(L - 1, -1, -1):
        K = _block(lay, i)[0]
        for _ in range(K):
            fo[rho] = f
            f += nd[1 + 2 * i, _D0] + K
            rho += 1
    fo[R] = f
    return fo


@njit(cache=True)
def _fill_inputs(lay, nd, X, XS, VB, S1B, S2B, G, LAM, MUB, NUB, n0, a, b, UT, dl, s1T, cT):
    """Columns ``a:b`` of the chunk at ``n0``, sample-innermost: inputs ``u_A`` (rows
    ``u0..``), adjoints ``delta = dR/deps``, ``s'`` and the curvature weights ``nu s''``."""
    M, N_o, L = lay[1], lay[2], lay[3]
    N = X.shape[0]
    _transpose(UT[0:lay[0]], X, n0, a, b)
    _transpose(dl[0:M], LAM[0], n0, a, b)
    for i in range(L):
        K, ko = _block(lay, i)[0], _block(lay, i)[4]
        z, w = nd[1 + 2 * i], nd[2 + 2 * i]
        _transpose(UT[z[_U0]:z[_U0] + M], XS[i], n0, a, b)
        UT[z[_U0] + M, a:b] = 1.0
        _transpose(UT[w[_U0]:w[_U0] + K], _bv(VB, N, ko, K), n0, a, b)
        _transpose(dl[z[_D0]:z[_D0] + K], _bv(MUB, N, ko, K), n0, a, b)
        _transpose(dl[w[_D0]:w[_D0] + M], LAM[i + 1], n0, a, b)
        s1, s2, nu = _bv(S1B, N, ko, K), _bv(S2B, N, ko, K), _bv(NUB, N, ko, K)
        for n in range(a, b):
            for k in range(K):
                s1T[ko + k, n] = s1[n0 + n, k]
                cT[ko + k, n] = nu[n0 + n, k] * s2[n0 + n, k]
    e = nd[2 * L + 1]
    _transpose(UT[e[_U0]:e[_U0] + M], XS[L], n0, a, b)
    _transpose(dl[e[_D0]:e[_D0] + N_o], G, n0, a, b)


@njit(cache=True)
def _transpose(out, A, n0, a, b):
    """``out[:, a:b] = A[n0 + a : n0 + b].T``."""
    for n in range(a, b):
        row = A[n0 + n]
        for m in range(out.shape[0]):
            out[m, n] = row[m]


@njit(cache=True)
def _jacobians(th, lay, nd, fo, skip, Hl, n0, a, b, s1T, cT, F, CF, J, T, scr):
    """Sample-innermost Jacobians w.r.t. the node perturbations of the samples
    ``n0 + a .. n0 + b`` (``F, CF, J, T`` have ``b - a`` columns).

    ``J`` stores ``dx_i/deps`` over the nodes before the producer of ``x_i``
    (``e_0`` or ``w_i``, against which it is the identity, not stored) and
    ``dv_i/deps = s'_i dz_i/deps`` over the nodes up to ``z_i``; ``F`` the
    curvature rows ``dyhat/deps`` (all ``D`` nodes) and ``dz_i/deps``, ``CF``
    the same rows times their weights ``l''`` and ``nu_i s''_i``::

        dz_i/deps = [U_i dx_{i-1}/deps, U_i, I],
        dx_i/deps = [sigma dx_{i-1}/deps, sigma I, 0] + W_i dv_i/deps.
    """
    M, N_o, L = lay[1], lay[2], lay[3]
    Nc = b - a
    for i in range(L):
        K, oU, _, oW, ko = _block(lay, i)
        z, w = nd[1 + 2 * i], nd[2 + 2 * i]
        dp = z[_JS]                      # start of the producer of x_{i-1}
        dz = z[_D0] + K
        rho = N_o + _zrows_after(lay, i)
        U = _mat(th, oU, K, M)
        if dp > 0:
            t = T[:K * dp].reshape((K, dp * Nc))
            gemm(U, False, J[z[_J0]:z[_J0] + M * dp].reshape((M, dp * Nc)), False, t, 0.0, scr)
        for k in range(K):
            f = F[fo[rho + k]:fo[rho + k] + dz]
            if dp > 0:
                f[:dp] = T[k * dp:(k + 1) * dp]
            for m in range(M):
                f[dp + m] = U[k, m]
            f[dp + M:] = 0.0
            f[z[_D0] + k] = 1.0
            v = J[w[_J0] + k * dz:w[_J0] + (k + 1) * dz]
            s = s1T[ko + k, a:b]
            for d in range(dz):
                _scaled_row(v[d], s, f[d])
        xs = J[w[_J0] + K * dz:w[_J0] + K * dz + M * dz]
        gemm(_mat(th, oW, M, K), False, J[w[_J0]:w[_J0] + K * dz].reshape((K, dz * Nc)), False,
             xs.reshape((M, dz * Nc)), 0.0, scr)
        if skip != 0.0:
            for m in range(M):
                for d in range(dp):
                    _axpy_row(xs[m * dz + d], skip, J[z[_J0] + m * dp + d])
                xr = xs[m * dz + dp + m]
                for n in range(Nc):
                    xr[n] += skip
    # outputs: dyhat/deps = [W_out dx_L/deps, W_out, I]
    e = nd[2 * L + 1]
    dp = e[_JS]
    D = e[_D0] + N_o
    Wout = _mat(th, lay[5], N_o, M)
    if dp > 0:
        t = T[:N_o * dp].reshape((N_o, dp * Nc))
        gemm(Wout, False, J[e[_J0]:e[_J0] + M * dp].reshape((M, dp * Nc)), False, t, 0.0, scr)
    for o in range(N_o):
        f = F[fo[o]:fo[o] + D]
        if dp > 0:
            f[:dp] = T[o * dp:(o + 1) * dp]
        for m in range(M):
            f[dp + m] = Wout[o, m]
        f[dp + M:] = 0.0
        f[e[_D0] + o] = 1.0
    hq = T[0]
    for o in range(N_o):
        c = CF[fo[o]:fo[o] + D]
        for q in range(N_o):
            for n in range(Nc):
                hq[n] = Hl[n0 + a + n, o, q]
            f = F[fo[q]:fo[q] + D]
            for d in range(D):
                if q == 0:
                    _scaled_row(c[d], hq, f[d])
                else:
                    _fma_row(c[d], hq, f[d])
    rho = N_o
    for i in range(L - 1, -1, -1):
        K, ko = _block(lay, i)[0], _block(lay, i)[4]
        for k in range(K):
            s = cT[ko + k, a:b]
            for j in range(fo[rho], fo[rho + 1]):
                _scaled_row(CF[j], s, F[j])
            rho += 1


@njit(cache=True)
def _zrows_after(lay, i):
    """Rows of ``z_{i+2}, ..., z_L`` (they come first in the curvature store)."""
    out = 0
    for j in range(i + 1, lay[3]):
        out += _block(lay, j)[0]
    return out


@njit(cache=True)
def _scaled_row(out, s, x):
    for n in range(out.shape[0]):
        out[n] = s[n] * x[n]


@njit(cache=True)
def _fma_row(out, s, x):
    for n in range(out.shape[0]):
        out[n] += s[n] * x[n]


@njit(cache=True)
def _axpy_row(out, a, x):
    for n in range(out.shape[0]):
        out[n] += a * x[n]


@njit(cache=True)
def _curvature(GE, F, CF, fo, rhoD, eD, a, b):
    """Columns ``a:b`` of ``GE[(i, j), n] = G_n[eD[i], eD[j]] = sum_rho F[rho, eD[i], n]
    CF[rho, eD[j], n]`` (``i >= j``, packed lower triangle) over the rows ``rho``
    that reach both, from the stores ``F, CF`` of these samples.  ``eD``: the node
    rows in some basis, each pair of them is formed once for all node pairs."""
    t = 0
    for i in range(eD.shape[0]):
        for j in range(i + 1):
            da, db = eD[i], eD[j]
            _dot_rows(GE[t, a:b], F, CF, fo, min(rhoD[da], rhoD[db]), da, db)
            t += 1


@njit(cache=True)
def _curvature_block(out, GE, eix, Fs, CFs, fo, rhoD, xa, xb, diag):
    """``out[(i, j), n] = G_n[xa[i], xb[j]]`` (pairs ``i >= j`` only if ``diag``): rows
    of the packed ``GE`` if it is not empty, else formed from the stores ``Fs, CFs``
    of consecutive parts of the samples."""
    p = 0
    for i in range(xa.shape[0]):
        for j in range(i + 1 if diag else xb.shape[0]):
            da, db = xa[i], xb[j]
            if GE.shape[0] > 0:
                hi, lo = max(eix[da], eix[db]), min(eix[da], eix[db])
                out[p] = GE[hi * (hi + 1) // 2 + lo]
            else:
                n0 = 0
                for h in range(len(Fs)):
                    F, CF = Fs[h], CFs[h]
                    _dot_rows(out[p, n0:n0 + F.shape[1]], F, CF, fo, min(rhoD[da], rhoD[db]), da, db)
                    n0 += F.shape[1]
            p += 1


@njit(cache=True)
def _dot_rows(acc, F, CF, fo, nrho, da, db):
    """``acc = sum_{rho < nrho} F[fo[rho] + da] * CF[fo[rho] + db]`` (rows of samples)."""
    acc[:] = 0.0
    rho = 0
    while rho + 4 <= nrho:
        a0, b0 = F[fo[rho] + da], CF[fo[rho] + db]
        a1, b1 = F[fo[rho + 1] + da], CF[fo[rho + 1] + db]
        a2, b2 = F[fo[rho + 2] + da], CF[fo[rho + 2] + db]
        a3, b3 = F[fo[rho + 3] + da], CF[fo[rho + 3] + db]
        for n in range(acc.shape[0]):
            acc[n] += (a0[n] * b0[n] + a1[n] * b1[n]) + (a2[n] * b2[n] + a3[n] * b3[n])
        rho += 4
    while rho < nrho:
        a0, b0 = F[fo[rho] + da], CF[fo[rho] + db]
        for n in range(acc.shape[0]):
            acc[n] += a0[n] * b0[n]
        rho += 1


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
def _pair(th, lay, skip, A, B, nd, bases, pidx, GE, fo, Fs, CFs, Js, UT, dl, s1T, H, first, last, S, blk, scr):
    """Block ``(A, B)`` (``A >= B``) of ``H`` from one chunk of samples: added to
    ``H`` (assigned if ``first``), mirrored into the upper triangle if ``last``.

    With the row bases of :func:`_bases` (``x`` of ``A``, ``y`` of ``B``) the block
    is ``H_AB = (R_A (x) I) Y``, ``Y[(x, c), (r', c')] = sum_y R_B[r', y] Z[(x, c),
    (y, c')] + delta_x du_A[c]/deps_B[r'] u_B[c']`` summed over the samples.
    First term ``Z``: ``G_n[x, y]`` against ``u_A[c] u_B[c']`` in one product over
    the samples.  Second term, one more product over the samples: ``du_A/deps_B``
    is the identity if ``B`` produces ``x = u_A``; one step of the chain has a
    constant factor around ``diag(s')``, so only ``sum_n delta_x s'_k u_B[c']`` is
    formed (``K`` rows instead of ``M r'``)::

        dv_i/deps_{z_i} = diag(s'_i),      dv_i/dx_{i-1} = diag(s'_i) U_i,
        dx_i/deps_{z_i} = W_i diag(s'_i),  dx_i/dx_{i-1} = sigma I + W_i diag(s'_i) U_i;

    otherwise it is dense, from the stored Jacobians.
    """
    nb, bas, RM, ro, rhoD, cu, uu, CM, co, eix, eD = bases
    Nc = UT.shape[1]
    rA, cA, qA = nd[A, _R], nd[A, _C], nd[A, _Q0]
    rB, cB, qB, uB = nd[B, _R], nd[B, _C], nd[B, _Q0], nd[B, _U0]
    bA, bB, kA, kB = nb[A], nb[B], cu[A], cu[B]
    redA, redB = ro[A + 1] > ro[A], ro[B + 1] > ro[B]
    diag = A == B
    m = bA * (bA + 1) // 2 if diag else bA * bB
    Gb, pos = _take(S, 0, (m, Nc))
    _curvature_block(Gb, GE, eix, Fs, CFs, fo, rhoD, bas[A, :bA], bas[B, :bB], diag)
    Ku, pos = _take(S, pos, (kA * kB, Nc))
    _outer_rows(Ku, UT[uu[A]:uu[A] + kA], UT[uu[B]:uu[B] + kB])
    T1, pos = _take(S, pos, (m, kA * kB))
    gemm(Gb, False, Ku, True, T1, 0.0, scr)
    # the first term's block through the maps: in two buffers at the end of S, in turn
    P1, P2 = S[S.shape[0] - 2 * blk:S.shape[0] - blk], S[S.shape[0] - blk:]
    # first term in the bases: Z[(x, c), (y, c')], all of it (the diagonal block from its triangle)
    Z = P1[:bA * kA * bB * kB].reshape((bA * kA, bB * kB))
    p = 0
    for x in range(bA):
        for y in range(x + 1 if diag else bB):
            t = T1[p]
            for c in range(kA):
                z = Z[x * kA + c, y * kB:(y + 1) * kB]
                for c2 in range(kB):
                    z[c2] = t[c * kB + c2]
            if diag and y < x:
                for c in range(kA):
                    for c2 in range(kB):
                        Z[y * kB + c2, x * kA + c] = t[c * kB + c2]
            p += 1
    Y, spare, alt = Z, P2, P1
    if redB:
        Y, spare, alt = P2[:bA * kA * rB * kB].reshape((bA * kA, rB * kB)), P1, P2
        RB = RM[ro[B]:ro[B + 1]].reshape((rB, bB))
        for i in range(bA * kA):
            zi, yi = Z[i], Y[i]
            for r2 in range(rB):
                for c2 in range(kB):
                    acc = 0.0
                    for y in range(bB):
                        acc += RB[r2, y] * zi[y * kB + c2]
                    yi[r2 * kB + c2] = acc
    if kB < cB:
        # u_B = C_B (reduced inputs): Y[i, r', c'] = sum_k C_B[c', k] Y[i, r', k]
        Y2 = spare[:bA * kA * rB * cB].reshape((bA * kA, rB * cB))
        spare, alt = alt, spare
        CB = CM[co[B]:co[B + 1]].reshape((cB, kB))
        for i in range(bA * kA):
            yi, oi = Y[i], Y2[i]
            for r2 in range(rB):
                for c2 in range(cB):
                    acc = 0.0
                    for k in range(kB):
                        acc += CB[c2, k] * yi[r2 * kB + k]
                    oi[r2 * cB + c2] = acc
        Y = Y2
    if kA < cA:
        Y2 = spare[:bA * cA * rB * cB].reshape((bA * cA, rB * cB))
        CA = CM[co[A]:co[A + 1]].reshape((cA, kA))
        for x in range(bA):
            for c in range(cA):
                out = Y2[x * cA + c]
                _axpy_first(out, CA[c, 0], Y[x * kA])
                for k in range(1, kA):
                    _axpy_row(out, CA[c, k], Y[x * kA + k])
        Y = Y2
        spare, alt = alt, spare
    cj = nd[A, _CJ]
    if B < A and cj > 0:
        dA, dB = nd[A, _D0], nd[B, _D0]
        dlA = dl[dA:dA + rA]
        if redA:
            dlA, pos = _take(S, pos, (bA, Nc))
            for x in range(bA):
                dlA[x] = dl[bas[A, x]]
        uBr = UT[uB:uB + cB]
        if B == A - 1 and A % 2 == 0:
            # A = w_i, B = z_i: du_A[c]/deps_B[r'] = s'[c] if c == r'
            Ds, pos = _take(S, pos, (bA * cA, Nc))
            _outer_rows(Ds, dlA, s1T[nd[A, _KO]:nd[A, _KO] + cA])
            T2, pos = _take(S, pos, (bA * cA, cB))
            gemm(Ds, False, uBr, True, T2, 0.0, scr)
            for i in range(bA * cA):
                c = i % cA
                _add(Y[i, c * cB:(c + 1) * cB], T2[i])
        elif B == A - 1:
            # u_A = x produced by B: du_A[c]/deps_B[r'] = 1 if c == r'
            T2, pos = _take(S, pos, (bA, cB))
            gemm(dlA, False, uBr, True, T2, 0.0, scr)
            for x in range(bA):
                for c in range(cj):
                    _add(Y[x * cA + c, c * cB:(c + 1) * cB], T2[x])
        elif A % 2 == 0 and B == A - 2:
            # A = w_i, B produces x_{i-1}: du_A[c]/deps_B[r'] = s'[c] U_i[c, r']
            T2, pos = _ds_product(S, pos, dlA, s1T[nd[A, _KO]:nd[A, _KO] + cA], uBr, scr)
            U = _mat(th, _block(lay, (A - 2) // 2)[1], cA, rB)
            for i in range(bA * cA):
                c = i % cA
                yr, t = Y[i], T2[i]
                for r2 in range(rB):
                    _axpy_row(yr[r2 * cB:(r2 + 1) * cB], U[c, r2], t)
        elif A % 2 == 1 and A >= 3 and B >= A - 3:
            # u_A = x_j = sigma x_{j-1} + W_j v_j (A after w_j = A - 1), B = z_j:
            # du_A[c]/deps_B[k] = W_j[c, k] s'[k]; B produces x_{j-1}:
            # du_A[c]/deps_B[r'] = sigma [c == r'] + sum_k W_j[c, k] s'[k] U_j[k, r']
            K, oU, _, oW, ko = _block(lay, (A - 3) // 2)
            T2, pos = _ds_product(S, pos, dlA, s1T[ko:ko + K], uBr, scr)
            Wj = _mat(th, oW, cj, K)
            if B == A - 2:
                for x in range(bA):
                    for c in range(cj):
                        yr = Y[x * cA + c]
                        for k in range(K):
                            _axpy_row(yr[k * cB:(k + 1) * cB], Wj[c, k], T2[x * K + k])
            else:
                U = _mat(th, oU, K, rB)
                T3, pos = _take(S, pos, (bA, cB))
                gemm(dlA, False, uBr, True, T3, 0.0, scr)
                for x in range(bA):
                    for c in range(cj):
                        yr = Y[x * cA + c]
                        _axpy_row(yr[c * cB:(c + 1) * cB], skip, T3[x])
                        for r2 in range(rB):
                            acc = yr[r2 * cB:(r2 + 1) * cB]
                            for k in range(K):
                                _axpy_row(acc, Wj[c, k] * U[k, r2], T2[x * K + k])
        else:
            Dt, pos = _take(S, pos, (bA * cB, Nc))
            _outer_rows(Dt, dlA, uBr)
            JT, pos = _take(S, pos, (cj * rB, Nc))
            j0, js = nd[A, _J0], nd[A, _JS]
            n0 = 0
            for J in Js:
                for c in range(cj):
                    JT[c * rB:(c + 1) * rB, n0:n0 + J.shape[1]] = \
                        J[j0 + c * js + dB:j0 + c * js + dB + rB]
                n0 += J.shape[1]
            T2, pos = _take(S, pos, (bA * cB, cj * rB))
            gemm(Dt, False, JT, True, T2, 0.0, scr)
            for x in range(bA):
                for c in range(cj):
                    yr = Y[x * cA + c]
                    for r2 in range(rB):
                        t = T2[x * cB:(x + 1) * cB, c * rB + r2]
                        for c2 in range(cB):
                            yr[r2 * cB + c2] += t[c2]
    Hb = Y
    if redA:
        Hb = spare[:rA * cA * rB * cB].reshape((rA, cA * rB * cB))
        RA = RM[ro[A]:ro[A + 1]].reshape((rA, bA))
        Yx = Y.reshape((bA, cA * rB * cB))
        for r in range(rA):
            _axpy_first(Hb[r], RA[r, 0], Yx[0])
            for x in range(1, bA):
                _axpy_row(Hb[r], RA[r, x], Yx[x])
        Hb = Hb.reshape((rA * cA, rB * cB))
    for i in range(rA * cA):
        h, t = H[pidx[qA + i]], Hb[i]
        jend = i + 1 if diag else rB * cB
        if first:
            for j in range(jend):
                h[pidx[qB + j]] = t[j]
        else:
            for j in range(jend):
                h[pidx[qB + j]] += t[j]
    if last:
        for i in range(qA, qA + rA * cA):
            pi = pidx[i]
            for j in range(qB, qB + rB * cB if not diag else i):
                H[pidx[j], pi] = H[pi, pidx[j]]


@njit(cache=True)
def _ds_product(S, pos, dl, s1, u, scr):
    """``T[(x, k), c'] = sum_n delta_x s'_k u[c']`` (a product over the samples)."""
    Ds, pos = _take(S, pos, (dl.shape[0] * s1.shape[0], dl.shape[1]))
    _outer_rows(Ds, dl, s1)
    T, pos = _take(S, pos, (Ds.shape[0], u.shape[0]))
    gemm(Ds, False, u, True, T, 0.0, scr)
    return T, pos


@njit(cache=True)
def _add(out, t):
    for c in range(t.shape[0]):
        out[c] += t[c]


@njit(cache=True)
def _axpy_first(out, a, x):
    for n in range(out.shape[0]):
        out[n] = a * x[n]


@njit(cache=True)
def _schedule(nd, nb, cu, T):
    """Node pairs ``A >= B`` dealt to ``T`` bins, the costliest first, each to the
    least loaded bin: ``(pairs, bin starts)``.  Only the load balance depends on
    ``T``; every pair is computed the same way in any bin."""
    nn = nd.shape[0]
    npairs = nn * (nn + 1) // 2
    pairs = np.empty((npairs, 2), dtype=np.int64)
    cost = np.empty(npairs)
    p = 0
    for A in range(nn):
        for B in range(A + 1):
            rA, cA, rB, cB = nb[A], cu[A], nb[B], cu[B]
            cost[p] = rA * rB * (cA * cB + nd[A, _RHO]) * (2.0 if B < A else 1.0)
            pairs[p] = (A, B)
            p += 1
    order = np.argsort(-cost, kind="mergesort")
    load = np.zeros(T)
    owner = np.empty(npairs, dtype=np.int64)
    for p in order:
        b = np.argmin(load)
        owner[p] = b
        load[b] += cost[p]
    starts = np.zeros(T + 1, dtype=np.int64)
    for p in range(npairs):
        starts[owner[p] + 1] += 1
    for b in range(T):
        starts[b + 1] += starts[b]
    out = np.empty_like(pairs)
    fill = starts[:T].copy()
    for p in order:
        out[fill[owner[p]]] = pairs[p]
        fill[owner[p]] += 1
    return out, starts


@njit(cache=True, parallel=True, error_model="numpy")
def assemble(th, lay, X, skip, chunk, XS, VB, S1B, S2B, G, Hl, LAM, MUB, NUB, W):
    """The full Hessian ``d^2 R / dtheta^2``, assembled from its Kronecker structure.

    For node pairs ``A >= B`` (module docstring)::

        H[(A, r, c), (B, r', c')] = sum_n ( G_n[A r, B r'] u_A[c]
                                            + delta_A[r] du_A[c]/deps_B[r'] ) u_B[c'],

    ``delta = dR/deps``, ``G_n = d^2 R_n / deps^2 = J_o^T l'' J_o +
    sum_i J_{z_i}^T diag(nu_i s''(z_i)) J_{z_i}``, both terms in the row bases of
    :func:`_bases` (and ``z_1`` against ``[x; 1]``).  Per chunk of ``chunk``
    samples the Jacobians ``du/deps`` and ``J_o, J_{z_i}`` (and ``G_n`` over the
    basis rows, if at most :data:`GE_MAX`) are formed sample-innermost, the two
    halves of the chunk on parallel threads; then each node pair is one task
    (its block of ``G_n``, one product over the samples for each term, the
    constant maps), the tasks dealt to :data:`BINS` parallel bins.  Each entry of
    ``H`` is computed by one task in a fixed order (chunks in order), so ``H`` does
    not depend on the number of threads; the lower triangle is mirrored, so ``H``
    is exactly symmetric.  Temporaries come from the work buffer ``W`` (returned,
    grown if it was too small).
    """
    N_in, M, N_o = lay[0], lay[1], lay[2]
    N = X.shape[0]
    nd = _nodes(lay)
    pidx = _param_index(lay, nd)
    fo = _curvature_rows(lay, nd)
    nn = nd.shape[0]
    e = nd[nn - 1]
    D = e[_D0] + N_o
    sum_k = _sum_k(lay)
    nU = e[_U0] + M
    nJ = e[_J0] + M * e[_JS]
    rmax, cmax, tmax = 0, 0, max(1, N_o * e[_JS])
    for A in range(nn):
        rmax, cmax = max(rmax, nd[A, _R]), max(cmax, nd[A, _C])
    for z in range(1, nn - 1, 2):
        tmax = max(tmax, nd[z, _R] * nd[z, _JS])
    chunk = max(1, min(chunk, N))
    bases = _bases(th, lay, nd, skip)
    pairs, starts = _schedule(nd, bases[0], bases[5], BINS)
    rc = rmax * cmax
    per = chunk * (3 * rc + rmax * rmax + cmax * cmax) + 5 * rc * rc
    per_part = (2 * fo[-1] + nJ + tmax) * ((chunk + 1) // 2)
    nE = bases[10].shape[0]
    nG = nE * (nE + 1) // 2 if nE * (nE + 1) // 2 * chunk <= GE_MAX else 0
    base = chunk * (nU + N_in + 1 + D + 2 * sum_k + nG) + 2 * per_part
    if W.size < base + BINS * per:
        W = np.empty(base + BINS * per)
    H = np.empty((th.size, th.size))
    for n0 in range(0, N, chunk):
        Nc = min(N, n0 + chunk) - n0
        UT, pos = _take(W, 0, (nU + N_in + 1, Nc))
        dl, pos = _take(W, pos, (D, Nc))
        s1T, pos = _take(W, pos, (sum_k, Nc))
        cT, pos = _take(W, pos, (sum_k, Nc))
        GE, pos = _take(W, pos, (nG, Nc))
        half = (Nc + 1) // 2
        F0, CF0, J0, T0, pos = _part_stores(W, pos, fo[-1], nJ, tmax, half)
        F1, CF1, J1, T1, pos = _part_stores(W, pos, fo[-1], nJ, tmax, Nc - half)
        for h in prange(2):
            a, b = (0, half) if h == 0 else (half, Nc)
            F, CF, J, T = (F0, CF0, J0, T0) if h == 0 else (F1, CF1, J1, T1)
            _fill_inputs(lay, nd, X, XS, VB, S1B, S2B, G, LAM, MUB, NUB, n0, a, b, UT, dl, s1T, cT)
            _transpose(UT[nU:nU + N_in], X, n0, a, b)
            UT[nU + N_in, a:b] = 1.0
            if b > a:
                _jacobians(th, lay, nd, fo, skip, Hl, n0, a, b, s1T, cT, F, CF, J, T, new_scratch())
                if nG > 0:
                    _curvature(GE, F, CF, fo, bases[4], bases[10], a, b)
        Fs, CFs, Js = (F0, F1), (CF0, CF1), (J0, J1)
        first, last = n0 == 0, n0 + chunk >= N
        for b in prange(BINS):
            S = W[base + b * per:base + (b + 1) * per]
            scr = new_scratch()
            for p in range(starts[b], starts[b + 1]):
                _pair(th, lay, skip, pairs[p, 0], pairs[p, 1], nd, bases, pidx, GE, fo, Fs, CFs, Js, UT, dl, s1T, H,
                      first, last, S, rc * rc, scr)
    return H, W


@njit(cache=True)
def _part_stores(W, pos, nF, nJ, nT, Nc):
    """The Jacobian stores ``F, CF, J`` and scratch ``T`` of ``Nc`` samples."""
    F, pos = _take(W, pos, (nF, Nc))
    CF, pos = _take(W, pos, (nF, Nc))
    J, pos = _take(W, pos, (nJ, Nc))
    T, pos = _take(W, pos, (nT, Nc))
    return F, CF, J, T, pos
