"""Lower estimates of the empirical Rademacher complexity of the Frobenius-ball ResNets.

Class ``F_L = {x -> w^T h_L(x)}``, ``h_0 = x``, ``h_l = h_{l-1} + V_l relu(U_l h_{l-1})``,
``||w|| <= r_w``, ``||U_l||_F, ||V_l||_F <= r`` (``r = 1/sqrt(L)`` in the claim), and

.. math::

    \\mathcal{R}(F_L|_S) = E_\\sigma \\sup_{f \\in F_L} \\frac1n \\sum_i \\sigma_i f(x_i).

For fixed blocks the supremum over ``w`` is explicit:
``sup_w (1/n) sigma^T [w^T h_L(x_i)] = (r_w / n) ||sum_i sigma_i h_L(x_i)||``, attained by the
feasible ``w = r_w s / ||s||``.  So any feasible set of blocks ``B`` gives, for every sign
vector at once, the valid lower bound ``LB_B(sigma) = (r_w/n) ||sum_i sigma_i h^B(x_i)||``,
and a *pool* of blocks gives ``LB(sigma) = max_B LB_B(sigma) <= sup``.  The pool holds
explicit constructions (:func:`constructions`: ``U_l = r e^T``, ``V_l = +-r e`` on one unit
direction ``e``, which multiply ``e^T h`` by ``(1 + r^2)`` on one side of the hyperplane per
block) and the blocks found by projected gradient ascent (:func:`ascend`) on training
signs.  Every block is projected as :meth:`~resproof.nn.yun.YunResNet.frobenius_ball` does
and its feasibility checked in exact rationals (:func:`feasible`).

The expectation over signs (:func:`estimate`) is either exact (all ``2^n`` sign vectors,
each ``LB(sigma)`` bounded below in 50-digit interval arithmetic from exact rational
features) or a Monte-Carlo mean over fresh signs, independent of the pool, with a one-sided
lower confidence bound (the larger of Hoeffding's and Maurer & Pontil's empirical
Bernstein, each at ``delta / 2``; range ``[0, b]``, ``b = max_B (r_w/n) sum_i ||h^B(x_i)||``)
plus a float rounding allowance.  These are lower estimates only: they can refute an upper
bound, never prove it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ..nn.yun import YunResNet
from .near_identity import relu_features_exact

#: Exact enumeration of sign vectors up to this ``n``.
ENUMERATE_UP_TO = 10
_EPS = float(np.finfo(np.float64).eps)


@dataclasses.dataclass(frozen=True)
class FrobeniusClass:
    """``F_L`` on ``R^d_x`` with blocks of ``width`` ReLUs and radii ``(r_w, r)``
    (``r = None``: ``1/sqrt(L)``)."""

    d_x: int
    depth: int
    width: int = 2
    w_radius: float = 1.0
    block_radius: float | None = None

    @property
    def model(self) -> YunResNet:
        return YunResNet(self.d_x, (self.width,) * self.depth, "relu")

    @property
    def radii(self) -> tuple[float, float]:
        return self.model.frobenius_radii(self.w_radius, self.block_radius)

    def exact_block_radius_squared(self) -> Fraction:
        """``r^2`` exactly: ``1/L`` by default (so no square root enters the check)."""
        if self.block_radius is None:
            return Fraction(1, self.depth)
        return Fraction(self.block_radius) ** 2


# ---------------------------------------------------------------- blocks and features


def features(U: np.ndarray, V: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``h_L(x_n)`` for a batch of block sets: ``U (S, L, m, d)``, ``V (S, L, d, m)`` ->
    ``(S, n, d)``."""
    H = np.broadcast_to(X, (U.shape[0], *X.shape)).copy()
    for j in range(U.shape[1]):
        H = H + np.einsum("snm,sdm->snd", np.maximum(np.einsum("snd,smd->snm", H, U[:, j]), 0),
                          V[:, j])
    return H


