"""The Hessian applied to a block of ``b`` vectors in one pass: ``H [v_1 .. v_b]``.

One HVP (:func:`resproof.nn.kernels.passes.hvp_rows`) is a tangent forward and a
reverse pass whose products are skinny (inner sizes ``K_i`` and ``M``).  For ``b``
vectors at one ``theta`` the forward and adjoint states are the same, so the
tangents of all ``b`` vectors are carried side by side, sample-major: ``R{X_i}``
of rows ``a:b`` is the ``n x b x M`` array whose row ``(r, j)`` is sample ``r``'s
tangent along ``v_j``.  Every product of the R-operator is then one wide product:

* shared weight, stacked tangents: ``R{X_{i-1}} U_i^T`` is one ``(n b x M)(M x K)``
  product, and likewise ``R{V_i} W_i^T``, ``R{Lam_i} W_i``, ``R{Mu_i} U_i``;
* shared state, stacked directions: ``X_{i-1} [dU_1^T .. dU_b^T]`` is one
  ``(n x M)(M x b K)`` product, and likewise ``V_i dW^T``, ``Lam_i dW``, ``Mu_i dU``;
* parameter parts: ``[R{Mu}_1 .. R{Mu}_b]^T X_{i-1}`` (``b K x n`` times ``n x M``) and
  ``Mu_i^T [R{X}_1 .. R{X}_b]`` (``K x n`` times ``n x b M``) are one product each.

The directions enter in two stackings of every weight (:func:`stack_rows`:
``[dU_1; ..; dU_b]``, ``b K x M``; :func:`stack_cols`: ``[dU_1 .. dU_b]``,
``K x b M``), and the parameter parts leave in the same two, added per chunk in
chunk order (:func:`resproof.nn.kernels.drivers._sum_parts`) and unstacked once
(:func:`unstack`).  Each chunk is cut into sub-chunks of about :data:`ROWS` tangent
rows, so that a layer's tangents stay in cache.  Row ``j`` of the result is ``H v_j`` up
to the order of its sums (the same samples, chunks and equations as
:func:`resproof.nn.kernels.drivers.hvp`); like every kernel here it does not depend on
the thread count.

Measured on size L (seed 0, one thread, the other core busy), per vector against one
HVP in the same run: 0.98 for ``b = 1``, 0.78 for ``b = 4``, 0.76 for ``b = 8``.  The
gain is bounded: only the products with stacked directions and the parameter parts
widen (28 to 39 GF/s); the shared-weight products such as ``R{X} U^T`` keep their
inner size ``M`` and output width ``K`` (about 27 GF/s for any ``b``).  Since then the
single HVP reuses one work area per thread and, for ``tanh`` and the squared loss, reads
fewer states (:func:`resproof.nn.kernels.passes.hvp_rows`); ``resproof bench --size L``
(2 threads) now gives 1.22, 0.99 and 0.94.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .blas import gemm, new_scratch
from .buffers import NO, YES, ZERO, _block, _sum_k, _take
from .chunks import _bounds, _chunks, _lanes, _sum_parts
from .drivers import _LOCAL, _states, _work
from .passes import rows_of
from .threads import on_numba_threads, one_thread

#: Multiply-adds per block pass (``b N M sum K``) from which chunks run on parallel threads
#: (as :data:`resproof.nn.kernels.chunks.PARALLEL_WORK` for one vector).
PARALLEL_WORK = 1 << 22


@njit(cache=True)
def _weights(lay):
    """``(offset, rows, cols)`` of every weight of ``theta``, in flat order (a bias is
    ``1 x K``): ``W_0``, ``U_i, b_i, W_i`` (``i = 1..L``), ``W_{L+1}``."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    out = np.empty((3 * L + 2, 3), dtype=np.int64)
    out[0] = (lay[4], M, N_in)
    for i in range(L):
        K, oU, ob, oW, _ = _block(lay, i)
        out[1 + 3 * i] = (oU, K, M)
        out[2 + 3 * i] = (ob, 1, K)
        out[3 + 3 * i] = (oW, M, K)
    out[3 * L + 1] = (lay[5], N_o, M)
    return out


