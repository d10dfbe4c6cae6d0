"""The near-identity bound of Yun, Sra & Jadbabaie: the constant ``C`` and the quantities
that make a refutation of it exact.

Setting: ``h_0 = x``, ``h_l = h_{l-1} + phi_l(h_{l-1})``, ``f = w^T h_L``, each ``phi_l``
``rho_l``-Lipschitz with ``phi_l(0) = 0`` and ``rho_l <= alpha / L``; the loss
``l(p; y)`` convex and ``L_l``-Lipschitz in ``p``.

Derivation of ``C`` (resproof's reading, written out)
-----------------------------------------------------
1. ``w`` is unconstrained, so at any critical point (interior, KKT, or of any
   parametrisation that leaves ``w`` free) ``dR/dw = E[l'(f(x); y) h_L(x)] = 0``,
   hence ``E[l' f] = w^T E[l' h_L] = 0``.
2. Convexity in ``p``: for every ``t``, ``l(t^T x; y) >= l(f(x); y) + l'(f(x); y)
   (t^T x - f(x))``.  Taking expectations and using 1.,
   ``E l(t^T x) >= R(theta) + E[l' t^T x] = R(theta) + E[l' t^T (x - h_L(x))]``
   (add ``0 = t^T E[l' h_L]``).
3. ``|l'| <= L_l`` and ``||h_L(x) - x|| <= sum_l ||phi_l(h_{l-1})|| <= sum_l rho_l
   ||h_{l-1}||`` with ``||h_l|| <= (1 + rho_l) ||h_{l-1}||`` (``phi_l(0) = 0``), so
   ``||h_L(x) - x|| <= (prod_l (1 + rho_l) - 1) ||x|| <= ((1 + alpha/L)^L - 1) ||x||
   <= (e^alpha - 1) ||x||``.
4. With ``t = t*`` (the linear minimiser):
   ``R(theta*) <= R_lin + L_l ||t*|| ((1 + alpha/L)^L - 1) E||x|| <= R_lin + C``,
   ``C = L_l ||t*|| (e^alpha - 1) E||x||``.

With ``K`` outputs (``f = W h_L``, softmax cross-entropy) the same steps hold with
``dR/dW = E[grad_p l h_L^T] = 0``, ``t`` a matrix ``T`` and
``|grad_p l^T T (x - h_L)| <= L_l ||T||_2 ||x - h_L||`` (``L_l`` Euclidean, ``sqrt 2``):
``||t*||`` is then the spectral norm of a minimiser (:func:`linear_norm`).

So the reading's ``C`` is a valid bound, and independent of ``L`` by construction;
``C_L = L_l ||t*|| ((1 + alpha/L)^L - 1) E||x||`` (:func:`depth_constant`) is the
sharper constant step 4 gives, increasing in ``L`` to ``C``.  Neither is sharp in
general (step 2 drops the curvature of ``l`` and step 3 aligns every block with
``t*``).  Only step 1 uses criticality, and only in ``w``; step 3 is where
``phi_l(0) = 0`` enters (with ``phi_l(0) = c_l != 0`` the gap term picks up
``sum_l ||c_l||``, unbounded for any ``alpha``: the ``no-anchor`` control).

Exact side (for certification): :func:`zero_slope_targets` builds data for which
``w = 0`` is critical (``E[l'(0; y) h_L] = 0``, the blocks' gradient vanishes with
``w``); :func:`logistic_risk_upper` and :func:`logistic_minimiser_norm_upper`
bound ``R_lin`` and ``||t*||`` from above in mpmath, one-sidedly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ..nn.layout import ParamLayout
from ..nn.losses import lipschitz_constant, resolve_loss
from ..nn.resnest import NetworkObjective, ResNEst
from ..nn.yun import YunResNet


def near_identity_constant(loss_lipschitz: float, t_star_norm: float, alpha: float,
                           mean_x_norm: float) -> float:
    """``C = L_l ||t*|| (e^alpha - 1) E||x||`` (resproof's reading; independent of ``L``)."""
    return float(loss_lipschitz * t_star_norm * math.expm1(alpha) * mean_x_norm)


def depth_constant(loss_lipschitz: float, t_star_norm: float, alpha: float, depth: int,
                   mean_x_norm: float) -> float:
    """``C_L = L_l ||t*|| ((1 + alpha/L)^L - 1) E||x|| <= C`` (step 4 before ``e^alpha``)."""
    return float(loss_lipschitz * t_star_norm * math.expm1(depth * math.log1p(alpha / depth))
                 * mean_x_norm)


def identity_gap_factor(rhos: Sequence[float]) -> float:
    """``prod_l (1 + rho_l) - 1``: the bound of ``||h_L(x) - x|| / ||x||`` from measured
    block Lipschitz bounds (step 3)."""
    return float(math.expm1(sum(math.log1p(r) for r in rhos)))


def linear_norm(loss: str, T: np.ndarray) -> float:
    """``||T*||_2`` (spectral) of a linear minimiser; for softmax cross-entropy of its
    row-centred version (the same minimiser up to the softmax's shift invariance, of least
    norm among those shifts).  Step 2 needs ``|l'^T T (h - x)| <= L_l ||T||_2 ||h - x||``."""
    T = np.atleast_2d(np.asarray(T, dtype=np.float64))
    if loss == "softmax_ce":
        T = T - T.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(T, 2))


