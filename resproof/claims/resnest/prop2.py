"""``resnest.prop2`` (Chen et al., Proposition 2): under A2 (a convex differentiable
loss), ``eps = R(theta*) - min (PA_phi) >= 0`` at every local minimiser ``theta*`` of
(P_phi), for any ``phi`` (no width condition).

One trial draws an instance of any width, activation and A2 loss
(:func:`~resproof.strategies.draw_resnest_spec`), solves (PA_phi) independently of
(P_phi) (least squares, or the landscape engine from ``H = 0`` for the other losses,
with its Newton decrement as the slack), finds local minima of (P_phi) from several
starts, and requires ``eps >= -tol`` at every confirmed minimum.  A candidate
violation for an iterative (PA_phi) is first re-examined by minimising (PA_phi) from
the A-ResNEst image of the point (a better search, not a looser tolerance).

Control ``no-input-feature``: the A-ResNEst without ``v_0 = x`` (``H_0 = 0``, as
``AResNEst(include_input=False)``), squared loss; the dropped feature is measured to
matter (``x`` not in the span of ``v_1, ..., v_L``: relative residual above ``1e-8``,
else vacuous) and ``eps < 0`` is re-checked at 50 digits (one-sided: the certified
interval below 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...nn.instances import Instance
from ...profiles import Budget
from ...results import PointKind, TrialResult
from ...strategies import draw_resnest_spec, resnest_instance
from ..base import Assumption, Claim, Control, SearchLog, confirmed_minimum, decide
from .pphi_certify import certify_study_gap
from .pphi_optimum import pa_optimum, point_slack
from .pphi_search import minima
from .pphi_study import Study, a2, eps_tolerance, instance_evidence, instance_rng, point_record

#: ``x`` matters to the A-ResNEst when its residual on ``[v_1, ..., v_L]`` exceeds this.
INPUT_TOL = 1e-8


def input_feature(study: Study) -> Assumption:
    """The control's dropped feature, measured: ``v_0 = x`` in the A-ResNEst.  Dropping it
    is a real change when ``x`` is not in the span of ``v_1, ..., v_L``; the margin is
    ``INPUT_TOL - ||x - proj x|| / ||x||`` (``<= 0``: dropping it matters)."""
    X = study.features[0]
    rest = np.hstack(study.features[1:])
    coef, *_ = np.linalg.lstsq(rest, X, rcond=None)
    rel = float(np.linalg.norm(X - rest @ coef)) / max(float(np.linalg.norm(X)), 1e-300)
    return Assumption("v_0 = x among the A-ResNEst features", INPUT_TOL - rel, rel,
                      "relative residual of x on [v_1..v_L]")


class Proposition2(Claim):
    id = "resnest.prop2"
    title = "ResNEsts: eps >= 0 at every local minimiser of (P_phi), any phi (A2)"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2, eps = R(local min of P_phi) - min(PA_phi) >= 0 for every local "
                 "minimiser of (P_phi) and any phi.")
    controls = (Control("no-input-feature", "A-ResNEst without v_0 = x (H_0 = 0): eps >= 0 "
                                            "asserted anyway"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "no-input-feature":
            # no extra width: x_{L-1} has full column rank, so the minimum's only zero
            # modes are exact symmetries and the 50-digit refinement converges
            spec = draw_resnest_spec(rng, losses=("squared",), max_blocks=2, max_n_in=2,
                                     max_extra_width=0)
        else:
            spec = draw_resnest_spec(rng, width="any")
        return self.check(resnest_instance(spec), spec.loss, control, budget, rng)

    def trial_on(self, instance: Instance, budget: Budget, control: str | None = None,
                 loss: str = "squared") -> TrialResult:
        return self.check(instance, loss, control, budget,
                          instance_rng(instance))

    def check(self, inst: Instance, loss: str, control: str | None, budget: Budget,
              rng: np.random.Generator) -> TrialResult:
        study = Study.of(inst, loss)
        assumptions = [a2(loss)]
        broken = [input_feature(study)] if control == "no-input-feature" else []
        evidence = instance_evidence(study, loss)
        if any(not a.met for a in assumptions) or any(a.met for a in broken):
            return decide(None, assumptions=assumptions, broken=broken, evidence=evidence)
        log = SearchLog()
        features = study.features[1:] if control else None
        best, slack, attained = pa_optimum(study, log, features=features)
        if attained is not None:
            assumptions.append(attained)
        if best is None:
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        mins = minima(study, rng, budget, log, best=best)
        confirmed = [p for p in mins if confirmed_minimum(p)]
        # converged points undecided at second order may support "holds" (eps >= 0 there
        # too), never refute: a negative worst margin at one leaves the trial inconclusive
        usable = confirmed + [p for p in mins if p.converged and p.kind is PointKind.DEGENERATE]

        def margin_at(p: Any, b: float, s: float) -> float:
            return (p.loss - b) + eps_tolerance(b, s, point_slack(study, p))

        if control is None and usable and min(margin_at(p, best, slack) for p in usable) < 0:
            best, slack, _ = pa_optimum(study, log, warm=usable, label="PA_phi (re-check)")
        evidence.update(min_PA_phi=best, PA_slack=slack,
                        points=[point_record(study, p, best) for p in mins],
                        features_of_PA="v_1..v_L (v_0 dropped)" if control else "v_0..v_L",
                        counts={"confirmed_minima": len(confirmed), "degenerate": len(usable)
                                - len(confirmed)})
        if not usable or best is None:  # no point to compare, or the re-check's solve failed
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        margin, worst = min(((margin_at(p, best, slack), p) for p in usable),
                            key=lambda c: c[0])
        evidence.update(eps=worst.loss - best, worst_point=point_record(study, worst, best))
        if margin < 0 and not confirmed_minimum(worst):
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        certified = None
        if margin < 0:
            certified, evidence["certificate"] = certify_study_gap(
                study, worst.theta, -1, features=features)
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)


CLAIMS = [Proposition2()]