@njit(cache=True)
def stack_rows(lay, V, out):
    """``out`` (``b P``): weight ``(o, r, c)`` of every row of ``V`` (``b x P``) as the
    ``b r x c`` matrix ``[w_1; ..; w_b]`` at ``b o`` (entry ``(j, r', c')`` at
    ``b o + j r c + r' c + c'``)."""
    b = V.shape[0]
    tab = _weights(lay)
    for t in range(tab.shape[0]):
        o, r, c = tab[t, 0], tab[t, 1], tab[t, 2]
        s = r * c
        for j in range(b):
            for e in range(s):
                out[b * o + j * s + e] = V[j, o + e]


@njit(cache=True)
def stack_cols(lay, V, out):
    """``out`` (``b P``): weight ``(o, r, c)`` of every row of ``V`` as the ``r x b c``
    matrix ``[w_1 .. w_b]`` at ``b o`` (entry ``(r', j, c')`` at ``b o + (r' b + j) c + c'``)."""
    b = V.shape[0]
    tab = _weights(lay)
    for t in range(tab.shape[0]):
        o, r, c = tab[t, 0], tab[t, 1], tab[t, 2]
        for j in range(b):
            for q in range(r):
                for e in range(c):
                    out[b * o + (q * b + j) * c + e] = V[j, o + q * c + e]


@njit(cache=True)
def unstack(lay, rows, cols, out):
    """``out[j] = `` row ``j`` of the row-stacked ``rows`` plus that of the column-stacked
    ``cols`` (read for ``U_i, W_i, W_{L+1}`` only: the parts of ``W_0`` and ``b_i`` are
    row-stacked alone)."""
    b = out.shape[0]
    tab = _weights(lay)
    for t in range(tab.shape[0]):
        o, r, c = tab[t, 0], tab[t, 1], tab[t, 2]
        s = r * c
        both = t != 0 and t % 3 != 2  # U_i, W_i and W_{L+1}; not W_0, b_i
        for j in range(b):
            for q in range(r):
                for e in range(c):
                    x = rows[b * o + j * s + q * c + e]
                    if both:
                        x += cols[b * o + (q * b + j) * c + e]
                    out[j, o + q * c + e] = x


@njit(cache=True)
def _rs(S, o, r, c, b):
    """Weight ``(o, r, c)`` of the row stacking ``S``: ``b r x c``."""
    return S[b * o:b * (o + r * c)].reshape((b * r, c))


@njit(cache=True)
def _cs(S, o, r, c, b):
    """Weight ``(o, r, c)`` of the column stacking ``S``: ``r x b c``."""
    return S[b * o:b * (o + r * c)].reshape((r, b * c))


@njit(cache=True)
def _w(th, o, r, c):
    return th[o:o + r * c].reshape((r, c))


@njit(cache=True)
def _need_block(lay, n, b):
    """Work entries of one chunk of ``n`` samples of :func:`hvp_block_rows`."""
    M, N_o, L = lay[1], lay[2], lay[3]
    return b * n * ((L + 3) * M + 3 * _sum_k(lay) + 2 * N_o)


