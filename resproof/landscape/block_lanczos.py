"""Block Lanczos with full reorthogonalisation and thick restart on block products ``H V``.

For a symmetric ``H`` known through a block product ``V -> H V`` (``b`` vectors as
the rows of ``V``, e.g. :func:`resproof.landscape.objective.hvp_block`) and an
orthonormal start block ``X_1``, ``j`` steps build an orthonormal basis
``Q_j = [X_1 .. X_j]`` of the block Krylov space
``K_j(H, X_1) = span{X_1, H X_1, .., H^{j-1} X_1}`` (Golub & Underwood 1977; Golub &
Van Loan, *Matrix Computations*, 4th ed., Sec. 10.3.6).  Each step applies ``H`` to
the newest block only, ``W_j = H X_j``, and keeps it: the basis rows ``Q`` and
their images ``H Q`` are both stored.  Then

* the projection ``T = Q H Q^T`` gains the column ``Q W_j^T`` (read off the same
  product that starts the orthogonalisation), so the Rayleigh-Ritz problem is
  ``T s = theta s`` on the explicit ``T`` (block tridiagonal in exact arithmetic,
  any symmetric matrix after a restart);
* a Ritz pair ``y = s^T Q`` has ``H y = s^T (H Q)`` without a further product, so
  its residual ``||s^T (H Q) - theta y||`` is computed from stored products after
  every step (true up to the rounding of one linear combination, unlike the
  recurrence estimate of single-vector Lanczos);
* the next block is ``W_j`` projected off the whole basis twice (classical
  Gram-Schmidt, Daniel-Gragg-Kaufman-Stewart), orthonormalised column by column;
  a column that cancels (``span Q`` nearly invariant along it) is replaced by a
  random vector orthogonal to the basis, which keeps the basis orthonormal and the
  Ritz pairs valid (Rayleigh-Ritz on any subspace).

Stopping rule: every wanted pair has ``||H y - theta y|| <= tol * max(eps^(2/3),
|theta|)`` (ARPACK's, as :mod:`resproof.landscape.lanczos` and the peers'
``eigsh``), tested once :data:`~resproof.landscape.lanczos.MIN_STEPS` basis vectors
have been built (restarts included); the residuals are then recomputed with fresh
products (``k`` more vectors, one block) and only those true residuals decide and are
returned.  When the basis is full it is thick-restarted: the wanted half of the Ritz
vectors and their images (``s^T (H Q)``, no product) become the new basis, on which
``T`` is ``diag(theta)``, and the pending next block continues from there.

Measured on the bench instances (``resnest-tanh`` seed 0, ``lambda_min``, ``tol=1e-6``,
start seed 0), products to convergence, single-vector Lanczos against ``b = 2 / 4 / 8``:
M 35 against 53 / 89 / 145, L 65 against 93 / 153 / 273.  A block Krylov space of
dimension ``j b`` holds polynomials of degree ``j`` only, so for one (or a few)
extreme eigenvalues a block pays only when a block product costs well below one HVP
per vector (on L it costs 0.76-0.8: see :mod:`resproof.nn.kernels.block`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import scipy.linalg

from .lanczos import MIN_STEPS, LanczosStop, _blas_controller, _threshold

_EPS = float(np.finfo(np.float64).eps)

#: A column of the next block whose norm falls below this fraction of its norm before
#: the projections is replaced by a random vector (the basis is invariant along it).
_CANCEL = 1e-10

BlockMatvec = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True)
class BlockLanczosResult:
    """Ritz pairs, most wanted first, with true residuals and the work done.

    ``vectors`` holds unit Ritz vectors as columns; ``residuals`` are recomputed
    with fresh products; ``matvecs`` counts every vector the block product was
    applied to (Krylov blocks plus the residual check), ``blocks`` the calls.
    """

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    matvecs: int
    blocks: int
    basis: int
    restarts: int
    replaced: int
    stop: LanczosStop


class _BlockBasis:
    """Rows ``Q[:n]`` (orthonormal), their images ``HQ[:n]`` and ``T = Q H Q^T``."""

    def __init__(self, P: int, m: int) -> None:
        self.Q = np.empty((m, P))
        self.HQ = np.empty((m, P))
        self.T = np.zeros((m, m))
        self.n = 0

    def project_out(self, R: np.ndarray, upto: int) -> None:
        """``R <- R (I - Q^T Q)`` over rows ``Q[:upto]``, two classical passes."""
        Q = self.Q[:upto]
        for _ in range(2):
            R -= (R @ Q.T) @ Q

    def ritz(self, which: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``min(k, n)`` most wanted eigenpairs of ``T[:n, :n]``, most wanted first."""
        n = self.n
        k = min(k, n)
        T = self.T[:n, :n]
        lo, hi = (0, k - 1) if which == "SA" else (n - k, n - 1)
        theta, S = scipy.linalg.eigh(T, subset_by_index=(lo, hi), driver="evr",
                                     check_finite=False)
        if which == "LA":
            theta, S = theta[::-1], S[:, ::-1]
        return theta, S


