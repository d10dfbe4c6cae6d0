"""Vectorised building blocks for the kernels: ``tanh``, its ``exp``, and dot products.

libm's ``tanh`` is a call per element (about 18 ns) that LLVM cannot
vectorise.  These are straight-line float64 code (selects, no branches, no
calls), so a loop over an array compiles to SIMD instructions; no fastmath
flag is used, so every operation is IEEE rounded and the result is the same
on every machine and thread count.

``tanh`` (Cephes ``tanh.c``, Moshier): for ``|x| < 0.625`` the odd rational
``x + x z P(z) / Q(z)``, ``z = x^2``; above, ``1 - 2 / (exp(2|x|) + 1)`` with
``|x|`` clamped at 20 (where ``tanh`` rounds to 1), the ``exp`` folded into
the one division.  ``exp`` is fdlibm's ``e_exp.c`` (Cody-Waite reduction
``x = k ln2 + r``, a rational remainder, then ``2^k`` from integer arithmetic);
it is used only on ``[0, 40]``.  Both are within 2 ulp of the correctly
rounded value (tested on a dense grid against ``math.tanh``).

Sums over samples do not vectorise from plain loops: without reassociation
LLVM keeps the one sequential order, and numba does not run the SLP vectoriser
that could pack scalar partial sums.  :func:`dot_2x2` and :func:`dot` are
written in LLVM vector IR with eight lanes in a fixed order (:func:`dot_order`
is the same sum in plain code), so a result never depends on the machine,
the blocking or the thread count.
"""

from __future__ import annotations

import math
import struct

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
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


if config.DISABLE_JIT:  # type: ignore[attr-defined]  # intrinsics exist compiled only

    def _bits_to_float(i):  # type: ignore[misc]  # the Python twin of the intrinsic
        return struct.unpack("<d", struct.pack("<q", int(i)))[0]

    def _float_to_bits(x):  # type: ignore[misc]  # the Python twin of the intrinsic
        return np.int64(struct.unpack("<q", struct.pack("<d", float(x)))[0])


_SHIFTER = 6755399441055744.0   # 1.5 * 2^52: adding it rounds to an integer in the low bits


@njit(cache=True, inline="always", error_model="numpy")
def _reduce(x):
    """fdlibm's reduction ``x = k ln2 + r`` for ``0 <= x <= 40``: ``(r, s)`` with ``k``
    in the low mantissa bits of ``s`` (no float-to-int conversion, which AVX2
    lacks for packed doubles)."""
    s = x * _INV_LN2 + _SHIFTER
    k = s - _SHIFTER
    return (x - k * _LN2_HI) - k * _LN2_LO, s


@njit(cache=True, inline="always", error_model="numpy")
def _remainder(r):
    """fdlibm's ``c(r) = r - r^2 P(r^2)``, so that ``exp(r) = 1 + r + r c / (2 - c)``."""
    t = r * r
    t2 = t * t
    # Estrin's scheme: a shorter dependency chain than Horner's (it bounds the SIMD loops)
    return r - t * ((_P1 + t * _P2) + t2 * ((_P3 + t * _P4) + t2 * _P5))


@njit(cache=True, inline="always", error_model="numpy")
def _pow2(s):
    """``2^k`` for the ``s`` of :func:`_reduce`."""
    ki = _float_to_bits(s) - _float_to_bits(_SHIFTER)
    return _bits_to_float((ki + np.int64(1023)) << np.int64(52))


@njit(cache=True, inline="always", error_model="numpy")
def exp_small(x):
    """``exp(x)`` for ``0 <= x <= 40`` (fdlibm ``e_exp.c`` without its special cases):
    ``2^k (1 - ((lo - r c / (2 - c)) - hi))``, ``r = hi - lo``."""
    s = x * _INV_LN2 + _SHIFTER
    k = s - _SHIFTER
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    c = _remainder(r)
    return (1.0 - ((lo - (r * c) / (2.0 - c)) - hi)) * _pow2(s)


@njit(cache=True, inline="always", error_model="numpy")
def _tanh_reduce(x):
    """Stage 1 of :func:`tanh`: :func:`_reduce` of ``h = 2 min(|x|, 20)``."""
    return _reduce(2.0 * min(abs(x), 20.0))