@njit(cache=True)
def hvp_block_rows(th, lay, X, skip, b, VR, VC, a, e, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB,
                   W, rows, cols, beta):
    """The part of ``H [v_1 .. v_b]`` carried by samples ``a:e``, row-stacked into ``rows``
    and column-stacked into ``cols`` (both ``b P``, overwritten), from the states of
    :func:`resproof.nn.kernels.passes.forward_rows` and ``backward_rows``.  ``VR, VC``:
    the directions stacked by :func:`stack_rows` and :func:`stack_cols`.

    Tangents are sample-major (``n x b x ...``, row ``(r, j)``); the equations are those
    of :func:`resproof.nn.kernels.passes.hvp_rows` for each ``j``."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    N = X.shape[0]
    n = e - a
    nb = n * b
    sk = _sum_k(lay)
    RXS, pos = _take(W, ZERO, (L + 1, nb, M))
    RVB, pos = _take(W, pos, (nb * sk,))
    RZB, pos = _take(W, pos, (nb * sk,))
    RMUB, pos = _take(W, pos, (nb * sk,))
    RY, pos = _take(W, pos, (nb, N_o))
    RG, pos = _take(W, pos, (nb, N_o))
    rlam, pos = _take(W, pos, (nb, M))
    rlam_prev, pos = _take(W, pos, (nb, M))
    sc = new_scratch()
    o0, oo = lay[4], lay[5]
    Xr = X[a:e]
    Wout = _w(th, oo, N_o, M)
    # tangent forward: R{X_0} = X [dW0_1^T .. dW0_b^T]
    gemm(Xr, NO, _rs(VR, o0, M, N_in, b), YES, RXS[0].reshape((n, b * M)), 0.0, sc)
    for i in range(L):
        K, oU, ob, oW, ko = _block(lay, i)
        rz = RZB[nb * ko:nb * (ko + K)]
        rv = RVB[nb * ko:nb * (ko + K)]
        s1 = rows_of(S1B, N, ko, K, a, e)
        gemm(RXS[i], NO, _w(th, oU, K, M), YES, rz.reshape((nb, K)), 0.0, sc)
        gemm(XS[i][a:e], NO, _rs(VR, oU, K, M, b), YES, rz.reshape((n, b * K)), 1.0, sc)
        db = _rs(VR, ob, 1, K, b)
        for r in range(n):
            for j in range(b):
                base = (r * b + j) * K
                for k in range(K):
                    z = rz[base + k] + db[j, k]
                    rz[base + k] = z
                    rv[base + k] = z * s1[r, k]
        x, xp = RXS[i + 1], RXS[i]
        for r in range(nb):
            for m in range(M):
                x[r, m] = skip * xp[r, m]
        gemm(rv.reshape((nb, K)), NO, _w(th, oW, M, K), YES, x, 1.0, sc)
        gemm(rows_of(VB, N, ko, K, a, e), NO, _rs(VR, oW, M, K, b), YES,
             x.reshape((n, b * M)), 1.0, sc)
    XL = XS[L][a:e]
    gemm(RXS[L], NO, Wout, YES, RY, 0.0, sc)
    gemm(XL, NO, _rs(VR, oo, N_o, M, b), YES, RY.reshape((n, b * N_o)), 1.0, sc)
    for r in range(n):
        for j in range(b):
            q = r * b + j
            for c in range(N_o):
                acc = 0.0
                for d in range(N_o):
                    acc += Hl[a + r, c, d] * RY[q, d]
                RG[q, c] = acc
    # reverse: R{Lam_i}, R{Mu_i} = s'' R{Z_i} Nu_i + s' R{Nu_i}
    Ga = G[a:e]
    gemm(RG.reshape((n, b * N_o)), YES, XL, NO, _rs(rows, oo, N_o, M, b), beta, sc)
    gemm(Ga, YES, RXS[L].reshape((n, b * M)), NO, _cs(cols, oo, N_o, M, b), beta, sc)
    gemm(RG, NO, Wout, NO, rlam, 0.0, sc)
    gemm(Ga, NO, _cs(VC, oo, N_o, M, b), NO, rlam.reshape((n, b * M)), 1.0, sc)
    for i in range(L - 1, -1, -1):
        K, oU, ob, oW, ko = _block(lay, i)
        lam = LAM[i + 1][a:e]
        s1 = rows_of(S1B, N, ko, K, a, e)
        c = rows_of(CB, N, ko, K, a, e)
        mu = rows_of(MUB, N, ko, K, a, e)
        rz = RZB[nb * ko:nb * (ko + K)]
        rmu = RMUB[nb * ko:nb * (ko + K)]
        gemm(rlam.reshape((n, b * M)), YES, rows_of(VB, N, ko, K, a, e), NO,
             _rs(rows, oW, M, K, b), beta, sc)
        gemm(lam, YES, RVB[nb * ko:nb * (ko + K)].reshape((n, b * K)), NO,
             _cs(cols, oW, M, K, b), beta, sc)
        gemm(rlam, NO, _w(th, oW, M, K), NO, rmu.reshape((nb, K)), 0.0, sc)
        gemm(lam, NO, _cs(VC, oW, M, K, b), NO, rmu.reshape((n, b * K)), 1.0, sc)
        rb = _rs(rows, ob, 1, K, b)
        if beta == 0.0:  # the part is garbage until written (BLAS with beta 0 never reads it)
            for j in range(b):
                for k in range(K):
                    rb[j, k] = 0.0
        for r in range(n):
            for j in range(b):
                base = (r * b + j) * K
                for k in range(K):
                    u = rmu[base + k] * s1[r, k] + c[r, k] * rz[base + k]
                    rmu[base + k] = u
                    rb[j, k] += u
        gemm(rmu.reshape((n, b * K)), YES, XS[i][a:e], NO, _rs(rows, oU, K, M, b), beta, sc)
        gemm(mu, YES, RXS[i].reshape((n, b * M)), NO, _cs(cols, oU, K, M, b), beta, sc)
        for r in range(nb):
            for m in range(M):
                rlam_prev[r, m] = skip * rlam[r, m]
        gemm(rmu.reshape((nb, K)), NO, _w(th, oU, K, M), NO, rlam_prev, 1.0, sc)
        gemm(mu, NO, _cs(VC, oU, K, M, b), NO, rlam_prev.reshape((n, b * M)), 1.0, sc)
        rlam, rlam_prev = rlam_prev, rlam
    gemm(rlam.reshape((n, b * M)), YES, Xr, NO, _rs(rows, o0, M, N_in, b), beta, sc)


#: Tangent rows (samples times ``b``) per sub-chunk, about: a chunk of the single-vector
#: driver is cut into sub-chunks of about ``ROWS / b`` samples so that one layer's
#: tangents stay in cache (measured on size L, ``b = 8``: 0.77 of the single HVP's time
#: per vector with 1024 rows, 0.82 with 4096).
ROWS = 1024


@njit(cache=True)
def _subchunks(n, b):
    """How many sub-chunks a chunk of ``n`` samples is cut into (fixed by ``n`` and ``b``)."""
    return max(1, (n * b + ROWS - 1) // ROWS)


@njit(cache=True)
def _sub_rows(N, nch, b):
    """The most samples of any sub-chunk."""
    out = 0
    for c in range(nch):
        a, e = _bounds(N, nch, c)
        ns = _subchunks(e - a, b)
        for s in range(ns):
            out = max(out, (e - a) * (s + 1) // ns - (e - a) * s // ns)
    return out


@njit(cache=True)
def _block_threaded(lay, N, b):
    """:func:`resproof.nn.kernels.chunks._threaded` for the ``b``-fold work."""
    return _chunks(N) > 1 and b * N * lay[1] * max(_sum_k(lay), 1) >= PARALLEL_WORK


@njit(cache=True)
def _hvp_block_chunk(c, nch, th, lay, X, skip, b, VR, VC, st, W, part):
    """Chunk ``c``'s part (row- and column-stacked, ``2 b P``) into ``part``, its
    sub-chunks added in order; ``W``: this lane's work buffer."""
    XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB = st
    P = th.size
    a, e = _bounds(X.shape[0], nch, c)
    ns = _subchunks(e - a, b)
    for s in range(ns):
        lo, hi = a + ((e - a) * s) // ns, a + ((e - a) * (s + 1)) // ns
        hvp_block_rows(th, lay, X, skip, b, VR, VC, lo, hi, XS, VB, S1B, CB, G, Hl, LAM, MUB,
                       NUB, W, part[:b * P], part[b * P:], 1.0 if s else 0.0)


