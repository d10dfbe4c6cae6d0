"""Activations ``s`` with ``s'`` and ``s''``, by integer code inside kernels.

``quadratic`` is ``s(t) = s0 + s1 t + s2 t^2`` with ``(s0, s1, s2)`` passed as
the activation parameters; the others take none.  ``relu`` has ``s'' = 0``
and ``s'(0) = 0`` (a subgradient); it is flagged non-smooth.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numba import njit

from .._validation import check_array, check_choice
from . import fastmath


@dataclasses.dataclass(frozen=True)
class ActivationSpec:
    """An activation: its kernel ``code``, whether it is C^2, whether polynomial, its
    global Lipschitz constant (``inf`` if none) and whether ``s(0) = 0`` (for
    ``quadratic`` that depends on ``s0``, so it is not claimed)."""

    name: str
    code: int
    smooth: bool
    polynomial: bool
    n_params: int = 0
    lipschitz: float = math.inf
    fixes_zero: bool = False


ACTIVATIONS: dict[str, ActivationSpec] = {
    "identity": ActivationSpec("identity", 0, True, True, lipschitz=1.0, fixes_zero=True),
    "tanh": ActivationSpec("tanh", 1, True, False, lipschitz=1.0, fixes_zero=True),
    "softplus": ActivationSpec("softplus", 2, True, False, lipschitz=1.0),
    "sigmoid": ActivationSpec("sigmoid", 3, True, False, lipschitz=0.25),
    "relu": ActivationSpec("relu", 4, False, False, lipschitz=1.0, fixes_zero=True),
    "square": ActivationSpec("square", 5, True, True, fixes_zero=True),
    "quadratic": ActivationSpec("quadratic", 6, True, True, n_params=3),
}


def resolve_activation(name: str, params=()) -> tuple[ActivationSpec, np.ndarray]:
    """Validate ``name`` and its parameters; return the spec and a float64 array of 3."""
    spec = ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]
    p = check_array("activation_params", params if len(params) else np.zeros(0), ndim=1)
    if p.size != spec.n_params:
        raise _bad_params(spec, p)
    out = np.zeros(3)
    out[: p.size] = p
    return spec, out


def _bad_params(spec: ActivationSpec, p: np.ndarray):
    from ..errors import InvalidInput

    return InvalidInput("activation_params", f"{spec.n_params} numbers for {spec.name!r}",
                        p.tolist())


@njit(cache=True)
def act_eval(code, p, t):
    """``(s(t), s'(t), s''(t))`` of activation ``code`` with parameters ``p``.

    ``tanh`` is :func:`resproof.nn.fastmath.tanh` (within 2 ulp), the same
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


def activate(name: str, t, params=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', s'')`` elementwise, for tests and users (not a kernel)."""
    spec, p = resolve_activation(name, params)
    t = np.asarray(t, dtype=np.float64)
    out = np.empty((3, *t.shape))
    flat = t.reshape(-1)
    for j, tj in enumerate(flat):
        out[:, *np.unravel_index(j, t.shape)] = act_eval(spec.code, p, float(tj))
    return out[0], out[1], out[2]
