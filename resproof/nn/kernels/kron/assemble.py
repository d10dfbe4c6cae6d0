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
output (:func:`~.hessian_rows._bases`), so both terms are formed in these fewer
rows and mapped afterwards.  :func:`assemble` works on the forward and adjoint
states of :mod:`resproof.nn.kernels`.

The parts: :mod:`resproof.nn.kernels.kron.rows` (node table, row bases, index
maps), :mod:`resproof.nn.kernels.kron.stores` (the per-chunk inputs, Jacobians and
``G_n``), :mod:`resproof.nn.kernels.kron.blocks` (one node pair's block); here the
chunk loop and the node pairs dealt to parallel bins.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..blas import new_scratch
from ..buffers import ZERO, _sum_k, _take
from .blocks import _pair
from .rows import (
    _C,
    _D0,
    _J0,
    _JS,
    _R,
    _RHO,
    _U0,
    _bases,
    _curvature_rows,
    _nodes,
    _param_index,
)
from .stores import _curvature, _fill_inputs, _jacobians, _part_stores, _transpose

#: Parallel bins of node-pair tasks per chunk, a constant: reading the thread
#: count in a compiled kernel would prevent caching.  Which bin a pair lands in
#: changes nothing in how it is computed.
BINS = 4

#: Largest store (entries) of ``G_n`` over all pairs of basis rows, formed once
#: per chunk for all node pairs; beyond it (an L2 cache, about) the node pairs
#: form their blocks themselves, again where bases overlap but from cache.
GE_MAX = 1 << 17


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
            pairs[p, 0], pairs[p, 1] = A, B
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
        # element copies, not row assignments: those compile numba's shape-error formatting
        out[fill[owner[p]], 0], out[fill[owner[p]], 1] = pairs[p, 0], pairs[p, 1]
        fill[owner[p]] += 1
    return out, starts


@njit(cache=True)
def _half(h, th, lay, nd, fo, skip, X, st, n0, Nc, ins, nU, parts, rhoD, eix, eD, nG):
    """Half ``h`` of the chunk's samples: its inputs, Jacobians and (if ``nG``) ``G_n``."""
    XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB = st
    UT, dl, s1T, cT, GE = ins
    N_in = lay[0]
    half = (Nc + 1) // 2
    a, b = (0, half) if h == 0 else (half, Nc)
    F, CF, J, T = parts[h]
    _fill_inputs(lay, nd, X, XS, VB, S1B, CB, G, LAM, MUB, NUB, n0, a, b, UT, dl, s1T, cT)
    _transpose(UT[nU:nU + N_in], X, n0, a, b)
    UT[nU + N_in, a:b] = 1.0
    if b > a:
        _jacobians(th, lay, nd, fo, skip, Hl, n0, a, b, s1T, cT, F, CF, J, T, eix, new_scratch())
        if nG > 0:
            _curvature(GE, F, CF, fo, rhoD, eD, a, b)


@njit(cache=True)
def _bin(b, th, lay, skip, pairs, starts, nd, bases, pidx, GE, fo, Fs, CFs, Js, UT, dl, s1T, H,
         first, last, W, base, per, blk):
    """The node pairs of bin ``b``, in its order, on its own part of ``W``."""
    S = W[base + b * per:base + (b + 1) * per]
    scr = new_scratch()
    for p in range(starts[b], starts[b + 1]):
        _pair(th, lay, skip, pairs[p, 0], pairs[p, 1], nd, bases, pidx, GE, fo, Fs, CFs, Js, UT,
              dl, s1T, H, first, last, S, blk, scr)


@njit(cache=True)
def _task(phase, t, th, lay, skip, X, st, n0, Nc, plan, stores, H, first, last, W):
    """Task ``t`` of a chunk: phase 0 its half ``t`` of the samples (:func:`_half`),
    phase 1 its bin ``t`` of node pairs (:func:`_bin`)."""
    nd, pidx, fo, bases, pairs, starts, nU, nG, base, per, blk = plan
    UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1, J1, T1 = stores
    if phase == 0:
        _half(t, th, lay, nd, fo, skip, X, st, n0, Nc, (UT, dl, s1T, cT, GE), nU,
              ((F0, CF0, J0, T0), (F1, CF1, J1, T1)), bases[4], bases[9], bases[10], nG)
    else:
        _bin(t, th, lay, skip, pairs, starts, nd, bases, pidx, GE, fo, (F0, F1), (CF0, CF1),
             (J0, J1), UT, dl, s1T, H, first, last, W, base, per, blk)


# The threaded loop is a thin wrapper over the compiled task (prange's unsigned index converted):
# parfor lowering costs seconds of a first run, so only :func:`assemble_threaded` pays it.
# (nested and uniform tuples cannot cross into a parallel loop: the plan and stores go flat)
@njit(cache=True, parallel=True)
def _tasks(phase, ntasks, th, lay, skip, X, st, n0, Nc, nd, pidx, fo, bases, pairs, starts, nU,
           nG, base, per, blk, UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1, J1, T1, H, first,
           last, W):
    for t in prange(ntasks):
        _task(phase, np.int64(t), th, lay, skip, X, st, n0, Nc,
              (nd, pidx, fo, bases, pairs, starts, nU, nG, base, per, blk),
              (UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1, J1, T1), H, first, last, W)


@njit(cache=True)
def _plan(th, lay, X, skip, chunk, W):
    """Node table, row bases, schedule and work-buffer layout of :func:`assemble`, and
    the work buffer (grown if too small)."""
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
    sizes = np.array([chunk, nU, D, sum_k, nG, fo[-1], nJ, tmax])
    return (nd, pidx, fo, bases, pairs, starts, nU, nG, base, per, rc * rc), sizes, W


@njit(cache=True)
def _stores(W, sizes, N_in, Nc):
    """The chunk's stores, carved from the start of ``W``: inputs ``UT``, ``dl``, ``s'``,
    ``c``, ``G_n`` and each half's ``F, CF, J, T``."""
    nU, D, sum_k, nG, nf, nJ, tmax = sizes[1], sizes[2], sizes[3], sizes[4], sizes[5], sizes[6], \
        sizes[7]
    UT, pos = _take(W, ZERO, (nU + N_in + 1, Nc))
    dl, pos = _take(W, pos, (D, Nc))
    s1T, pos = _take(W, pos, (sum_k, Nc))
    cT, pos = _take(W, pos, (sum_k, Nc))
    GE, pos = _take(W, pos, (nG, Nc))
    half = (Nc + 1) // 2
    F0, CF0, J0, T0, pos = _part_stores(W, pos, nf, nJ, tmax, half)
    F1, CF1, J1, T1, pos = _part_stores(W, pos, nf, nJ, tmax, Nc - half)
    return UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1, J1, T1


@njit(cache=True, error_model="numpy")
def assemble(th, lay, X, skip, chunk, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB, W):
    """The full Hessian ``d^2 R / dtheta^2``, assembled from its Kronecker structure.

    For node pairs ``A >= B`` (module docstring)::

        H[(A, r, c), (B, r', c')] = sum_n ( G_n[A r, B r'] u_A[c]
                                            + delta_A[r] du_A[c]/deps_B[r'] ) u_B[c'],

    ``delta = dR/deps``, ``G_n = d^2 R_n / deps^2 = J_o^T l'' J_o +
    sum_i J_{z_i}^T diag(nu_i s''(z_i)) J_{z_i}``, both terms in the row bases of
    :func:`~.hessian_rows._bases` (and ``z_1`` against ``[x; 1]``).  Per chunk of
    ``chunk`` samples the Jacobians ``du/deps`` and ``J_o, J_{z_i}`` (and ``G_n`` over the
    basis rows, if at most :data:`GE_MAX`) are formed sample-innermost, the two
    halves of the chunk on parallel threads; then each node pair is one task
    (its block of ``G_n``, one product over the samples for each term, the
    constant maps), the tasks dealt to :data:`BINS` parallel bins.  Each entry of
    ``H`` is computed by one task in a fixed order (chunks in order), so ``H`` does
    not depend on the number of threads; the lower triangle is mirrored, so ``H``
    is exactly symmetric.  Temporaries come from the work buffer ``W`` (returned,
    grown if it was too small).
    """
    plan, sizes, W = _plan(th, lay, X, skip, chunk, W)
    H = np.empty((th.size, th.size))
    st = (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB)
    N, chunk = X.shape[0], sizes[0]
    for n0 in range(0, N, chunk):
        Nc = min(N, n0 + chunk) - n0
        stores = _stores(W, sizes, lay[0], Nc)
        first, last = n0 == 0, n0 + chunk >= N
        for phase, ntasks in ((0, 2), (1, BINS)):
            for t in range(ntasks):
                _task(phase, t, th, lay, skip, X, st, n0, Nc, plan, stores, H, first, last, W)
    return H, W


@njit(cache=True, error_model="numpy")
def assemble_threaded(th, lay, X, skip, chunk, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB, W):
    """:func:`assemble` with each chunk's tasks on parallel threads (same tasks, same
    bits: each entry of ``H`` is written by one task)."""
    plan, sizes, W = _plan(th, lay, X, skip, chunk, W)
    H = np.empty((th.size, th.size))
    st = (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB)
    N, chunk = X.shape[0], sizes[0]
    for n0 in range(0, N, chunk):
        Nc = min(N, n0 + chunk) - n0
        stores = _stores(W, sizes, lay[0], Nc)
        first, last = n0 == 0, n0 + chunk >= N
        nd, pidx, fo, bases, pairs, starts, nU, nG, base, per, blk = plan
        UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1, J1, T1 = stores
        for phase, ntasks in ((0, 2), (1, BINS)):
            _tasks(phase, ntasks, th, lay, skip, X, st, n0, Nc, nd, pidx, fo, bases, pairs,
                   starts, nU, nG, base, per, blk, UT, dl, s1T, cT, GE, F0, CF0, J0, T0, F1, CF1,
                   J1, T1, H, first, last, W)
    return H, W
