"""The searches for critical points of (P_phi) on a
:class:`~resproof.claims.resnest.pphi_study.Study`.

Local minima by variable projection (the compiled Gram-statistics search for the squared
loss, the general one for any convex loss) and trust-region Newton on the joint problem
when that fails, from the drawn weights and random starts; critical points of any index by
Newton on the gradient norm from random and rank-deficient starts (``rank W_{L+1} <
N_o``); the constructed critical point ``(0, 0)`` of the residual-target problem; a
tighter confirmation before a point refutes.  Every search goes into the trial's
:class:`~resproof.claims.base.SearchLog`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ...landscape.minimize import minimize
from ...landscape.points import make_point
from ...landscape.saddles import find_critical_point
from ...problems.pphi_loss import PphiLossObjective
from ...problems.pphi_reduced import reduced_applies, reduced_minimum
from ...problems.pphi_solve import local_minimum
from ...profiles import Budget
from ...results import CriticalPoint, PointKind, StopReason
from ..base import Assumption, SearchLog
from .pphi_study import Study, loss_objective

#: A point that would refute must pass this relative gradient (the searches stop at 1e-10).
CONFIRM_GTOL = 1e-13

def random_starts(study: Study, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """``n`` Gaussian starts at the scale of the drawn weights."""
    P = study.objective.n_params
    scale = max(float(np.std(study.drawn_theta())), 0.1)
    return [rng.standard_normal(P) * scale for _ in range(n)]


def stratum_critical_w_l(study: Study) -> np.ndarray:
    """``W_L`` making ``(W_L, 0)`` critical, least squares: at ``W_{L+1} = 0`` the gradient
    in ``W_L`` vanishes and the one in ``W_{L+1}`` is ``G_0^T (x_{L-1} + V W_L^T)``
    (``G_0 = dR/dyhat`` at ``yhat = 0``), zero for ``W_L (V^T G_0) = -x_{L-1}^T G_0``
    (exactly when ``K >= N_o`` generically)."""
    from ...nn import kernels
    from ...nn.losses import resolve_loss

    spec, lp = resolve_loss(study.loss)
    _, G, _ = kernels.risk_terms(np.zeros_like(study.Y), study.Y, spec.code, lp, False)
    VG = study.features[-1].T @ G  # K x N_o
    XG = study.x_prev.T @ G        # M x N_o
    sol, *_ = np.linalg.lstsq(VG.T, -XG.T, rcond=None)  # (K x M): VG^T W_L^T = -XG^T
    return sol.T


def rank_deficient_starts(study: Study, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """``n`` starts in the rank-deficient stratum: ``W_L`` from
    :func:`stratum_critical_w_l` perturbed by ``1e-3``, and ``W_{L+1}`` of rank
    ``N_o - 1`` (``0`` for one output), scaled by ``0, 1e-2, 1e-1, ...``."""
    lay = study.inst.model.layout
    M, N_o = lay.width, lay.n_out
    WL0 = stratum_critical_w_l(study)
    out = []
    for i in range(n):
        WL = WL0 + 1e-3 * i * rng.standard_normal(WL0.shape)
        r = max(N_o - 1, 1)
        Wo = rng.standard_normal((N_o, r)) @ rng.standard_normal((r, M)) / np.sqrt(M)
        if N_o == 1:
            Wo[...] = 0.0
        Wo *= 0.0 if i == 0 else 10.0 ** (i - 3)
        out.append(np.concatenate([WL.ravel(), Wo.ravel()]))
    return out


def parametrisation_modes(study: Study, theta: np.ndarray) -> int:
    """Zero modes explained by the parametrisation at ``theta``: ``P - rank J``, ``J`` the
    Jacobian of all predictions ``yhat_n`` in ``(W_L, W_{L+1})`` (directions that leave
    every prediction, hence the risk, unchanged), at least the known symmetries."""
    jac = PphiLossObjective(study.x_prev, study.features[-1], study.Y, "squared")
    J = jac.prediction_jacobian(theta).reshape(-1, jac.n_params)
    if not np.all(np.isfinite(J)):
        return study.symmetry_modes
    s = np.linalg.svd(J, compute_uv=False)
    rank = int(np.sum(s > s[0] * 1e-10)) if s.size and s[0] > 0 else 0
    softmax = study.inst.model.layout.width if study.loss == "softmax_ce" else 0
    return max(study.symmetry_modes, jac.n_params - rank + softmax)


def reclassify(study: Study, point: CriticalPoint) -> CriticalPoint:
    """``point`` classified again with :func:`parametrisation_modes` zero modes (a
    converged point only; the stop reason is kept)."""
    if not point.converged or point.spectrum is None:
        return point
    modes = parametrisation_modes(study, point.theta)
    if modes == study.symmetry_modes:
        return point
    return make_point(study.objective, point.theta, point.stop_reason, point.iterations,
                      loss=point.loss, symmetry_modes=modes, spectrum=point.spectrum)


def local_min(study: Study, start: np.ndarray, budget: Budget, log: SearchLog,
              label: str, best: float | None = None) -> CriticalPoint:
    """A local minimiser of (P_phi) from ``start`` (logged, needed), its kind decided with
    the parametrisation's zero modes.  Variable projection first: for the squared loss
    the compiled Gram-statistics search (:func:`~resproof.problems.pphi_solve.local_minimum`),
    which assumes ``x_{L-1}`` of full column rank; then, for any loss (and for the squared
    loss when that did not converge), the general one over ``W_L`` with ``W_{L+1}``
    eliminated by an exact convex solve (:func:`~resproof.problems.pphi_reduced.reduced_minimum`,
    needs ``z = x_{L-1} + v_L W_L^T`` of full column rank).  A variable projection that
    did not converge keeps its record (not needed) and trust-region Newton on the joint
    problem decides.  A joint search whose weights drift off (:func:`drifting`,
    ``best = min (PA_phi)`` if known) is recorded, as not needed: there is no minimiser to
    find from that start."""
    if study.loss == "squared" and reduced_applies(study.x_prev):
        point = reclassify(study, local_minimum(
            study.objective, start, max_iterations=budget.max_iterations,
            symmetry_modes=study.symmetry_modes))
        if point.converged:
            return log.add(label, point)
        log.add(f"{label} (variable projection)", point, needed=False)
    point = reduced_minimum(loss_objective(study), start, max_iterations=budget.max_iterations,
                            symmetry_modes=study.symmetry_modes)
    if point.converged:
        return log.add(label, reclassify(study, point))
    log.add(f"{label} (variable projection, {study.loss})", point, needed=False)
    point = minimize(study.objective, start, max_iterations=min(budget.max_iterations, 400),
                     symmetry_modes=study.symmetry_modes)
    if drifting(study, point, start, best):
        return log.add(f"{label} (weights drift off: no minimiser on this path)", point,
                       needed=False)
    return log.add(label, reclassify(study, point))


def polish(study: Study, point: CriticalPoint, log: SearchLog, label: str,
           minimum: bool = True) -> CriticalPoint | None:
    """Before a point refutes anything, search on from it at the relative gradient
    :data:`CONFIRM_GTOL` (a better search, not a looser tolerance): in a flat valley
    (weights drifting toward a limit that is not attained) the ``1e-10`` test can pass
    while the loss still falls.  ``minimum``: minimise on (a minimum must not go
    lower); else Newton on the gradient norm (a critical point must stay critical).
    Returns the confirmed point (reclassified), or ``None`` when the tighter search did
    not converge or, for a minimum, the loss fell by more than rounding; logged, not
    needed."""
    if minimum:
        more = minimize(study.objective, point.theta, gtol=CONFIRM_GTOL, max_iterations=200,
                        symmetry_modes=study.symmetry_modes)
    else:
        more = find_critical_point(study.objective, point.theta, gtol=CONFIRM_GTOL,
                                   max_iterations=50, symmetry_modes=study.symmetry_modes)
    log.add(f"{label} (confirm at {CONFIRM_GTOL:g})", more, needed=False)
    if not more.converged:
        return None
    if minimum and more.loss < point.loss - 1e-13 * max(1.0, abs(point.loss)):
        return None
    return reclassify(study, more)


def drifting(study: Study, point: CriticalPoint, start: np.ndarray,
             best: float | None) -> bool:
    """A minimisation that did not converge because its weights run off: they grew a
    hundredfold, or tenfold while the loss came within ``1e-6`` (relative) of
    ``best = min (PA_phi)``.  (P_phi) then approaches an infimum it does not attain
    along that path (e.g. the optimum of (PA_phi) is not representable): there is no
    local minimiser to find from that start."""
    if point.converged or not np.all(np.isfinite(point.theta)):
        return False
    growth = float(np.linalg.norm(point.theta)) / max(float(np.linalg.norm(start)), 1.0)
    near = best is not None and point.loss - best <= 1e-6 * max(1.0, abs(best))
    return bool(growth >= 100 or (growth >= 10 and near))


def minima(study: Study, rng: np.random.Generator, budget: Budget, log: SearchLog,
           label: str = "min", best: float | None = None) -> list[CriticalPoint]:
    """Local minima from the drawn weights and ``budget.restarts`` random starts (needed,
    unless drifting toward ``best``, see :func:`local_min`)."""
    starts = [study.drawn_theta(), *random_starts(study, rng, budget.restarts)]
    return [local_min(study, s, budget, log, f"{label}[{i}]", best)
            for i, s in enumerate(starts)]


def attains(study: Study, mins: Sequence[CriticalPoint], best: float) -> Assumption:
    """Measured: (P_phi) has a local minimiser to speak of.  Missed when no minimisation
    converged and every one drifted toward ``min (PA_phi)`` (the infimum is not attained:
    the claims about local minimisers are vacuous there)."""
    converged = sum(p.converged for p in mins)
    drift = sum(drifting(study, p, study.drawn_theta(), best) for p in mins)
    margin = 1.0 if converged or drift < len(mins) else -1.0
    return Assumption("(P_phi) has a minimiser", margin, float(converged),
                      f"{converged} of {len(mins)} minimisations converged, {drift} drifted "
                      "toward min (PA_phi)")


def critical_points(study: Study, rng: np.random.Generator, budget: Budget, log: SearchLog,
                    label: str = "crit", random: bool = True) -> list[CriticalPoint]:
    """Critical points of any index by Newton on the gradient norm from ``budget.restarts``
    rank-deficient starts (and one random one), 100 iterations each: exploratory, so not needed (a
    search that ends gradient-flat found nothing and is recorded as such)."""
    starts = rank_deficient_starts(study, rng, budget.restarts)
    if random:
        starts += random_starts(study, rng, 1)
    return [log.add(f"{label}[{i}]", reclassify(study, find_critical_point(
        study.objective, s, max_iterations=min(budget.max_iterations, 100),
        symmetry_modes=study.symmetry_modes)), needed=False) for i, s in enumerate(starts)]


def constructed_saddle(study: Study, log: SearchLog) -> CriticalPoint:
    """``(W_L, W_{L+1}) = (0, 0)`` of the residual-target study, classified as it stands
    (no refinement: it is critical to rounding by construction, and refining would move
    ``W_{L+1}`` off rank 0).  Converged iff its gradient passes the tolerance."""
    zero = np.zeros(study.objective.n_params)
    f, g = study.objective.loss_grad(zero)
    original = study.objective
    point = make_point(original, zero, StopReason.CONVERGED, loss=f, grad=g,
                       symmetry_modes=study.symmetry_modes)
    if point.kind is PointKind.NOT_CRITICAL:
        point = dataclasses.replace(point, stop_reason=StopReason.STALLED)
    return log.add("constructed (0, 0), residual targets", point)