@njit(cache=True, parallel=True)
def _hvp_block_threads(nch, lanes, per, th, lay, X, skip, b, VR, VC, st, W, parts):
    # lane l takes chunks l, l + lanes, ...: which lane computes a chunk changes no bit of it
    for q in prange(lanes):
        lane = np.int64(q)
        for c in range(lane, nch, lanes):
            _hvp_block_chunk(c, nch, th, lay, X, skip, b, VR, VC, st,
                             W[lane * per:(lane + 1) * per], parts[c])


@njit(cache=True)
def _hvp_block(th, lay, X, skip, V, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB, W, threads):
    """``H v_j`` as the rows of a ``b x P`` array, from the states of ``backward_states``;
    the samples in the chunks of :func:`resproof.nn.kernels.drivers.hvp` (each cut into
    :func:`_subchunks`), their parts added in chunk order; threaded if
    :func:`_block_threaded` (on at most ``threads`` lanes).  Returns it and the work
    buffer ``W`` (grown if too small)."""
    N, P = X.shape[0], th.size
    b = V.shape[0]
    nch = _chunks(N)
    lanes = _lanes(nch, threads) if _block_threaded(lay, N, b) else 1
    per = _need_block(lay, _sub_rows(N, nch, b), b)
    head = 2 * b * P + nch * 2 * b * P
    need = head + lanes * per
    if W.size < need:
        W = np.empty(need)
    VR = W[:b * P]
    VC = W[b * P:2 * b * P]
    stack_rows(lay, V, VR)
    stack_cols(lay, V, VC)
    parts = W[2 * b * P:head].reshape((nch, 2 * b * P))
    st = (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB)
    if lanes > 1:
        _hvp_block_threads(nch, lanes, per, th, lay, X, skip, b, VR, VC, st, W[head:], parts)
    else:
        for c in range(nch):
            _hvp_block_chunk(c, nch, th, lay, X, skip, b, VR, VC, st, W[head:head + per],
                             parts[c])
    total = _sum_parts(parts)
    out = np.empty((b, P))
    unstack(lay, total[:b * P], total[b * P:], out)
    return out, W


