"""(PA_phi), the A-ResNEst problem of Chen et al.: the output weights ``H`` over the
frozen features ``v_0 = x, v_1, ..., v_L``.

The A-ResNEst predicts ``sum_{i=0}^{L} H_i v_i``; with ``phi`` frozen this is a
generalised linear model in ``H``, so (PA_phi) is convex for a convex loss.  For
the squared loss its optimum is least squares on the stacked features
``[v_0, ..., v_L]``; for the other convex losses of A2 (logistic,
pseudo-Huber, softmax cross-entropy) :func:`augmented_minimum` solves it with
the landscape engine on :func:`augmented_objective` (convex: a converged
critical point is a global minimiser).
"""

from __future__ import annotations

import mpmath
import numpy as np

from ..landscape.minimize import minimize
from ..nn.losses import resolve_loss
from ..nn.models import LinearObjective
from ..results import CriticalPoint


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
        Ym = Y if isinstance(Y, mpmath.matrix) else mpmath.matrix(np.asarray(Y).tolist())
        Q, _Rr = mpmath.qr(A)
        n = A.cols
        total = mpmath.mpf(0)
        for j in range(Ym.cols):
            y = Ym.column(j)
            qty = Q.T * y
            # residual = ||y||^2 - ||Q_1^T y||^2 for the thin factor (A full column rank)
            total += sum(y[i] ** 2 for i in range(y.rows)) - sum(qty[i] ** 2 for i in range(n))
        return total / (2 * A.rows)


def augmented_objective(features: list[np.ndarray], Y: np.ndarray, loss: str = "squared",
                        loss_param: float | None = None) -> LinearObjective:
    """(PA_phi) as an Objective over ``vec(H)``, ``H = [H_0 ... H_L]`` (``N_o x sum K_i``,
    row-major): ``A(H) = (1/N) sum_n l(H [v_0; ...; v_L](x_n), y_n)``, exact Hessian."""
    resolve_loss(loss, loss_param)
    return LinearObjective(np.ascontiguousarray(np.hstack(features)),
                           np.ascontiguousarray(Y, dtype=np.float64), loss, loss_param)


def augmented_minimum(features: list[np.ndarray], Y: np.ndarray, loss: str = "squared",
                      loss_param: float | None = None, *, max_iterations: int = 1000
                      ) -> CriticalPoint:
    """``min (PA_phi)`` for a convex loss by trust-region Newton from ``H = 0``.

    (PA_phi) is convex, so the returned point, when converged, is a global
    minimiser (its ``loss`` is the optimum).  Softmax cross-entropy is invariant
    under ``H -> H + 1 c^T``: ``sum K_i`` symmetry modes.  A loss whose infimum
    is not attained (separable data for logistic) does not converge: the
    caller must treat that as a failed search.
    """
    obj = augmented_objective(features, Y, loss, loss_param)
    return minimize(obj, np.zeros(obj.n_params), max_iterations=max_iterations,
                    symmetry_modes=augmented_symmetry_modes(features, Y.shape[1], loss))


def augmented_symmetry_modes(features: list[np.ndarray], n_out: int, loss: str) -> int:
    """Directions of ``H`` that change no prediction on the sample: ``N_o D - r_o r_Phi``,
    ``r_Phi`` the rank of the stacked features (``D`` columns) and ``r_o = N_o - 1`` for
    softmax cross-entropy (invariant under a common shift of the logits), else ``N_o``.
    A converged point that is ``MINIMUM`` with exactly these zero modes is a strict
    minimiser modulo them: the infimum is attained."""
    A = np.hstack(features)
    s = np.linalg.svd(A, compute_uv=False)
    rank = int(np.sum(s > s[0] * max(A.shape) * np.finfo(np.float64).eps)) if s[0] > 0 else 0
    r_o = n_out - 1 if loss == "softmax_ce" else n_out
    return n_out * A.shape[1] - r_o * rank


def newton_decrement(objective, theta: np.ndarray, zero_tolerance: float) -> float:
    """``1/2 sum_i (v_i^T g)^2 / |lambda_i|`` over the eigenpairs with ``|lambda_i| >
    zero_tolerance`` (``1/2 g^T H^+ g`` where ``H`` is PSD): for a convex
    objective near its minimum, the estimated excess ``f(theta) - min f`` (exact for a
    quadratic); how far a loss found by an iterative search may sit above its critical
    value."""
    g = objective.grad(theta)
    H = objective.hessian(theta)
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    keep = np.abs(w) > max(zero_tolerance, 0.0)
    c = V[:, keep].T @ g
    return float(0.5 * np.sum(c * c / np.abs(w[keep])))
