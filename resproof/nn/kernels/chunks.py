"""The compiled passes over fixed chunks of samples, one after another or on threads.

:func:`_loss_grad`, :func:`_backward` and :func:`_hvp` run their chunks in order;
:func:`_loss_grad_threaded`, :func:`_backward_threaded` and :func:`_hvp_threaded` run the
same chunks on numba's threads, and the Python wrappers of :mod:`.drivers` pick one by
:func:`_threaded`, so a run on small problems never compiles a parallel loop (seconds each
on a first run).  The chunks depend on ``N`` alone and their parameter parts are added in
chunk order, so serial and threaded give the same bits.  The threaded kernels run the
chunks on lanes (:func:`_lanes`), each with one work area that it reuses from chunk to
chunk.  Each ``*_buffers`` helper lays out its kernel's work buffer once and hands out
views of it: the chunks' parts, ``theta`` (and ``v``) with the weights transposed
(:func:`resproof.nn.kernels.buffers.transposed`) and the lanes' work areas.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .buffers import ONE, ZERO, _need, _sum_k, _take, transposed
from .passes import backward_rows, forward_rows, hvp_rows, loss_grad_rows, state_arrays

#: Samples per parallel task, at most.  The chunks depend on ``N`` alone, so the
#: order in which their parameter parts are added, hence every bit of a result,
#: does not depend on the number of threads.  Re-measured with the OpenBLAS overrides
#: unset (SkylakeX kernels, 2 threads): 128, 256 and 512 within 5 % of each other on
#: sizes M and L (HVP and loss+grad), so 512 stays.
CHUNK = 512

#: Multiply-adds per pass (``N M sum K``) from which chunks run on parallel threads:
#: sizes M (0.5 M) and L (16.8 M) are threaded.  Measured with the OpenBLAS overrides unset,
#: size M on a quiet machine: loss+grad 0.36 ms threaded against 0.66 ms serial, HVP 0.58 ms
#: against 1.05 ms; with the other core busy (the kernels then drop to one thread, see
#: :func:`resproof.nn.kernels.threads.one_thread`, after up to 0.5 s of sampling) 0.93 ms
#: against 0.72 ms and 1.12 ms against 1.21 ms.
PARALLEL_WORK = 1 << 18


@njit(cache=True)
def _chunks(N):
    return max(1, (N + CHUNK - 1) // CHUNK)


@njit(cache=True)
def _bounds(N, nch, c):
    return (c * N) // nch, ((c + 1) * N) // nch


@njit(cache=True)
def _sum_parts(parts):
    """The rows of ``parts`` added in row order."""
    out = parts[0].copy()
    for c in range(1, parts.shape[0]):
        for j in range(out.size):
            out[j] += parts[c, j]
    return out


@njit(cache=True)
def _threaded(lay, N):
    """Whether the chunks run on parallel threads: more than one chunk, and passes of at
    least :data:`PARALLEL_WORK` multiply-adds.  Below that a parallel region costs more
    than it saves, and on a busy machine each one may wait a scheduler time slice
    (4-8 ms measured: a 0.3 ms size-M gradient took 4-8 ms).  Serial or threaded, the
    chunks and the order their parts are added in are the same: so are the bits."""
    return _chunks(N) > 1 and N * lay[1] * max(_sum_k(lay), 1) >= PARALLEL_WORK


@njit(cache=True)
def _loss_grad_chunk(c, nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, work, parts, Rs,
                     want_g):
    N = X.shape[0]
    a, b = _bounds(N, nch, c)
    Rs[c] = loss_grad_rows(th, thT, lay, X[a:b], Y[a:b], acode, ap, lcode, lp, skip, 1.0 / N,
                           work, parts[c], want_g)


# prange's index is unsigned: each chunk call converts it, so the chunk kernels compile once
# for the serial and the threaded loop.
@njit(cache=True, parallel=True)
def _loss_grad_threads(nch, lanes, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, work, parts,
                       Rs, want_g):
    per = work.size // lanes
    for q in prange(lanes):
        lane = np.int64(q)
        for c in range(lane, nch, lanes):
            _loss_grad_chunk(c, nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip,
                             work[lane * per:(lane + 1) * per], parts, Rs, want_g)


@njit(cache=True)
def _lanes(nch, threads):
    """Threads that run the chunks: lane ``l`` takes chunks ``l, l + lanes, ...`` into its own
    work area, so a lane's temporaries stay in its core's cache from one chunk to the next
    (a work area per chunk is cold at every chunk: size-L HVP 13.8 ms against 12.4 ms on one
    thread, measured).  Which lane computes a chunk changes no bit of it."""
    return max(1, min(nch, threads))


@njit(cache=True)
def _loss_grad_buffers(th, lay, X, W, lanes):
    """The work buffer of :func:`_loss_grad` (grown if too small) and its parts: the
    chunks' gradient parts (``nch x P``) and risks, ``theta`` transposed
    (:func:`resproof.nn.kernels.buffers.transposed`) and ``lanes`` work areas."""
    N, P = X.shape[0], th.size
    nch = _chunks(N)
    head = nch * (P + 1) + P
    need = head + lanes * _need(lay, (N + nch - 1) // nch)
    if W.size < need:
        W = np.empty(need)
    parts, Rs = W[:nch * P].reshape((nch, P)), W[nch * P:nch * (P + 1)]
    thT = transposed(lay, th, W[nch * (P + 1):head])
    return W, parts, Rs, thT, W[head:need]


@njit(cache=True)
def _loss_grad_total(parts, Rs, want_g):
    """``R`` and ``dR/dtheta`` from the chunks' parts, added in chunk order."""
    R = 0.0
    for c in range(Rs.size):
        R += Rs[c]
    return R, _sum_parts(parts) if want_g else np.empty(0)


