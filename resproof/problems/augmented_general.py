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


def prefix_optima(features: list[np.ndarray], Y: np.ndarray, loss: str = "squared",
                  loss_param: float | None = None, *, gtol: float = GTOL) -> list[float]:
    """``[min A(H_0, 0..), min A(H_0, H_1, 0..), ..., min A(H_0..H_L)]``."""
    return [augmented_solution(features[:i + 1], Y, loss, loss_param, gtol=gtol)[1]
            for i in range(len(features))]


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
