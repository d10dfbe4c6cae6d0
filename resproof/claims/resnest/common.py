"""What the (P_phi) claims of Chen et al. share: the frozen-feature study of one instance,
the assumptions A1-A4 measured with margins, and the searches for its critical points.

``Study`` freezes ``phi`` of an :class:`~resproof.nn.instances.Instance`: the features
``v_0 = x, v_1, ..., v_L``, ``x_{L-1}`` and the (P_phi) objective over
``(W_L, W_{L+1})`` (Gram statistics for the squared loss, per-sample otherwise).
Searches: local minima by variable projection (squared) or trust-region Newton
(other losses) from the drawn weights and random starts; critical points of any
index by Newton on the gradient norm from random and rank-deficient starts
(``rank W_{L+1} < N_o``); the constructed critical point ``(0, 0)`` of the
residual-target problem.  Every search goes into the trial's
:class:`~resproof.claims.base.SearchLog`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ...landscape.certify import Certificate, certify_critical_point
from ...landscape.minimize import minimize
from ...landscape.points import make_point
from ...landscape.saddles import find_critical_point
from ...nn.instances import Instance
from ...nn.losses import LOSSES
from ...problems.augmented import (
    augmented_minimum,
    augmented_objective,
    augmented_optimum,
    augmented_symmetry_modes,
    newton_decrement,
)
from ...problems.pphi import PphiObjective
from ...problems.pphi_exact import residual_targets
from ...problems.pphi_loss import PphiLossObjective
from ...problems.pphi_reduced import reduced_applies, reduced_minimum
from ...problems.pphi_solve import local_minimum
from ...profiles import Budget
from ...results import CriticalPoint, PointKind, StopReason
from ..base import Assumption, SearchLog

#: ``|eps|`` below this, relative to ``max(1, min (PA_phi))``, is rounding.
EPS_TOL = 1e-10
#: A4 holds when ``sigma_min / sigma_max`` of ``A_phi`` exceeds this.
A4_TOL = 1e-8
#: A1's two measured quantities must exceed this (relative).
A1_TOL = 1e-10
#: ``W_{L+1}`` is rank deficient when ``sigma_min / sigma_max <= RANK_TOL``, full rank
#: when above ``FULL_RANK_TOL``; in between the point is not used (recorded as undecided).
RANK_TOL = 1e-6
FULL_RANK_TOL = 1e-4


@dataclasses.dataclass
class Study:
    """(P_phi) of one instance with ``phi`` frozen (``Y`` may be replaced, see
    :meth:`with_residual_targets`)."""

    inst: Instance
    loss: str
    features: list[np.ndarray]
    x_prev: np.ndarray
    Y: np.ndarray
    objective: Any

    @classmethod
    def of(cls, inst: Instance, loss: str = "squared") -> Study:
        *features, x_prev = inst.model.features(inst.theta, inst.X)
        return cls(inst, loss, features, x_prev, inst.Y, _objective(x_prev, features[-1],
                                                                      inst.Y, loss))

    def with_residual_targets(self) -> Study:
        """Targets replaced by their least-squares residual on ``[v_0, ..., v_{L-1}]``
        (squared loss): ``(W_L, W_{L+1}) = (0, 0)`` becomes critical."""
        Y = residual_targets(np.hstack(self.features[:-1]), self.Y)
        return dataclasses.replace(self, Y=Y, objective=_objective(
            self.x_prev, self.features[-1], Y, self.loss))

    @property
    def sizes(self) -> dict[str, int]:
        lay = self.inst.model.layout
        return {"N_in": lay.n_in, "M": lay.width, "K": lay.block_widths[-1],
                "L": lay.n_blocks, "N_o": lay.n_out, "N": self.inst.X.shape[0]}

    @property
    def symmetry_modes(self) -> int:
        """``W_L -> W_L + n k^T`` with ``W_{L+1} n = 0`` (and, for softmax, ``W_{L+1} ->
        W_{L+1} + 1 c^T``)."""
        lay = self.inst.model.layout
        modes = max(lay.width - lay.n_out, 0) * lay.block_widths[-1]
        return modes + (lay.width if self.loss == "softmax_ce" else 0)

    def drawn_theta(self) -> np.ndarray:
        return self.inst.theta[-self.objective.n_params:].copy()

    def w_out(self, theta: np.ndarray) -> np.ndarray:
        return self.objective.split(theta)[1]

    @property
    def w_out_scale(self) -> float:
        """The natural size of ``W_{L+1}``: ``||Y||_F / ||[x_{L-1}, v_L]||_2``."""
        F = np.hstack([self.x_prev, self.features[-1]])
        return float(np.linalg.norm(self.Y)) / max(float(np.linalg.norm(F, 2)), 1e-300)

    def w_out_rank_ratio(self, theta: np.ndarray) -> float:
        """``sigma_min / max(sigma_max, w_out_scale)`` of ``W_{L+1}`` at ``theta``."""
        return rank_ratio(self.w_out(theta), self.w_out_scale)


def _objective(x_prev: np.ndarray, v_last: np.ndarray, Y: np.ndarray, loss: str) -> Any:
    if loss == "squared":
        return PphiObjective(x_prev, v_last, Y)
    return PphiLossObjective(x_prev, v_last, Y, loss)


# ---------------------------------------------------------------- assumptions


def a1(study: Study) -> Assumption:
    """A1 (squared loss): ``sum_n v_L y_n^T != 0`` and ``sum_n v_L v_L^T`` full rank; margin
    the smaller of ``||V^T Y|| / (||V|| ||Y||)`` and ``sigma_min / sigma_max (V^T V)``,
    minus :data:`A1_TOL`."""
    V, Y = study.features[-1], study.Y
    nv, ny = float(np.linalg.norm(V)), float(np.linalg.norm(Y))
    corr = float(np.linalg.norm(V.T @ Y)) / (nv * ny) if nv > 0 and ny > 0 else 0.0
    s = np.linalg.svd(V.T @ V, compute_uv=False)
    cond = float(s[-1] / s[0]) if s[0] > 0 else 0.0
    margin = min(corr, cond) - A1_TOL
    return Assumption("A1", margin, min(corr, cond),
                      f"||V^T Y||/(||V|| ||Y||) = {corr:.3g}, sigma ratio of V^T V = {cond:.3g}")


def a2(loss: str) -> Assumption:
    """A2: the loss is convex and differentiable (twice, here) in ``yhat``."""
    spec = LOSSES[loss]
    ok = spec.convex and spec.c2
    return Assumption("A2", 1.0 if ok else -1.0, None,
                      f"loss {loss}: convex={spec.convex}, C2={spec.c2}")


def a3(study: Study) -> Assumption:
    """A3: ``M >= N_o``; margin ``(M - N_o + 1/2) / N_o``."""
    lay = study.inst.model.layout
    return Assumption("A3", (lay.width - lay.n_out + 0.5) / lay.n_out,
                      float(lay.width - lay.n_out), f"M = {lay.width}, N_o = {lay.n_out}")


def a_phi(inst: Instance) -> np.ndarray:
    """``A_phi = [W_0 W_1 ... W_{L-1}]`` (``M x (N_in + K_1 + ... + K_{L-1})``)."""
    lay = inst.model.layout
    views = lay.views(inst.theta)
    return np.hstack([views["W0"]] + [views[f"W{i}"] for i in range(1, lay.n_blocks)])


def a4_ratio(inst: Instance) -> float:
    """``sigma_min / sigma_max`` of ``A_phi``; 0 when ``M`` is too small for full column
    rank."""
    A = a_phi(inst)
    if A.shape[0] < A.shape[1]:
        return 0.0
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[-1] / s[0]) if s[0] > 0 else 0.0


def a4(study: Study) -> Assumption:
    """A4: ``A_phi`` of full column rank; margin ``sigma_min / sigma_max - A4_TOL``."""
    A = a_phi(study.inst)
    r = a4_ratio(study.inst)
    return Assumption("A4", r - A4_TOL, r,
                      f"sigma_min/sigma_max of A_phi ({A.shape[0]} x {A.shape[1]}) = {r:.3g}")


# ---------------------------------------------------------------- searches


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


def loss_objective(study: Study) -> PphiLossObjective:
    """(P_phi) of ``study`` on per-sample terms (any loss; the squared loss's Gram-statistics
    objective is replaced by the equal per-sample one)."""
    if isinstance(study.objective, PphiLossObjective):
        return study.objective
    return PphiLossObjective(study.x_prev, study.features[-1], study.Y, study.loss)


#: A point that would refute must pass this relative gradient (the searches stop at 1e-10).
CONFIRM_GTOL = 1e-13


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


def rank_ratio(W: np.ndarray, scale: float = 0.0) -> float:
    """``sigma_min / max(sigma_max, scale)`` of ``W`` (``0`` for ``W = 0``, ``nan`` if not
    finite).  ``scale`` keeps a single-output ``W`` of size ``1e-18`` from counting as
    full rank (for ``N_o = 1``, ``sigma_min = sigma_max``)."""
    if not np.all(np.isfinite(W)):
        return float("nan")
    s = np.linalg.svd(W, compute_uv=False)
    top = max(float(s[0]), scale)
    return float(s[-1] / top) if top > 0 else 0.0


def eps_tolerance(best: float, *slacks: float) -> float:
    """Rounding (:data:`EPS_TOL` relative) plus the searches' Newton decrements."""
    return EPS_TOL * max(1.0, abs(best)) + float(sum(slacks))


def point_record(study: Study, point: CriticalPoint, best: float | None) -> dict[str, Any]:
    """What a reader needs to check one point: loss, gap to ``min (PA_phi)``, rank of
    ``W_{L+1}``, curvature."""
    rec = {"kind": point.kind.value, "stop_reason": point.stop_reason.value,
           "loss": point.loss, "relative_grad_norm": point.relative_grad_norm,
           "lambda_min": point.lambda_min, "lambda_max": point.lambda_max,
           "rank_ratio_Wout": study.w_out_rank_ratio(point.theta)}
    if best is not None:
        rec["gap"] = point.loss - best
    return rec


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