def block_lanczos(matvec: BlockMatvec, X0: np.ndarray, which: str, k: int, tol: float,
                  max_basis: int, max_restarts: int,
                  rng: np.random.Generator) -> BlockLanczosResult:
    """The ``k`` smallest (``"SA"``) or largest (``"LA"``) eigenpairs of symmetric ``H``.

    Kernel: inputs are trusted (``X0`` is ``b x P`` float64 of full row rank,
    ``1 <= k <= P``, ``max_basis >= k + 2 b`` unless it is ``P``).  ``rng`` draws
    the replacement columns.  Returns when every wanted pair has a true residual
    ``||H y - theta y|| <= tol * max(eps^(2/3), |theta|)`` (tested from
    :data:`~resproof.landscape.lanczos.MIN_STEPS` basis vectors on), when the basis
    spans all of ``R^P`` (the pairs are then exact to rounding), or after
    ``max_restarts`` thick restarts.

    Raises
    ------
    FloatingPointError
        If a product is not finite.
    """
    b, P = X0.shape
    tol = max(tol, _EPS)
    capacity = min(P, max_basis)
    basis = _BlockBasis(P, capacity)
    count = blocks = restarts = replaced = built = 0
    margin = 1.0
    with _blas_controller().limit(limits=1):
        nxt, fresh = _orthonormal_block(basis, np.array(X0, dtype=np.float64), rng)
    replaced += fresh

    def apply(V: np.ndarray) -> np.ndarray:
        nonlocal count, blocks
        out = np.asarray(matvec(V), dtype=np.float64)
        count += V.shape[0]
        blocks += 1
        if not np.all(np.isfinite(out)):
            raise FloatingPointError(f"non-finite block product after {count} products")
        return out

    def done(theta, Y, residuals, stop) -> BlockLanczosResult:
        return BlockLanczosResult(theta, Y.T.copy(), residuals, count, blocks, basis.n,
                                  restarts, replaced, stop)

    while True:
        n, w = basis.n, nxt.shape[0]
        basis.Q[n:n + w] = nxt
        W = apply(nxt)
        basis.HQ[n:n + w] = W
        with _blas_controller().limit(limits=1):
            C = basis.Q[:n + w] @ W.T                       # T[:n+w, n:n+w]
            C[n:] = 0.5 * (C[n:] + C[n:].T)
            basis.T[:n + w, n:n + w] = C
            basis.T[n:n + w, :n + w] = C.T
            basis.n = n = n + w
            theta, S = basis.ritz(which, k)
            Y, HY = S.T @ basis.Q[:n], S.T @ basis.HQ[:n]
            estimates = np.linalg.norm(HY - theta[:, None] * Y, axis=1)
        full = n >= P
        built += w
        if theta.size == k and (full or built >= MIN_STEPS) and \
                np.all(estimates <= margin * _threshold(theta, tol)):
            Y /= np.linalg.norm(Y, axis=1, keepdims=True)
            residuals = np.linalg.norm(apply(Y) - theta[:, None] * Y, axis=1)
            if np.all(residuals <= _threshold(theta, tol)):
                return done(theta, Y, residuals, LanczosStop.CONVERGED)
            margin *= min(0.5, float(np.max(estimates / np.maximum(residuals, 1e-300))))
        if full:
            Y /= np.linalg.norm(Y, axis=1, keepdims=True)
            residuals = np.linalg.norm(apply(Y) - theta[:, None] * Y, axis=1)
            return done(theta, Y, residuals, LanczosStop.INVARIANT)
        width = min(b, P - n)
        if n + width > capacity and restarts >= max_restarts:
            Y /= np.linalg.norm(Y, axis=1, keepdims=True)
            residuals = np.linalg.norm(apply(Y) - theta[:, None] * Y, axis=1)
            return done(theta, Y, residuals, LanczosStop.MAX_RESTARTS)
        with _blas_controller().limit(limits=1):
            R = W[:width] - C[:, :width].T @ basis.Q[:n]
            if n + width > capacity:
                _thick_restart(basis, which, k)
                restarts += 1
            nxt, fresh = _orthonormal_block(basis, R, rng, np.linalg.norm(W[:width], axis=1))
            replaced += fresh