@njit(cache=True)
def _loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g):
    """``(R, dR/dtheta)`` (an empty gradient unless ``want_g``) and the work buffer,
    the samples in chunks (:data:`CHUNK`) one after another; :func:`_loss_grad_threaded`
    runs the same chunks on threads, with the same bits."""
    W, parts, Rs, thT, work = _loss_grad_buffers(th, lay, X, W, ONE)
    for c in range(Rs.size):
        _loss_grad_chunk(c, Rs.size, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, work,
                         parts, Rs, want_g)
    R, g = _loss_grad_total(parts, Rs, want_g)
    return R, g, W


@njit(cache=True)
def _loss_grad_threaded(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g, threads):
    """:func:`_loss_grad` with the chunks on ``threads`` of numba's threads."""
    lanes = _lanes(_chunks(X.shape[0]), threads)
    W, parts, Rs, thT, work = _loss_grad_buffers(th, lay, X, W, lanes)
    _loss_grad_threads(Rs.size, lanes, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, work,
                       parts, Rs, want_g)
    R, g = _loss_grad_total(parts, Rs, want_g)
    return R, g, W


@njit(cache=True)
def _backward_chunk(c, nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, st, ZB):
    XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB = st
    N = X.shape[0]
    a, b = _bounds(N, nch, c)
    forward_rows(th, thT, lay, X, acode, ap, skip, a, b, XS, ZB, VB, S1B, CB)
    backward_rows(th, thT, lay, Y, lcode, lp, skip, a, b, N, XS, S1B, CB, G, Hl, LAM, MUB, NUB,
                  np.empty((b - a, lay[2])))


@njit(cache=True, parallel=True)
def _backward_threads(nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, st, ZB):
    for c in prange(nch):
        _backward_chunk(np.int64(c), nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, st,
                        ZB)


@njit(cache=True)
def _backward_buffers(lay, N, W):
    """:func:`backward_states`' arrays carved from the work buffer ``W`` (returned, grown
    if too small)."""
    M, N_o, L = lay[1], lay[2], lay[3]
    nz = N * _sum_k(lay)
    need = (2 * (L + 1) * M + 6 * _sum_k(lay) + N_o * (N_o + 2)) * N
    if W.size < need:
        W = np.empty(need)
    XS, ZB, VB, S1B, CB, pos = state_arrays(lay, N, W, ZERO)
    G, pos = _take(W, pos, (N, N_o))
    Hl, pos = _take(W, pos, (N, N_o, N_o))
    LAM, pos = _take(W, pos, (L + 1, N, M))
    MUB, pos = _take(W, pos, (nz,))
    NUB, pos = _take(W, pos, (nz,))
    return (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB), ZB, W


