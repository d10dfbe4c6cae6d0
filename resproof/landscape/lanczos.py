"""Lanczos with full reorthogonalisation and thick restart, on matrix-vector products only.

For a symmetric ``H`` (known through ``v -> H v``, here a Hessian-vector
product) and a unit start vector ``v_1``, ``j`` steps build an orthonormal
basis ``V_j = [v_1 .. v_j]`` of the Krylov space ``K_j(H, v_1)`` with

.. math::

    H V_j = V_j T_j + \\beta_j v_{j+1} e_j^T,

``T_j`` symmetric tridiagonal (Golub & Van Loan, *Matrix Computations*, 4th
ed., Sec. 10.1).  A Ritz pair ``(theta, y = V_j s)`` of ``T_j s = theta s``
then has the residual ``||H y - theta y|| = |beta_j s_j|`` without a further
product, so convergence is tested after every step for free.  Each new vector
is orthogonalised against the whole stored basis (after the three-term step,
one classical Gram-Schmidt pass, a second one when the first cancelled), which
keeps ``V_j`` orthonormal to rounding and the estimate ``|beta_j s_j|``
reliable; the true residuals (``k`` more products) confirm it before the pairs
are returned.

The stopping rule is ARPACK's (``dsconv``): every wanted pair has
``||H y - theta y|| <= tol * max(eps^(2/3), |theta|)``.  Unlike ARPACK,
which tests only after filling its ``ncv`` vectors and then restarts from a
compressed basis, the Krylov space here grows without loss until the basis
holds ``max_basis`` vectors; only then is it thick-restarted (Wu & Simon,
SIAM J. Matrix Anal. Appl. 22 (2000) 602): the ``l`` most wanted Ritz vectors
and ``v_{j+1}`` span the new basis, on which ``H`` projects to the arrowhead
``[[diag(theta), beta_j S_{j,:}^T], [beta_j S_{j,:}, alpha]]``.  A Householder
reduction of the arrow that fixes ``v_{j+1}`` makes it tridiagonal again, so
every Ritz solve is a tridiagonal one (LAPACK ``dstebz``/``dstein``).

A breakdown (``beta_j ~ 0``) means ``span V_j`` is invariant, so its Ritz
pairs are exact; a random start vector sees each distinct eigenvalue once,
and a further block started from a random vector orthogonal to ``V_j`` sees
one more copy of every repeated eigenvalue.  Blocks are added while the last
one could still change the ``k`` wanted values.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import threading
from collections.abc import Callable

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from ..errors import SearchFailed

_EPS = float(np.finfo(np.float64).eps)
#: ARPACK's floor of the relative tolerance's scale, ``eps^(2/3)``.
_EPS23 = _EPS ** (2.0 / 3.0)
#: No Ritz pair is accepted before this many steps (ARPACK's default ``ncv`` for one
#: pair): a start vector nearly orthogonal to the wanted eigenvector
#: gets this many steps to show it before a neighbour's converged pair can stop the run.
MIN_STEPS = 20
#: ``beta_j <= _BREAKDOWN * ||T||`` is a breakdown (rounding level of the reorthogonalisation).
_BREAKDOWN = 1e3 * _EPS

# called directly: eigh_tridiagonal's argument checks cost more than the solve for small T
_stebz, _stein = scipy.linalg.lapack.dstebz, scipy.linalg.lapack.dstein

Matvec = Callable[[np.ndarray], np.ndarray]

@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def _blas_on_one_thread():
    """A context in which every BLAS (numpy's and SciPy's) runs on one thread.

    The Krylov methods run in it, their products included.  Their own BLAS work
    (the reorthogonalisation's ``gemv``, Ritz vectors) is memory bound, so a second
    thread gains little; worse, OpenBLAS threads ``gemv`` from ``m n = 9216`` on, and
    its worker then spins for a while on the other core, which the next HVP's own
    threads need: on size L (65 products) the solver took 1.27 times its products timed
    as single HVPs, 1.05-1.14 with BLAS on one thread (measured, 2 cores).  HVPs of the
    network models thread over sample chunks themselves; a matvec that relies on
    threaded BLAS runs on one thread here.
    """
    return _blas_controller().limit(limits=1)


def _project_out(V: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w <- (I - V^T V) w``, twice if the first pass cancelled (``||w||`` fell below
    ``1/sqrt(2)`` of itself, Daniel-Gragg-Kaufman-Stewart); returns ``V w``."""
    before = w @ w
    h = V @ w
    w -= h @ V
    if w @ w < 0.5 * before:
        h2 = V @ w
        w -= h2 @ V
        h += h2
    return h


class LanczosStop(enum.Enum):
    """Why :func:`lanczos` returned."""

    CONVERGED = "converged"
    #: ``span V`` is invariant (or all of ``R^P``) but ``tol`` is below its rounding level.
    INVARIANT = "invariant"
    MAX_RESTARTS = "max_restarts"


@dataclasses.dataclass(frozen=True)
class LanczosResult:
    """Ritz pairs, most wanted first, with true residuals and the work done.

    ``vectors`` holds unit Ritz vectors as columns; ``matvecs`` counts every
    product (Krylov steps plus residual checks), ``steps`` the Krylov steps.
    """

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    matvecs: int
    steps: int
    restarts: int
    breakdowns: int
    stop: LanczosStop


class LanczosNoConvergence(SearchFailed):
    """:func:`lanczos` stopped after its restarts; ``best_point`` is its :class:`LanczosResult`."""


#: Bases of at most this many numbers are kept for the next call (this thread's).
_KEEP_DOUBLES = 2**21
_KEPT = threading.local()


def _basis_rows(rows: int, P: int) -> np.ndarray:
    """An uninitialised ``rows x P`` array, from this thread's kept buffer when it fits.

    A fresh array is paid for in page faults as the basis fills (0.17 ms per size-L row
    on a virtual machine, 11 ms of a 500 ms ``lambda_min``, measured); :func:`lanczos`
    hands its buffer back (:func:`_keep`) once the Ritz vectors are copied out, and takes
    it out while it runs, so a nested call gets an array of its own.
    """
    kept = getattr(_KEPT, "buffer", None)
    if kept is not None and kept.size >= rows * P:
        _KEPT.buffer = None
        return kept[:rows * P].reshape(rows, P)
    return np.empty((rows, P))


def _keep(V: np.ndarray) -> None:
    whole = V.base if V.base is not None else V
    if whole.size <= _KEEP_DOUBLES:
        kept = getattr(_KEPT, "buffer", None)
        if kept is None or kept.size < whole.size:
            _KEPT.buffer = whole.reshape(-1)


class _Basis:
    """Rows ``V[:n]`` (orthonormal, preallocated) and ``T = V H V^T`` (``alpha``, ``beta``).

    ``alpha[i] = T[i, i]``, ``beta[i] = T[i, i + 1]``; ``beta[n - 1]`` couples
    the basis to the next vector.  ``norm`` is a running estimate of ``||H||``.
    """

    def __init__(self, P: int, m: int) -> None:
        self.V = _basis_rows(m + 1, P)
        self.alpha = np.zeros(m + 1)
        self.beta = np.zeros(m + 1)
        self.n = 0
        self.norm = 0.0

    def orthogonalise(self, w: np.ndarray) -> np.ndarray:
        """:func:`_project_out` over the ``n`` stored rows (on one BLAS thread: the
        solver runs in :func:`_blas_on_one_thread`)."""
        return _project_out(self.V[:self.n], w)

    def append(self, v: np.ndarray) -> None:
        self.V[self.n] = v
        self.n += 1

    def ritz(self, lo: int, hi: int, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Eigenpairs ``lo..hi`` (ascending, inclusive) of ``T[start:n, start:n]``."""
        d, e = self.alpha[start:self.n], self.beta[start:self.n - 1]
        if d.size > 1:
            m, w, iblock, isplit, info = _stebz(d, e, 2, 0.0, 0.0, lo + 1, hi + 1, 0.0, "B")
            if info == 0 and m == hi - lo + 1:
                S, info = _stein(d, e, w[:m], iblock, isplit)
                if info == 0:
                    if m == 1:
                        return w[:1], S
                    order = np.argsort(w[:m])
                    return w[order], S[:, order]
        return scipy.linalg.eigh_tridiagonal(d, e, select="i", select_range=(lo, hi))


def lanczos(matvec: Matvec, v0: np.ndarray, which: str, k: int, tol: float, max_basis: int,
            max_restarts: int, rng: np.random.Generator) -> LanczosResult:
    """The ``k`` smallest (``"SA"``) or largest (``"LA"``) eigenpairs of symmetric ``H``.

    Kernel: inputs are trusted (``v0`` nonzero float64 of length ``P``,
    ``1 <= k <= P``, ``max_basis <= P`` and ``max_basis >= k + 2`` unless it
    is ``P``); ``rng`` draws the start vectors of the blocks after a
    breakdown.  Returns when every wanted pair has a true residual
    ``||H y - theta y|| <= tol * max(eps^(2/3), |theta|)`` (tested from
    :data:`MIN_STEPS` steps on), when the basis
    spans an invariant subspace holding the wanted pairs (``tol`` may then be
    below rounding), or after ``max_restarts`` thick restarts.

    Raises
    ------
    FloatingPointError
        If a product is not finite.
    """
    with _blas_on_one_thread():
        return _iterate(matvec, v0, which, k, tol, max_basis, max_restarts, rng)


def _iterate(matvec: Matvec, v0: np.ndarray, which: str, k: int, tol: float, max_basis: int,
             max_restarts: int, rng: np.random.Generator) -> LanczosResult:
    """The iteration of :func:`lanczos`."""
    P = v0.size
    tol = max(tol, _EPS)
    basis = _Basis(P, max_basis)
    basis.append(v0 / np.linalg.norm(v0))
    count = steps = restarts = breakdowns = 0
    margin = 1.0
    block_start = hold_until = 0

    def done(theta: np.ndarray, Y: np.ndarray, residuals: np.ndarray,
             stop: LanczosStop) -> LanczosResult:
        _keep(basis.V)
        return LanczosResult(theta, Y.T.copy(), residuals, count, steps, restarts,
                             breakdowns, stop)

    while True:
        w = np.array(matvec(basis.V[basis.n - 1]), dtype=np.float64)
        count += 1
        steps += 1
        beta = _extend(basis, w)
        if not math.isfinite(beta):
            raise FloatingPointError(f"non-finite Lanczos coefficient after {count} products")
        n = basis.n
        if beta <= _BREAKDOWN * basis.norm or n == P:
            theta, S = _wanted(basis, which, k)
            breakdowns += 1
            basis.beta[n - 1] = 0.0
            if n < P and _needs_block(basis, block_start, theta, which, k, tol):
                # the new block sees a subset of the old one's eigenvalues, so it breaks
                # down within as many steps; until then its crude Ritz values must not
                # let the exact ones of the old block pass the test
                block_start, hold_until = n, 2 * n - block_start
                basis.append(_fresh_vector(basis, rng))
                continue
            Y, residuals = _confirm(matvec, basis, theta, S)
            count += k
            converged = np.all(residuals <= _threshold(theta, tol))
            return done(theta, Y, residuals,
                        LanczosStop.CONVERGED if converged else LanczosStop.INVARIANT)
        # the Ritz pairs are needed only where the rule is tested and for a last confirmation
        testing = n >= hold_until and steps >= MIN_STEPS
        if testing or n >= max_basis:
            theta, S = _wanted(basis, which, k)
        if testing and theta.size == k:
            estimates = beta * np.abs(S[-1])
            if (estimates <= margin * _threshold(theta, tol)).all():
                Y, residuals = _confirm(matvec, basis, theta, S)
                count += k
                if np.all(residuals <= _threshold(theta, tol)):
                    return done(theta, Y, residuals, LanczosStop.CONVERGED)
                margin *= min(0.5, float(np.max(estimates / residuals)))
        if n < max_basis:
            basis.append(w / beta)
        elif restarts < max_restarts:
            _thick_restart(basis, w / beta, beta, which, k)
            block_start = hold_until = 0
            restarts += 1
        else:
            Y, residuals = _confirm(matvec, basis, theta, S)
            count += k
            return done(theta, Y, residuals, LanczosStop.MAX_RESTARTS)


def _extend(basis: _Basis, w: np.ndarray) -> float:
    """Orthogonalise ``w = H v_n`` in place; record ``alpha_n`` and ``beta_n``.

    .. math:: \\alpha_n = v_n^T H v_n, \\quad
              \\beta_n v_{n+1} = (I - V_n V_n^T) H v_n.

    The three-term step ``w - alpha_n v_n - beta_{n-1} v_{n-1}`` removes the
    large components, so the pass over all of ``V_n`` only removes what
    rounding left and rarely needs repeating.
    """
    n = basis.n
    v = basis.V[n - 1]
    alpha = float(v @ w)
    w -= alpha * v
    if n > 1:
        w -= basis.beta[n - 2] * basis.V[n - 2]
    alpha += basis.orthogonalise(w)[n - 1]
    beta = math.sqrt(w @ w)
    basis.alpha[n - 1] = alpha
    basis.beta[n - 1] = beta
    basis.norm = max(basis.norm, abs(alpha) + beta)
    return beta


def _wanted(basis: _Basis, which: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``min(k, n)`` most wanted Ritz values of ``T_n``, most wanted first, and their ``s``."""
    n = basis.n
    lo, hi = (0, min(k, n) - 1) if which == "SA" else (max(n - k, 0), n - 1)
    theta, S = basis.ritz(lo, hi)
    if which == "LA":
        theta, S = theta[::-1], S[:, ::-1]
    return theta, S


def _threshold(theta: np.ndarray, tol: float) -> np.ndarray:
    """ARPACK's ``tol * max(eps^(2/3), |theta|)``."""
    return tol * np.maximum(np.abs(theta), _EPS23)


def _confirm(matvec: Matvec, basis: _Basis, theta: np.ndarray,
             S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit Ritz vectors ``y_i = V_n s_i`` (rows) and true residuals ``||H y_i - theta_i y_i||``."""
    Y = S.T @ basis.V[:basis.n]
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    residuals = np.array([np.linalg.norm(np.asarray(matvec(y), dtype=np.float64) - t * y)
                          for t, y in zip(theta, Y, strict=True)])
    return Y, residuals


def _needs_block(basis: _Basis, block_start: int, theta: np.ndarray, which: str, k: int,
                 tol: float) -> bool:
    """After a breakdown: could another block change the ``k`` wanted values?

    The next block sees only eigenvalues that the one just ended saw too, so
    it matters iff fewer than ``k`` values are known or the ended block's most
    wanted value lies strictly beyond the ``k``-th wanted one.
    """
    if theta.size < k:
        return True
    size = basis.n - block_start
    index = 0 if which == "SA" else size - 1
    best = basis.ritz(index, index, start=block_start)[0][0]
    gap = _threshold(theta[-1:], tol)[0] + _BREAKDOWN * basis.norm
    return bool(best < theta[-1] - gap if which == "SA" else best > theta[-1] + gap)


def _fresh_vector(basis: _Basis, rng: np.random.Generator) -> np.ndarray:
    """A random unit vector orthogonal to the stored basis (the next block's start)."""
    while True:
        v: np.ndarray = rng.standard_normal((basis.V.shape[1],))
        scale = np.linalg.norm(v)
        basis.orthogonalise(v)
        norm = np.linalg.norm(v)
        if norm > 1e-8 * scale:
            return v / norm


def _thick_restart(basis: _Basis, v_next: np.ndarray, beta: float, which: str, k: int) -> None:
    """Keep the ``l`` most wanted Ritz vectors and ``v_{n+1}``, with ``T`` tridiagonal.

    On ``[v_{n+1}, y_l, .., y_1]`` the projection is the arrowhead

    .. math:: A = \\begin{pmatrix} \\cdot & \\beta_n s_{n,:} \\\\
                   \\beta_n s_{n,:}^T & \\mathrm{diag}(\\theta) \\end{pmatrix};

    Householder's reduction ``Q^T A Q`` (``Q e_1 = e_1``) is tridiagonal, so
    the rotated vectors ``[y_l .. y_1] Q_{2:, 2:}`` followed by ``v_{n+1}``
    continue a tridiagonal Lanczos recurrence.
    """
    n = basis.n
    keep = min(n - 2, k + (n - k) // 2)
    theta, S = _wanted(basis, which, keep)
    S = S[:, ::-1]
    A = np.zeros((keep + 1, keep + 1))
    A[1:, 1:] = np.diag(theta[::-1])
    A[0, 1:] = A[1:, 0] = beta * S[-1]
    R, Q = scipy.linalg.hessenberg(A, calc_q=True)
    rotated = (S @ Q[1:, 1:]).T @ basis.V[:n]
    basis.V[:keep] = rotated[::-1]
    basis.V[keep] = v_next
    basis.alpha[:keep] = np.diagonal(R)[1:][::-1]
    basis.beta[:keep] = np.diagonal(R, -1)[::-1]
    basis.n = keep + 1
