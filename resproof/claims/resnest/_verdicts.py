"""Shared pieces of the ResNEst claims' verdicts: minimisation with a logged search (from
several starts, past those that diverge) and the rule that only a confirmed minimum may
refute a statement about local minima."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ...landscape.minimize import minimize
from ...results import CriticalPoint, PointKind, StopReason
from ..base import SearchLog, confirmed_minimum


def usable_margin(margin: float, point: CriticalPoint) -> float | None:
    """``margin`` when it may decide: a violation (``< 0``) only at a confirmed minimum;
    ``None`` (inconclusive) for a violation at a point that is not one."""
    if margin < 0 and not confirmed_minimum(point):
        return None
    return float(margin)


def minimum_like(point: CriticalPoint) -> bool:
    """Converged and minimum or degenerate (may support "holds")."""
    return point.converged and point.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)


def logged_minimum(log: SearchLog, label: str, objective: Any, theta0: np.ndarray, *,
                   max_iterations: int, symmetry_modes: int = 0, gtol: float = 1e-10,
                   divergence: float | None = None,
                   size: Callable[[np.ndarray], float] | None = None,
                   fallback: Callable[[np.ndarray], CriticalPoint] | None = None
                   ) -> CriticalPoint:
    """``minimize`` from ``theta0`` by Steihaug CG (long steps on ill-conditioned
    features), continued by the exact dense subproblem from where it stopped if it did
    not converge (at most ``max_iterations // 5`` iterations: a polish, each step costs
    a dense Hessian); both recorded in ``log`` (the last one run is the needed one).
    ``divergence``/``size``: stop ``DIVERGING`` once ``size(theta)`` exceeds
    ``divergence * max(1, size(theta0))`` (:func:`~resproof.landscape.minimize.minimize`;
    the bound is the start's, for both stages).  ``fallback(theta0)``: another search
    from the same start when those did not converge (their records kept, not needed); it
    decides, except that when the first path diverged and the fallback found nothing
    either, the divergence is what is returned (so a caller may try another start)."""
    theta0 = np.asarray(theta0, dtype=np.float64)
    measure = size if size is not None else (lambda t: float(np.linalg.norm(t)))
    limit = None if divergence is None else divergence * max(1.0, measure(theta0))
    point = minimize(objective, theta0, gtol=gtol, max_iterations=max_iterations,
                     symmetry_modes=symmetry_modes, method="cg", divergence=divergence,
                     size=size)
    stage = label
    if not point.converged and point.stop_reason is not StopReason.DIVERGING:
        log.add(f"{label} (CG)", point, needed=False)
        more = None if limit is None else limit / max(1.0, measure(point.theta))
        point = minimize(objective, point.theta, gtol=gtol,
                         max_iterations=max(1, max_iterations // 5),
                         symmetry_modes=symmetry_modes, method="dense", divergence=more,
                         size=size)
        stage = f"{label} (continued, dense)"
    if point.converged or fallback is None:
        return log.add(stage, point)
    log.add(stage, point, needed=False)
    other = fallback(theta0)
    if not other.converged and point.stop_reason is StopReason.DIVERGING:
        log.add(f"{label} (output layer projected)", other, needed=False)
        log.records[-2]["needed"] = True
        return point
    return log.add(f"{label} (output layer projected)", other)


#: A search for a minimiser of a whole network ((P), (PD)) whose iterate's size leaves
#: ``DIVERGENCE * max(1, size(start))`` while the loss falls stops ``DIVERGING`` (the rule
#: of ``common.drifting``: a hundredfold).  Not tighter: on 40 ``resnest.rem1`` instances,
#: (P) minimisers found from the drawn weights lie at up to 20 times the start's size
#: (tanh units near saturation), while the paths that never converge grow 2.6 to 1250
#: times in 1200 iterations; a size alone does not tell the slow ones apart.
DIVERGENCE = 100.0


def minimum_from_starts(log: SearchLog, label: str, objective: Any,
                        starts: Iterable[np.ndarray], *, max_iterations: int,
                        symmetry_modes: int = 0, gtol: float = 1e-10,
                        size: Callable[[np.ndarray], float] | None = None,
                        divergence: float = DIVERGENCE,
                        fallback: Callable[[np.ndarray], CriticalPoint] | None = None
                        ) -> CriticalPoint:
    """A local minimiser from the first of ``starts`` whose search does not diverge.

    Each start is searched by :func:`logged_minimum` with the ``divergence`` bound (and
    its ``fallback``).  A
    search stopped ``DIVERGING`` descended out of the ball ``size <= divergence
    max(1, size(start))``: no minimiser on that path (the infimum along it may be at
    infinity: measured, on instances of ``resnest.rem1``, as units saturating or blocks
    cancelling with weights growing a thousandfold while the loss falls in its sixth
    digit).  It is recorded, as not needed, and the next start is tried; the claims that
    use this quantify over every local minimiser, so any start's will do.  Any other
    outcome (converged, or failed otherwise) is the needed search and is returned: a
    search that failed without diverging leaves the trial inconclusive.  When every start
    diverged the last search is the needed one (no minimiser found: inconclusive)."""
    point = None
    for j, start in enumerate(starts):
        trial_log = SearchLog()
        point = logged_minimum(trial_log, f"{label} start {j}", objective, start,
                               max_iterations=max_iterations, symmetry_modes=symmetry_modes,
                               gtol=gtol, divergence=divergence, size=size,
                               fallback=fallback)
        if point.stop_reason is not StopReason.DIVERGING:
            log.records += trial_log.records
            return point
        for record in trial_log.records:
            record["needed"] = False
            record["search"] += " (diverged: no minimiser on this path)"
        log.records += trial_log.records
    if point is None:
        raise ValueError("minimum_from_starts needs at least one start")
    log.records[-1]["needed"] = True
    return point


def point_evidence(point: CriticalPoint) -> dict[str, Any]:
    return {"loss": point.loss, "stop_reason": point.stop_reason.value,
            "kind": point.kind.value, "relative_grad_norm": point.relative_grad_norm,
            "lambda_min": point.lambda_min, "zero_modes": point.n_zero_modes,
            "iterations": point.iterations}


def minimise_pphi(log: SearchLog, label: str, model: Any, theta: np.ndarray, X: np.ndarray,
                  Y: np.ndarray, loss: str, *, max_iterations: int,
                  start: np.ndarray | None = None) -> tuple[CriticalPoint, float]:
    """A local minimiser of (P_phi) (``W_L, W_{L+1}``, ``phi`` frozen at ``theta``) from
    ``start`` (default: ``theta``'s own); returns the point and its risk.

    Squared loss with ``x_{L-1}`` of full column rank: variable projection on the Gram
    statistics (:func:`resproof.problems.pphi_solve.local_minimum`), the risk from the
    residuals; if it does not converge (recorded, not needed), or for the other losses,
    or ``x_{L-1}`` rank deficient (e.g. ``L = 1`` with ``M > N_in``, where that search
    diverges), variable projection for any convex loss
    (:func:`resproof.problems.pphi_reduced.reduced_minimum`: ``W_{L+1}`` eliminated by an
    exact convex solve, needs ``z = x_{L-1} + v_L W_L^T`` of full column rank), and when it
    does not converge (recorded, not needed) trust-region Newton on the network's
    restricted objective.

    Zero modes: the risk depends on ``(W_L, W_{L+1})`` only through
    ``(W_{L+1} restricted to span x_{L-1}, W_{L+1} W_L)``, ``N_o (r + K)`` numbers with
    ``r = rank x_{L-1}``, so its fibres have dimension
    ``M K + N_o M - N_o (r + K) = (M - N_o) K + N_o (M - r)``: the symmetry modes counted.
    """
    from ...problems.pphi import PphiObjective
    from ...problems.pphi_loss import PphiLossObjective
    from ...problems.pphi_reduced import reduced_minimum
    from ...problems.pphi_solve import local_minimum

    lay = model.layout
    M, K, n_o = lay.width, lay.block_widths[-1], lay.n_out
    n = M * K + n_o * M
    t0 = theta[-n:] if start is None else start
    *features, x_prev = model.features(theta, X)
    modes, full_rank = pphi_symmetry_modes(model, x_prev)
    if loss == "squared" and full_rank:
        p = PphiObjective(x_prev, features[-1], Y)
        point = local_minimum(p, t0, symmetry_modes=modes, max_iterations=max_iterations)
        if point.converged:
            return log.add(label, point), p.residual_risk(point.theta)
        log.add(f"{label} (variable projection, Gram)", point, needed=False)
    point = reduced_minimum(PphiLossObjective(x_prev, features[-1], Y, loss), t0,
                            max_iterations=max_iterations, symmetry_modes=modes)
    if point.converged:
        return log.add(label, point), point.loss
    log.add(f"{label} (variable projection, {loss})", point, needed=False)
    obj = model.objective(X, Y, loss, subset="P_phi", theta=theta)
    point = logged_minimum(log, label, obj, t0, max_iterations=max_iterations,
                           symmetry_modes=modes)
    return point, point.loss


def pphi_symmetry_modes(model: Any, x_prev: np.ndarray) -> tuple[int, bool]:
    """``((M - N_o) K + N_o (M - r), r == M)`` with ``r = rank x_{L-1}`` (numerical, relative
    ``1e-10``): the zero modes of (P_phi) explained by its fibres (:func:`minimise_pphi`)."""
    lay = model.layout
    M, K, n_o = lay.width, lay.block_widths[-1], lay.n_out
    sv = np.linalg.svd(x_prev, compute_uv=False)
    rank = int(np.sum(sv > 1e-10 * sv[0])) if sv.size and sv[0] > 0 else 0
    return max(M - n_o, 0) * K + n_o * (M - rank), rank == M


def log_failed_solve(log: SearchLog, label: str, exc: Exception) -> None:
    """Record a convex solve that raised :class:`~resproof.errors.SearchFailed`."""
    point = getattr(exc, "best_point", None)
    if point is None and exc.args and isinstance(exc.args[0], CriticalPoint):
        point = exc.args[0]
    if point is not None:
        log.add(label, point)
    else:
        log.records.append({"search": label, "converged": False, "needed": True,
                            "stop_reason": "failed"})


def full_minimum(log: SearchLog, case: Any, budget: Any,
                 label: str = "(P)") -> CriticalPoint:
    """A local minimiser of the full problem (P) of ``case`` (a
    :class:`~resproof.claims.resnest._cases.Case`): from the drawn weights, then, past
    starts that diverge (:func:`minimum_from_starts`, size the stream-balanced norm of
    :func:`~resproof.problems.full.stream_balanced_size`, so growth along the ``GL(M)``
    orbit does not count), from up to ``budget.restarts`` fresh draws of the weights
    (``default_rng([seed, 1])``: reproducible from the spec).  From each start: trust-region
    Newton on (P) (:func:`logged_minimum`), and when it does not converge, variable
    projection of the output layer from the same start
    (:func:`~resproof.problems.output_projection.projected_minimum`, at most
    ``max_iterations // 5`` iterations).  Measured on 10 instances of ``resnest.rem1``
    where the first ran out of iterations (weights growing 3 to 1250 times while the loss
    fell in its sixth digit), the projected search converged on 4, each to a lower
    minimum in 24-74 iterations: those paths had drifted off, not toward a minimiser."""
    from ...problems.full import (
        full_objective,
        stream_balanced_size,
        stream_symmetry_modes,
        streams,
    )
    from ...problems.output_projection import projected_minimum
    from ._cases import random_theta

    def starts():
        yield case.theta
        rng = np.random.default_rng([case.spec.seed, 1])
        for _ in range(budget.restarts):
            yield random_theta(rng, case.model)

    obj = full_objective(case.model, case.X, case.Y, case.spec.loss)
    modes = stream_symmetry_modes(case.model)
    size = stream_balanced_size(case.model)
    sl = case.model.layout.slices["Wout"]
    out = np.arange(sl.start, sl.stop)

    def projected(theta0: np.ndarray) -> CriticalPoint:
        return projected_minimum(obj, out, lambda t: streams(case.model, t, case.X)[-1],
                                 case.Y, case.spec.loss, theta0,
                                 max_iterations=max(1, budget.max_iterations // 5),
                                 symmetry_modes=modes, divergence=DIVERGENCE, size=size)

    return minimum_from_starts(log, label, obj, starts(), max_iterations=budget.max_iterations,
                               symmetry_modes=modes, size=size, fallback=projected)