#: Most vectors per pass: a larger block is applied in slices of this many rows (the work
#: buffer holds ``2 b P`` numbers per chunk; beyond ``b = 8`` the products gain little).
MAX_BLOCK = 16


def hvp_block(th, lay, X, Y, acode, ap, lcode, lp, skip, V):
    """``H(theta) v_j`` for every row ``v_j`` of ``V`` (``b x P``), as the rows of a
    ``b x P`` array: one tangent pass for all ``b`` (at most :data:`MAX_BLOCK` at a
    time) over the (remembered, see :func:`resproof.nn.kernels.drivers._states`)
    forward and adjoint states."""
    V = np.ascontiguousarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[1] != th.size:
        raise ValueError(f"hvp_block: V must be (b, {th.size}), got {V.shape}")
    if V.shape[0] == 0:
        return np.empty((0, th.size))
    st = one_thread(_states, th, lay, X, Y, acode, ap, lcode, lp, skip)
    if V.shape[0] <= MAX_BLOCK:
        out, _LOCAL.blk = one_thread(on_numba_threads, _hvp_block, th, lay, X, skip, V, *st,
                                     _work("blk"))
        return out
    out = np.empty_like(V)
    for lo in range(0, V.shape[0], MAX_BLOCK):
        out[lo:lo + MAX_BLOCK], _LOCAL.blk = one_thread(
            on_numba_threads, _hvp_block, th, lay, X, skip, V[lo:lo + MAX_BLOCK], *st,
            _work("blk"))
    return out
