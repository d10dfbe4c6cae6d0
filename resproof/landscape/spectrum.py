"""Hessian spectra: every eigenvalue for small P, the extremes by Lanczos on HVPs.

Dense spectra use ``eigh``/``eigvalsh`` on the symmetrised Hessian
``(H + H^T) / 2``.  For P in the thousands or tens of thousands the matrix is
never formed: ARPACK's implicitly restarted Lanczos
(:func:`scipy.sparse.linalg.eigsh`) runs on a
:class:`~scipy.sparse.linalg.LinearOperator` whose matvec is the objective's
Hessian-vector product, and every Ritz pair is returned with its true residual
``||H v - lambda v||`` (recomputed with one more HVP, not ARPACK's estimate).
For a symmetric ``H`` and unit ``v`` some eigenvalue of ``H`` lies within that
residual of ``lambda`` (Bauer-Fike / Weyl).

Smallest eigenvalue: ``"SA"`` or shift.  Lanczos is shift invariant (the
Krylov spaces of ``H`` and ``sigma I - H`` coincide), so the *shift* method
(``"LM"`` on ``sigma I - H`` with ``sigma`` above ``lambda_max``) can only win
through ARPACK's restart selection, and it pays an extra Lanczos run for
``lambda_max``.  Measured on a 10,000-parameter two-layer linear network
(``1/2n ||W2 W1 X - Y||^2``, d=100, h=80, o=25, n=400, tol 1e-10; see
``measure_shift_vs_sa`` in ``tests/landscape/test_spectrum.py``), HVPs to
convergence for ``ncv`` = 20 / 40 / 80: ``"SA"`` 442 / 342 / 322, shift
454 / 364 / 404.  Wall time follows the HVP count (about 1.0 s for ``"SA"``
against 1.15 s for shift at ``ncv=40``, one BLAS thread; timings on the shared
machine varied by 2x between runs, HVP counts did not).  So ``"SA"`` with
``ncv=40`` is the default and the shift method is kept as an option.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_choice, check_int, check_real
from .objective import Objective

#: Up to this many parameters the dense Hessian is used by default.
DENSE_LIMIT = 2000

#: Below ``max(_ARPACK_MIN, 4 k)`` parameters ARPACK is never used (it needs ``k < ncv < P``).
_ARPACK_MIN = 24


@dataclasses.dataclass(frozen=True)
class RitzPairs:
    """Eigenvalue estimates with unit eigenvectors and residuals, ascending.

    ``residuals[i] = ||H v_i - values[i] v_i||_2`` (0 for a dense
    decomposition, where the error is rounding, ``O(eps ||H||)``);
    ``matvecs`` counts Hessian-vector products.
    """

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    matvecs: int

    @property
    def value(self) -> float:
        """The first (for ``"SA"`` smallest, for ``"LA"`` largest requested) value."""
        return float(self.values[0])


def symmetric_hessian(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """``(H + H^T) / 2`` at ``theta``."""
    H = objective.hessian(theta)
    return 0.5 * (H + H.T)


def eigenvalues(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """All eigenvalues of ``nabla^2 f(theta)``, ascending (``eigvalsh``)."""
    return np.linalg.eigvalsh(symmetric_hessian(objective, theta))


def eigh(objective: Objective, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and orthonormal eigenvectors of the symmetrised Hessian."""
    return np.linalg.eigh(symmetric_hessian(objective, theta))


