"""The whole Theorem-1 check of bench-spec figure 5: size S, one instance per seed.

Per seed: build the instance, freeze the features, solve (PA_phi) by least
squares, minimise (P_phi) over ``(W_L, W_{L+1})`` from the drawn weights
(variable projection, :func:`resproof.problems.pphi_solve.local_minimum`:
Levenberg-Marquardt on ``W_L`` with the optimal ``W_{L+1}``, then the joint
relative gradient 1e-10 and all joint Hessian eigenvalues checked) and report
``eps``.  BLAS runs on one thread: these matrices are 48 x 48, where thread
start-up costs more than it saves.  The clock runs inside the thread limit
(entering it scans the loaded libraries, a millisecond or more) and after one
warm-up seed (compilation).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from ...nn.instances import Instance, resnest_tanh
from ...problems.augmented import augmented_optimum
from ...problems.pphi import PphiObjective
from ...problems.pphi_solve import local_minimum
from ...results import CriticalPoint, PointKind
from .pphi_study import Study


class PphiSearch(NamedTuple):
    """A (P_phi) problem, ``min (PA_phi)`` and the local minimum found from the drawn
    weights (the bench-spec figure-5 sweep, :mod:`.thm1_sweep`)."""

    objective: PphiObjective
    features: list[np.ndarray]
    targets: np.ndarray
    best: float
    point: CriticalPoint


def minimise_pphi(inst: Instance, **options: Any) -> PphiSearch:
    """Minimise (P_phi) (squared loss) over ``(W_L, W_{L+1})`` from the drawn weights of
    ``inst``; the ``(M - N_o) K_L`` zero modes of ``W_{L+1} -> W_{L+1} G^{-1}`` are expected."""
    study = Study.of(inst)
    point = local_minimum(study.objective, study.drawn_theta(),
                          symmetry_modes=study.symmetry_modes, **options)
    return PphiSearch(study.objective, study.features, study.Y,
                      augmented_optimum(study.features, study.Y), point)


def check_seed(seed: int) -> dict[str, Any]:
    p, _, _, best, point = minimise_pphi(resnest_tanh("S", seed))
    ok = point.converged and point.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)
    risk = p.residual_risk(point.theta)
    return {"risk": risk, "eps": risk - best if ok else None, "converged": ok,
            "relative_grad_norm": point.relative_grad_norm, "iterations": point.iterations,
            "kind": point.kind.value}


def sweep(seeds: Iterable[int]) -> dict[str, Any]:
    """``seeds``, ``risk``, ``eps``, ``converged``, ``kind`` per seed and ``instances_per_s``."""
    seeds = list(seeds)
    with threadpool_limits(1):
        check_seed(seeds[0])  # compile
        start = time.perf_counter()
        rows = [check_seed(s) for s in seeds]
        elapsed = time.perf_counter() - start
    return {"seeds": seeds, "risk": [r["risk"] for r in rows], "eps": [r["eps"] for r in rows],
            "converged": [r["converged"] for r in rows], "kind": [r["kind"] for r in rows],
            "relative_grad_norm": [r["relative_grad_norm"] for r in rows],
            "iterations": [r["iterations"] for r in rows],
            "instances_per_s": len(seeds) / elapsed}
