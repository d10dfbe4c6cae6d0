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
from typing import Any

from threadpoolctl import threadpool_limits

from ...nn.instances import resnest_tanh
from ...results import PointKind
from .common import minimise_pphi


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
