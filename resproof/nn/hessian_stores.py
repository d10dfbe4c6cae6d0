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

from .blas import gemm
from .buffers import _block, _bv, _mat, _take
from .hessian_rows import _D0, _J0, _JS, _U0


@njit(cache=True)
def _part_stores(W, pos, nF, nJ, nT, Nc):
    """The Jacobian stores ``F, CF, J`` and scratch ``T`` of ``Nc`` samples."""
    F, pos = _take(W, pos, (nF, Nc))
    CF, pos = _take(W, pos, (nF, Nc))
    J, pos = _take(W, pos, (nJ, Nc))
    T, pos = _take(W, pos, (nT, Nc))
    return F, CF, J, T, pos


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
