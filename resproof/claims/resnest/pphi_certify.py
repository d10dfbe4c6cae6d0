"""High-precision re-checks of (P_phi) refutations, one-sided: a gap to ``min (PA_phi)``
and a strictly negative Hessian eigenvalue, at 50 digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...landscape.certify import Certificate, certify_critical_point
from ...problems.pphi import PphiObjective
from .pphi_study import Study


def one_sided(cert: Certificate, sign: int) -> bool:
    """A certificate counts only on the refuting side: ``sign * margin > error_bound``."""
    return bool(cert.certified and sign * cert.margin > cert.error_bound)


def certify_gap(hp: Any, theta: np.ndarray, best_mp: Any, dps: int = 50,
                sign: int = 1) -> Certificate:
    """Certify ``sign * (R(theta*) - best) > 0`` at the critical point ``theta*`` near
    ``theta``, one-sided (``margin`` the signed gap; judge it with :func:`one_sided`)."""
    return certify_critical_point(hp, theta, lambda t: hp.mp_loss(t) - best_mp, 0, dps=dps,
                                  refutes="above" if sign > 0 else "below")


def study_high_precision(study: Study, residual: bool = False, dps: int = 50) -> Any:
    """(P_phi) of ``study`` (squared loss) at ``dps`` digits; with ``residual`` the targets
    are the original ones replaced by their residual on ``x_{L-1}`` computed at ``dps``
    digits (so the constructed ``(0, 0)`` is critical to that precision; see
    :func:`~resproof.problems.pphi_exact.residual_high_precision`)."""
    from ...problems.pphi_exact import high_precision, residual_high_precision

    if residual:
        original = PphiObjective(study.x_prev, study.features[-1], study.inst.Y)
        return residual_high_precision(original, dps)
    return high_precision(study.objective, dps)


def certify_study_gap(study: Study, theta: np.ndarray, sign: int,
                      features: list[np.ndarray] | None = None, residual: bool = False,
                      dps: int = 50) -> tuple[bool, dict[str, Any]]:
    """Certify, one-sided, ``sign * (R(theta*) - min (PA_phi)) > 0`` at ``dps`` digits for the
    squared loss, ``theta*`` the critical point near ``theta`` (refined in high
    precision); ``residual`` as in :func:`study_high_precision`; ``features`` replaces
    the (PA_phi) features (a control that drops one)."""
    from ...problems.augmented import augmented_optimum_mp

    if study.loss != "squared":
        return False, {"certified": False, "why": f"no high-precision (P_phi) for {study.loss}"}
    feats = study.features if features is None else features
    hp = study_high_precision(study, residual, dps)
    best = augmented_optimum_mp(feats, hp._Y if residual else study.Y, dps)
    cert = certify_gap(hp, theta, best, dps, sign)
    ok = one_sided(cert, sign)
    return ok, {**cert.to_json(), "one_sided": ok, "sign": sign}


def certify_curvature(study: Study, theta: np.ndarray, residual: bool = False,
                      dps: int = 50) -> tuple[bool, dict[str, Any]]:
    """Certify a strictly negative Hessian eigenvalue at the critical point near ``theta``
    (Rayleigh quotient of the float64 most negative eigenvector, at ``dps`` digits)."""
    from ...landscape.certify import certify_negative_curvature

    _, V = np.linalg.eigh(study.objective.hessian(theta))
    cert = certify_negative_curvature(study_high_precision(study, residual, dps), theta,
                                      V[:, 0], dps=dps)
    ok = one_sided(cert, 1)
    return ok, {**cert.to_json(), "one_sided": ok}