def project(U: np.ndarray, V: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Each ``U_l``, ``V_l`` scaled onto its ball of radius ``r`` if outside it (batched
    :meth:`~resproof.nn.yun.YunResNet.frobenius_ball` for the blocks)."""
    def onto(M):
        out = M.copy()
        norms = np.linalg.norm(M.reshape(*M.shape[:2], -1), axis=2)
        outside = norms > r
        out[outside] = M[outside] * (r / norms[outside])[:, None, None]
        return out
    return onto(U), onto(V)


def feasible(cls: FrobeniusClass, U: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One block set (``U (L, m, d)``, ``V (L, d, m)``) projected onto the balls by the formula
    of :meth:`YunResNet.frobenius_ball` (bit for bit: tested) and shrunk by
    ``1 - 2^-40`` until every ``||U_l||_F^2, ||V_l||_F^2 <= r^2`` holds in exact rationals."""
    _, r = cls.radii
    U, V = np.array(U, dtype=np.float64), np.array(V, dtype=np.float64)
    for M in (U, V):
        for i in range(cls.depth):
            norm = np.linalg.norm(M[i])
            if norm > r:
                M[i] = M[i] * (r / norm)
    limit = cls.exact_block_radius_squared()
    for M in (U, V):
        for i in range(cls.depth):
            while sum((Fraction(float(v)) ** 2 for v in M[i].ravel()), Fraction(0)) > limit:
                M[i] *= 1.0 - 2.0**-40
    return U, V


def constructions(cls: FrobeniusClass, X: np.ndarray, rng: np.random.Generator,
                  extra_directions: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Explicit block sets: ``U_l = r e^T``, ``V_l = s_l r e`` (first row / column) for unit
    ``e`` among the axes, the data directions and random ones, and ``s_l`` all ``+1`` (grow
    ``e^T h`` on ``e^T h > 0`` by ``(1 + r^2)`` per block), or alternating; plus no blocks."""
    _, r = cls.radii
    d, m, L = cls.d_x, cls.width, cls.depth
    dirs = [np.eye(d)[k] * s for k in range(d) for s in (1, -1)]
    dirs += [x / np.linalg.norm(x) for x in X if np.linalg.norm(x) > 0]
    dirs += [v / np.linalg.norm(v) for v in rng.standard_normal((extra_directions, d))]
    Us, Vs = [np.zeros((L, m, d))], [np.zeros((L, d, m))]
    for e in dirs:
        for pattern in ("grow", "alternate"):
            U, V = np.zeros((L, m, d)), np.zeros((L, d, m))
            for j in range(L):
                sign = 1.0 if pattern == "grow" or j % 2 == 0 else -1.0
                U[j, 0] = r * e
                V[j, :, 0] = sign * r * e
            Us.append(U)
            Vs.append(V)
    return np.array(Us), np.array(Vs)


def ascend(cls: FrobeniusClass, X: np.ndarray, signs: np.ndarray, U: np.ndarray, V: np.ndarray,
           iterations: int = 150, step: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projected gradient ascent of ``J(B) = (r_w/n) ||sum_i sigma_i h^B(x_i)||`` over the
    blocks, one sign vector per start (batched: ``signs (S, n)``, ``U (S, L, m, d)``).

    ``w`` is kept at its maximiser ``s / ||s||`` (envelope theorem: the gradient of ``J`` is
    the gradient of ``sigma^T f / n`` at that ``w``); each step moves every matrix by
    ``step * r`` along its normalised gradient, the step decays geometrically, and the best
    blocks met are returned with their values.
    """
    r_w, r = cls.radii
    n = X.shape[0]
    best_val = np.full(signs.shape[0], -np.inf)
    best_U, best_V = U.copy(), V.copy()
    for it in range(iterations):
        Hs, As, Zs = [np.broadcast_to(X, (U.shape[0], *X.shape)).copy()], [], []
        for j in range(cls.depth):
            Z = np.einsum("snd,smd->snm", Hs[-1], U[:, j])
            A = np.maximum(Z, 0)
            Zs.append(Z)
            As.append(A)
            Hs.append(Hs[-1] + np.einsum("snm,sdm->snd", A, V[:, j]))
        s = np.einsum("sn,snd->sd", signs, Hs[-1])
        norm = np.linalg.norm(s, axis=1)
        val = r_w * norm / n
        better = val > best_val
        best_val = np.where(better, val, best_val)
        best_U[better], best_V[better] = U[better], V[better]
        w = r_w * s / np.maximum(norm, 1e-300)[:, None]
        G = signs[:, :, None] * w[:, None, :] / n
        gU, gV = np.zeros_like(U), np.zeros_like(V)
        for j in reversed(range(cls.depth)):
            gV[:, j] = np.einsum("snd,snm->sdm", G, As[j])
            dZ = np.einsum("snd,sdm->snm", G, V[:, j]) * (Zs[j] > 0)
            gU[:, j] = np.einsum("snm,snd->smd", dZ, Hs[j])
            G = G + np.einsum("snm,smd->snd", dZ, U[:, j])
        eta = step * r * 0.97**it
        for M, g in ((U, gU), (V, gV)):
            gn = np.sqrt(np.einsum("slij,slij->sl", g, g))[:, :, None, None]
            M += eta * g / np.maximum(gn, 1e-300)
        U, V = project(U, V, r)
    return best_U, best_V, best_val


# ---------------------------------------------------------------- the estimate


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A lower estimate of the Rademacher complexity.

    ``value`` is the mean of ``LB(sigma)``; ``lower`` a bound below ``E_sigma LB(sigma)``
    (hence below the complexity): exact-interval for ``method="enumeration"``, at
    confidence ``1 - delta`` for ``"monte-carlo"``.
    """

    value: float
    lower: float
    method: str
    n_signs: int
    pool: int
    delta: float | None
    details: dict[str, Any]


def pool_features(cls: FrobeniusClass, X: np.ndarray, rng: np.random.Generator,
                  train_signs: np.ndarray, restarts: int, iterations: int, keep_top: int = 8
                  ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """The pool: constructions plus the ascent's best blocks from the best construction and
    from ``restarts`` random starts per training sign vector, pruned to the entries that
    are best for some training sign or among the ``keep_top`` best on average, each made
    feasible exactly.  Returns the blocks and their float features ``(K, n, d)``."""
    Uc, Vc = constructions(cls, X, rng)
    Hc = features(Uc, Vc, X)
    _, r = cls.radii
    S = train_signs.shape[0]
    scores = np.linalg.norm(np.einsum("sn,knd->skd", train_signs, Hc), axis=2)
    first = np.argmax(scores, axis=1)
    starts_U, starts_V, signs = [Uc[first]], [Vc[first]], [train_signs]
    for _ in range(restarts):
        U0 = rng.standard_normal((S, *Uc.shape[1:]))
        V0 = rng.standard_normal((S, *Vc.shape[1:]))
        U0, V0 = project(U0, V0, r)
        starts_U.append(U0)
        starts_V.append(V0)
        signs.append(train_signs)
    Ua, Va, _ = ascend(cls, X, np.concatenate(signs), np.concatenate(starts_U),
                       np.concatenate(starts_V), iterations)
    U_all, V_all = np.concatenate([Uc, Ua]), np.concatenate([Vc, Va])
    keep = _useful(features(U_all, V_all, X), train_signs, keep_top)
    blocks = [feasible(cls, U_all[k], V_all[k]) for k in keep]
    H = features(np.array([b[0] for b in blocks]), np.array([b[1] for b in blocks]), X)
    return blocks, H


def _useful(H: np.ndarray, signs: np.ndarray, top: int) -> list[int]:
    """Pool entries worth keeping: no blocks (entry 0), each training sign's best, and the
    ``top`` best on average."""
    norms = np.linalg.norm(np.einsum("sn,knd->skd", signs, H), axis=2)
    keep = {0, *np.argmax(norms, axis=1).tolist(), *np.argsort(-norms.mean(axis=0))[:top].tolist()}
    return sorted(int(k) for k in keep)


def sign_values(cls: FrobeniusClass, H: np.ndarray, signs: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """``LB(sigma)`` for each row of ``signs`` and the pool entry attaining it."""
    r_w, _ = cls.radii
    norms = np.linalg.norm(np.einsum("mn,knd->mkd", signs, H), axis=2)
    best = np.argmax(norms, axis=1)
    return r_w * norms[np.arange(signs.shape[0]), best] / H.shape[1], best


def all_signs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def estimate(cls: FrobeniusClass, X: np.ndarray, rng: np.random.Generator, *,
             train_signs: int = 16, restarts: int = 2, iterations: int = 150,
             mc_signs: int = 20000, delta: float = 1e-9,
             certify_above: float | None = None) -> Estimate:
    """Lower estimate of ``R(F_L|_S)``: exact enumeration for ``n <= ENUMERATE_UP_TO``, else
    Monte Carlo over fresh signs (independent of the pool) with confidence ``1 - delta``.

    The rigorous lower bound of an enumeration (exact rationals, intervals) is computed only
    when ``value > certify_above`` (always when ``None``); otherwise ``lower`` is ``nan``.
    """
    n = X.shape[0]
    enumerate_all = n <= ENUMERATE_UP_TO
    pool_signs = rng.choice([-1.0, 1.0], size=(train_signs, n))
    blocks, H = pool_features(cls, X, rng, pool_signs, restarts, iterations)
    signs = all_signs(n) if enumerate_all else rng.choice([-1.0, 1.0], size=(mc_signs, n))
    values, best = sign_values(cls, H, signs)
    details = {"pool_used": int(np.unique(best).size),
               "max_block_norm_squared": max(float(np.sum(M[j] ** 2)) for U, V in blocks
                                             for M in (U, V) for j in range(cls.depth))}
    if enumerate_all:
        needed = certify_above is None or values.mean() > certify_above
        lower = _enumeration_lower(cls, X, blocks, signs, best) if needed else float("nan")
        return Estimate(float(values.mean()), lower, "enumeration", signs.shape[0], len(blocks),
                        None, details)
    r_w, _ = cls.radii
    b = float(r_w * np.max(np.sum(np.linalg.norm(H, axis=2), axis=1)) / n)
    m = values.size
    mean, var = float(values.mean()), float(values.var(ddof=1))
    log_term = math.log(2.0 / (delta / 2.0))
    hoeffding = mean - b * math.sqrt(math.log(2.0 / delta) / (2 * m))
    bernstein = mean - math.sqrt(2 * var * log_term / m) - 7 * b * log_term / (3 * (m - 1))
    rounding = 4 * (n + 4 * cls.depth * (cls.width + cls.d_x) + 2) * _EPS * b
    details.update({"range_b": b, "hoeffding": hoeffding, "empirical_bernstein": bernstein,
                    "rounding_allowance": rounding, "sample_std": math.sqrt(var)})
    return Estimate(mean, max(hoeffding, bernstein) - rounding, "monte-carlo", m, len(blocks),
                    delta, details)


def _enumeration_lower(cls: FrobeniusClass, X: np.ndarray, blocks, signs: np.ndarray,
                       best: np.ndarray) -> float:
    """``(1/2^n) sum_sigma LB_{B(sigma)}(sigma)`` bounded below rigorously: exact rational
    features of the attaining blocks, ``||s||`` by interval square roots (50 digits)."""
    n = X.shape[0]
    exact: dict[int, list[list[Fraction]]] = {}
    r_w2 = Fraction(cls.w_radius) ** 2
    iv = mpmath.iv
    old, iv.dps = iv.dps, 50
    try:
        total = iv.mpf(0)
        for sigma, k in zip(signs, best, strict=True):
            k = int(k)
            if k not in exact:
                U, V = blocks[k]
                exact[k] = relu_features_exact(X, [(U[j], V[j], None)
                                                   for j in range(cls.depth)])[0]
            rows = exact[k]
            s = [sum((Fraction(int(sg)) * row[j] for sg, row in zip(sigma, rows, strict=True)),
                     Fraction(0)) for j in range(cls.d_x)]
            q = r_w2 * sum((v * v for v in s), Fraction(0))
            total += iv.sqrt(iv.mpf(q.numerator) / q.denominator)
        mean = total / (signs.shape[0] * n)
    finally:
        iv.dps = old
    return float(mpmath.mpf(mean.a)) * (1 - 2.0**-50) if mean.a > 0 else 0.0
