"""(PA_phi), the A-ResNEst problem of Chen et al.: the output weights ``H`` over the
frozen features ``v_0 = x, v_1, ..., v_L``.

The A-ResNEst predicts ``sum_{i=0}^{L} H_i v_i``; with ``phi`` frozen this is a
generalised linear model in ``H``, so (PA_phi) is convex for a convex loss.  For
the squared loss its optimum is least squares on the stacked features
``[v_0, ..., v_L]``.
"""

from __future__ import annotations

import mpmath
import numpy as np


def augmented_optimum(features: list[np.ndarray], Y: np.ndarray) -> float:
    """``min (PA_phi)`` for the squared loss: least squares of ``Y`` on ``[v_0, ..., v_L]``
    (QR/SVD via ``lstsq``, never normal equations), as ``1/(2N) ||residual||^2``."""
    A = np.hstack(features)
    sol, *_ = np.linalg.lstsq(A, Y, rcond=None)
    r = A @ sol - Y
    return float(0.5 * np.sum(r * r) / A.shape[0])


def augmented_optimum_mp(features: list[np.ndarray], Y: np.ndarray, dps: int = 50):
    """``min (PA_phi)`` in mpmath: ``c - 1/2 tr(T^T S^+ T)`` by a QR solve at ``dps`` digits."""
    with mpmath.workdps(dps):
        A = mpmath.matrix(np.hstack(features).tolist())
        Ym = mpmath.matrix(np.asarray(Y).tolist())
        Q, _Rr = mpmath.qr(A)
        n = A.cols
        total = mpmath.mpf(0)
        for j in range(Ym.cols):
            y = Ym.column(j)
            qty = Q.T * y
            # residual = ||y||^2 - ||Q_1^T y||^2 for the thin factor (A full column rank)
            total += sum(y[i] ** 2 for i in range(y.rows)) - sum(qty[i] ** 2 for i in range(n))
        return total / (2 * A.rows)