def _orthonormal_block(basis: _BlockBasis, R: np.ndarray, rng: np.random.Generator,
                       before: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The rows of ``R`` made orthonormal and orthogonal to ``Q[:n]``, and how many of
    them were replaced by random vectors because they cancelled: fell below
    :data:`_CANCEL` times ``before`` (their norms before any projection; default
    ``R``'s own).

    Two block passes over ``Q`` (one product each); a row that the second pass still
    shortened, or that the rows before it in the block shortened, is projected again
    against ``Q`` and those rows until a pass leaves it (Daniel-Gragg-Kaufman-Stewart):
    a row that cancelled by ``r`` is orthogonal only to ``eps / r`` after a pass that
    shortened it."""
    n = basis.n
    Q = basis.Q[:n]
    before = np.linalg.norm(R, axis=1) if before is None else before.copy()
    R -= (R @ Q.T) @ Q
    first = np.linalg.norm(R, axis=1)
    R -= (R @ Q.T) @ Q
    settled = np.linalg.norm(R, axis=1) > 0.5 * first
    fresh = 0
    for i in range(R.shape[0]):
        v, ok = R[i], bool(settled[i])
        for _ in range(8):
            if i:
                norm = math.sqrt(v @ v)
                for _ in range(2):
                    v -= (R[:i] @ v) @ R[:i]
                ok = ok and math.sqrt(v @ v) > 0.5 * norm
            for _ in range(5):
                if ok:
                    break
                norm = math.sqrt(v @ v)
                v -= (Q @ v) @ Q
                if i:
                    v -= (R[:i] @ v) @ R[:i]
                ok = math.sqrt(v @ v) > 0.5 * norm
            norm = math.sqrt(v @ v)
            if norm > _CANCEL * max(before[i], 1e-300):
                R[i] = v / norm
                break
            fresh += 1
            v = np.asarray(rng.standard_normal(R.shape[1]), dtype=np.float64)
            before[i], ok = math.sqrt(v @ v), False
        else:  # pragma: no cover  (8 random vectors all in the span: P is exhausted)
            raise FloatingPointError("block Lanczos: no vector orthogonal to the basis")
    return R, fresh


def _thick_restart(basis: _BlockBasis, which: str, k: int) -> None:
    """Keep the wanted half of the Ritz vectors (at least ``k``) and their images."""
    n = basis.n
    keep = max(k, n // 2)
    theta, S = basis.ritz(which, keep)
    basis.Q[:keep] = S.T @ basis.Q[:n]
    basis.HQ[:keep] = S.T @ basis.HQ[:n]
    basis.T[:n, :n] = 0.0
    basis.T[np.arange(keep), np.arange(keep)] = theta
    basis.n = keep
