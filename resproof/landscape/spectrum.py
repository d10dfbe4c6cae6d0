"""Hessian spectra: every eigenvalue for small P, the extremes by Lanczos on HVPs.

Dense spectra use ``eigh``/``eigvalsh`` on the symmetrised Hessian
``(H + H^T) / 2``.  For P in the thousands or tens of thousands the matrix is
never formed: Lanczos with full reorthogonalisation
(:func:`~resproof.landscape.lanczos.lanczos`) runs on the objective's
Hessian-vector product, tests ARPACK's stopping rule
``||H v - lambda v|| <= tol * max(eps^(2/3), |lambda|)`` after every step from
the free estimate ``|beta_j s_j|``, and returns every Ritz pair with its true
residual (recomputed with one more HVP per pair, counted in ``matvecs``).  For
a symmetric ``H`` and unit ``v`` some eigenvalue of ``H`` lies within that
residual of ``lambda`` (Bauer-Fike / Weyl).  ARPACK
(:func:`scipy.sparse.linalg.eigsh`, ``method="arpack"``) remains for
comparison: it tests only after filling ``ncv`` vectors and restarts from a
compressed basis, so it needs more HVPs for the same rule.

HVPs for ``lambda_min`` of the bench instances (``resnest_tanh``, seed 0,
``tol=1e-6``; Lanczos / ARPACK ``ncv=40`` / ARPACK ``ncv=20``): size S
(P=184) 26 / 42 / 32, M (P=1248) 35 / 42 / 42, L (P=9088) 65 / 82 / 72; over
start seeds 0-9 (L: 0-4) the means are 25.2 / 42 / 32, 36.3 / 42 / 43 and
60.6 / 70 / 72.  On L one HVP takes 13-17 ms and the whole call 0.89 s
against 1.06 s and 0.98 s (best of 3, same run, shared 2-core machine);
Lanczos's own work there is about 0.7 ms per step.  The L count is one HVP
above what this start vector allows: the smallest residual of any unit
``y`` in the ``j``-dimensional Krylov space, ``min_sigma`` of the smallest
singular value of the ``(j+1) x j`` matrix ``T~_j - sigma I~``, first falls
below ``1e-6 |lambda|`` at ``j = 63``, the Ritz residual at ``j = 64``.  It is
that high because for 28 steps the Ritz value settles on
``lambda_2 = -6.277`` before it finds ``lambda_1 = -6.454``; the value
itself is within ``1e-6`` relatively after about 46 steps, but without a
bound on ``lambda_2`` only the residual certifies it.

Smallest eigenvalue: ``"SA"`` or shift.  Lanczos is shift invariant (the
Krylov spaces of ``H`` and ``sigma I - H`` coincide), so the *shift* method
(``"LA"`` of ``sigma I - H`` with ``sigma`` above ``lambda_max``) finds the
same Ritz pairs and only pays an extra run for ``lambda_max``.  Measured on a
10,000-parameter two-layer linear network (``1/2n ||W2 W1 X - Y||^2``, d=100,
h=80, o=25, n=400, ``tol=1e-10``; see ``measure_shift_vs_sa`` in
``tests/landscape/test_spectrum.py``), HVPs to convergence: Lanczos 315
(300 with an unrestarted basis of 400 vectors; the default keeps 100 and
thick-restarts), shift 324, ARPACK ``"SA"`` with ``ncv`` = 20 / 40 / 80:
442 / 342 / 322.  Wall time there (one HVP 0.85 ms): 0.35 s for Lanczos and
shift, 0.41-0.42 s for ARPACK at ``ncv`` = 20 / 40, and 4.5 s at ``ncv=80``.
So ``"lanczos"`` is the default and the shift method is kept as an option.

Block Lanczos (``method="block"``, :mod:`~resproof.landscape.block_lanczos`) applies
the Hessian to ``block_size`` vectors per product (the objective's ``hvp_block``
when it has one, else stacked HVPs: :func:`~resproof.landscape.objective.hvp_block`),
same stopping rule, true residuals recomputed.  On the bench instances (seed 0,
``tol=1e-6``, one run, the other core busy) it needs more products than the
block product saves: L (P=9088) 65 HVPs in 1.59 s single-vector against 93 in
1.92 s (``b = 2``) and 153 in 2.78 s (``b = 4``), with one block product costing
0.96 / 0.77 / 0.75 of an HVP per vector for ``b = 1 / 4 / 8``; M 35 against 53 and
89.  SciPy's LOBPCG (no preconditioner, ``b = 2 / 4 / 8``) needed 129 / 195 / 2610
products on M.  So ``"auto"`` keeps single-vector Lanczos (:data:`AUTO_BLOCK`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_choice, check_int, check_real
from .block_lanczos import block_lanczos
from .lanczos import LanczosNoConvergence, LanczosStop, lanczos
from .objective import Objective, has_block_hvp, hvp_block

#: Up to this many parameters the dense Hessian is used by default.
DENSE_LIMIT = 2000

#: Below ``max(_ARPACK_MIN, 4 k)`` parameters ARPACK is never used (it needs ``k < ncv < P``).
_ARPACK_MIN = 24

#: Vectors per block product of the block Lanczos method (``method="block"``).
BLOCK_SIZE = 4

#: Whether ``method="auto"`` above :data:`DENSE_LIMIT` takes block Lanczos when the
#: objective has a native ``hvp_block`` (else single-vector Lanczos).  Off: measured on
#: the bench instances (``tol=1e-6``, seed 0, same run), block Lanczos needs more products
#: than the block product saves (L: 65 HVPs single-vector against 93 / 153 / 273
#: for ``b = 2 / 4 / 8``, with a block product costing 0.8 of an HVP per vector).
AUTO_BLOCK = False

#: Default Lanczos basis: at most this many vectors (thick restart beyond) ...
_MAX_BASIS = 100
#: ... and at most this many float64 numbers (256 MB).
_BASIS_DOUBLES = 2**25


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
                        ncv: int | None = None, maxiter: int | None = None,
                        block_size: int = BLOCK_SIZE) -> RitzPairs:
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
        Relative accuracy: every returned pair has
        ``||H v - lambda v|| <= tol * max(eps^(2/3), |lambda|)`` (ARPACK's rule).
    method
        ``"dense"`` (``eigh`` of the Hessian), ``"lanczos"`` (Lanczos with full
        reorthogonalisation on HVPs, :mod:`~resproof.landscape.lanczos`,
        nothing ``P x P`` in memory), ``"arpack"`` (:func:`scipy.sparse.linalg.eigsh`
        on HVPs), ``"shift"`` (``"SA"`` only: largest modes of ``sigma I - H``
        by Lanczos, ``tol`` relative to ``sigma - lambda``), ``"block"`` (block
        Lanczos on block products, :mod:`~resproof.landscape.block_lanczos`), or
        ``"auto"`` (dense up to :data:`DENSE_LIMIT`; above it Lanczos, or block
        Lanczos when :data:`AUTO_BLOCK` is set and the objective has a native
        ``hvp_block``).
    seed
        Seed of the start vector (deterministic).
    ncv
        Most basis vectors kept (``k + 2 <= ncv``; capped at ``P``): Lanczos
        thick-restarts when its basis is full, ARPACK restarts every ``ncv``.
    maxiter
        Most restarts (Lanczos) or implicit restart iterations (ARPACK).
    block_size
        Vectors per block product (``"block"``; capped at ``P``).

    Returns
    -------
    RitzPairs
        ``values`` sorted ascending for ``"SA"`` and descending for ``"LA"``
        (so ``values[0]`` is the most extreme), with true residuals.

    Raises
    ------
    InvalidInput
        For an unknown ``which`` or ``method``, ``k`` outside ``[1, P]``, or
        ``ncv`` below ``k + 2``.
    LanczosNoConvergence, scipy.sparse.linalg.ArpackError
        When the iteration fails above :data:`DENSE_LIMIT` (below it the dense
        decomposition is used instead).
    FloatingPointError
        When an HVP is not finite (Lanczos).
    """
    import scipy.sparse.linalg

    check_choice("which", which, ("SA", "LA"))
    check_choice("method", method, ("auto", "dense", "lanczos", "arpack", "shift", "block"))
    P = objective.n_params
    k = check_int("k", k, minimum=1, maximum=P)
    tol = check_real("tol", tol, nonnegative=True)
    if ncv is not None:
        ncv = min(P, check_int("ncv", ncv, minimum=k + 2))
    if maxiter is not None:
        maxiter = check_int("maxiter", maxiter, minimum=0)
    block_size = min(P, check_int("block_size", block_size, minimum=1))
    if method == "auto" and AUTO_BLOCK and P > DENSE_LIMIT and has_block_hvp(objective):
        method = "block"
    if method == "shift" and which == "LA":
        method = "lanczos"
    if (method == "dense" or (method == "auto" and P <= DENSE_LIMIT)
            or (method == "arpack" and max(_ARPACK_MIN, 4 * k) > P)):
        return _dense_extremes(objective, theta, which, k)
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    try:
        if method == "arpack":
            return _arpack(objective, theta, which, k, tol, seed, ncv, maxiter)
        if method == "shift":
            return _shifted_smallest(objective, theta, k, tol, seed, ncv, maxiter)
        if method == "block":
            return _block(objective, theta, which, k, tol, seed, ncv, maxiter, block_size)
        return _lanczos(objective, theta, which, k, tol, seed, ncv, maxiter, shift=None)
    except (scipy.sparse.linalg.ArpackError, LanczosNoConvergence):
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


