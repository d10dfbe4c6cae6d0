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
import math

import numpy as np
from numba import njit

from .._validation import check_choice, check_real


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


@njit(cache=True)
def loss_eval(code, p, yhat, y, g, H, want_h):
    """``l(yhat, y)``; fills ``g = dl/dyhat`` and, if ``want_h``, ``H = d^2 l/dyhat^2``."""
    n_o = yhat.shape[0]
    if want_h:
        for a in range(n_o):
            for b in range(n_o):
                H[a, b] = 0.0
    total = 0.0
    if code == 3:
        m = yhat[0]
        for o in range(1, n_o):
            m = max(m, yhat[o])
        z = 0.0
        for o in range(n_o):
            g[o] = math.exp(yhat[o] - m)
            z += g[o]
        lse = m + math.log(z)
        ysum = 0.0
        for o in range(n_o):
            total += y[o] * (lse - yhat[o])
            ysum += y[o]
            g[o] = g[o] / z
        if want_h:
            for a in range(n_o):
                for b in range(n_o):
                    H[a, b] = -ysum * g[a] * g[b]
                H[a, a] += ysum * g[a]
        for o in range(n_o):
            g[o] = ysum * g[o] - y[o]
        return total
    for o in range(n_o):
        r = yhat[o] - y[o]
        if code == 0:
            total += 0.5 * r * r
            g[o] = r
            h = 1.0
        elif code == 1:
            t = -y[o] * yhat[o]
            if t > 0.0:
                total += t + math.log1p(math.exp(-t))
                sg = 1.0 / (1.0 + math.exp(-t))
            else:
                e = math.exp(t)
                total += math.log1p(e)
                sg = e / (1.0 + e)
            g[o] = -y[o] * sg
            h = y[o] * y[o] * sg * (1.0 - sg)
        elif code == 2:
            d = p[0]
            q = math.sqrt(1.0 + (r / d) ** 2)
            total += d * d * (q - 1.0)
            g[o] = r / q
            h = 1.0 / (q * q * q)
        else:
            c2 = p[0] * p[0]
            e = math.exp(-r * r / c2)
            total += 0.5 * c2 * (1.0 - e)
            g[o] = r * e
            h = e * (1.0 - 2.0 * r * r / c2)
        if want_h:
            H[o, o] = h
    return total


def loss_value(name: str, yhat, y, param: float | None = None):
    """``(l, dl/dyhat, d^2 l/dyhat^2)`` of one sample, for tests and users (not a kernel)."""
    spec, p = resolve_loss(name, param)
    yhat = np.ascontiguousarray(yhat, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    g = np.empty_like(yhat)
    H = np.empty((yhat.size, yhat.size))
    val = loss_eval(spec.code, p, yhat, y, g, H, True)
    return float(val), g, H


@njit(cache=True)
def risk(yhat, Y, lcode, lp, G, Hl, want_h):
    """``R``; fills ``G = dR/dYhat`` and (if ``want_h``) ``Hl[n] = d^2 R / dyhat_n^2``."""
    return risk_part(yhat, Y, lcode, lp, G, Hl, want_h, 1.0 / yhat.shape[0])


@njit(cache=True)
def risk_part(yhat, Y, lcode, lp, G, Hl, want_h, inv):
    """:func:`risk` of some of the samples, ``inv = 1/N`` for all ``N`` of them: the
    part ``inv sum_n l(yhat_n, y_n)`` over these rows, ``G`` and ``Hl`` likewise scaled."""
    N, N_o = yhat.shape
    h = np.empty((N_o, N_o))
    total = 0.0
    if lcode == 0 and not want_h:
        # the squared loss inline, in loss_eval's order of operations
        for n in range(N):
            tn = 0.0
            for o in range(N_o):
                r = yhat[n, o] - Y[n, o]
                tn += 0.5 * r * r
                G[n, o] = r * inv
            total += tn
        return total * inv
    for n in range(N):
        total += loss_eval(lcode, lp, yhat[n], Y[n], G[n], h, want_h)
        if want_h:
            for a in range(N_o):
                for b in range(N_o):
                    Hl[n, a, b] = h[a, b] * inv
        for a in range(N_o):
            G[n, a] *= inv
    return total * inv