def extreme_eigenvalues(objective: Objective, theta: np.ndarray, which: str = "SA", *,
                        k: int = 1, tol: float = 1e-10, method: str = "auto", seed: int = 0,
                        ncv: int | None = None, maxiter: int | None = None) -> RitzPairs:
    """The ``k`` smallest (``which="SA"``) or largest (``"LA"``) Hessian eigenvalues.

    Parameters
    ----------
    objective, theta
        The function and the point.
    which
        ``"SA"`` smallest algebraic, ``"LA"`` largest algebraic.
    k
        How many.
    tol
        ARPACK's relative accuracy of the Ritz values.
    method
        ``"dense"`` (``eigh`` of the Hessian), ``"lanczos"`` (``eigsh`` on
        HVPs, nothing ``P x P`` in memory), ``"shift"`` (``"SA"`` only:
        largest-magnitude modes of ``sigma I - H``), or ``"auto"`` (dense up to
        :data:`DENSE_LIMIT`, Lanczos above).
    seed
        Seed of the Lanczos start vector (deterministic).

    Returns
    -------
    RitzPairs
        ``values`` sorted ascending for ``"SA"`` and descending for ``"LA"``
        (so ``values[0]`` is the most extreme), with true residuals.

    Raises
    ------
    InvalidInput
        For an unknown ``which`` or ``method``, or ``k`` outside ``[1, P]``.
    scipy.sparse.linalg.ArpackError
        When Lanczos fails above :data:`DENSE_LIMIT` (below it the dense
        decomposition is used instead).
    """
    import scipy.sparse.linalg

    check_choice("which", which, ("SA", "LA"))
    check_choice("method", method, ("auto", "dense", "lanczos", "shift"))
    P = objective.n_params
    k = check_int("k", k, minimum=1, maximum=P)
    tol = check_real("tol", tol, nonnegative=True)
    if method == "shift" and which == "LA":
        method = "lanczos"
    if method == "dense" or (method == "auto" and P <= DENSE_LIMIT) or max(_ARPACK_MIN, 4 * k) > P:
        return _dense_extremes(objective, theta, which, k)
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    try:
        if method == "shift":
            return _shifted_smallest(objective, theta, k, tol, seed, ncv, maxiter)
        return _lanczos(objective, theta, which, k, tol, seed, ncv, maxiter, shift=None)
    except scipy.sparse.linalg.ArpackError:
        if P > DENSE_LIMIT:
            raise
        return _dense_extremes(objective, theta, which, k)


def smallest_eigenvalue(objective: Objective, theta: np.ndarray, **kwargs) -> RitzPairs:
    """``lambda_min`` with its vector and residual (see :func:`extreme_eigenvalues`)."""
    return extreme_eigenvalues(objective, theta, "SA", **kwargs)


def largest_eigenvalue(objective: Objective, theta: np.ndarray, **kwargs) -> RitzPairs:
    """``lambda_max`` with its vector and residual (see :func:`extreme_eigenvalues`)."""
    return extreme_eigenvalues(objective, theta, "LA", **kwargs)


def _dense_extremes(objective: Objective, theta: np.ndarray, which: str, k: int) -> RitzPairs:
    w, V = eigh(objective, theta)
    picked = np.arange(k) if which == "SA" else np.arange(w.size - 1, w.size - 1 - k, -1)
    return RitzPairs(w[picked].copy(), V[:, picked].copy(), np.zeros(k), 0)


def _hvp_operator(objective: Objective, theta: np.ndarray, shift: float | None, count: list[int]):
    import scipy.sparse.linalg

    P = objective.n_params

    def matvec(v: np.ndarray) -> np.ndarray:
        count[0] += 1
        v = np.ascontiguousarray(v, dtype=np.float64).reshape(-1)
        Hv = objective.hvp(theta, v)
        return Hv if shift is None else shift * v - Hv

    return scipy.sparse.linalg.LinearOperator((P, P), matvec=matvec, dtype=np.float64)


def _lanczos(objective: Objective, theta: np.ndarray, which: str, k: int, tol: float, seed: int,
             ncv: int | None, maxiter: int | None, shift: float | None) -> RitzPairs:
    import scipy.sparse.linalg

    P = objective.n_params
    count = [0]
    op = _hvp_operator(objective, theta, shift, count)
    v0 = np.random.default_rng(seed).standard_normal(P)
    ncv = min(P - 1, ncv if ncv is not None else max(2 * k + 1, 40))
    arpack_which = which if shift is None else "LM"
    w, V = scipy.sparse.linalg.eigsh(op, k=k, which=arpack_which, tol=tol, v0=v0, ncv=ncv,
                                     maxiter=maxiter if maxiter is not None else 100 * P)
    if shift is not None:
        w = shift - w
    order = np.argsort(w) if which == "SA" else np.argsort(-w)
    w, V = w[order], V[:, order]
    V = V / np.linalg.norm(V, axis=0)
    residuals = np.array([np.linalg.norm(objective.hvp(theta, V[:, i]) - w[i] * V[:, i])
                          for i in range(k)])
    return RitzPairs(w, V, residuals, count[0] + k)


def _shifted_smallest(objective: Objective, theta: np.ndarray, k: int, tol: float, seed: int,
                      ncv: int | None, maxiter: int | None) -> RitzPairs:
    top = _lanczos(objective, theta, "LA", 1, 1e-3, seed + 1, ncv, maxiter, shift=None)
    # sigma above lambda_max makes sigma I - H positive semidefinite, so "LM" = its "LA"
    sigma = top.value + top.residuals[0] + 1e-3 * abs(top.value)
    low = _lanczos(objective, theta, "SA", k, tol, seed, ncv, maxiter, shift=sigma)
    return dataclasses.replace(low, matvecs=low.matvecs + top.matvecs)
