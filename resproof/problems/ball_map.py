"""A risk restricted to a product of closed Euclidean balls, as a smooth unconstrained
objective: ``R(m(z))`` with ``m`` the *sinc map* on each constrained group.

For a group ``a`` (one matrix, flattened) of radius ``r``,

.. math::

    m(a) = r \\, q(\\|a\\|) \\, a, \\qquad q(s) = \\frac{\\sin s}{s},
    \\qquad \\|m(a)\\| = r |\\sin \\|a\\|| \\le r,

an analytic map (``q`` is an even power series) of ``R^n`` onto the closed ball.
It is a diffeomorphism of the open ball ``||a|| < pi/2`` onto the open ball of
radius ``r``, and on the sphere ``||a|| = pi/2`` its radial derivative vanishes.
So every critical point of ``R`` in the interior and every point of the boundary
where ``R`` is stationary along the sphere (in particular every KKT point) is
the image of a critical point of ``R o m``.  Conversely a critical point of
``R o m`` maps to one of these wherever the Jacobian of ``m`` is singular only
radially, i.e. everywhere except on the spheres ``||a|| = k pi``, ``k >= 1``
(where ``m(a) = 0`` and ``J`` has rank one; ``||a|| > pi/2`` is recorded by the
claims as a folded point).  Other groups of coordinates pass through unchanged.

Derivatives, with ``s = ||a||``, ``p = q'/s``, ``u = p'/s``::

    J      = r (q I + p a a^T)                                   (symmetric)
    sum_i g_i d^2 m_i = r [p (g a^T + a g^T) + p (g.a) I + u (g.a) a a^T]

so ``grad = J g``, ``H = J H_R J + T(g)``, and an HVP costs one HVP of ``R`` plus
block-diagonal terms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..landscape.objective import Objective, loss_and_grad

#: Below this ``s`` the coefficients come from their power series (the closed forms cancel).
_SERIES_BELOW = 1.0
_TERMS = 14


def _series(s2: float) -> tuple[float, float, float]:
    """``q, p, u`` from ``c_k = (-1)^k / (2k+1)!``: ``q = sum c_k s^2k``,
    ``p = sum 2k c_k s^(2k-2)``, ``u = sum 2k (2k-2) c_k s^(2k-4)``."""
    q = p = u = 0.0
    for k in range(_TERMS):
        c = (-1) ** k / math.factorial(2 * k + 1)
        q += c * s2 ** k
        if k >= 1:
            p += 2 * k * c * s2 ** (k - 1)
        if k >= 2:
            u += 2 * k * (2 * k - 2) * c * s2 ** (k - 2)
    return q, p, u


def sinc_coefficients(s: float) -> tuple[float, float, float]:
    """``(q, p, u)`` at ``s = ||a||``: ``q = sin s / s``, ``p = q'(s) / s``, ``u = p'(s) / s``."""
    if s < _SERIES_BELOW:
        return _series(s * s)
    sn, cs = math.sin(s), math.cos(s)
    return (sn / s, (s * cs - sn) / s**3, (3 * sn - 3 * s * cs - s * s * sn) / s**5)


class BallParametrised:
    """``z -> R(m(z))``: an :class:`~resproof.landscape.objective.Objective` whose every
    point maps into the product of balls.

    Parameters
    ----------
    objective
        The risk on the original vector ``theta``.
    groups
        ``(indices, radius)`` per constrained group (disjoint index arrays or slices).
    """

    def __init__(self, objective: Objective, groups: Sequence[tuple[slice, float]]):
        self.objective = objective
        self.groups = [(np.arange(objective.n_params)[sl], float(r)) for sl, r in groups]
        self.n_params = objective.n_params

    def _coeffs(self, z: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray, tuple]]:
        out = []
        for idx, r in self.groups:
            a = z[idx]
            out.append((idx, r, a, sinc_coefficients(float(np.linalg.norm(a)))))
        return out

    def theta(self, z: np.ndarray) -> np.ndarray:
        """``m(z)``, the point of the constrained set."""
        th = np.array(z, dtype=np.float64)
        for idx, r, a, (q, _p, _u) in self._coeffs(th):
            th[idx] = r * q * a
        return th

    def preimage(self, theta: np.ndarray) -> np.ndarray:
        """A ``z`` with ``m(z) = theta`` for ``theta`` inside the balls (``||a|| < pi/2``)."""
        z = np.array(theta, dtype=np.float64)
        for idx, r in self.groups:
            t = z[idx]
            n = float(np.linalg.norm(t))
            if n > 0:
                z[idx] = t * (math.asin(min(1.0, n / r)) / n)
        return z

    def group_norms(self, z: np.ndarray) -> list[float]:
        """``||a||`` of each group (``pi/2`` is the sphere, beyond it ``m`` folds)."""
        return [float(np.linalg.norm(z[idx])) for idx, _ in self.groups]

    def _jac(self, coeffs, v: np.ndarray) -> np.ndarray:
        out = np.array(v, dtype=np.float64)
        for idx, r, a, (q, p, _u) in coeffs:
            out[idx] = r * (q * v[idx] + p * a * float(a @ v[idx]))
        return out

    def _second(self, coeffs, g: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = np.zeros_like(v)
        for idx, r, a, (_q, p, u) in coeffs:
            gi, vi = g[idx], v[idx]
            ga, av = float(gi @ a), float(a @ vi)
            out[idx] = r * (p * (gi * av + a * float(gi @ vi)) + p * ga * vi + u * ga * a * av)
        return out

    def loss(self, z: np.ndarray) -> float:
        return float(self.objective.loss(self.theta(z)))

    def loss_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        coeffs = self._coeffs(np.asarray(z, dtype=np.float64))
        f, g = loss_and_grad(self.objective, self.theta(z))
        return f, self._jac(coeffs, g)

    def grad(self, z: np.ndarray) -> np.ndarray:
        return self.loss_grad(z)[1]

    def hvp(self, z: np.ndarray, v: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        coeffs = self._coeffs(z)
        th = self.theta(z)
        g = self.objective.grad(th)
        return self._jac(coeffs, self.objective.hvp(th, self._jac(coeffs, v))) \
            + self._second(coeffs, g, np.asarray(v, dtype=np.float64))

    def hessian(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        coeffs = self._coeffs(z)
        th = self.theta(z)
        g = self.objective.grad(th)
        J = np.eye(self.n_params)
        T = np.zeros((self.n_params, self.n_params))
        for idx, r, a, (q, p, u) in coeffs:
            block = np.ix_(idx, idx)
            J[block] = r * (q * np.eye(idx.size) + p * np.outer(a, a))
            gi = g[idx]
            ga = float(gi @ a)
            T[block] = r * (p * (np.outer(gi, a) + np.outer(a, gi)) + p * ga * np.eye(idx.size)
                            + u * ga * np.outer(a, a))
        H = J @ self.objective.hessian(th) @ J + T
        return 0.5 * (H + H.T)
