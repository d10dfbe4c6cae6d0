"""Claims of Chen et al., ResNEsts and DenseNEsts (seed 002).

``resnest.thm1``: under A2 (convex differentiable loss), A3 (``M >= N_o``) and
A4 (``A_phi = [W_0 W_1 ... W_{L-1}]`` of full column rank), every local
minimiser of (P_phi) has ``eps = R - min(PA_phi) = 0``, and every critical
point of (P_phi) with full-rank ``W_{L+1}`` is a global minimiser.

One trial: draw a ``resnest-tanh``-style instance, freeze the features, solve
(PA_phi) by least squares, minimise (P_phi) over ``(W_L, W_{L+1})`` from the
drawn weights (variable projection, :mod:`resproof.problems.pphi_solve`) to a relative
gradient of ``1e-10``,
confirm second-order optimality, and compare risks.  A positive ``eps`` (or a
non-global critical point, for the ``all-critical-global`` control) is
re-checked in 50-digit arithmetic before it counts as certified.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import mpmath
import numpy as np

from ...landscape.certify import certify_critical_point, certify_negative_curvature
from ...nn.instances import Instance, resnest_random
from ...problems.augmented import augmented_optimum, augmented_optimum_mp
from ...problems.pphi import PphiHighPrecision, PphiObjective
from ...problems.pphi_solve import local_minimum
from ...profiles import Budget
from ...results import CriticalPoint, PointKind, TrialResult, Verdict
from ..base import Claim, Control

#: ``|eps|`` below this (relative to ``max(1, A*)``) is rounding, not a violation.
EPS_TOL = 1e-12
#: A4 holds when ``sigma_min / sigma_max`` of ``A_phi`` exceeds this.
A4_TOL = 1e-8

#: ``(N_in, M, K, L, N_o, N)`` per variant: size S of bench-spec; narrow breaks A3.
SIZES = {None: (4, 8, 4, 2, 2, 256), "narrow": (2, 2, 2, 1, 3, 64),
         "not-wide": (4, 8, 4, 2, 2, 256), "all-critical-global": (4, 8, 4, 2, 2, 256)}


def a4_margin(inst: Instance) -> float:
    """``sigma_min / sigma_max`` of ``A_phi = [W_0 W_1 ... W_{L-1}]``; 0 when ``M`` is too
    small for full column rank."""
    lay = inst.model.layout
    views = lay.views(inst.theta)
    A = np.hstack([views["W0"]] + [views[f"W{i}"] for i in range(1, lay.n_blocks)])
    if A.shape[0] < A.shape[1]:
        return 0.0
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[-1] / s[0])


def draw(seed: np.random.SeedSequence, control: str | None) -> Instance:
    rng = np.random.default_rng(seed)
    inst = resnest_random(rng, *SIZES[control])
    if control == "not-wide":
        # W_0 = [I; 0], W_1 = [Q; 0]: A_phi = [[I, Q], [0, 0]] has rank N_in < N_in + K_1
        # (A4 broken), exactly: x_1 = [x + Q v_1; 0] in floating point too, so the
        # degenerate feature directions are exact for the high-precision re-check.
        lay = inst.model.layout
        theta = inst.theta.copy()
        views = lay.views(theta)
        n = lay.n_in
        views["W0"][...] = 0.0
        views["W0"][:n, :] = np.eye(n)
        views["W1"][...] = 0.0
        views["W1"][:n, :] = rng.standard_normal((n, lay.block_widths[0])) / np.sqrt(n)
        inst = Instance(inst.family, inst.size, inst.seed, inst.model, inst.X, inst.Y, theta)
    return inst


def pphi_problem(inst: Instance, residual_targets: bool = False
                 ) -> tuple[PphiObjective, list[np.ndarray], np.ndarray]:
    """(P_phi) on the frozen features of ``inst``; with ``residual_targets`` the targets
    are replaced by their residual after least squares on ``x_{L-1}``, which makes
    ``(W_L, W_{L+1}) = (0, 0)`` a critical point."""
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    Y = inst.Y
    if residual_targets:
        beta, *_ = np.linalg.lstsq(x_prev, Y, rcond=None)
        Y = Y - x_prev @ beta
    return PphiObjective(x_prev, features[-1], Y), features, Y


class PphiSearch(NamedTuple):
    """A (P_phi) problem, ``min (PA_phi)`` and the local minimum found from the drawn weights."""

    objective: PphiObjective
    features: list[np.ndarray]
    targets: np.ndarray
    best: float
    point: CriticalPoint


def minimise_pphi(inst: Instance, **options: Any) -> PphiSearch:
    """Minimise (P_phi) over ``(W_L, W_{L+1})`` from the drawn weights of ``inst``; the
    ``(M - N_o) K_L`` zero modes of the symmetry ``W_{L+1} -> W_{L+1} G^{-1}`` are expected."""
    p, features, Y = pphi_problem(inst)
    lay = inst.model.layout
    modes = max(lay.width - lay.n_out, 0) * lay.block_widths[-1]
    point = local_minimum(p, inst.theta[-p.n_params:], symmetry_modes=modes, **options)
    return PphiSearch(p, features, Y, augmented_optimum(features, Y), point)


class Theorem1(Claim):
    id = "resnest.thm1"
    title = "ResNEsts: eps = 0 at every local minimiser of (P_phi) under A2-A4"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2, A3 (M >= N_o) and A4 ([W_0 ... W_{L-1}] full column rank), every "
                 "critical point of (P_phi) with full-rank W_{L+1} is a global minimiser and "
                 "eps = R(local min of P_phi) - min(PA_phi) = 0.")
    controls = (
        Control("narrow", "A3 broken (M < N_o): eps = 0 asserted anyway"),
        Control("not-wide", "A4 broken (W_1 in the column space of W_0): eps = 0 asserted "
                            "anyway"),
        Control("all-critical-global", "'full-rank W_{L+1}' dropped from (i): every critical "
                                       "point asserted global"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        inst = draw(seed, control)
        lay = inst.model.layout
        margins = {"A3": lay.width - lay.n_out, "A4": a4_margin(inst)}
        if control is None and (margins["A3"] < 0 or margins["A4"] <= A4_TOL):
            return TrialResult(Verdict.VACUOUS, None, {"assumption_margins": margins})
        if control == "all-critical-global":
            return self._constructed_saddle(inst, margins)
        p, features, Y, best, point = minimise_pphi(inst, max_iterations=budget.max_iterations)
        evidence: dict[str, Any] = {
            "sizes": dict(zip(("N_in", "M", "K", "L", "N_o", "N"), SIZES[control], strict=True)),
            "assumption_margins": margins, "min_PA_phi": best,
            "stop_reason": point.stop_reason.value, "kind": point.kind.value,
            "relative_grad_norm": point.relative_grad_norm, "lambda_min": point.lambda_min,
            "zero_modes": point.n_zero_modes, "iterations": point.iterations}
        if not point.converged or point.kind not in (PointKind.MINIMUM, PointKind.DEGENERATE):
            return TrialResult(Verdict.INCONCLUSIVE, None, evidence)
        risk = p.residual_risk(point.theta)
        eps = risk - best
        tol = EPS_TOL * max(1.0, best)
        evidence.update(risk=risk, eps=eps, eps_tolerance=tol,
                        sigma_min_Wout=float(np.linalg.svd(p.split(point.theta)[1],
                                                           compute_uv=False)[-1]))
        if abs(eps) <= tol:
            return TrialResult(Verdict.HOLDS, float(tol - abs(eps)), evidence)
        cert = certify_eps(p, features, Y, point.theta)
        evidence["certificate"] = cert.to_json()
        return TrialResult(Verdict.REFUTED, -abs(eps), evidence, certified=cert.certified)

    def _constructed_saddle(self, inst: Instance, margins: dict[str, float]) -> TrialResult:
        p, features, Y = pphi_problem(inst, residual_targets=True)
        best = augmented_optimum(features, Y)
        zero = np.zeros(p.n_params)
        risk = p.residual_risk(zero)
        H = p.hessian(zero)
        w, V = np.linalg.eigh(H)
        evidence = {"construction": "targets replaced by their residual on x_{L-1}; "
                                    "(W_L, W_{L+1}) = (0, 0), rank W_{L+1} = 0",
                    "assumption_margins": margins, "risk": risk, "min_PA_phi": best,
                    "grad_norm": float(np.linalg.norm(p.grad(zero))),
                    "lambda_min": float(w[0])}
        gap = risk - best
        if gap <= EPS_TOL * max(1.0, best):
            return TrialResult(Verdict.HOLDS, float(-gap), evidence)
        cert = certify_eps(p, features, Y, zero)
        curvature = certify_negative_curvature(PphiHighPrecision(p), zero, V[:, 0])
        evidence["certificate"] = cert.to_json()
        evidence["negative_curvature"] = curvature.to_json()
        return TrialResult(Verdict.REFUTED, -gap, evidence,
                           certified=cert.certified and curvature.certified)


def certify_eps(p: PphiObjective, features: list[np.ndarray], Y: np.ndarray, theta: np.ndarray,
                dps: int = 50):
    """Re-check ``eps = R(theta*) - min(PA_phi) > 0`` at 50 digits near ``theta``: certified
    only when the certified interval of ``eps`` lies above 0 (one-sided)."""
    hp = PphiHighPrecision(p)
    with mpmath.workdps(dps):
        best = augmented_optimum_mp(features, Y, dps)
    return certify_critical_point(hp, theta, lambda t: hp.mp_loss(t) - best, 0, dps=dps,
                                  refutes="above")


CLAIMS = [Theorem1()]
