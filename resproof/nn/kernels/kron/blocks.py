"""One node pair's block of the Kronecker Hessian, from one chunk of samples.

For nodes ``A >= B``::

    H[(A, r, c), (B, r', c')] = sum_n ( G_n[A r, B r'] u_A[c]
                                        + delta_A[r] du_A[c]/deps_B[r'] ) u_B[c'],

formed in the row bases of :mod:`resproof.nn.kernels.kron.rows` as ``H_AB = (R_A (x)
I) Y`` (:func:`_pair`).  The block of ``G_n`` comes from the chunk's packed
store or is formed from the Jacobian stores (:func:`_curvature_block`); the
factor ``du_A/deps_B`` of the second term is, for one step of the chain, a
constant around ``diag(s')``, and otherwise dense from the stored Jacobians.
"""

from __future__ import annotations

from numba import njit

from ..blas import gemm
from ..buffers import NO, YES, ZERO, _block, _copy, _copy_row, _mat, _take
from .rows import _C, _CJ, _D0, _J0, _JS, _KO, _Q0, _R, _U0
from .stores import _axpy_row, _dot_rows


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
                _copy_row(out[p], GE[hi * (hi + 1) // 2 + lo])
            else:
                n0 = 0
                for h in range(len(Fs)):
                    F, CF = Fs[h], CFs[h]
                    _dot_rows(out[p, n0:n0 + F.shape[1]], F, CF, fo, min(rhoD[da], rhoD[db]),
                              da, db)
                    n0 += F.shape[1]
            p += 1


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
def _pair(th, lay, skip, A, B, nd, bases, pidx, GE, fo, Fs, CFs, Js, UT, dl, s1T, H, first,
          last, S, blk, scr):
    """Block ``(A, B)`` (``A >= B``) of ``H`` from one chunk of samples: added to
    ``H`` (assigned if ``first``), mirrored into the upper triangle if ``last``.

    With the row bases of :func:`~.hessian_rows._bases` (``x`` of ``A``, ``y`` of
    ``B``) the block is ``H_AB = (R_A (x) I) Y``, ``Y[(x, c), (r', c')] = sum_y R_B[r', y] Z[(x, c),
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
    nb, bas, RM, ro, rhoD, cu, uu, CM, co, eix, _ = bases
    Nc = UT.shape[1]
    rA, cA, qA = nd[A, _R], nd[A, _C], nd[A, _Q0]
    rB, cB, qB, uB = nd[B, _R], nd[B, _C], nd[B, _Q0], nd[B, _U0]
    bA, bB, kA, kB = nb[A], nb[B], cu[A], cu[B]
    redA, redB = ro[A + 1] > ro[A], ro[B + 1] > ro[B]
    diag = A == B
    m = bA * (bA + 1) // 2 if diag else bA * bB
    Gb, pos = _take(S, ZERO, (m, Nc))
    _curvature_block(Gb, GE, eix, Fs, CFs, fo, rhoD, bas[A, :bA], bas[B, :bB], diag)
    Ku, pos = _take(S, pos, (kA * kB, Nc))
    _outer_rows(Ku, UT[uu[A]:uu[A] + kA], UT[uu[B]:uu[B] + kB])
    T1, pos = _take(S, pos, (m, kA * kB))
    gemm(Gb, NO, Ku, YES, T1, 0.0, scr)
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
                _copy_row(dlA[x], dl[bas[A, x]])
        uBr = UT[uB:uB + cB]
        if B == A - 1 and A % 2 == 0:
            # A = w_i, B = z_i: du_A[c]/deps_B[r'] = s'[c] if c == r'
            Ds, pos = _take(S, pos, (bA * cA, Nc))
            _outer_rows(Ds, dlA, s1T[nd[A, _KO]:nd[A, _KO] + cA])
            T2, pos = _take(S, pos, (bA * cA, cB))
            gemm(Ds, NO, uBr, YES, T2, 0.0, scr)
            for i in range(bA * cA):
                c = i % cA
                _add(Y[i, c * cB:(c + 1) * cB], T2[i])
        elif B == A - 1:
            # u_A = x produced by B: du_A[c]/deps_B[r'] = 1 if c == r'
            T2, pos = _take(S, pos, (bA, cB))
            gemm(dlA, NO, uBr, YES, T2, 0.0, scr)
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
                gemm(dlA, NO, uBr, YES, T3, 0.0, scr)
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
                    _copy(JT[c * rB:(c + 1) * rB, n0:n0 + J.shape[1]],
                          J[j0 + c * js + dB:j0 + c * js + dB + rB])
                n0 += J.shape[1]
            T2, pos = _take(S, pos, (bA * cB, cj * rB))
            gemm(Dt, NO, JT, YES, T2, 0.0, scr)
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
    gemm(Ds, NO, u, YES, T, 0.0, scr)
    return T, pos


@njit(cache=True)
def _add(out, t):
    for c in range(t.shape[0]):
        out[c] += t[c]


@njit(cache=True)
def _axpy_first(out, a, x):
    for n in range(out.shape[0]):
        out[n] = a * x[n]