@njit(cache=True, inline="always", error_model="numpy")
def _tanh_fraction(x, r, s):
    """Stage 2 of :func:`tanh`: ``tanh |x| = base + num / den`` in both branches, so
    that one division serves the selected one: ``a + (a z P(z)) / Q(z)``,
    ``z = x^2``, below 0.625; ``1 + (-2 u) / (2^k (u + 2 r) + u)``,
    ``u = 2 - c(r)``, above.  Returns ``(num, den)``."""
    u = 2.0 - _remainder(r)
    a = abs(x)
    z = a * a
    lo = a < 0.625
    num = a * z * ((_TP0 * z + _TP1) * z + _TP2) if lo else -2.0 * u
    den = (((z + _TQ1) * z + _TQ2) * z + _TQ3) if lo else _pow2(s) * (u + 2.0 * r) + u
    return num, den


@njit(cache=True, inline="always", error_model="numpy")
def _tanh_finish(x, num, den):
    """Stage 3 of :func:`tanh`: the division and the sign (NaN passes through)."""
    a = abs(x)
    y = (a if a < 0.625 else 1.0) + num / den
    return math.copysign(y, x) if a == a else x


@njit(cache=True, inline="always", error_model="numpy")
def tanh(x):
    """``tanh(x)`` for any float64 ``x`` (NaN propagates), within 2 ulp.

    Above 0.625, with ``h = 2 |x| = k ln 2 + r`` (:func:`_reduce`),
    ``exp(h) = 2^k (u + 2 r) / u`` for ``u = 2 - c(r)``, so that
    ``tanh |x| = 1 - 2 / (exp(h) + 1) = 1 - 2 u / (2^k (u + 2 r) + u)``: one
    division where ``1 - 2 / (exp_small(h) + 1)`` takes two.
    """
    r, s = _tanh_reduce(x)
    num, den = _tanh_fraction(x, r, s)
    return _tanh_finish(x, num, den)


@njit(cache=True, inline="always", error_model="numpy")
def _tanh_staged(Z, S, S1):
    """``S = tanh(Z)`` in three passes over the arrays, ``S1 = 1 - S^2``.

    One element's :func:`tanh` is a chain of ~80 cycles of latency; in one loop
    the reorder buffer holds only ~4 vector iterations, so the loop waits on it.
    Passing the stages' results through ``S, S1`` (in L1) shortens the chains,
    and the same operations give the same bits (35% less time, measured).
    """
    for j in range(Z.size):
        S[j], S1[j] = _tanh_reduce(Z[j])
    for j in range(Z.size):
        S[j], S1[j] = _tanh_fraction(Z[j], S[j], S1[j])
    for j in range(Z.size):
        t = _tanh_finish(Z[j], S[j], S1[j])
        S[j] = t
        S1[j] = 1.0 - t * t


@njit(cache=True, error_model="numpy")
def tanh_array(Z, S, S1, S2):
    """``S = tanh(Z)``, ``S1 = 1 - S^2``, ``S2 = -2 S S1`` over flat contiguous arrays."""
    _tanh_staged(Z, S, S1)
    for j in range(Z.size):
        S2[j] = -2.0 * S[j] * S1[j]


@njit(cache=True, error_model="numpy")
def tanh_pair(Z, S, S1):
    """``S = tanh(Z)``, ``S1 = 1 - S^2`` over flat contiguous arrays (no ``s''``)."""
    _tanh_staged(Z, S, S1)


_LANES = 8
_V4 = ir.VectorType(ir.DoubleType(), 4)


def _lane_dots(context, builder, rows_a, rows_b, n):
    """LLVM IR for the :func:`dot_order` sums of every row pointer in ``rows_a``
    against every one in ``rows_b``: two ``<4 x double>`` accumulators per pair."""
    intp = context.get_value_type(types.intp)
    zero = ir.Constant(_V4, [0.0] * 4)
    pairs = [(a, b) for a in rows_a for b in rows_b]
    acc = [(cgutils.alloca_once_value(builder, zero), cgutils.alloca_once_value(builder, zero))
           for _ in pairs]
    n8 = builder.sub(n, builder.srem(n, ir.Constant(intp, _LANES)))

    def vload(ptr, t):
        return builder.load(builder.bitcast(builder.gep(ptr, [t]), _V4.as_pointer()), align=8)

    with cgutils.for_range_slice(builder, ir.Constant(intp, 0), n8,
                                 ir.Constant(intp, _LANES), intp) as (t, _):
        t4 = builder.add(t, ir.Constant(intp, 4))
        va = {id(a): (vload(a, t), vload(a, t4)) for a in rows_a}
        vb = {id(b): (vload(b, t), vload(b, t4)) for b in rows_b}
        for (a, b), (lo, hi) in zip(pairs, acc, strict=True):
            for half, slot in enumerate((lo, hi)):
                prod = builder.fmul(va[id(a)][half], vb[id(b)][half])
                builder.store(builder.fadd(builder.load(slot), prod), slot)
    out = []
    for (a, b), (lo, hi) in zip(pairs, acc, strict=True):
        v = builder.fadd(builder.load(lo), builder.load(hi))
        e = [builder.extract_element(v, ir.Constant(ir.IntType(32), k)) for k in range(4)]
        tot = cgutils.alloca_once_value(
            builder, builder.fadd(builder.fadd(e[0], e[1]), builder.fadd(e[2], e[3])))
        with cgutils.for_range_slice(builder, n8, n, ir.Constant(intp, 1), intp) as (t, _):
            ea, eb = builder.load(builder.gep(a, [t])), builder.load(builder.gep(b, [t]))
            builder.store(builder.fadd(builder.load(tot), builder.fmul(ea, eb)), tot)
        out.append(builder.load(tot))
    return out


