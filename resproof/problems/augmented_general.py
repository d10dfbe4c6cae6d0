"""(PA_phi) for any convex loss of A2, its prefixes, and high-precision least squares.

With ``phi`` frozen, ``A(H_0, ..., H_L) = (1/N) sum_n l(sum_i H_i v_i(x_n), y_n)`` is a
generalised linear model in ``H = [H_0 ... H_L]`` over the stacked features
``[v_0, ..., v_L]``: the same convex problem as ``R_lin`` with the stacked features as
input, solved by :func:`resproof.problems.linear.optimum` (least squares for the
squared loss, trust-region Newton with the exact Hessian otherwise).

``prefix_optima`` gives ``a_i = min A(H_0, ..., H_i, 0, ..., 0)`` for ``i = 0..L``
(``a_0 = R_lin``): the quantities of the strictness clause of Corollary 2 and of
the linear-unpredictability remark as resproof reads them.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ..landscape.points import GTOL
from .linear import optimum


def augmented_solution(features: list[np.ndarray], Y: np.ndarray, loss: str = "squared",
                       loss_param: float | None = None, *,
                       gtol: float = GTOL) -> tuple[np.ndarray, float]:
    """``(H*, min A)`` over the stacked features (``H*`` is ``N_o x sum K_i``); raises
    :class:`~resproof.errors.SearchFailed` when the convex solve does not converge.

    ``gtol`` is the landscape engine's default relative gradient ``1e-10``: stacked
    features are often rank deficient (a dead block, ``v_0`` and a linear ``v_i``), and
    there the solve stalls near ``1e-12`` on rounding."""
    return optimum(np.hstack(features), Y, loss, loss_param, gtol=gtol)


def prefix_bases(features: list[np.ndarray], rank_tol: float = 1e-10) -> list[np.ndarray]:
    """Orthonormal bases (scaled by ``sqrt(N)``) of the nested spans of
    ``[v_0]``, ``[v_0, v_1]``, ...: block ``i`` adds the left singular vectors of its part
    outside the current span whose singular values exceed ``rank_tol`` times the block's
    largest (the numerical-rank convention; a block within ``rank_tol`` of the span adds
    nothing)."""
    N = features[0].shape[0]
    Q = np.zeros((N, 0))
    out = []
    for v in features:
        rest = v - Q @ (Q.T @ v)
        U, sv, _ = np.linalg.svd(rest, full_matrices=False)
        top = float(np.linalg.svd(v, compute_uv=False)[0]) if v.size else 0.0
        keep = sv > rank_tol * top if top > 0 else np.zeros_like(sv, dtype=bool)
        Q = np.hstack([Q, U[:, keep]])
        Q, _ = np.linalg.qr(Q)
        out.append(Q * np.sqrt(N))
    return out


def prefix_optima(features: list[np.ndarray], Y: np.ndarray, loss: str = "squared",
                  loss_param: float | None = None, *, gtol: float = GTOL,
                  rank_tol: float = 1e-10) -> list[float]:
    """``[min A(H_0, 0..), min A(H_0, H_1, 0..), ..., min A(H_0..H_L)]``.

    Each prefix problem is solved over an orthonormal basis of the prefix's span
    (:func:`prefix_bases`; the infimum depends only on the span): well conditioned, and a
    block inside the span of the earlier ones leaves the basis, hence the optimum,
    unchanged instead of re-solving a singular problem whose answer would differ by the
    solver's tolerance (measured: ``3e-9`` with the raw features, pseudo-Huber)."""
    return [optimum(Q, Y, loss, loss_param, gtol=gtol)[1]
            for Q in prefix_bases(features, rank_tol)]


def mp_least_squares_risk(Z: np.ndarray | list, Y: np.ndarray, dps: int = 50) -> mpmath.mpf:
    """``min_T 1/(2N) ||Z T - Y||^2`` at ``dps`` digits (``Z`` an array or rows of
    ``mpf``), by the SVD of ``Z`` in mpmath (rank decided at ``10^(10-dps)``)."""
    with mpmath.workdps(dps):
        A = mpmath.matrix([[mpmath.mpf(v) for v in row] for row in Z])
        Ym = mpmath.matrix(np.asarray(Y, dtype=np.float64).tolist())
        U, S, _V = mpmath.svd_r(A)
        smax = max((abs(S[i]) for i in range(len(S))), default=mpmath.mpf(0))
        rank = [i for i in range(len(S)) if abs(S[i]) > smax * mpmath.mpf(10) ** (10 - dps)]
        total = mpmath.mpf(0)
        for j in range(Ym.cols):
            y = Ym.column(j)
            total += sum(y[i] ** 2 for i in range(y.rows))
            for r in rank:
                total -= mpmath.fsum(U[i, r] * y[i] for i in range(y.rows)) ** 2
        return total / (2 * A.rows)
