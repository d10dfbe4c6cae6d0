"""Activations ``s, s', s''`` by integer code, compiled (the codes of
:data:`resproof.nn.activations.ACTIVATIONS`)."""

from __future__ import annotations

import math

from numba import njit

from . import fastmath


@njit(cache=True)
def act_eval(code, p, t):
    """``(s(t), s'(t), s''(t))`` of activation ``code`` with parameters ``p``.

    ``tanh`` is :func:`resproof.nn.kernels.fastmath.tanh` (within 2 ulp), the same
    function :func:`act_arrays` vectorises, so both paths agree to the bit.
    """
    if code == 1:
        th = fastmath.tanh(t)
        d = 1.0 - th * th
        return th, d, -2.0 * th * d
    if code == 0:
        return t, 1.0, 0.0
    if code == 2:
        if t > 0.0:
            s = t + math.log1p(math.exp(-t))
            e = math.exp(-t)
            sg = 1.0 / (1.0 + e)
        else:
            e = math.exp(t)
            s = math.log1p(e)
            sg = e / (1.0 + e)
        return s, sg, sg * (1.0 - sg)
    if code == 3:
        if t >= 0.0:
            sg = 1.0 / (1.0 + math.exp(-t))
        else:
            e = math.exp(t)
            sg = e / (1.0 + e)
        d = sg * (1.0 - sg)
        return sg, d, d * (1.0 - 2.0 * sg)
    if code == 4:
        if t > 0.0:
            return t, 1.0, 0.0
        return 0.0, 0.0, 0.0
    if code == 5:
        return t * t, 2.0 * t, 2.0
    return p[0] + t * (p[1] + p[2] * t), p[1] + 2.0 * p[2] * t, 2.0 * p[2]


@njit(cache=True, error_model="numpy")
def act_arrays(code, p, Z, S, S1, S2):
    """``S, S1, S2 = s(Z), s'(Z), s''(Z)`` over flat contiguous arrays.

    tanh, the bench activation, has its own SIMD loop; the others call
    :func:`act_eval` per element.
    """
    if code == 1:
        fastmath.tanh_array(Z, S, S1, S2)
        return
    for j in range(Z.size):
        S[j], S1[j], S2[j] = act_eval(code, p, Z[j])
