"""The one interface landscape code sees: a smooth function of a flat vector.

Any model of :mod:`resproof.nn` (whole or on a parameter subset) and any
user's own callables satisfy :class:`Objective`; minimisers, saddle finders,
spectra and certification use nothing else.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Objective(Protocol):
    """``f: R^P -> R`` with exact first and second derivatives.

    Attributes / methods
    --------------------
    n_params
        ``P``, the length of the flat vector ``theta``.
    loss(theta)
        ``f(theta)`` as a float.
    grad(theta)
        ``nabla f(theta)``, shape ``(P,)``.
    hvp(theta, v)
        ``nabla^2 f(theta) v``, shape ``(P,)``, exact to rounding (no finite differences).
    hessian(theta)
        ``nabla^2 f(theta)``, shape ``(P, P)``, symmetric.
    """

    n_params: int

    def loss(self, theta: np.ndarray) -> float: ...

    def grad(self, theta: np.ndarray) -> np.ndarray: ...

    def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray: ...

    def hessian(self, theta: np.ndarray) -> np.ndarray: ...
