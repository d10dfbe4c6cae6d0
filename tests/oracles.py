"""Slow, independent references for the compiled kernels (test oracles only).

* :func:`numpy_loss` -- a plain per-sample loop forward pass in numpy;
* :func:`central_gradient` / :func:`central_hvp` -- central differences;
* :func:`taylor_slope` -- the slope of the first-order Taylor remainder;
* :func:`sympy_derivatives` -- exact SymPy gradient and Hessian of a tiny network.
"""

from __future__ import annotations

import math

import numpy as np
import sympy

ACT = {
    "identity": (lambda t: t, lambda t: t),
    "tanh": (math.tanh, sympy.tanh),
    "softplus": (lambda t: math.log1p(math.exp(t)), lambda t: sympy.log(1 + sympy.exp(t))),
    "sigmoid": (lambda t: 1 / (1 + math.exp(-t)), lambda t: 1 / (1 + sympy.exp(-t))),
    "relu": (lambda t: max(t, 0.0), None),
    "square": (lambda t: t * t, lambda t: t ** 2),
}


def sample_loss(name: str, yhat: np.ndarray, y: np.ndarray, param: float = 1.0) -> float:
    r = yhat - y
    if name == "squared":
        return 0.5 * float(r @ r)
    if name == "logistic":
        return float(sum(math.log1p(math.exp(-a * b)) for a, b in zip(y, yhat, strict=True)))
    if name == "pseudo_huber":
        return float(sum(param ** 2 * (math.sqrt(1 + (e / param) ** 2) - 1) for e in r))
    if name == "softmax_ce":
        m = max(yhat)
        lse = m + math.log(sum(math.exp(a - m) for a in yhat))
        return float(sum(b * (lse - a) for a, b in zip(yhat, y, strict=True)))
    if name == "welsch":
        return float(sum(0.5 * param ** 2 * (1 - math.exp(-e * e / param ** 2)) for e in r))
    raise KeyError(name)


def numpy_loss(layout, theta, X, Y, activation="tanh", loss="squared", skip=True) -> float:
    """``R`` by an explicit loop over samples and blocks."""
    w = layout.views(theta)
    s = ACT[activation][0]
    total = 0.0
    for x, y in zip(X, Y, strict=True):
        h = w["W0"] @ x
        for i in range(1, layout.n_blocks + 1):
            v = np.array([s(t) for t in w[f"U{i}"] @ h + w[f"b{i}"]])
            h = (h if skip else 0.0) + w[f"W{i}"] @ v
        total += sample_loss(loss, w["Wout"] @ h, y)
    return total / X.shape[0]


def central_gradient(f, t: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.empty_like(t)
    for j in range(t.size):
        e = np.zeros_like(t)
        e[j] = h
        g[j] = (f(t + e) - f(t - e)) / (2 * h)
    return g


def central_hvp(grad, t: np.ndarray, v: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return (grad(t + h * v) - grad(t - h * v)) / (2 * h)


def taylor_slope(f, g: np.ndarray, t: np.ndarray, v: np.ndarray) -> float:
    """Log-log slope of ``|f(t + h v) - f(t) - h g.v|`` over ``h`` in ``[1e-5, 1e-3]``: 2 if
    ``g`` is the gradient, 1 if not."""
    hs = np.logspace(-5, -3, 5)
    f0, d = f(t), g @ v
    errs = [abs(f(t + h * v) - f0 - h * d) for h in hs]
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def sympy_derivatives(layout, theta, X, Y, activation="tanh"):
    """Exact gradient and Hessian of the squared-loss risk of a tiny network, as floats."""
    syms = sympy.symbols(f"p0:{layout.n_params}")
    shapes = layout.shapes
    slices = layout.slices
    mats = {n: sympy.Matrix(*(shapes[n] if len(shapes[n]) == 2 else (shapes[n][0], 1)),
                            list(syms[slices[n]])) for n in layout.names}
    s = ACT[activation][1]
    total = 0
    for x, y in zip(X, Y, strict=True):
        h = mats["W0"] * sympy.Matrix(list(x))
        for i in range(1, layout.n_blocks + 1):
            z = mats[f"U{i}"] * h + mats[f"b{i}"]
            h = h + mats[f"W{i}"] * z.applyfunc(s)
        r = mats["Wout"] * h - sympy.Matrix(list(y))
        total += (r.T * r)[0] / 2
    R = total / X.shape[0]
    grads = [sympy.diff(R, p) for p in syms]
    hess = [[sympy.diff(g, q) for q in syms] for g in grads]
    evaluate = sympy.lambdify(syms, [grads, hess], modules="mpmath", cse=True)
    g, H = evaluate(*(sympy.Float(t, 30) for t in theta))
    return np.array(g, dtype=float), np.array(H, dtype=float)
