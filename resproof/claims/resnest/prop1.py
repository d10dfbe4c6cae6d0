"""``resnest.prop1`` (Chen et al., Proposition 1): squared loss, A1: the objective of
(P_phi) is neither convex nor concave, and every critical point that is not a local
minimiser is a saddle (there are no local maxima).

One trial draws an instance of any width (:func:`~resproof.strategies.draw_resnest_spec`),
measures A1, and evaluates the exact Hessian at sampled points (``(0, 0)``, the drawn
weights, two random points): "not convex" needs some ``lambda_min < -tol``, "not
concave" some ``lambda_max > tol`` (``tol = 1e-9`` times the largest ``|lambda|``
seen).  Then it finds critical points (local minima from several starts; Newton on the
gradient norm from rank-deficient and random starts): every converged one that is not
a local minimum must have ``lambda_max > tol`` (not a maximum).  The margin is the
smallest of these, relative.

Control ``dead-last-block``: ``U_L = 0, b_L = 0`` with ``tanh`` makes ``v_L = 0``
exactly, so A1 is broken (measured: its margin ``<= 0``); "not convex" is asserted
anyway and refuted when the Hessian is positive semidefinite at every sampled point,
which is re-checked exactly (the Hessian in Fractions from the float64 data and points,
PSD decided by exact elimination).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...nn.instances import Instance
from ...problems.pphi_exact import exact_hessian, is_psd_exact
from ...profiles import Budget
from ...results import PointKind, TrialResult
from ...strategies import draw_resnest_spec, resnest_instance
from ..base import Claim, Control, SearchLog, decide
from .pphi_search import critical_points, minima, random_starts
from .pphi_study import Study, a1, instance_evidence, instance_rng, point_record

#: An eigenvalue counts as nonzero beyond this, relative to the largest ``|lambda|`` seen.
CURVATURE_TOL = 1e-9


def kill_last_block(inst: Instance) -> Instance:
    """``U_L = 0``, ``b_L = 0``: with ``tanh`` (``tanh 0 = 0``) the last block's features
    vanish exactly, ``v_L == 0``."""
    lay = inst.model.layout
    theta = inst.theta.copy()
    views = lay.views(theta)
    L = lay.n_blocks
    views[f"U{L}"][...] = 0.0
    views[f"b{L}"][...] = 0.0
    return dataclasses.replace(inst, theta=theta)


class Proposition1(Claim):
    id = "resnest.prop1"
    title = "ResNEsts: (P_phi) is neither convex nor concave and has no local maxima (A1)"
    source = "002_1b35302677467779.txt"
    statement = ("Squared loss, A1: the objective of (P_phi) is neither convex nor concave, "
                 "and every critical point that is not a local minimiser is a saddle.")
    controls = (Control("dead-last-block", "v_L == 0 (A1 broken): 'not convex' asserted "
                                           "anyway"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "dead-last-block":
            # small widths: the exact (Fraction) PSD re-check costs O(P^3) big rationals
            spec = draw_resnest_spec(rng, activations=("tanh",), losses=("squared",),
                                     max_blocks=2, max_n_in=2, max_extra_width=0)
            return self.check(kill_last_block(resnest_instance(spec)), control, budget, rng)
        spec = draw_resnest_spec(rng, width="any", losses=("squared",), max_blocks=2)
        return self.check(resnest_instance(spec), control, budget, rng)

    def trial_on(self, instance: Instance, budget: Budget, control: str | None = None,
                 loss: str = "squared") -> TrialResult:
        return self.check(instance, control, budget, instance_rng(instance))

    def check(self, inst: Instance, control: str | None, budget: Budget,
              rng: np.random.Generator) -> TrialResult:
        study = Study.of(inst)
        assumption = a1(study)
        assumptions, broken = ([], [assumption]) if control else ([assumption], [])
        evidence = instance_evidence(study)
        if any(not a.met for a in assumptions) or any(a.met for a in broken):
            return decide(None, assumptions=assumptions, broken=broken, evidence=evidence)
        P = study.objective.n_params
        samples = [np.zeros(P), study.drawn_theta(), *random_starts(study, rng, 2)]
        spectra = [np.linalg.eigvalsh(study.objective.hessian(t)) for t in samples]
        scale = max(float(np.max(np.abs(w))) for w in spectra) or 1.0
        nonconvex = max(-float(w[0]) for w in spectra) / scale - CURVATURE_TOL
        nonconcave = max(float(w[-1]) for w in spectra) / scale - CURVATURE_TOL
        evidence.update(sampled_lambda_min=[float(w[0]) for w in spectra],
                        sampled_lambda_max=[float(w[-1]) for w in spectra],
                        nonconvex_margin=nonconvex, nonconcave_margin=nonconcave)
        log = SearchLog()
        if control == "dead-last-block":
            certified = None
            if nonconvex < 0:
                exact = [is_psd_exact(exact_hessian(study.objective, t)) for t in samples]
                evidence["exact_psd_at_samples"] = exact
                certified = all(exact)
            return decide(nonconvex, broken=broken, searches=log, certified=certified,
                          evidence=evidence)
        mins = minima(study, rng, budget, log)
        crit = critical_points(study, rng, budget, log)
        margins = [nonconvex, nonconcave]
        others = [p for p in mins + crit if p.converged and p.kind in (
            PointKind.SADDLE, PointKind.DEGENERATE, PointKind.MAXIMUM)]
        margins += [p.lambda_max / max(scale, abs(p.lambda_max)) - CURVATURE_TOL
                    for p in others]
        evidence["points"] = [point_record(study, p, None) for p in mins + crit]
        evidence["counts"] = {"non_minima_checked": len(others),
                              "maxima": sum(p.kind is PointKind.MAXIMUM for p in others)}
        return decide(min(margins), assumptions=assumptions, searches=log, evidence=evidence)


CLAIMS = [Proposition1()]
