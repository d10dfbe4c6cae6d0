"""``min (PA_phi)``, the optimum the (P_phi) claims compare with, and the slack of a point's
loss: least squares for the squared loss, the landscape engine on the convex (PA_phi)
otherwise (with the measured assumption that its infimum is attained).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...landscape.minimize import minimize
from ...problems.augmented import (
    augmented_minimum,
    augmented_objective,
    augmented_optimum,
    augmented_symmetry_modes,
    newton_decrement,
)
from ...results import CriticalPoint, PointKind
from ..base import Assumption, SearchLog
from .pphi_study import Study, a_phi


def to_augmented(study: Study, theta: np.ndarray) -> np.ndarray:
    """The A-ResNEst weights ``H = W_{L+1} [W_0, W_1, ..., W_{L-1}, W_L]`` that predict
    exactly what (P_phi) predicts at ``theta`` (``x_{L-1} = sum_{i<L} W_i v_i``)."""
    WL, Wo = study.objective.split(theta)
    return (Wo @ np.hstack([a_phi(study.inst), WL])).ravel()


def pa_optimum(study: Study, log: SearchLog, features: list[np.ndarray] | None = None,
               label: str = "PA_phi", warm: Sequence[CriticalPoint] = ()
               ) -> tuple[float | None, float, Assumption | None]:
    """``(min (PA_phi), slack, attained)``.

    Squared loss: least squares (slack 0; the minimum is always attained).  Other
    losses: the landscape engine on the convex (PA_phi) from ``H = 0`` and from the
    A-ResNEst image (:func:`to_augmented`) of each converged point of ``warm`` (all
    logged; the start from ``0`` needed); the lowest converged value, its Newton
    decrement as the slack (how far above the optimum the value may be), and the
    measured assumption that the infimum is attained: the point is a strict minimum
    modulo the prediction-preserving directions
    (:func:`~resproof.problems.augmented.augmented_symmetry_modes`; margin its
    second-order margin).  Logistic or softmax data that are separable on the features
    have no minimiser: eps is then undefined and the trial vacuous."""
    feats = study.features if features is None else features
    if study.loss == "squared":
        return augmented_optimum(feats, study.Y), 0.0, None
    obj = augmented_objective(feats, study.Y, study.loss)
    modes = augmented_symmetry_modes(feats, study.Y.shape[1], study.loss)
    first = log.add(label, augmented_minimum(feats, study.Y, study.loss))
    if not first.converged:
        return None, 0.0, None
    found = [first]
    for i, p in enumerate(warm):
        if p.converged and features is None:
            found.append(log.add(f"{label} from point {i}", minimize(
                obj, to_augmented(study, p.theta), symmetry_modes=modes), needed=False))
    done = [p for p in found if p.converged]
    low = min(p.loss for p in done)
    ties = [p for p in done if p.loss <= low + 1e-12 * max(1.0, abs(low))]
    best = max(ties, key=lambda p: (p.kind is PointKind.MINIMUM, p.margin))
    attained = Assumption("min (PA_phi) attained",
                          best.margin if best.kind is PointKind.MINIMUM else
                          -abs(best.margin), best.lambda_min,
                          f"(PA_phi) optimum {best.kind.value} with {modes} prediction-"
                          f"preserving zero modes ({best.n_zero_modes} found)")
    return best.loss, newton_decrement(obj, best.theta, best.zero_tolerance), attained


def point_slack(study: Study, point: CriticalPoint) -> float:
    """The Newton decrement of (P_phi) at a converged point: its loss's uncertainty."""
    return newton_decrement(study.objective, point.theta, point.zero_tolerance)
