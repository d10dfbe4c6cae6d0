"""Activations ``s`` with ``s'`` and ``s''``, by integer code inside kernels.

``quadratic`` is ``s(t) = s0 + s1 t + s2 t^2`` with ``(s0, s1, s2)`` passed as
the activation parameters; the others take none.  ``relu`` has ``s'' = 0``
and ``s'(0) = 0`` (a subgradient); it is flagged non-smooth.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._validation import check_array, check_choice
from .kernels.activations import act_eval


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


def activate(name: str, t, params=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', s'')`` elementwise, for tests and users (not a kernel)."""
    spec, p = resolve_activation(name, params)
    t = np.asarray(t, dtype=np.float64)
    out = np.empty((3, t.size))
    for j, tj in enumerate(t.reshape(-1)):
        out[:, j] = act_eval(spec.code, p, float(tj))
    out = out.reshape(3, *t.shape)
    return out[0], out[1], out[2]
