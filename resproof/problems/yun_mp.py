"""The risk of a :class:`~resproof.nn.yun.YunResNet` in mpmath, for certification.

``h_0 = x``, ``h_l = h_{l-1} + sigma V_l phi_l(U_l h_{l-1})`` with ``phi_l = s`` or
(:class:`~resproof.nn.models.YunTwoLayerResNet`) ``phi_l(u) = s(A_l s(u))`` (``sigma = 1`` with the
skip, 0 without), ``f = w^T h_L``, ``R(theta) = (1/N) sum_n l(f(x_n); y_n)``,
parameters in the order of the model's ``split`` (``U_1, [A_1,] V_1, ..., w``,
row-major; no biases).

Derivatives are exact to the working precision by forward-mode jets: every
intermediate scalar ``a`` carries ``(a, grad a, hess a)`` over the ``P``
parameters, with the chain rules

* ``(a b)' = a b' + b a'``, ``(a b)'' = a b'' + b a'' + a' b'^T + b' a'^T``;
* ``u(a)' = u'(a) a'``, ``u(a)'' = u'(a) a'' + u''(a) a' a'^T``

for the activations (``tanh``, ``softplus``, ``identity``) and the losses
(``squared``, ``logistic``, ``pseudo_huber``).  The cost is ``O(P^2)`` per
operation, fine for the few-parameter instances the claims certify.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..errors import InvalidInput
from ..nn.models import YunTwoLayerResNet
from ..nn.yun import YunResNet

ACTIVATIONS = ("tanh", "softplus", "identity")
LOSSES = ("squared", "logistic", "pseudo_huber")


class _Jet:
    """A scalar with its gradient and, when ``second``, its Hessian over ``P`` parameters
    (``None`` stands for zero)."""

    __slots__ = ("g", "h", "second", "v")

    def __init__(self, v: Any, g: np.ndarray | None, h: np.ndarray | None, second: bool):
        self.v, self.g, self.h, self.second = v, g, h, second

    def __add__(self, other: _Jet) -> _Jet:
        return _Jet(self.v + other.v, _add(self.g, other.g), _add(self.h, other.h),
                    self.second)

    def __mul__(self, other: _Jet) -> _Jet:
        g = _add(_scale(other.v, self.g), _scale(self.v, other.g))
        h = None
        if self.second:
            h = _add(_scale(other.v, self.h), _scale(self.v, other.h))
            if self.g is not None and other.g is not None:
                cross = np.outer(self.g, other.g)
                h = _add(h, cross + cross.T)
        return _Jet(self.v * other.v, g, h, self.second)

    def apply(self, value: Any, first: Any, second: Any) -> _Jet:
        """``u(self)`` given ``u, u', u''`` at ``self.v``."""
        g = None if self.g is None else first * self.g
        h = None
        if self.second and self.g is not None:
            h = second * np.outer(self.g, self.g)
            if self.h is not None:
                h = h + first * self.h
        return _Jet(value, g, h, self.second)