def _hvp(objective: Objective, theta: np.ndarray, shift: float | None):
    """``v -> H v``, or ``v -> shift v - H v``."""
    if shift is None:
        return lambda v: objective.hvp(theta, v)
    return lambda v: shift * v - objective.hvp(theta, v)


def _max_basis(P: int, k: int, ncv: int | None) -> int:
    """``ncv``, or at most :data:`_MAX_BASIS` vectors and :data:`_BASIS_DOUBLES` numbers."""
    if ncv is not None:
        return ncv
    return min(P, max(2 * k + 2, min(_MAX_BASIS, _BASIS_DOUBLES // P)))


def _lanczos(objective: Objective, theta: np.ndarray, which: str, k: int, tol: float, seed: int,
             ncv: int | None, maxiter: int | None, shift: float | None) -> RitzPairs:
    P = objective.n_params
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(P)
    out = lanczos(_hvp(objective, theta, shift), v0, which, k, tol, _max_basis(P, k, ncv),
                  maxiter if maxiter is not None else P, rng)
    if out.stop is LanczosStop.MAX_RESTARTS:
        raise LanczosNoConvergence(
            f"Lanczos: residuals {out.residuals} above tol={tol} after {out.restarts} restarts",
            out)
    values = out.values if shift is None else shift - out.values
    return RitzPairs(values, out.vectors, out.residuals, out.matvecs)


def _block(objective: Objective, theta: np.ndarray, which: str, k: int, tol: float, seed: int,
           ncv: int | None, maxiter: int | None, b: int) -> RitzPairs:
    P = objective.n_params
    rng = np.random.default_rng(seed)
    X0 = rng.standard_normal((b, P))
    basis = min(P, max(_max_basis(P, k, ncv), k + 2 * b))
    out = block_lanczos(lambda V: hvp_block(objective, theta, V), X0, which, k, tol, basis,
                        maxiter if maxiter is not None else P, rng)
    if out.stop is LanczosStop.MAX_RESTARTS:
        raise LanczosNoConvergence(
            f"block Lanczos: residuals {out.residuals} above tol={tol} after {out.restarts} "
            "restarts", out)
    return RitzPairs(out.values, out.vectors, out.residuals, out.matvecs)


def _hvp_operator(objective: Objective, theta: np.ndarray, count: list[int]):
    import scipy.sparse.linalg

    P = objective.n_params

    def matvec(v: np.ndarray) -> np.ndarray:
        count[0] += 1
        return objective.hvp(theta, np.ascontiguousarray(v, dtype=np.float64).reshape(-1))

    return scipy.sparse.linalg.LinearOperator((P, P), matvec=matvec, dtype=np.float64)


def _arpack(objective: Objective, theta: np.ndarray, which: str, k: int, tol: float, seed: int,
            ncv: int | None, maxiter: int | None) -> RitzPairs:
    import scipy.sparse.linalg

    P = objective.n_params
    count = [0]
    op = _hvp_operator(objective, theta, count)
    v0 = np.random.default_rng(seed).standard_normal(P)
    ncv = min(P - 1, ncv if ncv is not None else max(2 * k + 1, 40))
    w, V = scipy.sparse.linalg.eigsh(op, k=k, which=which, tol=tol, v0=v0, ncv=ncv,
                                     maxiter=maxiter if maxiter is not None else 100 * P)
    order = np.argsort(w) if which == "SA" else np.argsort(-w)
    w, V = w[order], V[:, order]
    V = V / np.linalg.norm(V, axis=0)
    residuals = np.array([np.linalg.norm(objective.hvp(theta, V[:, i]) - w[i] * V[:, i])
                          for i in range(k)])
    return RitzPairs(w, V, residuals, count[0] + k)


def _shifted_smallest(objective: Objective, theta: np.ndarray, k: int, tol: float, seed: int,
                      ncv: int | None, maxiter: int | None) -> RitzPairs:
    top = _lanczos(objective, theta, "LA", 1, 1e-3, seed + 1, ncv, maxiter, shift=None)
    # sigma above lambda_max makes sigma I - H positive semidefinite
    sigma = top.value + top.residuals[0] + 1e-3 * abs(top.value)
    low = _lanczos(objective, theta, "LA", k, tol, seed, ncv, maxiter, shift=sigma)
    return dataclasses.replace(low, matvecs=low.matvecs + top.matvecs)