def loss_lipschitz(loss: str, loss_param: float | None, y: np.ndarray) -> float:
    """``L_l`` for the data ``y`` (``inf`` when the loss is not Lipschitz)."""
    return lipschitz_constant(loss, loss_param, y_max=float(np.max(np.abs(y))))


def zero_slope_targets(loss: str, loss_param: float | None, H: np.ndarray,
                       y0: np.ndarray) -> np.ndarray:
    """Targets ``y`` with ``sum_n l'(0; y_n) h_n = 0`` (rows ``h_n`` of ``H``).

    Softmax cross-entropy (``y0`` an ``N x K`` array): ``dl/dp(0; y) = 1/K - y``, so
    ``y = 1/K + z`` with ``z`` the residual of the row-centred ``y0`` on ``H``, scaled to
    ``max|z| = 1/(2K)`` (rows of ``y`` stay probability vectors).

    ``z`` = residual of ``y0`` on the columns of ``H`` (least squares), then
    ``l'(0; y) = -z`` solved for ``y``: logistic ``l'(0; y) = -y/2`` gives ``y = 2 z``;
    pseudo-Huber ``l'(0; y) = -y / sqrt(1 + y^2/delta^2)`` gives
    ``y = z / sqrt(1 - z^2/delta^2)`` (``z`` first scaled to ``max|z| = delta/2``).
    """
    spec, p = resolve_loss(loss, loss_param)
    if spec.name == "softmax_ce":
        y0 = y0 - y0.mean(axis=1, keepdims=True)
    beta, *_ = np.linalg.lstsq(H, y0, rcond=None)
    z = y0 - H @ beta
    if spec.name == "softmax_ce":
        K = z.shape[1]
        return 1.0 / K + z * (0.5 / K / float(np.max(np.abs(z))))
    if spec.name == "logistic":
        return 2.0 * z / max(1.0, float(np.max(np.abs(2.0 * z))))
    if spec.name == "pseudo_huber":
        delta = float(p[0])
        z = z * (0.5 * delta / float(np.max(np.abs(z))))
        return z / np.sqrt(1.0 - (z / delta) ** 2)
    raise ValueError(f"no zero-slope construction for the {spec.name} loss")


# ---------------------------------------------------------------- exact and one-sided


def relu_features_exact(X: np.ndarray, blocks: Sequence[tuple[np.ndarray, np.ndarray,
                                                              np.ndarray | None]]
                        ) -> tuple[list[list[Fraction]], Fraction]:
    """``h_L(x_n)`` in exact rationals for ReLU blocks ``h + V relu(U h + b)`` with float
    (hence dyadic) parameters, and the smallest ``|U h + b|`` met (``> 0``: the risk is
    smooth near the point)."""
    blocks_q = [([[Fraction(float(v)) for v in row] for row in U],
                 [[Fraction(float(v)) for v in row] for row in V],
                 None if b is None else [Fraction(float(v)) for v in b]) for U, V, b in blocks]
    rows, smallest = [], None
    for x in X:
        h = [Fraction(float(v)) for v in x]
        for U, V, b in blocks_q:
            z = [sum((u * hv for u, hv in zip(row, h, strict=True)), Fraction(0))
                 + (b[j] if b is not None else 0) for j, row in enumerate(U)]
            for zj in z:
                smallest = abs(zj) if smallest is None else min(smallest, abs(zj))
            a = [max(zj, Fraction(0)) for zj in z]
            h = [hv + sum((v * aj for v, aj in zip(row, a, strict=True)), Fraction(0))
                 for hv, row in zip(h, V, strict=True)]
        rows.append(h)
    return rows, Fraction(0) if smallest is None else smallest


