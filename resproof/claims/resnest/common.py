"""The (P_phi) study of Chen et al.'s claims, gathered under one name: the frozen-feature
:class:`~resproof.claims.resnest.pphi_study.Study` and its measured assumptions
(:mod:`.pphi_study`), the searches for its critical points (:mod:`.pphi_search`),
``min (PA_phi)`` (:mod:`.pphi_optimum`) and the high-precision re-checks
(:mod:`.pphi_certify`).  The claims import from those modules; this one keeps the names
importable from one place (tests, notebooks, reports).
"""

from __future__ import annotations

from .pphi_certify import (
    certify_curvature,
    certify_gap,
    certify_study_gap,
    one_sided,
    study_high_precision,
)
from .pphi_optimum import pa_optimum, point_slack, to_augmented
from .pphi_search import (
    CONFIRM_GTOL,
    attains,
    constructed_saddle,
    critical_points,
    drifting,
    local_min,
    minima,
    parametrisation_modes,
    polish,
    random_starts,
    rank_deficient_starts,
    reclassify,
    stratum_critical_w_l,
)
from .pphi_study import (
    A1_TOL,
    A4_TOL,
    EPS_TOL,
    FULL_RANK_TOL,
    RANK_TOL,
    Study,
    a1,
    a2,
    a3,
    a4,
    a4_ratio,
    a_phi,
    eps_tolerance,
    loss_objective,
    point_record,
    rank_ratio,
)
from .thm1_sweep import PphiSearch, minimise_pphi

__all__ = [
    "A1_TOL", "A4_TOL", "CONFIRM_GTOL", "EPS_TOL", "FULL_RANK_TOL", "RANK_TOL", "PphiSearch",
    "Study", "a1", "a2", "a3", "a4", "a4_ratio", "a_phi", "attains", "certify_curvature",
    "certify_gap", "certify_study_gap", "constructed_saddle", "critical_points", "drifting",
    "eps_tolerance", "local_min", "loss_objective", "minima", "minimise_pphi", "one_sided",
    "pa_optimum", "parametrisation_modes", "point_record", "point_slack", "polish",
    "random_starts", "rank_deficient_starts", "rank_ratio", "reclassify",
    "stratum_critical_w_l", "study_high_precision", "to_augmented",
]
