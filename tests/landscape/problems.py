"""Analytic objectives with known critical points, for testing the landscape engine.

Each class implements :class:`~resproof.landscape.objective.Objective` exactly
(closed-form gradient, HVP and Hessian).  Where a high-precision twin is
needed (certification), ``mp_*`` methods evaluate the same formulas in mpmath.
"""

from __future__ import annotations

import mpmath
import numpy as np


class Quadratic:
    """``f(x) = 1/2 x^T A x - b^T x + c``; ``A`` symmetric."""

    def __init__(self, A: np.ndarray, b: np.ndarray, c: float = 0.0) -> None:
        self.A = 0.5 * (np.asarray(A, float) + np.asarray(A, float).T)
        self.b = np.asarray(b, float)
        self.c = float(c)
        self.n_params = self.b.size

    def loss(self, x):
        return float(0.5 * x @ self.A @ x - self.b @ x + self.c)

    def grad(self, x):
        return self.A @ x - self.b

    def hvp(self, x, v):
        return self.A @ v

    def hessian(self, x):
        return self.A.copy()


class Rosenbrock:
    """``f(x) = sum_i a (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``; minimum at ``x = 1``."""

    def __init__(self, n: int = 2, a: float = 100.0) -> None:
        self.n_params = n
        self.a = a

    def loss(self, x):
        return float(np.sum(self.a * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    def grad(self, x):
        g = np.zeros_like(x)
        r = x[1:] - x[:-1] ** 2
        g[:-1] += -4 * self.a * x[:-1] * r - 2 * (1 - x[:-1])
        g[1:] += 2 * self.a * r
        return g

    def hessian(self, x):
        n = self.n_params
        H = np.zeros((n, n))
        i = np.arange(n - 1)
        H[i, i] += 12 * self.a * x[:-1] ** 2 - 4 * self.a * x[1:] + 2
        H[i + 1, i + 1] += 2 * self.a
        H[i, i + 1] = H[i + 1, i] = -4 * self.a * x[:-1]
        return H

    def hvp(self, x, v):
        return self.hessian(x) @ v


class TwoLayerLinear:
    """``f(W1, W2) = 1/(2n) ||W2 W1 X - Y||_F^2``, ``theta = [vec W1, vec W2]`` (row-major).

    ``W1`` is ``h x d``, ``W2`` is ``o x h``, ``X`` is ``d x n``, ``Y`` is ``o x n``.
    With ``h <= min(d, o)``, ``X`` of full row rank and the top ``h`` singular
    values of ``W_ls L`` distinct (``W_ls = Y X^+``, ``X X^T / n = L L^T``),
    every local minimum is global, the minimum set ``{W2 W1 = M_h}`` is a
    ``GL(h)`` orbit and the Hessian there has exactly ``h^2`` zero eigenvalues.
    ``(0, 0)`` is a strict saddle whose Hessian has eigenvalues
    ``+-sigma_j(C)`` (``C = Y X^T / n``), each ``h`` times, and zeros.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, h: int) -> None:
        self.X, self.Y, self.h = np.asarray(X, float), np.asarray(Y, float), int(h)
        self.d, self.n = self.X.shape
        self.o = self.Y.shape[0]
        self.n_params = self.h * (self.d + self.o)

    def split(self, theta):
        k = self.h * self.d
        return theta[:k].reshape(self.h, self.d), theta[k:].reshape(self.o, self.h)

    def join(self, W1, W2):
        return np.concatenate([W1.ravel(), W2.ravel()])

    def loss(self, theta):
        W1, W2 = self.split(theta)
        R = W2 @ W1 @ self.X - self.Y
        return float(0.5 * np.sum(R * R) / self.n)

    def grad(self, theta):
        W1, W2 = self.split(theta)
        Z = W1 @ self.X
        R = (W2 @ Z - self.Y) / self.n
        return self.join(W2.T @ R @ self.X.T, R @ Z.T)

    def hvp(self, theta, v):
        W1, W2 = self.split(theta)
        V1, V2 = self.split(v)
        Z = W1 @ self.X
        R = (W2 @ Z - self.Y) / self.n
        dR = (V2 @ Z + W2 @ V1 @ self.X) / self.n
        return self.join(V2.T @ R @ self.X.T + W2.T @ dR @ self.X.T, dR @ Z.T + R @ (V1 @ self.X).T)

    def hessian(self, theta):
        """Blocks ``(W2^T W2) (x) S``, ``I (x) Z Z^T / n`` and cross terms; ``S = X X^T / n``."""
        W1, W2 = self.split(theta)
        S = self.X @ self.X.T / self.n
        Z = W1 @ self.X
        G = (W2 @ Z - self.Y) @ self.X.T / self.n
        h, d, o = self.h, self.d, self.o
        k = h * d
        H = np.empty((self.n_params, self.n_params))
        H[:k, :k] = np.kron(W2.T @ W2, S)
        H[k:, k:] = np.kron(np.eye(o), Z @ Z.T / self.n)
        cross = np.einsum("ai,bj->ijab", W2, W1 @ S)
        cross += np.einsum("bi,aj->ijab", np.eye(h), G)
        H[:k, k:] = cross.reshape(k, o * h)
        H[k:, :k] = H[:k, k:].T
        return H

    def optimal_loss(self) -> float:
        """``min f`` by Eckart-Young in the metric ``X X^T / n``."""
        S = self.X @ self.X.T / self.n
        L = np.linalg.cholesky(S)
        W_ls = np.linalg.lstsq(self.X.T, self.Y.T, rcond=None)[0].T
        base = 0.5 * np.sum((W_ls @ self.X - self.Y) ** 2) / self.n
        s = np.linalg.svd(W_ls @ L, compute_uv=False)
        return float(base + 0.5 * np.sum(s[self.h:] ** 2))

    # high-precision twin (mpmath), for certification tests
    def mp_loss(self, theta):
        W1, W2 = self._mp_split(theta)
        R = W2 * W1 * mpmath.matrix(self.X.tolist()) - mpmath.matrix(self.Y.tolist())
        return sum(R[i, j] ** 2 for i in range(R.rows) for j in range(R.cols)) / (2 * self.n)

    def mp_grad(self, theta):
        W1, W2 = self._mp_split(theta)
        X, Y = mpmath.matrix(self.X.tolist()), mpmath.matrix(self.Y.tolist())
        Z = W1 * X
        R = (W2 * Z - Y) / self.n
        return self._mp_join(W2.T * R * X.T, R * Z.T)

    def mp_hessian(self, theta):
        P = self.n_params
        H = mpmath.matrix(P, P)
        for j in range(P):
            e = [0] * P
            e[j] = 1
            column = self._mp_hvp(theta, e)
            for i in range(P):
                H[i, j] = column[i]
        return H

    def _mp_hvp(self, theta, v):
        W1, W2 = self._mp_split(theta)
        V1, V2 = self._mp_split(v)
        X, Y = mpmath.matrix(self.X.tolist()), mpmath.matrix(self.Y.tolist())
        Z = W1 * X
        R = (W2 * Z - Y) / self.n
        dR = (V2 * Z + W2 * V1 * X) / self.n
        return self._mp_join(V2.T * R * X.T + W2.T * dR * X.T, dR * Z.T + R * (V1 * X).T)

    def _mp_split(self, theta):
        theta = [mpmath.mpf(t) for t in theta]
        k = self.h * self.d
        W1 = mpmath.matrix(self.h, self.d)
        W2 = mpmath.matrix(self.o, self.h)
        for i in range(self.h):
            for j in range(self.d):
                W1[i, j] = theta[i * self.d + j]
        for i in range(self.o):
            for j in range(self.h):
                W2[i, j] = theta[k + i * self.h + j]
        return W1, W2

    def _mp_join(self, A, B):
        values = [A[i, j] for i in range(A.rows) for j in range(A.cols)]
        values += [B[i, j] for i in range(B.rows) for j in range(B.cols)]
        return mpmath.matrix(values)


def random_two_layer(rng: np.random.Generator, d: int, o: int, h: int, n: int) -> TwoLayerLinear:
    """Gaussian data for :class:`TwoLayerLinear`."""
    return TwoLayerLinear(rng.standard_normal((d, n)), rng.standard_normal((o, n)), h)


class DoubleWell:
    """``f(x, y) = (x^2 - 1)^2 + y^2``: minima ``(+-1, 0)``, strict saddle ``(0, 0)``
    with Hessian ``diag(-4, 2)``."""

    n_params = 2

    def loss(self, z):
        x, y = z
        return float((x * x - 1) ** 2 + y * y)

    def grad(self, z):
        x, y = z
        return np.array([4 * x * (x * x - 1), 2 * y])

    def hessian(self, z):
        x, _ = z
        return np.array([[12 * x * x - 4, 0.0], [0.0, 2.0]])

    def hvp(self, z, v):
        return self.hessian(z) @ v


class GradientFlat:
    """``f(x, y) = x + x^3/3 - y^2/2``: no critical point at all.

    ``||grad f||^2 = (1 + x^2)^2 + y^2`` has its minimum at ``(0, 0)`` where
    ``grad f = (1, 0)`` and ``H = diag(0, -1)``: ``H g = 0``.  Gradient-norm
    minimisation converges there, and the spectrum ``{-1, 0}`` looks like a
    saddle's.  It is gradient-flat, not critical.
    """

    n_params = 2

    def loss(self, z):
        x, y = z
        return float(x + x**3 / 3 - y * y / 2)

    def grad(self, z):
        x, y = z
        return np.array([1 + x * x, -y])

    def hessian(self, z):
        x, _ = z
        return np.array([[2 * x, 0.0], [0.0, -1.0]])

    def hvp(self, z, v):
        return self.hessian(z) @ v
