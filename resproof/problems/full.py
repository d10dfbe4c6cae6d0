"""The full ERM problem (P) of Chen et al.: every parameter of the ResNEst.

``R(W_0, ..., W_{L+1}, theta_1, ..., theta_L) = (1/N) sum_n l(yhat(x_n), y_n)`` with
``x_0 = W_0 x``, ``x_i = x_{i-1} + W_i s(U_i x_{i-1} + b_i)``, ``yhat = W_{L+1} x_L``
(Remark 1, Remark 2, Corollary 2).  The objective is the model's own
(:meth:`resproof.nn.resnest.ResNEst.objective` with no subset).

(P) is invariant under the stream symmetry ``x_i -> G x_i`` (``G`` in ``GL(M)``):
``W_0 -> G W_0``, ``W_i -> G W_i``, ``U_i -> U_i G^{-1}``, ``W_{L+1} -> W_{L+1} G^{-1}``,
so every critical point carries ``M^2`` exact zero modes.

:class:`FullHighPrecision` evaluates the same risk in mpmath (any of the smooth
activations and convex losses) and its derivatives by central differences carried at
``2 dps + 20`` digits, so the gradient is exact to about ``10^-(dps+10)``: the
interface :func:`resproof.landscape.certify.certify_critical_point` needs.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..errors import InvalidInput
from ..landscape.minimize import minimize
from ..nn.resnest import NetworkObjective, ResNEst
from ..results import CriticalPoint


def full_objective(model: ResNEst, X: np.ndarray, Y: np.ndarray, loss: str = "squared",
                   loss_param: float | None = None) -> NetworkObjective:
    """(P) as an :class:`~resproof.landscape.objective.Objective` over every parameter."""
    return model.objective(X, Y, loss, loss_param=loss_param)


def stream_symmetry_modes(model: ResNEst) -> int:
    """``M^2``: the zero modes the ``GL(M)`` stream symmetry puts at every critical point."""
    return model.layout.width ** 2


def minimise_full(model: ResNEst, X: np.ndarray, Y: np.ndarray, theta0: np.ndarray,
                  loss: str = "squared", *, max_iterations: int = 1000,
                  gtol: float = 1e-10) -> CriticalPoint:
    """A local minimiser of (P) from ``theta0`` (trust-region Newton, classified with the
    stream symmetry's ``M^2`` zero modes explained)."""
    obj = full_objective(model, X, Y, loss)
    return minimize(obj, theta0, gtol=gtol, max_iterations=max_iterations,
                    symmetry_modes=stream_symmetry_modes(model))


def stream_balanced_size(model: ResNEst):
    """A size of ``theta`` invariant under the stream symmetry: the least ``||theta||`` over
    its ``GL(M)`` orbit,

    .. math::

        \\min_G \\|\\theta_G\\|^2 = \\sum_i \\|b_i\\|^2
            + 2 \\operatorname{tr}\\big((A^{1/2} B A^{1/2})^{1/2}\\big),

    ``A = W_0 W_0^T + sum_{i=1}^{L} W_i W_i^T`` (the weights writing into the stream, ``G W``)
    and ``B = W_{L+1}^T W_{L+1} + sum_i U_i^T U_i`` (those reading it, ``U G^{-1}``): with
    ``P = G^T G`` the orbit's squared norm is ``tr(A P) + tr(B P^{-1}) + sum ||b_i||^2``,
    least at ``2 tr((A^{1/2} B A^{1/2})^{1/2})`` (the matrix AM-GM inequality).  A search
    whose weights grow only along the orbit does not grow in this size."""
    lay = model.layout
    L = lay.n_blocks

    def psd_sqrt(S: np.ndarray) -> np.ndarray:
        w, V = np.linalg.eigh(0.5 * (S + S.T))
        return (V * np.sqrt(np.maximum(w, 0.0))) @ V.T

    def size(theta: np.ndarray) -> float:
        w = lay.views(np.asarray(theta, dtype=np.float64))
        A = w["W0"] @ w["W0"].T + sum(w[f"W{i}"] @ w[f"W{i}"].T for i in range(1, L + 1))
        B = w["Wout"].T @ w["Wout"] + sum(w[f"U{i}"].T @ w[f"U{i}"] for i in range(1, L + 1))
        Ah = psd_sqrt(A)
        C = Ah @ B @ Ah
        trace = float(np.sum(np.sqrt(np.maximum(np.linalg.eigvalsh(0.5 * (C + C.T)), 0.0))))
        biases = sum(float(w[f"b{i}"] @ w[f"b{i}"]) for i in range(1, L + 1))
        return float(np.sqrt(biases + 2.0 * trace))

    return size


def streams(model: ResNEst, theta: np.ndarray, X: np.ndarray) -> list[np.ndarray]:
    """``[x_0, x_1, ..., x_L]`` on the sample (each ``N x M``), in float64."""
    lay = model.layout
    w = lay.views(np.asarray(theta, dtype=np.float64))
    act = FLOAT_ACTIVATIONS[model.activation]
    x = X @ w["W0"].T
    out = [x]
    for i in range(1, lay.n_blocks + 1):
        v = act(x @ w[f"U{i}"].T + w[f"b{i}"], model.activation_params)
        x = (x if model.skip else 0.0) + v @ w[f"W{i}"].T
        out.append(x)
    return out


FLOAT_ACTIVATIONS = {
    "identity": lambda t, p: t, "tanh": lambda t, p: np.tanh(t),
    "softplus": lambda t, p: np.logaddexp(0.0, t),
    "sigmoid": lambda t, p: 1.0 / (1.0 + np.exp(-t)),
    "relu": lambda t, p: np.maximum(t, 0.0), "square": lambda t, p: t * t,
    "quadratic": lambda t, p: p[0] + p[1] * t + p[2] * t * t,
}


def mp_activation(name: str, params: tuple[float, ...] = ()) -> Any:
    """The activation as a function of one ``mpf`` (smooth ones only)."""
    table = {
        "identity": lambda t: t, "tanh": mpmath.tanh,
        "softplus": lambda t: mpmath.log(1 + mpmath.exp(t)),
        "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)), "square": lambda t: t * t,
        "quadratic": lambda t: (mpmath.mpf(params[0]) + mpmath.mpf(params[1]) * t
                                + mpmath.mpf(params[2]) * t * t),
    }
    if name not in table:
        raise InvalidInput("activation", "a smooth activation for the high-precision path",
                           name)
    return table[name]


def mp_sample_loss(name: str, yhat: list, y: list, param: float = 1.0) -> Any:
    """``l(yhat, y)`` of one sample in mpmath (the convex losses of A2)."""
    if name == "squared":
        return sum((a - b) ** 2 for a, b in zip(yhat, y, strict=True)) / 2
    if name == "logistic":
        return sum(mpmath.log(1 + mpmath.exp(-b * a)) for a, b in zip(yhat, y, strict=True))
    if name == "pseudo_huber":
        d = mpmath.mpf(param)
        return sum(d * d * (mpmath.sqrt(1 + ((a - b) / d) ** 2) - 1)
                   for a, b in zip(yhat, y, strict=True))
    if name == "softmax_ce":
        m = max(yhat)
        lse = m + mpmath.log(sum(mpmath.exp(a - m) for a in yhat))
        return sum(b * (lse - a) for a, b in zip(yhat, y, strict=True))
    raise InvalidInput("loss", "squared, logistic, pseudo_huber or softmax_ce", name)


def mp_streams(model: ResNEst, theta: list, X: np.ndarray) -> list[list[list]]:
    """``x_0..x_L`` per sample (lists of ``mpf``), from ``theta`` (``mpf`` or floats)."""
    lay = model.layout
    sl, shapes = lay.slices, lay.shapes
    th = [mpmath.mpf(t) if not isinstance(t, mpmath.mpf) else t for t in theta]

    def mat(name):
        r, c = shapes[name] if len(shapes[name]) == 2 else (shapes[name][0], 1)
        flat = th[sl[name].start:sl[name].stop]
        return [flat[i * c:(i + 1) * c] for i in range(r)]

    s = mp_activation(model.activation, model.activation_params)
    W0 = mat("W0")
    blocks = [(mat(f"U{i}"), [b[0] for b in mat(f"b{i}")], mat(f"W{i}"))
              for i in range(1, lay.n_blocks + 1)]
    out = []
    for row in X:
        xs = [mpmath.mpf(float(t)) for t in row]
        x = [mpmath.fsum(w * t for w, t in zip(r, xs, strict=True)) for r in W0]
        seq = [x]
        for U, b, W in blocks:
            v = [s(mpmath.fsum(u * t for u, t in zip(r, x, strict=True)) + bb)
                 for r, bb in zip(U, b, strict=True)]
            x = [(xm if model.skip else 0) + mpmath.fsum(w * t for w, t in zip(r, v, strict=True))
                 for xm, r in zip(x, W, strict=True)]
            seq.append(x)
        out.append(seq)
    return out


class FullHighPrecision:
    """(P) in mpmath for certification: ``mp_loss`` exact to the working precision,
    ``mp_grad`` / ``mp_hessian`` by central differences at ``2 dps + 20`` digits
    (steps ``10^-(dps+10)`` and ``10^-(dps/2+10)``).

    ``free`` restricts the variables to those indices of the full vector (the rest fixed
    at ``base``), e.g. (P_phi) inside (P).
    """

    def __init__(self, model: ResNEst, X: np.ndarray, Y: np.ndarray, loss: str = "squared",
                 loss_param: float = 1.0, free: np.ndarray | None = None,
                 base: np.ndarray | None = None):
        self.model, self.X, self.Y = model, np.asarray(X), np.asarray(Y)
        self.loss_name, self.loss_param = loss, loss_param
        P = model.layout.n_params
        self.free = np.arange(P) if free is None else np.asarray(free, dtype=np.int64)
        self.base = np.zeros(P) if base is None else np.asarray(base, dtype=np.float64)
        self.n_params = int(self.free.size)

    def _full(self, t: list) -> list:
        th = [mpmath.mpf(float(v)) for v in self.base]
        for j, i in enumerate(self.free):
            th[int(i)] = t[j]
        return th

    def risk_full(self, theta: list) -> Any:
        W = self.model.layout.views(np.zeros(self.model.layout.n_params))["Wout"].shape
        sl = self.model.layout.slices["Wout"]
        Wo = [theta[sl.start + o * W[1]: sl.start + (o + 1) * W[1]] for o in range(W[0])]
        total = mpmath.mpf(0)
        for seq, y in zip(mp_streams(self.model, theta, self.X), self.Y, strict=True):
            yhat = [mpmath.fsum(w * t for w, t in zip(r, seq[-1], strict=True)) for r in Wo]
            total += mp_sample_loss(self.loss_name, yhat,
                                    [mpmath.mpf(float(v)) for v in y], self.loss_param)
        return total / len(self.X)

    def mp_loss(self, t: list) -> Any:
        return self.risk_full(self._full([mpmath.mpf(v) for v in t]))

    def mp_grad(self, t: list) -> Any:
        dps = mpmath.mp.dps
        with mpmath.workdps(2 * dps + 20):
            x = [mpmath.mpf(v) for v in t]
            h = mpmath.mpf(10) ** (-(dps + 10))
            g = mpmath.matrix(self.n_params, 1)
            for i in range(self.n_params):
                up, down = list(x), list(x)
                up[i] += h
                down[i] -= h
                g[i] = (self.mp_loss(up) - self.mp_loss(down)) / (2 * h)
        return g

    def mp_hessian(self, t: list) -> Any:
        dps = mpmath.mp.dps
        P = self.n_params
        with mpmath.workdps(2 * dps + 20):
            x = [mpmath.mpf(v) for v in t]
            h = mpmath.mpf(10) ** (-(dps // 2 + 10))
            f0 = self.mp_loss(x)
            H = mpmath.matrix(P, P)

            def at(*moves):
                y = list(x)
                for i, s in moves:
                    y[i] += s * h
                return self.mp_loss(y)

            for i in range(P):
                H[i, i] = (at((i, 1)) - 2 * f0 + at((i, -1))) / (h * h)
                for j in range(i + 1, P):
                    v = (at((i, 1), (j, 1)) - at((i, 1), (j, -1)) - at((i, -1), (j, 1))
                         + at((i, -1), (j, -1))) / (4 * h * h)
                    H[i, j] = H[j, i] = v
        return H


def prediction_jacobian(model: ResNEst, X: np.ndarray, n_out: int):
    """``theta -> (yhat, J)`` with ``J[(n, o), :] = d yhat_o(x_n) / d theta`` by the network's
    exact gradients: for one sample and the squared loss,
    ``R(theta; y=0) - R(theta; y=e_o) = yhat_o - 1/2``, so ``yhat_o`` and its gradient are a
    difference of two risks (one objective pair per sample and output, built once)."""
    pairs = []
    for n in range(X.shape[0]):
        x = X[n:n + 1]
        for o in range(n_out):
            e = np.zeros((1, n_out))
            e[0, o] = 1.0
            pairs.append((model.objective(x, np.zeros((1, n_out))), model.objective(x, e)))

    def evaluate(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, values = [], []
        for a, b in pairs:
            fa, ga = a.loss_grad(theta)
            fb, gb = b.loss_grad(theta)
            values.append(fa - fb + 0.5)
            rows.append(ga - gb)
        return np.array(values), np.array(rows)

    return evaluate


def interpolating_minimum(model: ResNEst, X: np.ndarray, Y: np.ndarray, theta0: np.ndarray, *,
                          max_iterations: int = 200, gtol: float = 1e-14,
                          tol: float = 1e-20) -> CriticalPoint:
    """An exact interpolant of the sample (``R = 0 = min R`` for the squared loss, when the
    network has at least ``N N_o`` parameters) by Levenberg-Marquardt on the residuals
    ``F = yhat - y`` with damped minimum-norm steps ``p = -J^T (J J^T + lambda I)^{-1} F``:
    quadratic convergence to the manifold of interpolants where ``J`` has full row rank
    (where trust-region Newton on ``R`` crawls: its Hessian there is ``J^T J``, of rank
    ``N N_o`` among ``P`` parameters).  Runs until steps no
    longer lower ``||F||`` (eight failed steps in a row once ``R`` is below ``tol``: down to
    rounding); the point is then classified on (P) (squared loss) with the
    stream symmetry's ``M^2`` zero modes, ``CONVERGED`` iff its relative gradient is at
    most ``gtol`` (the classification's own test) and ``R`` reached ``tol``."""
    from ..landscape.points import make_point
    from ..results import StopReason

    evaluate = prediction_jacobian(model, X, Y.shape[1])
    y = np.asarray(Y, dtype=np.float64).ravel()
    target = tol * max(float(np.mean(y * y)), 1e-300)
    theta = np.array(theta0, dtype=np.float64)
    yhat, J = evaluate(theta)
    F = yhat - y
    lam = 1e-3 * max(float(np.max(np.sum(J * J, axis=1))), 1e-300)
    it = 0
    failures = 0
    while it < max_iterations and failures < 8:
        # on past the target down to rounding (the gradient test at gtol needs ||F|| there)
        it += 1
        JJ = J @ J.T
        try:
            p = -J.T @ np.linalg.solve(JJ + lam * np.eye(JJ.shape[0]), F)
        except np.linalg.LinAlgError:
            lam *= 10.0
            continue
        yhat_new, J_new = evaluate(theta + p)
        F_new = yhat_new - y
        if np.all(np.isfinite(F_new)) and F_new @ F_new < F @ F:
            theta, F, J = theta + p, F_new, J_new
            lam = max(lam * 0.3, 1e-300)
            failures = 0
        else:
            lam *= 10.0
            failures += 0.5 * float(F @ F) / X.shape[0] <= target
            if lam > 1e30:
                break
    reached = 0.5 * float(F @ F) / X.shape[0] <= target
    obj = full_objective(model, X, Y)
    reason = StopReason.CONVERGED if reached else StopReason.MAX_ITERATIONS
    point = make_point(obj, theta, reason, it, gtol=gtol,
                       symmetry_modes=stream_symmetry_modes(model))
    if reached and not point.relative_grad_norm <= gtol:
        point = make_point(obj, theta, StopReason.STALLED, it, gtol=gtol,
                           symmetry_modes=stream_symmetry_modes(model))
    return point
