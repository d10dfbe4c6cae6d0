"""``resnest.rem1`` (Chen et al., Remark 1): every local minimiser of the full problem (P)
gives, with its features frozen, a local minimiser of (P_phi); so results about (P_phi)
transfer to (P).

One trial minimises (P) over every parameter (from the drawn weights, then fresh draws past
starts that diverge: :func:`~resproof.claims.resnest._verdicts.full_minimum`)
for the drawn convex loss and, at the point found, checks second-order optimality of the
restriction to ``(W_L, W_{L+1})``: its gradient is part of the full one (zero) and its
Hessian is the principal submatrix of the full Hessian; the margin is
``(lambda_min + tau) / s`` of that submatrix (``tau`` the zero threshold of
:mod:`resproof.landscape.classify`, ``s`` its largest ``|lambda|``).  A violation counts
only at a confirmed minimum of (P).

Control ``reverse`` (every local minimiser of (P_phi) is one of (P)): minimise (P_phi)
(squared loss) from the drawn weights, then measure the gradient of (P) in ``phi`` there.
It is refuted when that gradient is not zero: the directional derivative of (P) along
``d = grad_phi / ||grad_phi||`` is re-checked at 50 digits at the (P_phi) critical point
refined in high precision (:class:`~resproof.problems.pphi.PphiHighPrecision`,
derivative by a central difference carried at 120 digits); certified when it exceeds its
error bound (one-sided: positive).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ...landscape.certify import certify_critical_point
from ...landscape.classify import zero_tolerance
from ...problems.full import FullHighPrecision, full_objective
from ...problems.pphi import PphiHighPrecision, PphiObjective
from ...profiles import Budget
from ...results import TrialResult
from ..base import Claim, Control, SearchLog, decide
from ._cases import FULL_ACTIVATIONS, NetSpec, prepare, random_spec
from ._verdicts import full_minimum, minimise_pphi, minimum_like, point_evidence, usable_margin

#: ``||grad_phi R|| / max(1, R)`` above this is "not critical in phi".
PHI_GRAD_TOL = 1e-8


def pphi_indices(model: Any) -> np.ndarray:
    return model.layout.subset_indices("P_phi")


class Remark1(Claim):
    id = "resnest.rem1"
    title = "ResNEsts: local minimisers of (P) restrict to local minimisers of (P_phi)"
    source = "002_1b35302677467779.txt"
    statement = ("Every local minimiser of the full problem (P) gives, with its features phi "
                 "frozen, a local minimiser of (P_phi) (second-order optimality of the "
                 "restriction to W_L, W_{L+1}).")
    controls = (Control("reverse", "every local minimiser of (P_phi) asserted a local "
                                   "minimiser of (P)"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "reverse":
            spec = random_spec(rng, n_in=(2, 2), blocks=(1, 1), bottleneck=(1, 1),
                               n_out=(1, 1), losses=("squared",), wide=False, width=(2, 2),
                               samples=(12, 20))
        else:
            spec = random_spec(rng, n_in=(2, 3), blocks=(1, 2), bottleneck=(1, 1),
                               activations=FULL_ACTIVATIONS)
        return self.check(spec, control, budget)

    def check(self, spec: NetSpec, control: str | None, budget: Budget) -> TrialResult:
        prep = prepare(spec, a3_required=False)
        if prep.unmet:
            return prep.unmet
        case, evidence, assumptions = prep.case, prep.evidence, prep.assumptions
        log = SearchLog()
        if control == "reverse":
            return self._reverse(case, budget, assumptions, log, evidence)
        obj = full_objective(case.model, case.X, case.Y, spec.loss)
        point = full_minimum(log, case, budget)
        evidence["point"] = point_evidence(point)
        if not minimum_like(point):
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        idx = pphi_indices(case.model)
        H = obj.hessian(point.theta)
        sub = np.linalg.eigvalsh(0.5 * (H + H.T)[np.ix_(idx, idx)])
        g = obj.grad(point.theta)[idx]
        s = float(np.max(np.abs(sub))) or 1.0
        tau = zero_tolerance(sub, grad_norm=float(np.linalg.norm(g)),
                             theta_norm=float(np.linalg.norm(point.theta)))
        margin = (float(sub[0]) + tau) / s
        evidence.update(restricted_lambda_min=float(sub[0]), restricted_lambda_max=float(sub[-1]),
                        zero_tolerance=tau, restricted_grad_norm=float(np.linalg.norm(g)))
        return decide(usable_margin(margin, point), assumptions=assumptions, searches=log,
                      evidence=evidence)

    def _reverse(self, case, budget, assumptions, log, evidence) -> TrialResult:
        spec = case.spec
        point, risk = minimise_pphi(log, "(P_phi) from the drawn weights", case.model,
                                    case.theta, case.X, case.Y, spec.loss,
                                    max_iterations=budget.max_iterations)
        evidence["point"] = point_evidence(point)
        if not minimum_like(point):
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        idx = pphi_indices(case.model)
        theta = case.theta.copy()
        theta[idx] = point.theta
        g = full_objective(case.model, case.X, case.Y).grad(theta)
        g_phi = np.delete(g, idx)
        rel = float(np.linalg.norm(g_phi)) / max(1.0, risk)
        evidence.update(phi_grad_norm=rel, phi_grad_tolerance=PHI_GRAD_TOL)
        margin = PHI_GRAD_TOL - rel
        certified = None
        if margin < 0:
            certified, detail = certify_phi_gradient(case, theta, point.theta, g, idx)
            evidence["certificate"] = detail
        return decide(usable_margin(margin / PHI_GRAD_TOL, point), assumptions=assumptions,
                      searches=log, certified=certified, evidence=evidence)


def certify_phi_gradient(case: Any, theta: np.ndarray, t_star: np.ndarray, g: np.ndarray,
                         idx: np.ndarray, dps: int = 50) -> tuple[bool, dict[str, Any]]:
    """``d^T grad R(theta*) > 0`` with ``d`` the unit ``phi``-part of ``g``, at the (P_phi)
    critical point ``theta*`` refined at ``dps`` digits."""
    *features, x_prev = case.model.features(theta, case.X)
    hp = PphiHighPrecision(PphiObjective(x_prev, features[-1], case.Y))
    full = FullHighPrecision(case.model, case.X, case.Y, case.spec.loss)
    d = g.copy()
    d[idx] = 0.0
    d /= np.linalg.norm(d)

    def derivative(t):
        with mpmath.workdps(2 * dps + 20):
            h = mpmath.mpf(10) ** (-(dps + 10))
            base = [mpmath.mpf(float(v)) for v in theta]
            for j, i in enumerate(idx):
                base[int(i)] = mpmath.mpf(t[j])
            up = [b + h * float(di) for b, di in zip(base, d, strict=True)]
            down = [b - h * float(di) for b, di in zip(base, d, strict=True)]
            return (full.risk_full(up) - full.risk_full(down)) / (2 * h)

    cert = certify_critical_point(hp, t_star, derivative, 0, dps=dps)
    ok = bool(cert.details["refinement_converged"] and cert.margin > cert.error_bound)
    return ok, cert.to_json()


CLAIMS = [Remark1()]

