"""``resnest.cor1`` (Chen et al., Cor. 1): under A2, A3 and A4 for the deeper model, if
``alpha`` extends ``beta`` (the same ``W_0..W_{L_beta-1}`` and first ``L_beta`` blocks,
a frozen ``W_{L_beta}``, more blocks), every local minimum of (P_alpha) is at most every
local minimum of (P_beta).

(P_alpha) and (P_beta) are the (P_phi) problems of the two feature maps: ``W_{L_alpha}``,
``W_{L+1}`` free for ``alpha``; ``W_{L_beta}``, ``W_{L+1}`` for ``beta``.  One trial
draws ``alpha`` (``L_beta + 1`` blocks, wide for A4) and cuts ``beta`` from it, minimises
both from ``restarts`` starts each (the drawn weights and random ones), and compares the
largest local minimum of (P_alpha) with the smallest of (P_beta), for the drawn convex
loss.  A violation counts only when both deciding points are confirmed minima.

Controls (squared loss; certified by re-checking both critical points at 50 digits,
:func:`resproof.landscape.certify.certify_critical_point`, the certified gap being
``R_alpha - R_beta`` minus both error bounds):

* ``not-nested``: ``beta``'s first blocks drawn independently of ``alpha``'s; the dropped
  assumption measured as the distance between the shared parameters (``> 0``);
* ``not-wide``: nested, with ``W_0 = [I; 0]`` and the frozen ``W_1 = [Q; 0]`` in its
  column space, so A4 fails for ``alpha`` (``sigma_min / sigma_max = 0``) while ``beta``
  keeps it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import mpmath
import numpy as np

from ...landscape.certify import certify_critical_point
from ...problems.pphi import PphiHighPrecision, PphiObjective
from ...profiles import Budget
from ...results import CriticalPoint, TrialResult
from ..base import Assumption, Claim, Control, SearchLog, confirmed_minimum, decide
from ._cases import NetSpec, a2, a3, a4, build, model_for, random_spec, random_theta, relative
from ._verdicts import minimise_pphi, minimum_like, point_evidence

RISK_TOL = 1e-9


def cut(spec: NetSpec, theta_alpha: np.ndarray, blocks: int) -> np.ndarray:
    """``beta``'s parameters: ``alpha``'s ``W_0`` and first ``blocks`` blocks, its own
    ``W_{L+1}`` (``alpha``'s)."""
    alpha = model_for(spec)
    sl = alpha.layout.slices
    return np.concatenate([theta_alpha[:sl[f"W{blocks}"].stop], theta_alpha[sl["Wout"]]])


def pphi_starts(rng: np.random.Generator, theta: np.ndarray, n: int, count: int) -> list:
    """The weights' own ``(W_L, W_{L+1})`` and ``count - 1`` random ones."""
    scale = float(np.std(theta[-n:])) or 1.0
    return [theta[-n:]] + [rng.standard_normal(n) * scale for _ in range(count - 1)]


class Corollary1(Claim):
    id = "resnest.cor1"
    title = "ResNEsts: a deeper nested model's local minima are no worse"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2, A3 and A4 (for the deeper alpha): if alpha extends beta (same "
                 "W_0..W_{L_beta-1} and first blocks, a frozen W_{L_beta}, more blocks), every "
                 "local minimum of (P_alpha) is <= every local minimum of (P_beta).")
    controls = (
        Control("not-nested", "beta's first blocks independent of alpha's: the comparison "
                              "asserted anyway"),
        Control("not-wide", "nested, but A4 broken for alpha (frozen W_1 in the column space of "
                            "W_0): the comparison asserted anyway"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        losses = ("squared",) if control else ("squared", "logistic", "pseudo_huber",
                                               "softmax_ce")
        # controls: M = N_in + K exactly, so alpha's x_1 has full rank M and its (P_phi)
        # minimum can be refined at 50 digits (with M > rank x_1 in exact arithmetic the
        # float features are full rank only by rounding, and refinement stalls)
        spec = random_spec(rng, blocks=(2, 2), bottleneck=(1, 2), losses=losses,
                           samples=(16, 32), extra_width=(0, 0) if control else (0, 1))
        if control == "not-wide":
            spec = dataclasses.replace(spec, width=spec.n_in + spec.bottleneck)
        return self.check(spec, control, budget)

    def check(self, spec: NetSpec, control: str | None, budget: Budget) -> TrialResult:
        case = build(spec)
        if control == "not-wide":
            # targets linear in x: beta (features [x, v_1]) fits them; alpha sees only x + Q v_1
            rng = np.random.default_rng(spec.seed + 2)
            Y = case.X @ rng.standard_normal((spec.n_in, spec.n_out)) \
                + 0.05 * rng.standard_normal((spec.samples, spec.n_out))
            case = dataclasses.replace(case, Y=Y)
        L_beta = spec.blocks - 1
        alpha, theta_a = case.model, case.theta.copy()
        if control == "not-wide":
            w = alpha.layout.views(theta_a)
            rng = np.random.default_rng(spec.seed + 1)
            w["W0"][...] = 0.0
            w["W0"][:spec.n_in] = np.eye(spec.n_in)
            w["W1"][...] = 0.0
            w["W1"][:spec.n_in] = rng.standard_normal((spec.n_in, spec.bottleneck))
        beta = model_for(spec, blocks=L_beta)
        theta_b = cut(spec, theta_a, L_beta)
        if control == "not-nested":
            other = random_theta(np.random.default_rng(spec.seed + 7), beta)
            theta_b[:-spec.n_out * spec.width] = other[:-spec.n_out * spec.width]
            # targets fitted by beta's own features [x, v_1^beta]: alpha's differ from them
            rng = np.random.default_rng(spec.seed + 2)
            V = np.hstack(beta.features(theta_b, case.X)[:-1])
            Y = V @ rng.standard_normal((V.shape[1], spec.n_out)) \
                + 0.01 * rng.standard_normal((spec.samples, spec.n_out))
            case = dataclasses.replace(case, Y=Y)
        shared = cut(spec, theta_a, L_beta)[:-spec.n_out * spec.width]
        nested_dist = float(np.linalg.norm(theta_b[:-spec.n_out * spec.width] - shared))
        nested = Assumption("alpha extends beta", 1e-12 - nested_dist, nested_dist,
                            "||shared parameters of beta - alpha's|| (0: nested)")
        wide = a4(alpha, theta_a)
        assumptions = [a2(spec.loss), a3(alpha)]
        broken: list[Assumption] = []
        if control == "not-nested":
            assumptions.append(wide)
            broken.append(nested)
        elif control == "not-wide":
            assumptions += [nested, a4(beta, theta_b)]
            broken.append(wide)
        else:
            assumptions += [nested, wide]
        evidence: dict[str, Any] = {"spec": dataclasses.asdict(spec), "sizes": spec.sizes(),
                                    "L_alpha": spec.blocks, "L_beta": L_beta}
        if not all(a.met for a in assumptions) or any(a.met for a in broken):
            return decide(None, assumptions=assumptions, broken=broken, evidence=evidence)
        log = SearchLog()
        rng = np.random.default_rng(spec.seed + 3)
        runs = {}
        for name, model, theta in (("alpha", alpha, theta_a), ("beta", beta, theta_b)):
            n = model.layout.width * model.layout.block_widths[-1] + spec.n_out * spec.width
            found = []
            for j, start in enumerate(pphi_starts(rng, theta, n, budget.restarts)):
                point, risk = minimise_pphi(log, f"(P_{name}) start {j}", model, theta, case.X,
                                            case.Y, spec.loss, max_iterations=budget.max_iterations,
                                            start=start)
                if minimum_like(point):
                    found.append((risk, point))
            runs[name] = (model, theta, found)
        if not runs["alpha"][2] or not runs["beta"][2]:
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        r_a, p_a = max(runs["alpha"][2], key=lambda rp: rp[0])
        r_b, p_b = min(runs["beta"][2], key=lambda rp: rp[0])
        scale = relative(r_a, r_b)
        margin = (r_b - r_a) / scale + RISK_TOL
        evidence.update(max_local_min_alpha=r_a, min_local_min_beta=r_b,
                        alpha_point=point_evidence(p_a), beta_point=point_evidence(p_b),
                        minima_found={k: len(v[2]) for k, v in runs.items()})
        certified = None
        if margin < 0:
            # a violation must stand between confirmed minima (not degenerate points)
            sure = {k: [rp for rp in v[2] if confirmed_minimum(rp[1])] for k, v in runs.items()}
            if not sure["alpha"] or not sure["beta"]:
                return decide(None, assumptions=assumptions, broken=broken, searches=log,
                              evidence=evidence)
            r_a, p_a = max(sure["alpha"], key=lambda rp: rp[0])
            r_b, p_b = min(sure["beta"], key=lambda rp: rp[0])
            margin = (r_b - r_a) / relative(r_a, r_b) + RISK_TOL
            evidence.update(confirmed_alpha=r_a, confirmed_beta=r_b)
            if margin >= 0:
                return decide(None, assumptions=assumptions, broken=broken, searches=log,
                              evidence=evidence)
            certified, detail = certify_gap(runs["alpha"][:2], p_a, runs["beta"][:2], p_b,
                                            case.X, case.Y, spec.loss)
            evidence["certificate"] = detail
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)


def certify_gap(alpha: tuple, p_a: CriticalPoint, beta: tuple, p_b: CriticalPoint,
                X: np.ndarray, Y: np.ndarray, loss: str, dps: int = 50):
    """One-sided ``m_alpha - m_beta > 0`` at ``dps`` digits (squared loss only).

    ``m_alpha`` from below: its critical point refined and its value bounded
    (:func:`~resproof.landscape.certify.certify_critical_point`); ``m_beta`` from above:
    the risk at the float point itself, which lies in the basin of the minimum the search
    confirmed (a local minimum value is at most the risk anywhere in its basin).  So the
    certificate needs no refinement on the ``beta`` side, whose ``x_{L-1}`` is rank
    deficient (exactly so only up to rounding of the float features)."""
    if loss != "squared":
        return False, {"method": "none", "reason": "high-precision (P_phi) is squared-only"}
    hps = []
    for model, theta in (alpha, beta):
        *features, x_prev = model.features(theta, X)
        hps.append(PphiHighPrecision(PphiObjective(x_prev, features[-1], Y)))
    cert = certify_critical_point(hps[0], p_a.theta, hps[0].mp_loss, 0, dps=dps)
    with mpmath.workdps(dps):
        upper_b = hps[1].mp_loss([mpmath.mpf(float(t)) for t in p_b.theta])
        lower_a = mpmath.mpf(cert.details["quantity"]) - mpmath.mpf(cert.error_bound)
        rounding = mpmath.mpf(10) ** (10 - dps)
        gap = lower_a - upper_b - rounding
    ok = bool(cert.details["refinement_converged"] and gap > 0)
    return ok, {"gap_lower_bound": float(gap), "alpha_lower_bound": float(lower_a),
                "beta_upper_bound": float(upper_b), "dps": dps, "alpha": cert.to_json()}


CLAIMS = [Corollary1()]
