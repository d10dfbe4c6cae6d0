"""Per-chunk stores of the Kronecker Hessian: inputs, adjoints, Jacobians and ``G_n``.

All stores are sample-innermost (one column per sample of the chunk).
:func:`_fill_inputs` copies the node inputs ``u_A``, the adjoints ``delta =
dR/deps``, ``s'`` and the curvature weights ``nu s''``.  :func:`_jacobians` forms
the Jacobians w.r.t. the node perturbations, layer by layer::

    dz_i/deps  = [U_i dx_{i-1}/deps, U_i, I],
    dv_i/deps  = diag(s'_i) dz_i/deps,
    dx_i/deps  = [sigma dx_{i-1}/deps, sigma I, 0] + W_i dv_i/deps,
    dyhat/deps = [W_out dx_L/deps, W_out, I],

``F`` holding the curvature rows ``dyhat/deps`` and ``dz_i/deps`` and ``CF`` the
same rows times their weights ``l''`` and ``nu_i s''_i``.  :func:`_curvature`
forms from them the curvature of the node perturbations over pairs of basis
rows::

    G_n = F_n^T C_n F_n = J_o^T l'' J_o + sum_i J_{z_i}^T diag(nu_i s''(z_i)) J_{z_i}.
"""

from __future__ import annotations

from numba import njit

from ..blas import gemm
from ..buffers import NO, ZERO, _block, _bv, _copy_row, _mat, _take
from .rows import _D0, _J0, _JS, _U0


@njit(cache=True)
def _part_stores(W, pos, nF, nJ, nT, Nc):
    """The Jacobian stores ``F, CF, J`` and scratch ``T`` of ``Nc`` samples."""
    F, pos = _take(W, pos, (nF, Nc))
    CF, pos = _take(W, pos, (nF, Nc))
    J, pos = _take(W, pos, (nJ, Nc))
    T, pos = _take(W, pos, (nT, Nc))
    return F, CF, J, T, pos


@njit(cache=True)
def _fill_inputs(lay, nd, X, XS, VB, S1B, CB, G, LAM, MUB, NUB, n0, a, b, UT, dl, s1T, cT):
    """Columns ``a:b`` of the chunk at ``n0``, sample-innermost: inputs ``u_A`` (rows
    ``u0..``), adjoints ``delta = dR/deps``, ``s'`` and the curvature weights ``nu s''``
    (``CB``, :func:`resproof.nn.kernels.passes.backward_rows`)."""
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
        s1, c = _bv(S1B, N, ko, K), _bv(CB, N, ko, K)
        for n in range(a, b):
            for k in range(K):
                s1T[ko + k, n] = s1[n0 + n, k]
                cT[ko + k, n] = c[n0 + n, k]
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
def _jacobians(th, lay, nd, fo, skip, Hl, n0, a, b, s1T, cT, F, CF, J, T, eix, scr):
    """Sample-innermost Jacobians w.r.t. the node perturbations of the samples
    ``n0 + a .. n0 + b`` (``F, CF, J, T`` have ``b - a`` columns).

    ``J`` stores ``dx_i/deps`` over the nodes before the producer of ``x_i``
    (``e_0`` or ``w_i``, against which it is the identity, not stored) and
    ``dv_i/deps = s'_i dz_i/deps`` over the nodes up to ``z_i``; ``F`` the
    curvature rows ``dyhat/deps`` (all ``D`` nodes) and ``dz_i/deps``, ``CF``
    the same rows times their weights ``l''`` and ``nu_i s''_i``, in the columns
    read by :func:`_curvature` alone: those of the nodes that are their own row
    basis (``eix >= 0``; the other columns of ``F, CF`` are left unset)::

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
            gemm(U, NO, J[z[_J0]:z[_J0] + M * dp].reshape((M, dp * Nc)), NO, t, 0.0, scr)
        for k in range(K):
            f = F[fo[rho + k]:fo[rho + k] + dz]
            _node_row(f, T[k * dp:(k + 1) * dp], dp, eix, U[k], z[_D0] + k)
            v = J[w[_J0] + k * dz:w[_J0] + (k + 1) * dz]
            s = s1T[ko + k, a:b]
            for d in range(dz):
                _scaled_row(v[d], s, f[d])
        xs = J[w[_J0] + K * dz:w[_J0] + K * dz + M * dz]
        gemm(_mat(th, oW, M, K), NO, J[w[_J0]:w[_J0] + K * dz].reshape((K, dz * Nc)), NO,
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
        gemm(Wout, NO, J[e[_J0]:e[_J0] + M * dp].reshape((M, dp * Nc)), NO, t, 0.0, scr)
    for o in range(N_o):
        _node_row(F[fo[o]:fo[o] + D], T[o * dp:(o + 1) * dp], dp, eix, Wout[o], e[_D0] + o)
    hq = T[0]
    for o in range(N_o):
        c = CF[fo[o]:fo[o] + D]
        for q in range(N_o):
            for n in range(Nc):
                hq[n] = Hl[n0 + a + n, o, q]
            f = F[fo[q]:fo[q] + D]
            for d in range(D):
                if eix[d] < 0:
                    continue
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
                if eix[j - fo[rho]] >= 0:
                    _scaled_row(CF[j], s, F[j])
            rho += 1


@njit(cache=True)
def _node_row(f, t, dp, eix, w, own):
    """One row of a node's Jacobian over the earlier node rows: ``t`` (the ``dp`` rows
    through the earlier state, live ones copied), then the weight row ``w`` on the
    state itself (if live), zeros, and 1 at the node's own row ``own``."""
    M = w.size
    _copy_live(f, t, eix, ZERO)
    if eix[dp] >= 0:
        for m in range(M):
            f[dp + m] = w[m]
    f[dp + M:] = 0.0
    f[own] = 1.0