def _det(M: list[list[Fraction]]) -> Fraction:
    M = [row[:] for row in M]
    n, det = len(M), Fraction(1)
    for c in range(n):
        pivot = next((r for r in range(c, n) if M[r][c] != 0), None)
        if pivot is None:
            return Fraction(0)
        if pivot != c:
            M[c], M[pivot] = M[pivot], M[c]
            det = -det
        det *= M[c][c]
        for r in range(c + 1, n):
            factor = M[r][c] / M[c][c]
            M[r] = [a - factor * b for a, b in zip(M[r], M[c], strict=True)]
    return det


def null_targets(rows: list[list[Fraction]], coefficients: Sequence[int]
                 ) -> list[Fraction] | None:
    """Rational ``y`` with ``sum_n y_n h_n = 0`` exactly and ``max|y| <= 1``, exactly
    representable in float64 (else ``None``).

    ``y = sum_j c_j y^(j)``, ``y^(j)`` the generalised cross product of the ``d + 1``
    rows ``j, ..., j + d`` (mod ``N``): ``y^(j)_{s_k} = (-1)^k det(rows without s_k)``
    (cofactor expansion of a determinant with a repeated column).  Integers after
    clearing denominators, then divided by a power of two.
    """
    N, d = len(rows), len(rows[0])
    y = [Fraction(0)] * N
    for j, c in enumerate(coefficients):
        if not c:
            continue
        window = [(j + k) % N for k in range(d + 1)]
        if len(set(window)) < d + 1:
            return None
        for k, s in enumerate(window):
            minor = [rows[t] for t in window if t != s]
            y[s] += c * (-1) ** k * _det(minor)
    if not any(y):
        return None
    denominator = math.lcm(*(v.denominator for v in y))
    ints = [int(v * denominator) for v in y]
    g = math.gcd(*ints)
    ints = [v // g for v in ints]
    top = max(abs(v) for v in ints)
    if top >= 2**53:
        return None
    scale = 2 ** max(0, (top - 1).bit_length())
    return [Fraction(v, scale) for v in ints]


def logistic_risk_upper(X: np.ndarray, y: np.ndarray, t: np.ndarray, dps: int = 50
                        ) -> mpmath.mpf:
    """An upper bound of ``R_lin <= (1/N) sum_n log(1 + exp(-y_n t^T x_n))`` at ``t``, in
    ``dps`` digits plus a rounding allowance of ``10^(10 - dps)``."""
    with mpmath.workdps(dps):
        total = mpmath.fsum(mpmath.log1p(mpmath.exp(-mpmath.mpf(float(yn)) * mpmath.fsum(
            mpmath.mpf(float(a)) * mpmath.mpf(float(b)) for a, b in zip(t, x, strict=True))))
            for x, yn in zip(X, y, strict=True))
        return total / len(y) + mpmath.mpf(10) ** (10 - dps)


def logistic_minimiser_norm_upper(X: np.ndarray, y: np.ndarray, t_hat: np.ndarray,
                                  radius: float = 1e-3, dps: int = 50) -> mpmath.mpf | None:
    """An upper bound of ``||t*||`` for the logistic linear risk, or ``None``.

    On the ball ``B(t_hat, rho)`` the Hessian is ``>= M = (1/N) sum y_n^2 s'(a_n) x_n x_n^T``
    with ``a_n = |y_n t_hat^T x_n| + |y_n| rho ||x_n||`` (``s' = s (1 - s)`` decreases in
    ``|p|``).  If ``||g(t_hat)|| < mu rho / 2`` with ``mu = lambda_min(M)``, the convex risk
    is larger on the sphere than at ``t_hat``, so its minimiser ``t*`` is in the ball and
    ``||t* - t_hat|| <= 2 ||g|| / mu``.
    """
    with mpmath.workdps(dps):
        rho = mpmath.mpf(radius)
        Xm = [[mpmath.mpf(float(v)) for v in x] for x in X]
        ym = [mpmath.mpf(float(v)) for v in y]
        tm = [mpmath.mpf(float(v)) for v in t_hat]
        d, N = len(tm), len(ym)
        g = [mpmath.mpf(0)] * d
        M = mpmath.matrix(d, d)
        for x, yn in zip(Xm, ym, strict=True):
            p = yn * mpmath.fsum(a * b for a, b in zip(tm, x, strict=True))
            slope = 1 / (1 + mpmath.exp(p))
            g = [gi - yn * slope * xi / N for gi, xi in zip(g, x, strict=True)]
            a = abs(p) + abs(yn) * rho * mpmath.sqrt(mpmath.fsum(v * v for v in x))
            s = 1 / (1 + mpmath.exp(-a))
            c = yn * yn * s * (1 - s) / N
            for i in range(d):
                for j in range(d):
                    M[i, j] += c * x[i] * x[j]
        mu = min(mpmath.eigsy(M)[0]) - mpmath.mpf(10) ** (10 - dps)
        gnorm = mpmath.sqrt(mpmath.fsum(v * v for v in g))
        if mu <= 0 or not gnorm < mu * rho / 2:
            return None
        return mpmath.sqrt(mpmath.fsum(v * v for v in tm)) + 2 * gnorm / mu \
            + mpmath.mpf(10) ** (10 - dps)


# ---------------------------------------------------------------- the model's pieces


def pack(model: YunResNet, views: dict[str, np.ndarray]) -> np.ndarray:
    """The trainable vector of ``model`` from ``{'U1', 'W1' (= V_1), ..., 'Wout'}`` (and
    ``'b1', ...`` with ``bias=True``): the layout stores them in that order."""
    return np.concatenate([np.asarray(views[name], dtype=np.float64).ravel()
                           for name in model.trainable])


@dataclasses.dataclass(frozen=True)
class MultiOutputYunResNet(YunResNet):
    """:class:`~resproof.nn.yun.YunResNet` with ``f = W h_L`` of ``outputs`` rows (for softmax
    cross-entropy); everything else, the near-identity helpers included, is inherited."""

    outputs: int = 2

    @property
    def resnest(self) -> ResNEst:
        return ResNEst(ParamLayout(self.d_x, self.d_x, self.outputs, tuple(self.hidden)),
                       self.activation, skip=self.skip)

    def objective(self, X: Any, Y: Any, loss: str = "squared", **kw: Any) -> NetworkObjective:
        Y = np.asarray(Y, dtype=np.float64).reshape(-1, self.outputs)
        return self.resnest.objective(X, Y, loss, subset=self.trainable,
                                      theta=self.full_theta(np.zeros(self.n_params)), **kw)


def block_groups(model: YunResNet, radius: float) -> list[tuple[slice, float]]:
    """``(slice, radius)`` of every ``U_l`` and ``V_l`` in the trainable vector (``b_l`` and
    ``w`` are left free), for :class:`~resproof.problems.ball_map.BallParametrised`."""
    groups, start = [], 0
    shapes = model.resnest.layout.shapes
    for name in model.trainable:
        size = int(np.prod(shapes[name]))
        if name[0] in "UW" and name != "Wout":
            groups.append((slice(start, start + size), radius))
        start += size
    return groups


def last_features(model: YunResNet, t: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``h_L(x_n)`` as rows, ``h_l = h_{l-1} + V_l s(U_l h_{l-1} + b_l)``."""
    from ..nn.activations import activate

    views = model.split(t)
    h = np.array(X, dtype=np.float64)
    for i in range(1, model.depth + 1):
        z = h @ views[f"U{i}"].T
        if model.bias:
            z = z + views[f"b{i}"]
        h = h + activate(model.activation, z)[0] @ views[f"W{i}"].T
    return h


def anchor_values(model: YunResNet, t: np.ndarray) -> np.ndarray:
    """``||phi_l(0)|| = ||V_l s(b_l)||`` per block (``b_l = 0`` without biases)."""
    from ..nn.activations import activate

    views = model.split(t)
    out = []
    for i in range(1, model.depth + 1):
        b = views[f"b{i}"] if model.bias else np.zeros(views[f"U{i}"].shape[0])
        out.append(float(np.linalg.norm(views[f"W{i}"] @ activate(model.activation, b)[0])))
    return np.array(out)