def _add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _scale(c: Any, a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else c * a


def _activation(name: str, a: _Jet) -> _Jet:
    if name == "identity":
        return a
    if name == "tanh":
        t = mpmath.tanh(a.v)
        d1 = 1 - t * t
        return a.apply(t, d1, -2 * t * d1)
    sig = 1 / (1 + mpmath.exp(-a.v))
    return a.apply(mpmath.log1p(mpmath.exp(a.v)), sig, sig * (1 - sig))


def _loss(name: str, p: _Jet, y: Any, param: Any) -> _Jet:
    if name == "squared":
        r = p.v - y
        return p.apply(r * r / 2, r, mpmath.mpf(1))
    if name == "logistic":
        m = -y * p.v
        sig = 1 / (1 + mpmath.exp(-m))  # sigma(-y p)
        return p.apply(mpmath.log1p(mpmath.exp(m)), -y * sig, y * y * sig * (1 - sig))
    r = (p.v - y) / param
    root = mpmath.sqrt(1 + r * r)
    return p.apply(param * param * (root - 1), param * r / root, 1 / root ** 3)


class YunHighPrecision:
    """:class:`~resproof.landscape.certify.HighPrecisionObjective` of a bias-free
    YunResNet risk; data are taken as exact (the float values, or ``mpf`` given)."""

    def __init__(self, model: YunResNet | YunTwoLayerResNet, X: Any, y: Any, loss: str = "squared",
                 loss_param: float = 1.0):
        if model.bias:
            raise InvalidInput("model", "a YunResNet without biases", model)
        if model.activation not in ACTIVATIONS:
            raise InvalidInput("activation", f"one of {ACTIVATIONS}", model.activation)
        if loss not in LOSSES:
            raise InvalidInput("loss", f"one of {LOSSES}", loss)
        self.model, self.loss_name = model, loss
        self.X = [[_mp(v) for v in row] for row in np.asarray(X, dtype=object)]
        self.y = [_mp(v) for v in np.asarray(y, dtype=object).reshape(-1)]
        self.param = _mp(loss_param)
        self.n_params = model.n_params
        self._shapes = [(name, value.shape) for name, value in
                        model.split(np.zeros(model.n_params)).items()]

    def _unpack(self, theta: Any, order: int) -> dict[str, np.ndarray]:
        P = self.n_params
        t = [_mp(v) for v in theta]
        eye = np.array([[mpmath.mpf(int(i == j)) for j in range(P)] for i in range(P)],
                       dtype=object)
        jets = [_Jet(t[i], eye[i] if order >= 1 else None, None, order >= 2)
                for i in range(P)]
        out, pos = {}, 0
        for name, shape in self._shapes:
            size = int(np.prod(shape))
            out[name] = np.array(jets[pos:pos + size], dtype=object).reshape(shape)
            pos += size
        return out

    def _sample_loss(self, p: dict[str, np.ndarray], x: list, y: Any) -> _Jet:
        second = p["Wout"].reshape(-1)[0].second
        h = [_Jet(v, None, None, second) for v in x]
        sigma = 1 if self.model.skip else 0
        for i in range(1, self.model.depth + 1):
            U, V = p[f"U{i}"], p[f"W{i}"]
            z = [_dot(U[j], h) for j in range(U.shape[0])]
            s = [_activation(self.model.activation, zj) for zj in z]
            if f"A{i}" in p:  # two-layer phi_l = s(A_l s(U_l h))
                A = p[f"A{i}"]
                s = [_activation(self.model.activation, _dot(A[j], s))
                     for j in range(A.shape[0])]
            new = [_dot(V[r], s) for r in range(V.shape[0])]
            h = new if not sigma else [a + b for a, b in zip(h, new, strict=True)]
        f = _dot(p["Wout"][0], h)
        return _loss(self.loss_name, f, y, self.param)

    def _risk(self, theta: Any, order: int) -> _Jet:
        p = self._unpack(theta, order)
        total: _Jet | None = None
        for x, y in zip(self.X, self.y, strict=True):
            term = self._sample_loss(p, x, y)
            total = term if total is None else total + term
        if total is None:
            raise InvalidInput("X", "at least one sample", "none")
        n = len(self.y)
        return _Jet(total.v / n, None if total.g is None else total.g / n,
                    None if total.h is None else total.h / n, order >= 2)

    def mp_loss(self, theta: Any) -> Any:
        return self._risk(theta, 0).v

    def mp_grad(self, theta: Any) -> Any:
        g = self._risk(theta, 1).g
        if g is None:  # no sample depends on theta
            return mpmath.matrix([mpmath.mpf(0)] * self.n_params)
        return mpmath.matrix(list(g))

    def mp_hessian(self, theta: Any) -> Any:
        jet = self._risk(theta, 2)
        P = self.n_params
        H = jet.h if jet.h is not None else np.full((P, P), mpmath.mpf(0), dtype=object)
        return mpmath.matrix(H.tolist())


def loss_mp(name: str, prediction: Any, y: Any, param: Any = 1) -> Any:
    """``l(p; y)`` in the working precision: ``(p - y)^2 / 2``, ``log(1 + e^{-y p})``,
    ``delta^2 (sqrt(1 + ((p - y)/delta)^2) - 1)``."""
    if name not in LOSSES:
        raise InvalidInput("loss", f"one of {LOSSES}", name)
    return _loss(name, _Jet(_mp(prediction), None, None, False), _mp(y), _mp(param)).v


def risk_of_predictions_mp(predictions: Any, y: Any, loss: str, loss_param: float = 1.0,
                           dps: int = 50) -> Any:
    """``(1/N) sum_n l(f_n; y_n)`` at ``dps`` digits, the predictions and targets taken
    as exact (floats, Fractions or mpf)."""
    with mpmath.workdps(dps):
        values = [loss_mp(loss, _mp_exact(f), _mp_exact(t), loss_param)
                  for f, t in zip(predictions, np.asarray(y).reshape(-1), strict=True)]
        return mpmath.fsum(values) / len(values)


def linear_risk_upper_mp(X: Any, y: Any, t: Any, loss: str, loss_param: float = 1.0,
                         dps: int = 50) -> Any:
    """``R(t) = (1/N) sum_n l(t^T x_n; y_n)`` at ``dps`` digits for one feasible linear
    predictor ``t`` (data and ``t`` exact as given): an upper bound of
    ``R_lin = inf_t R(t)``, whatever solver produced ``t``."""
    with mpmath.workdps(dps):
        tt = [_mp_exact(v) for v in np.asarray(t, dtype=object).reshape(-1)]
        preds = [mpmath.fsum(a * _mp_exact(b) for a, b in zip(tt, row, strict=True))
                 for row in np.asarray(X, dtype=object)]
        return risk_of_predictions_mp(preds, y, loss, loss_param, dps)


def _mp_exact(v: Any) -> Any:
    """An mpf of ``v`` (a Fraction as the quotient at the working precision)."""
    from fractions import Fraction

    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return _mp(v)


def _dot(row: np.ndarray, vec: list) -> _Jet:
    total: _Jet | None = None
    for a, b in zip(row, vec, strict=True):
        term = a * b
        total = term if total is None else total + term
    if total is None:
        raise InvalidInput("row", "a non-empty row", "an empty one")
    return total


def _mp(v: Any) -> Any:
    return v if isinstance(v, mpmath.mpf) else mpmath.mpf(float(v)) if not isinstance(
        v, (int, str)) else mpmath.mpf(v)
