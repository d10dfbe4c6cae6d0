"""The best linear predictor: ``R_lin = inf_T (1/N) sum_n l(T x_n, y_n)`` (no bias; a
constant input coordinate models one).

Least squares (QR/SVD) for the squared loss; for the other convex losses
trust-region Newton on :class:`~resproof.nn.models.LinearObjective` with its exact
Hessian, to a relative gradient of ``gtol``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidInput, SearchFailed
from ..landscape.minimize import minimize
from ..nn.losses import resolve_loss
from ..nn.models import LinearPredictor


def optimum(X: Any, Y: Any, loss: str = "squared", loss_param: float | None = None,
            *, gtol: float = 1e-12) -> tuple[np.ndarray, float]:
    """``(T*, R_lin)`` for any convex loss; raises :class:`~resproof.errors.SearchFailed`
    when the convex solve does not converge (e.g. separable data under the logistic
    loss, where the infimum is not attained)."""
    if loss == "squared":
        return LinearPredictor.squared_optimum(X, Y)
    obj = LinearPredictor.objective(X, Y, loss, loss_param)
    lspec, _ = resolve_loss(loss, loss_param)
    if not lspec.convex:
        raise InvalidInput("loss", "a convex loss (R_lin is a convex problem)", loss)
    point = minimize(obj, np.zeros(obj.n_params), gtol=gtol)
    if not point.converged:
        raise SearchFailed(f"R_lin: the convex solve stopped ({point.stop_reason.value})", point)
    return point.theta.reshape(obj.Y.shape[1], obj.X.shape[1]), point.loss
