"""Views and work buffers shared by the compiled ResNEst kernels.

A parameter table ``lay`` (:mod:`resproof.nn.layout`) locates every weight in the
flat vector ``th``; block-major state buffers keep block ``i`` (``N x K_i``)
contiguous at ``N ko_i``; temporaries are carved from one work buffer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..layout import HEAD, PER_BLOCK

#: Integer and boolean arguments that compiled kernels pass to compiled callees.  A literal
#: (``0``, ``True``) would have numba compile the callee once for each value it is passed;
#: numpy scalars are typed ``int64`` / ``bool``, so each callee compiles once.
ZERO, ONE = np.int64(0), np.int64(1)
NO, YES = np.bool_(False), np.bool_(True)


@njit(cache=True)
def _block(lay, i):
    """``(K_i, off U_i, off b_i, off W_i, column offset)`` of block ``i`` (0-based)."""
    j = HEAD + PER_BLOCK * i
    return lay[j], lay[j + 1], lay[j + 2], lay[j + 3], lay[j + 4]


@njit(cache=True)
def _mat(th, off, r, c):
    return th[off:off + r * c].reshape((r, c))


@njit(cache=True)
def _bv(B, N, ko, K):
    """Block ``i`` (``N x K_i``, contiguous) of a block-major state buffer."""
    return B[N * ko:N * (ko + K)].reshape((N, K))


@njit(cache=True)
def _sum_k(lay):
    out = 0
    for i in range(lay[3]):
        out += _block(lay, i)[0]
    return out


@njit(cache=True)
def _take(W, pos, shape):
    """The next ``prod(shape)`` entries of the work buffer ``W``, shaped, and the new position.

    Kernels carve their temporaries out of one buffer that the Python wrappers
    keep between calls: fresh multi-megabyte arrays cost more in page faults than
    the products written into them (measured: 20 of 32 ms of a size-L forward).
    """
    n = 1
    for d in shape:
        n *= d
    return W[pos:pos + n].reshape(shape), pos + n


@njit(cache=True)
def _take_ones(W, pos, n):
    """An ``n x 1`` column of ones carved from ``W`` at ``pos`` (as :func:`_take`): a product
    with it adds rows (``1^T A``) or broadcasts one (``1 b^T``) in BLAS."""
    ones, pos = _take(W, pos, (n, 1))
    for r in range(n):
        ones[r, 0] = 1.0
    return ones, pos


@njit(cache=True)
def _max_k(lay):
    out = 0
    for i in range(lay[3]):
        out = max(out, _block(lay, i)[0])
    return out


@njit(cache=True)
def _need(lay, N):
    """Work buffer size of every kernel here."""
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    return (2 * (L + 2) * N * M + 8 * N * _sum_k(lay) + 4 * N * N_o + 4 * N * (M + N_in)
            + M * _max_k(lay))


@njit(cache=True)
def _put_transpose(out, th, off, r, c):
    for i in range(r):
        for j in range(c):
            out[off + j * r + i] = th[off + i * c + j]


@njit(cache=True)
def transposed(lay, th, out):
    """``out``: ``th`` with every weight matrix stored transposed at its own offset
    (``W_0^T``, ``U_i^T``, ``W_i^T``, ``W_{L+1}^T``; biases as they are).

    OpenBLAS multiplies ``(n x M)(M x K)`` at 72 GF/s but ``(n x M)(K x M)^T`` at 44
    (SkylakeX small-matrix kernels, one thread, n = 512, measured), so the tangent
    forward pass reads its weights from here.
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    _put_transpose(out, th, lay[4], M, N_in)
    for i in range(L):
        K, oU, ob, oW, _ = _block(lay, i)
        _put_transpose(out, th, oU, K, M)
        for k in range(K):
            out[ob + k] = th[ob + k]
        _put_transpose(out, th, oW, M, K)
    _put_transpose(out, th, lay[5], N_o, M)
    return out


@njit(cache=True)
def _put_dot(g, off, A, B):
    """``g[off : off + r c] = (A^T B).ravel()`` for ``A`` (``N x r``), ``B`` (``N x c``)."""
    r, c = A.shape[1], B.shape[1]
    np.dot(A.T, B, g[off:off + r * c].reshape((r, c)))


@njit(cache=True)
def _axpy(y, a, x):
    """``y += a x`` elementwise over equal-shape 2-D arrays."""
    for n in range(y.shape[0]):
        for m in range(y.shape[1]):
            y[n, m] += a * x[n, m]


@njit(cache=True)
def _copy(dst, src):
    """``dst[...] = src`` elementwise over equal-shape 2-D arrays (a slice assignment
    compiles numba's shape-error formatting, seconds of a first run)."""
    for n in range(dst.shape[0]):
        for m in range(dst.shape[1]):
            dst[n, m] = src[n, m]


@njit(cache=True)
def _copy_row(dst, src):
    """``dst[:] = src`` elementwise over equal-length 1-D arrays (see :func:`_copy`)."""
    for n in range(dst.shape[0]):
        dst[n] = src[n]
