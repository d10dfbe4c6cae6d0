"""Vectorisable elementary functions for the kernels (``tanh`` and its ``exp``).

libm's ``tanh`` is a call per element (about 18 ns) that LLVM cannot
vectorise.  These are straight-line float64 code (selects, no branches, no
calls), so a loop over an array compiles to SIMD instructions; no fastmath
flag is used, so every operation is IEEE rounded and the result is the same
on every machine and thread count.

``tanh`` (Cephes ``tanh.c``, Moshier): for ``|x| < 0.625`` the odd rational
``x + x z P(z) / Q(z)``, ``z = x^2``; above, ``1 - 2 / (exp(2|x|) + 1)`` with
``|x|`` clamped at 20 (where ``tanh`` rounds to 1).  ``exp`` is fdlibm's
``e_exp.c`` (Cody-Waite reduction ``x = k ln2 + r``, a rational remainder, then
``2^k`` from integer arithmetic); it is used only on ``[0, 40]``.  Both are
within 2 ulp of the correctly rounded value (tested on a dense grid against
``math.tanh``).
"""

from __future__ import annotations

import math
import struct

import numpy as np
from numba import config, njit, types
from numba.extending import intrinsic

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08

_TP0 = -9.64399179425052238628e-01
_TP1 = -9.92877231001918586564e01
_TP2 = -1.61468768441708447952e03
_TQ1 = 1.12811678491632931402e02
_TQ2 = 2.23548839060100448583e03
_TQ3 = 4.84406305325125486048e03


@intrinsic
def _bits_to_float(typingctx, i):
    """Reinterpret the bits of an int64 as a float64 (a register move, vectorisable)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@intrinsic
def _float_to_bits(typingctx, x):
    """Reinterpret the bits of a float64 as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


if config.DISABLE_JIT:  # intrinsics only exist compiled; the same bits in Python

    def _bits_to_float(i):
        return struct.unpack("<d", struct.pack("<q", int(i)))[0]

    def _float_to_bits(x):
        return np.int64(struct.unpack("<q", struct.pack("<d", float(x)))[0])


_SHIFTER = 6755399441055744.0   # 1.5 * 2^52: adding it rounds to an integer in the low bits


@njit(cache=True, inline="always", error_model="numpy")
def exp_small(x):
    """``exp(x)`` for ``0 <= x <= 40`` (fdlibm ``e_exp.c`` without its special cases)."""
    # k = nearest integer to x / ln 2, read from the low mantissa bits after adding
    # the shifter (no float-to-int conversion, which AVX2 lacks for packed doubles)
    s = x * _INV_LN2 + _SHIFTER
    k = s - _SHIFTER
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    ki = _float_to_bits(s) - _float_to_bits(_SHIFTER)
    return y * _bits_to_float((ki + np.int64(1023)) << np.int64(52))


@njit(cache=True, inline="always", error_model="numpy")
def tanh(x):
    """``tanh(x)`` for any float64 ``x`` (NaN propagates), within 2 ulp."""
    a = abs(x)
    z = a * a
    e = exp_small(2.0 * min(a, 20.0))
    # both branches as base + num / den, so one division serves the selected one:
    # a + (a z P(z)) / Q(z) below 0.625, 1 + (-2) / (e + 1) above
    lo = a < 0.625
    base = a if lo else 1.0
    num = a * z * ((_TP0 * z + _TP1) * z + _TP2) if lo else -2.0
    den = (((z + _TQ1) * z + _TQ2) * z + _TQ3) if lo else e + 1.0
    t = base + num / den
    return math.copysign(t, x) if a == a else x


@njit(cache=True, error_model="numpy")
def tanh_array(Z, S, S1, S2):
    """``S = tanh(Z)``, ``S1 = 1 - S^2``, ``S2 = -2 S S1`` over flat contiguous arrays."""
    for j in range(Z.size):
        t = tanh(Z[j])
        d = 1.0 - t * t
        S[j] = t
        S1[j] = d
        S2[j] = -2.0 * t * d
