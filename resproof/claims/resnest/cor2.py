"""``resnest.cor2`` (Chen et al., Cor. 2): under A2, A3 and A4 at ``phi*``, every local
minimiser of the full problem (P) has risk ``<= R_lin``, strictly when
``min_{H_0} A(H_0, 0, .., 0) > min A`` (resproof's reading of the strictness clause;
``min_{H_0} A(H_0, 0, ..) = R_lin``).

One trial draws a wide ResNEst and a convex loss, minimises (P) from the drawn weights
(then fresh draws past starts that diverge:
:func:`~resproof.claims.resnest._verdicts.full_minimum`), measures A4 at the point found, and
compares its risk with ``R_lin`` and ``min (PA_phi*)``.  "Strictly" means by more than
``STRICT_TOL`` (relative): below that a difference is rounding; the premise is taken
as met when ``R_lin - min A`` exceeds ``PREMISE_TOL``.

Control ``strict-as-worded``: the seed's clause reads ``A(H*_0, 0, ..) > A(H*)`` for an
optimal ``H*``, which is not unique when a feature is linear in ``x``.  With the identity
activation and a constant input coordinate, ``v_1 = Q x`` exactly, so
``H*' = (H*_0 - C Q, H*_1 + C)`` is optimal, its premise gap is positive, and yet the
whole network is linear in ``x``: ``R(theta) >= R_lin`` for every ``theta``.  The
control measures the dropped uniqueness (stacked features rank deficient), the premise
at ``H*'``, and the conclusion at the minimiser of (P) found; the certificate is exact:
``R(theta*) - R_lin >= 0`` in Fractions (forward pass and normal equations over QQ).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ...errors import SearchFailed
from ...landscape.points import GTOL
from ...problems.augmented_general import augmented_solution
from ...problems.linear import optimum
from ...profiles import Budget
from ...results import TrialResult
from ..base import Claim, Control, SearchLog, decide
from ._cases import (
    FULL_ACTIVATIONS,
    NetSpec,
    a4,
    prepare,
    random_spec,
    relative,
)
from ._verdicts import full_minimum, log_failed_solve, minimum_like, point_evidence, usable_margin
from .linear_unpredictability import uniqueness

RISK_TOL = 1e-10
STRICT_TOL = 1e-10
PREMISE_TOL = 1e-8


def _rational(a: np.ndarray) -> sympy.Matrix:
    a = np.atleast_2d(a)
    return sympy.Matrix(a.shape[0], a.shape[1], [sympy.Rational(float(v)) for v in a.ravel()])


def exact_global_minimiser(case: Any) -> tuple[Fraction, Fraction, dict[str, sympy.Matrix]]:
    """``(R(theta_g), R_lin, theta_g)`` exactly, for the identity activation and the squared
    loss: ``T*`` from the normal equations over QQ, ``W_0 = [T*; 0]``, ``W_1 = 0``,
    ``W_{L+1} = [I 0]`` (``U_1, b_1`` as drawn), so ``yhat = T* x``.  The network is linear
    in ``x`` (the constant input carries the biases), so ``R >= R_lin`` everywhere and
    ``theta_g`` is a global, hence local, minimiser of (P)."""
    lay = case.model.layout
    w = lay.views(case.theta)
    X, Y = _rational(case.X), _rational(case.Y)
    T = (X.T * X).LUsolve(X.T * Y).T
    M, n_o = lay.width, lay.n_out
    g = {"W0": sympy.zeros(M, lay.n_in), "Wout": sympy.zeros(n_o, M)}
    g["W0"][:n_o, :] = T
    g["Wout"][:, :n_o] = sympy.eye(n_o)
    for i in range(1, lay.n_blocks + 1):
        g[f"U{i}"] = _rational(w[f"U{i}"])
        g[f"b{i}"] = _rational(w[f"b{i}"])
        g[f"W{i}"] = sympy.zeros(M, lay.block_widths[i - 1])
    x = X * g["W0"].T
    for i in range(1, lay.n_blocks + 1):
        b = sympy.Matrix([list(g[f"b{i}"])] * X.rows)
        x = x + (x * g[f"U{i}"].T + b) * g[f"W{i}"].T
    N = X.rows
    risk = sum(v * v for v in x * g["Wout"].T - Y) / (2 * N)
    r_lin = sum(v * v for v in X * T.T - Y) / (2 * N)
    return (Fraction(int(risk.p), int(risk.q)), Fraction(int(r_lin.p), int(r_lin.q)), g)


class Corollary2(Claim):
    id = "resnest.cor2"
    title = "ResNEsts: every local minimiser of (P) is no worse than the best linear predictor"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2, A3 and A4 at phi*, every local minimiser of (P) has risk <= R_lin, "
                 "strictly if min_{H_0} A(H_0, 0, .., 0) > min A.")
    reading = ("The strictness clause compares min_{H_0} A(H_0, 0, .., 0) (= R_lin) with min A "
               "(the seed's A(H*_0, 0, ..) > A(H*) needs a unique optimum H*).")
    controls = (Control("strict-as-worded", "the seed's strictness clause with a non-unique H* "
                                            "(linear G_1): strict improvement asserted"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "strict-as-worded":
            spec = random_spec(rng, n_in=(2, 3), blocks=(1, 1), n_out=(1, 1),
                               activations=("identity",), losses=("squared",),
                               constant_input=True)
        else:
            spec = random_spec(rng, n_in=(2, 3), blocks=(1, 2), bottleneck=(1, 1),
                               activations=FULL_ACTIVATIONS)
        return self.check(spec, control, budget)

    def check(self, spec: NetSpec, control: str | None, budget: Budget) -> TrialResult:
        prep = prepare(spec)
        if prep.unmet:
            return prep.unmet
        case, evidence, assumptions = prep.case, prep.evidence, prep.assumptions
        log = SearchLog()
        try:
            _, r_lin = optimum(case.X, case.Y, spec.loss, gtol=GTOL)
        except SearchFailed as exc:
            log_failed_solve(log, "R_lin convex solve", exc)
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        point = full_minimum(log, case, budget)
        assumptions.append(a4(case.model, point.theta))
        features = case.model.features(point.theta, case.X)[:-1]
        evidence.update(R_lin=r_lin, risk=point.loss, point=point_evidence(point))
        try:
            H, best = augmented_solution(features, case.Y, spec.loss)
        except SearchFailed as exc:
            log_failed_solve(log, "(PA_phi*) convex solve", exc)
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        evidence["min_PA_phi_star"] = best
        scale = relative(r_lin, point.loss)
        if not minimum_like(point) and control is None:
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        improvement = (r_lin - point.loss) / scale
        if control == "strict-as-worded":
            return self._as_worded(case, point, features, H, best, improvement, assumptions,
                                   log, evidence)
        premise = (r_lin - best) / scale > PREMISE_TOL
        margins = [improvement + RISK_TOL]
        if premise:
            margins.append(improvement - STRICT_TOL)
        evidence.update(strict_premise=premise, improvement=improvement)
        return decide(usable_margin(min(margins), point), assumptions=assumptions, searches=log,
                      evidence=evidence)

    def _as_worded(self, case, point, features, H, best, improvement, assumptions, log,
                   evidence) -> TrialResult:
        spec = case.spec
        unique = uniqueness(features)
        n_in, k = spec.n_in, spec.bottleneck
        Q, *_ = np.linalg.lstsq(features[0], features[1], rcond=None)
        H2 = H.copy()
        C = np.ones((spec.n_out, k))
        H2[:, :n_in] -= C @ Q.T
        H2[:, n_in:n_in + k] += C
        V = np.hstack(features)
        resid = V @ H2.T - case.Y
        A_star = float(0.5 * np.sum(resid * resid) / V.shape[0])
        head = features[0] @ H2[:, :n_in].T - case.Y
        A_head = float(0.5 * np.sum(head * head) / V.shape[0])
        scale = relative(A_head, A_star)
        premise = (A_head - A_star) / scale > PREMISE_TOL and \
            abs(A_star - best) <= 1e-10 * relative(best, best)
        risk_g, r_lin_g, _ = exact_global_minimiser(case)
        exact_improvement = r_lin_g - risk_g
        evidence.update(A_H_star_prime=A_star, A_head=A_head, seed_premise=premise,
                        improvement_at_found_point=improvement,
                        improvement_at_global_minimiser=float(exact_improvement),
                        certificate={"R_lin_minus_R_exact": str(exact_improvement),
                                     "method": "exact (QQ)", "at": "theta_g: W_0 = [T*; 0], "
                                     "W_1 = 0, W_out = [I 0]"})
        if not premise:
            return decide(None, assumptions=assumptions, broken=[unique], searches=log,
                          evidence=evidence)
        margin = float(exact_improvement) / scale - STRICT_TOL
        return decide(margin, assumptions=assumptions, broken=[unique], searches=log,
                      certified=exact_improvement <= 0, evidence=evidence)


CLAIMS = [Corollary2()]