def _c_f64(*arrays) -> bool:
    return all(isinstance(a, types.Array) and a.dtype == types.float64 and a.layout == "C"
               for a in arrays)


def _row(context, builder, aty, arr, off):
    return builder.gep(context.make_array(aty)(context, builder, arr).data, [off])


@intrinsic
def dot(typingctx, a, b, oa, ob, n):
    """``sum_t a[oa + t] b[ob + t]`` over ``t < n`` in the order of :func:`dot_order`
    (``a``, ``b``: C-contiguous float64 arrays, offsets in elements)."""
    if not _c_f64(a, b):
        return None
    sig = types.float64(a, b, types.intp, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        ra = _row(context, builder, signature.args[0], args[0], args[2])
        rb = _row(context, builder, signature.args[1], args[1], args[3])
        return _lane_dots(context, builder, [ra], [rb], args[4])[0]
    return sig, codegen


@intrinsic
def dot_2x2(typingctx, a, b, oa, ob, sa, sb, n):
    """:func:`dot` of rows ``a[oa:], a[oa + sa:]`` against ``b[ob:], b[ob + sb:]``, as
    ``(a0 b0, a0 b1, a1 b0, a1 b1)``: each loaded row serves two sums."""
    if not _c_f64(a, b):
        return None
    sig = types.UniTuple(types.float64, 4)(a, b, types.intp, types.intp, types.intp,
                                           types.intp, types.intp)

    def codegen(context, builder, signature, args):
        ta, tb = signature.args[0], signature.args[1]
        rows_a = [_row(context, builder, ta, args[0], args[2]),
                  _row(context, builder, ta, args[0], builder.add(args[2], args[4]))]
        rows_b = [_row(context, builder, tb, args[1], args[3]),
                  _row(context, builder, tb, args[1], builder.add(args[3], args[5]))]
        sums = _lane_dots(context, builder, rows_a, rows_b, args[6])
        return context.make_tuple(builder, signature.return_type, sums)
    return sig, codegen


@njit(cache=True, error_model="numpy")
def dot_order(a, b, oa, ob, n):
    """:func:`dot` in plain code, its definition: lane ``l < 8`` sums the products
    ``t = l (mod 8)``, ``t < n - n mod 8``, in order of ``t``; then
    ``s = ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))`` and the tail
    ``t >= n - n mod 8`` added to ``s`` one by one."""
    n8 = n - n % _LANES
    lanes = np.zeros(_LANES)
    for c in range(0, n8, _LANES):
        for k in range(_LANES):
            lanes[k] += a[oa + c + k] * b[ob + c + k]
    s = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6])
                                                           + (lanes[3] + lanes[7]))
    for t in range(n8, n):
        s += a[oa + t] * b[ob + t]
    return s


if config.DISABLE_JIT:  # type: ignore[attr-defined]

    def dot(a, b, oa, ob, n):  # type: ignore[misc]  # the Python twin of the intrinsic
        return dot_order(a.reshape(-1), b.reshape(-1), oa, ob, n)

    def dot_2x2(a, b, oa, ob, sa, sb, n):  # type: ignore[misc]  # the Python twin
        return (dot(a, b, oa, ob, n), dot(a, b, oa, ob + sb, n),
                dot(a, b, oa + sa, ob, n), dot(a, b, oa + sa, ob + sb, n))
