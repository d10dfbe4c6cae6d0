"""``resnest.thm2`` (Chen et al., Theorem 2): squared loss, A1, A3, A4: at every saddle of
(P_phi), ``W_{L+1}`` is rank deficient and the Hessian has a strictly negative
eigenvalue (every saddle is strict).

Saddles are found, not assumed.  Constructed: the targets replaced by their
least-squares residual on ``[v_0, ..., v_{L-1}]`` (whose range contains that of
``x_{L-1}``) make ``(W_L, W_{L+1}) = (0, 0)`` critical, and A1 on those targets makes it
a strict saddle.  Searched: Newton on the gradient norm from rank-deficient starts
(and one random start), on the residual-target problem and on the instance itself.
Every converged point that is not a local minimum counts: a ``SADDLE`` (negative
eigenvalue beyond the zero tolerance) must have ``sigma_min / max(sigma_max, s) <=
1e-4`` for ``W_{L+1}`` (``s`` the natural scale ``||Y|| / ||[x_{L-1}, v_L]||``); a
``DEGENERATE`` point above the global minimum is undecided at second order and is
counted, never used.  A4 and A3 concern ``phi`` (shared by both problems), A1 is
measured on both target sets.

Control ``no-saddles`` ("every critical point has full-rank ``W_{L+1}``"): refuted by
the constructed ``(0, 0)`` (rank 0), re-checked at 50 digits: the residual is formed
again at 50 digits, where ``(0, 0)`` is critical to ``1e-45`` and has a certified
negative Rayleigh quotient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...nn.instances import Instance
from ...profiles import Budget
from ...results import PointKind, TrialResult
from ...strategies import draw_resnest_spec, resnest_instance
from ..base import Claim, Control, SearchLog, decide
from .pphi_certify import certify_curvature, study_high_precision
from .pphi_search import constructed_saddle, critical_points
from .pphi_study import (
    FULL_RANK_TOL,
    RANK_TOL,
    Study,
    a1,
    a3,
    a4,
    instance_evidence,
    instance_rng,
    point_record,
)


class Theorem2(Claim):
    id = "resnest.thm2"
    title = "ResNEsts: every saddle of (P_phi) is strict with rank-deficient W_{L+1}"
    source = "002_1b35302677467779.txt"
    statement = ("Squared loss, A1, A3, A4: at every saddle of (P_phi), W_{L+1} is rank "
                 "deficient and the Hessian has a strictly negative eigenvalue.")
    controls = (Control("no-saddles", "'every critical point of (P_phi) has full-rank "
                                      "W_{L+1}' (no saddles at all) asserted"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        spec = draw_resnest_spec(rng, losses=("squared",), max_blocks=2)
        return self.check(resnest_instance(spec), control, budget, rng)

    def trial_on(self, instance: Instance, budget: Budget, control: str | None = None,
                 loss: str = "squared") -> TrialResult:
        return self.check(instance, control, budget, instance_rng(instance))

    def check(self, inst: Instance, control: str | None, budget: Budget,
              rng: np.random.Generator) -> TrialResult:
        study = Study.of(inst)
        residual = study.with_residual_targets()
        res_a1 = a1(residual)
        res_a1 = type(res_a1)("A1 (residual targets)", res_a1.margin, res_a1.value,
                              res_a1.detail)
        assumptions = [a1(study), res_a1, a3(study), a4(study)]
        log = SearchLog()
        evidence = instance_evidence(study)
        if any(not a.met for a in assumptions):
            return decide(None, assumptions=assumptions, evidence=evidence)
        made = constructed_saddle(residual, log)
        if control == "no-saddles":
            return self._no_saddles(residual, made, assumptions, log, evidence)
        found = [(made, residual)]
        found += [(p, residual) for p in critical_points(residual, rng, budget, log,
                                                         label="crit(residual)")]
        found += [(p, study) for p in critical_points(study, rng, budget, log, random=False)]
        checks = []
        undecided = 0
        for p, s in found:
            if not p.converged or p.kind is PointKind.NOT_CRITICAL:
                continue
            if p.kind is PointKind.DEGENERATE:
                undecided += 1
                continue
            if p.kind is not PointKind.SADDLE:
                continue
            ratio = s.w_out_rank_ratio(p.theta)
            if RANK_TOL < ratio <= FULL_RANK_TOL:
                undecided += 1
                continue
            curvature = -p.lambda_min / max(abs(p.lambda_max), 1e-300)
            checks.append((min(1.0 - ratio / FULL_RANK_TOL, curvature), p, s))
        evidence["points"] = [point_record(s, p, None) for p, s in found]
        evidence["counts"] = {"saddles": len(checks), "undecided": undecided,
                              "constructed_kind": made.kind.value}
        if not checks:
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        margin, worst, s = min(checks, key=lambda c: c[0])
        evidence["worst_point"] = point_record(s, worst, None)
        certified = None
        if margin < 0:  # a full-rank saddle: certify its negative curvature at least
            certified, evidence["negative_curvature"] = certify_curvature(
                s, worst.theta, residual=s is residual)
        return decide(margin, assumptions=assumptions, searches=log, certified=certified,
                      evidence=evidence)

    def _no_saddles(self, residual: Study, made: Any, assumptions: list, log: SearchLog,
                    evidence: dict[str, Any]) -> TrialResult:
        """Refute "every critical point has full-rank ``W_{L+1}``" at the constructed point."""
        from ...landscape.certify import refine_high_precision

        ratio = residual.w_out_rank_ratio(made.theta)
        evidence["constructed_point"] = point_record(residual, made, None)
        if not made.converged:
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        margin = ratio / RANK_TOL - 1.0
        certified = None
        if margin < 0:
            hp = study_high_precision(residual, residual=True)
            ref = refine_high_precision(hp, made.theta)
            exact_zero = all(t == 0 for t in ref.theta[residual.objective.M *
                                                        residual.objective.K:])
            curved, evidence["negative_curvature"] = certify_curvature(
                residual, made.theta, residual=True)
            evidence["critical_50_digits"] = {"grad_norm": float(ref.grad_norm),
                                              "converged": ref.converged,
                                              "W_out_exactly_zero": exact_zero}
            certified = bool(ref.converged and exact_zero and curved)
        return decide(margin, assumptions=assumptions, searches=log, certified=certified,
                      evidence=evidence)


CLAIMS = [Theorem2()]
