"""Per-sample losses ``l(yhat, y)`` with ``dl/dyhat`` and ``d^2 l/dyhat^2``.

The risk is ``R = (1/N) sum_n l(yhat_n, y_n)``.  Losses are sums over the
``N_o`` outputs except softmax cross-entropy, which couples them:

* ``squared``      ``l = 1/2 ||yhat - y||^2``                     convex, C2
* ``logistic``     ``l = sum_o log(1 + exp(-y_o yhat_o))`` (y = +-1) convex, C2, Lipschitz max|y|
* ``pseudo_huber`` ``l = sum_o d^2 (sqrt(1 + (r_o/d)^2) - 1)``    convex, C2, Lipschitz d
* ``softmax_ce``   ``l = -sum_o y_o log softmax(yhat)_o``         convex, C2, Lipschitz sqrt 2
  (``y`` a probability vector)
* ``welsch``       ``l = sum_o c^2/2 (1 - exp(-r_o^2 / c^2))``    NOT convex (for controls), C2
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_choice, check_real
from .kernels.losses import loss_eval


@dataclasses.dataclass(frozen=True)
class LossSpec:
    """A loss: kernel ``code``, flags, default parameter and Lipschitz constant in ``yhat``."""

    name: str
    code: int
    convex: bool
    c2: bool
    default_param: float = 1.0
    lipschitz: str | None = None   # formula for the Lipschitz constant, None = not Lipschitz


LOSSES: dict[str, LossSpec] = {
    "squared": LossSpec("squared", 0, True, True),
    "logistic": LossSpec("logistic", 1, True, True, lipschitz="max |y|"),
    "pseudo_huber": LossSpec("pseudo_huber", 2, True, True, lipschitz="delta"),
    "softmax_ce": LossSpec("softmax_ce", 3, True, True, lipschitz="sqrt(2)"),
    "welsch": LossSpec("welsch", 4, False, True, lipschitz="c / sqrt(2e)"),
}


def resolve_loss(name: str, param: float | None = None) -> tuple[LossSpec, np.ndarray]:
    """Validate the loss name and its scale (``delta`` / ``c``); float64 params array."""
    spec = LOSSES[check_choice("loss", name, LOSSES)]
    value = spec.default_param if param is None else check_real("loss_param", param, positive=True)
    return spec, np.array([value], dtype=np.float64)


def lipschitz_constant(name: str, param: float | None = None, y_max: float = 1.0) -> float:
    """Lipschitz constant of ``t -> l_o(t, y)`` per output coordinate (inf if none).

    ``y_max`` bounds ``|y|`` for the logistic loss; softmax cross-entropy is
    Lipschitz ``sqrt(2)`` in ``yhat`` (Euclidean) for probability vectors ``y``.
    """
    spec, p = resolve_loss(name, param)
    if spec.name == "logistic":
        return float(abs(y_max))
    if spec.name == "pseudo_huber":
        return float(p[0])
    if spec.name == "softmax_ce":
        return float(np.sqrt(2.0))
    if spec.name == "welsch":
        return float(p[0] / np.sqrt(2.0 * np.e))
    return float("inf")


def loss_value(name: str, yhat, y, param: float | None = None):
    """``(l, dl/dyhat, d^2 l/dyhat^2)`` of one sample, for tests and users (not a kernel)."""
    spec, p = resolve_loss(name, param)
    yhat = np.ascontiguousarray(yhat, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    g = np.empty_like(yhat)
    H = np.empty((yhat.size, yhat.size))
    val = loss_eval(spec.code, p, yhat, y, g, H, True)
    return float(val), g, H


