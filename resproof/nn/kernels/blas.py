"""``dgemm`` with ``beta`` for the compiled kernels, from SciPy's BLAS.

numba's ``np.dot`` computes ``C = A B`` only; the kernels need sums of products
(``C = A B + C' D'`` in every R-operator step) and accumulation into a state
(``X_i = X_{i-1} + V_i W_i^T``), which ``beta = 1`` gives without a scratch
array and an extra pass over it.  SciPy exports the BLAS it ships
(``scipy.linalg.cython_blas``, the same OpenBLAS that ``np.dot`` reaches in
numba); its ``dgemm`` is bound here as an external symbol, which keeps the
kernels cacheable (a ctypes pointer would not).
"""

from __future__ import annotations

import llvmlite.binding
import numpy as np
from numba import njit, types
from numba.extending import get_cython_function_address

llvmlite.binding.add_symbol(
    "resproof_dgemm", get_cython_function_address("scipy.linalg.cython_blas", "dgemm"))
_dgemm = types.ExternalFunction("resproof_dgemm", types.void(*([types.voidptr] * 13)))

_N, _T = ord("N"), ord("T")


@njit(cache=True)
def gemm(A, ta, B, tb, C, beta, scratch):
    """``C = op(A) op(B) + beta C`` for C-contiguous (row-major) 2-D ``A, B, C``;
    ``op(A) = A^T`` if ``ta``.  ``scratch``: an int32 array of at least 8 entries
    and a float64 one of at least 2 (kept by the caller: no allocation per call).

    Row-major ``C`` is column-major ``C^T = op(B)^T op(A)^T``, so the column-major
    ``dgemm`` is called with the operands swapped.
    """
    if not (_rows_packed(A) and _rows_packed(B) and _rows_packed(C)):
        raise ValueError("gemm: operands must be row-major with packed rows")
    ints, reals = scratch
    m, n = C.shape
    k = A.shape[0] if ta else A.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        for i in range(m):
            for j in range(n):
                C[i, j] *= beta
        return
    ints[0] = _T if tb else _N
    ints[1] = _T if ta else _N
    ints[2], ints[3], ints[4] = n, m, k
    ints[5], ints[6], ints[7] = B.shape[1], A.shape[1], n
    reals[0], reals[1] = 1.0, beta
    _dgemm(ints[0:].ctypes, ints[1:].ctypes, ints[2:].ctypes, ints[3:].ctypes, ints[4:].ctypes,
           reals[0:].ctypes, B.ctypes, ints[5:].ctypes, A.ctypes, ints[6:].ctypes,
           reals[1:].ctypes, C.ctypes, ints[7:].ctypes)


@njit(cache=True)
def _rows_packed(A):
    inner = A.shape[1] <= 1 or A.strides[1] == 8
    outer = A.shape[0] <= 1 or A.strides[0] == A.strides[1] * A.shape[1]
    return inner and outer


@njit(cache=True)
def new_scratch():
    """The integer and real scratch of :func:`gemm` (one per thread)."""
    return np.zeros(8, dtype=np.int32), np.zeros(2)
