"""``resnest.thm1`` (Chen et al., Theorem 1): under A2 (convex differentiable loss), A3
(``M >= N_o``) and A4 (``A_phi = [W_0 W_1 ... W_{L-1}]`` of full column rank),

(i)  every critical point of (P_phi) with full-rank ``W_{L+1}`` is a global minimiser,
     i.e. its risk equals ``min (PA_phi)``;
(ii) ``eps = R(theta*) - min (PA_phi) = 0`` at every local minimiser ``theta*``.

One trial draws a wide instance (:func:`~resproof.strategies.draw_resnest_spec`, any
loss of A2, activations tanh / softplus / quadratic / relu: the features are frozen),
measures A2-A4, solves (PA_phi) (least squares, or the landscape engine for the other
losses), finds local minima of (P_phi) from the drawn weights and random starts (ii),
and critical points of any index by Newton on the gradient norm from rank-deficient
and random starts (i); every converged point with full-rank ``W_{L+1}``
(``sigma_min / sigma_max > 1e-4``) must have gap ``|R - min (PA_phi)| <= 1e-10
max(1, min (PA_phi))``, and every confirmed minimum ``|eps|`` within the same.

Controls (squared loss, so refutations are re-checked at 50 digits, one-sided):
``narrow`` (``M < N_o``, A3 measured broken) and ``not-wide`` (A4 measured broken:
``N_o <= M < N_in + sum_{i<L} K_i``, so ``A_phi`` cannot have full column rank),
"eps = 0" asserted anyway; ``all-critical-global`` ("full rank" dropped from
(i)): a critical point with rank-deficient ``W_{L+1}`` (searched from rank-deficient
starts, and the constructed ``(0, 0)`` of the residual-target problem) above the
global minimum; its rank deficiency is measured (full rank -> vacuous).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...nn.instances import Instance
from ...profiles import Budget
from ...results import PointKind, TrialResult
from ...strategies import A2_LOSSES, ResnestSpec, draw_resnest_spec, resnest_instance
from ..base import Assumption, Claim, Control, SearchLog, confirmed_minimum, decide
from .pphi_certify import certify_curvature, certify_study_gap
from .pphi_optimum import pa_optimum, point_slack
from .pphi_search import attains, constructed_saddle, critical_points, minima, polish
from .pphi_study import (
    FULL_RANK_TOL,
    RANK_TOL,
    Study,
    a2,
    a3,
    a4,
    eps_tolerance,
    instance_evidence,
    instance_rng,
    point_record,
)


def spec_for(rng: np.random.Generator, control: str | None) -> ResnestSpec:
    """The trial's spec: any A2 loss for the claim, the squared loss for the controls
    (``not-wide``: ``N_o <= M < N_in + sum_{i<L} K_i``, so ``A_phi`` has more columns than
    rows)."""
    if control is None or control == "all-critical-global":
        losses = A2_LOSSES if control is None else ("squared",)
        return draw_resnest_spec(rng, losses=losses)
    return draw_resnest_spec(rng, width=control, losses=("squared",), max_blocks=2,
                             max_n_in=2)


class Theorem1(Claim):
    id = "resnest.thm1"
    title = "ResNEsts: critical points with full-rank W_{L+1} are global, eps = 0 (A2-A4)"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2, A3 (M >= N_o) and A4 ([W_0 ... W_{L-1}] full column rank): (i) "
                 "every critical point of (P_phi) with full-rank W_{L+1} is a global "
                 "minimiser; (ii) eps = R(local min of P_phi) - min(PA_phi) = 0.")
    controls = (
        Control("narrow", "A3 broken (M < N_o): eps = 0 asserted anyway"),
        Control("not-wide", "A4 broken (M < N_in + sum_{i<L} K_i: A_phi has more columns "
                            "than rows): eps = 0 asserted anyway"),
        Control("all-critical-global", "'full-rank W_{L+1}' dropped from (i): every critical "
                                       "point asserted global"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        spec = spec_for(rng, control)
        return self.check(resnest_instance(spec), spec.loss, control, budget, rng)

    def trial_on(self, instance: Instance, budget: Budget, control: str | None = None,
                 loss: str = "squared") -> TrialResult:
        return self.check(instance, loss, control, budget, instance_rng(instance))

    def check(self, inst: Instance, loss: str, control: str | None, budget: Budget,
              rng: np.random.Generator) -> TrialResult:
        """Decide one instance (module docstring)."""
        study = Study.of(inst, loss)
        measured = {"A2": a2(loss), "A3": a3(study), "A4": a4(study)}
        dropped = {"narrow": "A3", "not-wide": "A4"}.get(control or "")
        broken = [measured.pop(dropped)] if dropped else []
        assumptions = list(measured.values())
        log = SearchLog()
        evidence = instance_evidence(study, loss)
        if any(not a.met for a in assumptions) or any(a.met for a in broken):
            return decide(None, assumptions=assumptions, broken=broken, evidence=evidence)
        if control == "all-critical-global":
            return self._all_critical(study, assumptions, rng, budget, log, evidence)
        best0, _, _ = pa_optimum(study, log)
        mins = minima(study, rng, budget, log, best=best0)
        crit = critical_points(study, rng, budget, log) if control is None else []
        best, pa_slack, attained = pa_optimum(study, log, warm=mins + crit, label="PA_phi+")
        assumptions += [a for a in (attained,) if a is not None]
        if best is None:
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        assumptions.append(attains(study, mins, best))
        evidence.update(min_PA_phi=best, PA_slack=pa_slack)

        def margin_at(p: Any) -> float:
            return eps_tolerance(best, pa_slack, point_slack(study, p)) - abs(p.loss - best)

        def in_part_i(p: Any) -> bool:
            return (control is None and p.converged and p.kind is not PointKind.NOT_CRITICAL
                    and study.w_out_rank_ratio(p.theta) > FULL_RANK_TOL)

        checks: list[tuple[float, str, Any]] = []  # (margin, which part, point)
        checks += [(margin_at(p), "ii", p) for p in mins if confirmed_minimum(p)]
        checks += [(margin_at(p), "i", p) for p in mins + crit if in_part_i(p)]
        # a point about to refute is first confirmed by a tighter search (polish); one
        # that does not hold up there is dropped from the comparison and counted
        unconfirmed = 0
        for k, (m, part, p) in enumerate(checks):
            if m < 0:
                again = polish(study, p, log, f"{part}-candidate[{k}]", minimum=part == "ii")
                keep = again is not None and (confirmed_minimum(again) if part == "ii"
                                              else in_part_i(again))
                checks[k] = (margin_at(again), part, again) if keep else (np.inf, part, None)
                unconfirmed += not keep
        checks = [c for c in checks if c[2] is not None]
        evidence["points"] = [point_record(study, p, best) for p in mins + crit]
        evidence["counts"] = {
            "minima_confirmed": sum(confirmed_minimum(p) for p in mins),
            "saddles_found": sum(p.converged and p.kind is PointKind.SADDLE for p in crit),
            "full_rank_critical_checked": sum(part == "i" for _, part, _ in checks),
            "candidates_not_confirmed": unconfirmed}
        if not checks:
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        margin, part, worst = min(checks, key=lambda c: c[0])
        evidence.update(worst_part=part, worst_point=point_record(study, worst, best),
                        eps=worst.loss - best)
        certified = None
        if margin < 0:
            certified, evidence["certificate"] = certify_study_gap(
                study, worst.theta, 1 if worst.loss > best else -1)
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)

    def _all_critical(self, study: Study, assumptions: list[Assumption],
                      rng: np.random.Generator, budget: Budget, log: SearchLog,
                      evidence: dict[str, Any]) -> TrialResult:
        """"Every critical point is global": refuted by a rank-deficient critical point above
        ``min (PA_phi)`` (searched on the instance, and constructed on its residual-target
        problem); the dropped "full rank" is measured at that point."""
        best, _, _ = pa_optimum(study, log)
        residual = study.with_residual_targets()
        best_res, _, _ = pa_optimum(residual, log)
        if best is None or best_res is None:  # a (PA_phi) solve failed: nothing to compare
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        found = [(p, study, best, False) for p in critical_points(
            study, rng, budget, log, random=False)]
        found.append((constructed_saddle(residual, log), residual, best_res, True))
        checks = [(eps_tolerance(b, point_slack(s, p)) - (p.loss - b), p, s, b, res)
                  for p, s, b, res in found
                  if p.converged and p.kind is not PointKind.NOT_CRITICAL]
        evidence["points"] = [point_record(s, p, b) for p, s, b, _ in found]
        if not checks:
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        margin, point, s, b, res = min(checks, key=lambda c: c[0])
        r = s.w_out_rank_ratio(point.theta)
        broken = [Assumption("full-rank W_{L+1} (dropped)", r - RANK_TOL, r,
                             "sigma_min/sigma_max of W_{L+1} at the refuting point")]
        evidence.update(worst_point=point_record(s, point, b), min_PA_phi=b,
                        construction="targets replaced by their residual on [v_0..v_{L-1}]"
                        if res else "Newton on the gradient norm, rank-deficient start")
        certified = None
        if margin < 0:
            certified, evidence["certificate"] = certify_study_gap(s, point.theta, 1,
                                                                   residual=res)
            if point.kind is PointKind.SADDLE:
                _, evidence["negative_curvature"] = certify_curvature(s, point.theta, res)
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)


CLAIMS = [Theorem1()]
