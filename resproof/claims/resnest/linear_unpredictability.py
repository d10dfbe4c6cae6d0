"""``resnest.linear-unpredictability`` (Chen et al., Sec. 1.4): if adding the feature
``v_i`` lowers the A-ResNEst optimum, ``v_i`` is not a linear function of
``v_0, ..., v_{i-1}`` on the sample.

resproof's reading compares re-optimised prefixes,
``a_i = min A(H_0, ..., H_i, 0, ..., 0)``: ``a_{i-1} > a_i`` implies
``v_i != C [v_0; ...; v_{i-1}]`` for every ``C``.  (If ``v_i`` were such a function,
``H_i v_i`` could be absorbed into ``H_0..H_{i-1}`` and ``a_i = a_{i-1}``.)  The
implication is about the frozen features only, so it is checked at the drawn ``phi``:
whatever holds for every ``phi`` holds at the ``phi*`` of a local minimum of (PA).

One trial draws a ResNEst with a constant input coordinate and, sometimes, a dead block
(``U_i = 0``: ``v_i = s(b_i)`` is then exactly ``s(b_i)`` times the constant input, a
linear function of ``v_0``), computes every prefix optimum for the drawn convex loss and
the relative least-squares residual of ``v_i`` on ``[v_0..v_{i-1}]``.  Violation at
``i``: gap ``a_{i-1} - a_i`` above ``GAP_TOL`` while the residual is below ``LIN_TOL``.

Control ``as-worded``: the seed's wording uses the prefixes of one optimal ``H*``:
``A(H*_0..H*_{i-1}, 0..) > A(H*_0..H*_i, 0..)``.  With a non-unique optimum (block 1
dead, so ``v_1 = q x`` exactly) ``H*' = (H*_0 - C q, H*_1 + C, ...)`` is optimal too,
and its prefix gap at ``i = 1`` is positive while ``v_1`` is linear in ``v_0``.  The
control measures the dropped assumption (the optimum is non-unique: stacked features
rank deficient), that ``H*'`` is optimal, and the gap at 50 digits (certified when the
gap's lower bound is above 0); linearity is exact (``v_1``'s rows are bitwise equal and
the constant input is exactly 1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import mpmath
import numpy as np

from ...errors import SearchFailed
from ...problems.augmented_general import augmented_solution, prefix_optima
from ...problems.full import mp_sample_loss
from ...profiles import Budget
from ...results import TrialResult
from ..base import Assumption, Claim, Control, SearchLog, decide
from ._cases import NetSpec, prepare, random_spec, relative
from ._verdicts import log_failed_solve

GAP_TOL = 1e-9
LIN_TOL = 1e-10
RANK_TOL = 1e-10


def linear_residual(target: np.ndarray, basis: np.ndarray) -> float:
    """``||v - B C*||_F / max(||v||_F, tiny)`` for the least-squares ``C*`` (lstsq)."""
    C, *_ = np.linalg.lstsq(basis, target, rcond=None)
    r = target - basis @ C
    return float(np.linalg.norm(r) / max(float(np.linalg.norm(target)), 1e-300))


def uniqueness(features: list[np.ndarray]) -> Assumption:
    """The optimum of (PA_phi) is unique iff the stacked features have full column rank."""
    A = np.hstack(features)
    s = np.linalg.svd(A, compute_uv=False)
    ratio = 0.0 if A.shape[0] < A.shape[1] else float(s[-1] / s[0])
    return Assumption("unique optimum of (PA_phi)", ratio - RANK_TOL, ratio,
                      "sigma_min/sigma_max of [v_0, ..., v_L] - 1e-10")


def mp_augmented(features: list[np.ndarray], Y: np.ndarray, H: np.ndarray, loss: str,
                 dps: int = 50) -> Any:
    """``A(H)`` at ``dps`` digits from the float features and ``H``."""
    with mpmath.workdps(dps):
        V = np.hstack(features)
        total = mpmath.mpf(0)
        for v, y in zip(V, Y, strict=True):
            yhat = [mpmath.fsum(mpmath.mpf(float(h)) * mpmath.mpf(float(t))
                                for h, t in zip(row, v, strict=True)) for row in H]
            total += mp_sample_loss(loss, yhat, [mpmath.mpf(float(t)) for t in y])
        return total / len(V)


class LinearUnpredictability(Claim):
    id = "resnest.linear-unpredictability"
    title = "A feature that lowers the A-ResNEst optimum is not linearly predictable"
    source = "002_1b35302677467779.txt"
    statement = ("If min A(H_0..H_{i-1}, 0..) > min A(H_0..H_i, 0..), then v_i is not a linear "
                 "function of v_0..v_{i-1} on the sample.")
    reading = ("Prefixes are re-optimised (min over H_0..H_i), not prefixes of one optimal H*; "
               "checked at the drawn phi, which covers phi* of every local minimum of (PA).")
    controls = (Control("as-worded", "the seed's wording: prefixes of one optimal H*, with a "
                                     "non-unique optimum (a dead block, v_1 linear in x)"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        spec = random_spec(rng, n_in=(2, 3), constant_input=True, dead_blocks=True,
                           blocks=(1, 2))
        if control == "as-worded":
            spec = dataclasses.replace(spec, dead_block=1)
        return self.check(spec, control, budget)

    def check(self, spec: NetSpec, control: str | None, budget: Budget) -> TrialResult:
        prep = prepare(spec, a3_required=False)
        if prep.unmet:
            return prep.unmet
        case, evidence, assumptions = prep.case, prep.evidence, prep.assumptions
        features = case.model.features(case.theta, case.X)[:-1]
        log = SearchLog()
        try:
            if control == "as-worded":
                return self._as_worded(case, features, assumptions, evidence)
            a = prefix_optima(features, case.Y, spec.loss)
        except SearchFailed as exc:
            log_failed_solve(log, "(PA_phi) prefix convex solve", exc)
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        rows, margins = [], []
        for i in range(1, len(features)):
            gap = a[i - 1] - a[i]
            res = linear_residual(features[i], np.hstack(features[:i]))
            scale = relative(a[i - 1], a[i])
            margins.append(max((GAP_TOL * scale - gap) / scale, res - LIN_TOL))
            rows.append({"i": i, "gap": gap, "linear_residual": res})
        evidence.update(prefix_optima=a, blocks=rows)
        return decide(min(margins), assumptions=assumptions, searches=log, evidence=evidence)

    def _as_worded(self, case, features, assumptions, evidence) -> TrialResult:
        spec = case.spec
        unique = uniqueness(features)
        H, best = augmented_solution(features, case.Y, spec.loss)
        n_in = spec.n_in
        v1 = features[1]
        exact_linear = bool(np.all(v1 == v1[0]) and np.all(case.X[:, -1] == 1.0))
        q = np.zeros((spec.bottleneck, n_in))
        q[:, -1] = v1[0]
        C = np.ones((spec.n_out, spec.bottleneck))
        H2 = H.copy()
        H2[:, :n_in] -= C @ q
        H2[:, n_in:n_in + spec.bottleneck] += C
        prefix = H2.copy()
        prefix[:, n_in:] = 0.0
        with mpmath.workdps(50):
            A_full = mp_augmented(features, case.Y, H2, spec.loss)
            A_best = mp_augmented(features, case.Y, H, spec.loss)
            A_prefix = mp_augmented(features, case.Y, prefix, spec.loss)
            gap = A_prefix - A_full
            bound = mpmath.mpf(10) ** -40
        optimal_gap = float(A_full - A_best)
        scale = relative(float(A_prefix), float(A_full))
        evidence.update(min_PA_phi=best, A_of_H_star=float(A_full),
                        H_star_minus_solver_optimum=optimal_gap,
                        prefix_gap=float(gap), v1_exactly_linear_in_x=exact_linear,
                        certificate={"gap_lower_bound": float(gap - bound), "dps": 50})
        if not exact_linear or abs(optimal_gap) > 1e-12 * relative(best, best):
            return decide(None, assumptions=assumptions, broken=[unique], evidence=evidence)
        residual = linear_residual(v1, features[0])
        evidence["linear_residual"] = residual
        margin = max((GAP_TOL * scale - float(gap)) / scale, residual - LIN_TOL)
        return decide(margin, assumptions=assumptions, broken=[unique],
                      certified=bool(gap > bound), evidence=evidence)


CLAIMS = [LinearUnpredictability()]