@njit(cache=True)
def _backward_prepared(th, lay, X, W):
    """The states' arrays and ``ZB`` (:func:`_backward_buffers`), the work buffer and
    ``theta`` transposed, for :func:`_backward` and :func:`_backward_threaded`."""
    st, ZB, W = _backward_buffers(lay, X.shape[0], W)
    return st, ZB, W, transposed(lay, th, np.empty(th.size)), _chunks(X.shape[0])


@njit(cache=True)
def _backward(th, lay, X, Y, acode, ap, lcode, lp, skip, W):
    """:func:`backward_states` into the work buffer ``W`` (returned, grown if too small),
    the samples in chunks one after another (:func:`_backward_threaded`: on threads)."""
    st, ZB, W, thT, nch = _backward_prepared(th, lay, X, W)
    for c in range(nch):
        _backward_chunk(c, nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, st, ZB)
    return st, W


@njit(cache=True)
def _backward_threaded(th, lay, X, Y, acode, ap, lcode, lp, skip, W):
    """:func:`_backward` with the chunks on numba's threads."""
    st, ZB, W, thT, nch = _backward_prepared(th, lay, X, W)
    _backward_threads(nch, th, thT, lay, X, Y, acode, ap, lcode, lp, skip, st, ZB)
    return st, W


@njit(cache=True)
def _hvp_chunk(c, nch, th, thT, lay, X, skip, acode, lcode, v, vT, st, work, parts):
    XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB = st
    a, b = _bounds(X.shape[0], nch, c)
    hvp_rows(th, lay, X, skip, acode, lcode, v, thT, vT, a, b, XS, VB, S1B, CB, G, Hl, LAM, MUB,
             NUB, work, parts[c])


@njit(cache=True, parallel=True)
def _hvp_threads(nch, lanes, th, thT, lay, X, skip, acode, lcode, v, vT, st, work, parts):
    per = work.size // lanes
    for q in prange(lanes):
        lane = np.int64(q)
        for c in range(lane, nch, lanes):
            _hvp_chunk(c, nch, th, thT, lay, X, skip, acode, lcode, v, vT, st,
                       work[lane * per:(lane + 1) * per], parts)


@njit(cache=True)
def _hvp_buffers(th, lay, X, v, W, lanes):
    """The work buffer of :func:`_hvp` (grown if too small) and its parts: the chunks'
    parts (``nch x P``), ``theta`` and ``v`` transposed
    (:func:`resproof.nn.kernels.buffers.transposed`) and ``lanes`` work areas."""
    N, P = X.shape[0], th.size
    nch = _chunks(N)
    head = (nch + 2) * P
    need = head + lanes * _need(lay, (N + nch - 1) // nch)
    if W.size < need:
        W = np.empty(need)
    parts = W[:nch * P].reshape((nch, P))
    thT = transposed(lay, th, W[nch * P:(nch + 1) * P])
    vT = transposed(lay, v, W[(nch + 1) * P:head])
    return W, parts, thT, vT, W[head:need]


@njit(cache=True)
def _hvp(th, lay, X, skip, acode, lcode, v, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB, W):
    """``H v`` from the states of :func:`backward_states`, the samples in chunks
    (:func:`resproof.nn.kernels.passes.hvp_rows`) one after another, their parts added in
    chunk order (:func:`_hvp_threaded`: the chunks on threads, the same bits)."""
    W, parts, thT, vT, work = _hvp_buffers(th, lay, X, v, W, ONE)
    st = (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB)
    nch = parts.shape[0]
    for c in range(nch):
        _hvp_chunk(c, nch, th, thT, lay, X, skip, acode, lcode, v, vT, st, work, parts)
    return _sum_parts(parts), W


@njit(cache=True)
def _hvp_threaded(th, lay, X, skip, acode, lcode, v, XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB, W,
                  threads):
    """:func:`_hvp` with the chunks on ``threads`` of numba's threads."""
    lanes = _lanes(_chunks(X.shape[0]), threads)
    W, parts, thT, vT, work = _hvp_buffers(th, lay, X, v, W, lanes)
    _hvp_threads(parts.shape[0], lanes, th, thT, lay, X, skip, acode, lcode, v, vT,
                 (XS, VB, S1B, CB, G, Hl, LAM, MUB, NUB), work, parts)
    return _sum_parts(parts), W