@njit(cache=True)
def _copy_live(f, t, eix, d0):
    """``f[d] = t[d]`` for the rows ``d`` of ``t`` with ``eix[d0 + d] >= 0``."""
    for d in range(t.shape[0]):
        if eix[d0 + d] >= 0:
            _copy_row(f[d], t[d])


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
    nE = eD.shape[0]
    for i in range(0, nE - 1, 2):
        # rows i, i + 1 against columns j, j + 1 (j + 1 <= i), then the rest one by one
        t0, t1 = i * (i + 1) // 2, (i + 1) * (i + 2) // 2
        a0, a1 = eD[i], eD[i + 1]
        j = 0
        while j + 1 < i:
            b0, b1 = eD[j], eD[j + 1]
            _dot_rows22(GE[t0 + j, a:b], GE[t0 + j + 1, a:b], GE[t1 + j, a:b], GE[t1 + j + 1, a:b],
                        F, CF, fo, rhoD, a0, a1, b0, b1)
            j += 2
        for jj in range(j, i + 1):
            _dot_rows(GE[t0 + jj, a:b], F, CF, fo, min(rhoD[a0], rhoD[eD[jj]]), a0, eD[jj])
        for jj in range(j, i + 2):
            _dot_rows(GE[t1 + jj, a:b], F, CF, fo, min(rhoD[a1], rhoD[eD[jj]]), a1, eD[jj])
    if nE % 2 == 1:
        i = nE - 1
        for jj in range(i + 1):
            _dot_rows(GE[i * (i + 1) // 2 + jj, a:b], F, CF, fo, min(rhoD[eD[i]], rhoD[eD[jj]]),
                      eD[i], eD[jj])


@njit(cache=True)
def _dot_rows22(g00, g01, g10, g11, F, CF, fo, rhoD, a0, a1, b0, b1):
    """``g_xy = sum_rho F[fo[rho] + a_x] * CF[fo[rho] + b_y]`` over the rows ``rho`` that
    reach both (:func:`_dot_rows`), two by two: the rows they share in one pass."""
    r00, r01 = min(rhoD[a0], rhoD[b0]), min(rhoD[a0], rhoD[b1])
    r10, r11 = min(rhoD[a1], rhoD[b0]), min(rhoD[a1], rhoD[b1])
    nc = min(min(r00, r01), min(r10, r11))
    g00[:] = 0.0
    g01[:] = 0.0
    g10[:] = 0.0
    g11[:] = 0.0
    rho = 0
    while rho + 2 <= nc:
        x0, x1, y0, y1 = F[fo[rho] + a0], F[fo[rho] + a1], CF[fo[rho] + b0], CF[fo[rho] + b1]
        u0, u1 = F[fo[rho + 1] + a0], F[fo[rho + 1] + a1]
        v0, v1 = CF[fo[rho + 1] + b0], CF[fo[rho + 1] + b1]
        for n in range(g00.shape[0]):
            g00[n] += x0[n] * y0[n] + u0[n] * v0[n]
            g01[n] += x0[n] * y1[n] + u0[n] * v1[n]
            g10[n] += x1[n] * y0[n] + u1[n] * v0[n]
            g11[n] += x1[n] * y1[n] + u1[n] * v1[n]
        rho += 2
    _dot_tail(g00, F, CF, fo, rho, r00, a0, b0)
    _dot_tail(g01, F, CF, fo, rho, r01, a0, b1)
    _dot_tail(g10, F, CF, fo, rho, r10, a1, b0)
    _dot_tail(g11, F, CF, fo, rho, r11, a1, b1)


@njit(cache=True)
def _dot_tail(acc, F, CF, fo, r0, r1, da, db):
    """``acc += sum_{r0 <= rho < r1} F[fo[rho] + da] * CF[fo[rho] + db]``."""
    for rho in range(r0, r1):
        x, y = F[fo[rho] + da], CF[fo[rho] + db]
        for n in range(acc.shape[0]):
            acc[n] += x[n] * y[n]


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
