"""``yun.rademacher``: the empirical Rademacher complexity of near-identity ReLU ResNets.

Statement: for ``F_L = {x -> w^T h_L(x)}``, ``h_l = h_{l-1} + V_l relu(U_l h_{l-1})``,
``||w|| <= 1``, ``||V_l||_F, ||U_l||_F <= 1/sqrt(L)``,
``R(F_L|_S) <= e^2 max_i ||x_i|| / sqrt(n)``.

A trial draws a sample ``S`` (``n`` points, norms in ``[1/2, 1]``) and, for every depth of
the budget, a lower estimate of ``R(F_L|_S)`` (:func:`resproof.problems.rademacher.estimate`:
a pool of exactly feasible blocks from explicit constructions and projected ascent, the
optimal ``w`` per sign vector, the mean over all ``2^n`` sign vectors or over fresh
Monte-Carlo signs).  "holds" therefore means *no violation found by a lower estimate*;
a lower estimate can refute the bound, never prove it.

A refutation is certified one-sidedly: with ``n <= 10`` by exact enumeration (every
``LB(sigma)`` bounded below from exact rational features in 50-digit interval arithmetic),
else by Hoeffding / empirical Bernstein at confidence ``1 - 1e-9``; the bound's upper end
comes from interval arithmetic (``e^2``, ``sqrt``).  The evidence names the method.

Controls: ``:no-depth-scaling`` (``||V_l||_F, ||U_l||_F <= 1``; the assumption measured
broken on the pool from ``L = 2`` on): refuted from some ``L`` (``2^L > e^2`` from
``L = 3`` for one point); ``:constant-one`` (``e^2`` replaced by 1): refuted.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ...problems.rademacher import FrobeniusClass, estimate
from ...profiles import Budget
from ...results import TrialResult
from ..base import Assumption, Claim, Control, decide

DEPTHS = {"quick": (1, 2, 4, 8), "standard": (1, 2, 4, 8, 16, 32),
          "deep": (1, 2, 4, 8, 16, 32)}
#: ``:no-depth-scaling`` starts at ``L = 2`` (at ``L = 1`` the two radii coincide).
SCALING_DEPTHS = {"quick": (2, 3, 4), "standard": (2, 3, 4, 8, 16, 32),
                  "deep": (2, 3, 4, 8, 16, 32)}
#: ``:constant-one`` needs no depth sweep at ``quick`` (it is refuted at ``L = 1`` already).
CONSTANT_ONE_DEPTHS = {"quick": (1, 4), "standard": (1, 2, 4, 8, 16, 32),
                       "deep": (1, 2, 4, 8, 16, 32)}
SAMPLES = (2, 4, 8, 32)
#: Ascent effort per budget: training sign vectors, random restarts, iterations.
EFFORT = {"quick": (6, 1, 50), "standard": (16, 2, 150), "deep": (32, 4, 300)}
DELTA = 1e-9


@dataclasses.dataclass(frozen=True)
class RademacherInstance:
    """A sample drawn from ``seed`` and the depths to estimate at.  ``block_radius=None``
    is ``1/sqrt(L)`` (the claim's class); ``w_radius`` bounds ``||w||``."""

    d_x: int = 2
    depths: tuple[int, ...] = (1, 2, 4, 8)
    width: int = 2
    samples: int = 8
    w_radius: float = 1.0
    block_radius: float | None = None
    seed: int = 0


def draw_sample(inst: RademacherInstance) -> np.ndarray:
    rng = np.random.default_rng(inst.seed)
    X = rng.standard_normal((inst.samples, inst.d_x))
    X *= (0.5 + 0.5 * rng.random(inst.samples))[:, None] / np.linalg.norm(X, axis=1)[:, None]
    return X


def bound_upper(constant: str, X: np.ndarray) -> tuple[float, Fraction]:
    """``K max_i ||x_i|| / sqrt(n)`` (``K = e^2`` or 1) rounded up by 50-digit interval
    arithmetic, and ``max_i ||x_i||^2`` exactly."""
    m2 = max(sum((Fraction(float(v)) ** 2 for v in x), Fraction(0)) for x in X)
    iv = mpmath.iv
    old, iv.dps = iv.dps, 50
    try:
        k = iv.exp(2) if constant == "e^2" else iv.mpf(1)
        value = k * iv.sqrt(iv.mpf(m2.numerator) / m2.denominator) / iv.sqrt(X.shape[0])
        upper = float(mpmath.mpf(value.b)) * (1 + 2.0**-50)
    finally:
        iv.dps = old
    return upper, m2


class Rademacher(Claim):
    id = "yun.rademacher"
    title = "Frobenius-ball ResNets: Rademacher complexity <= e^2 max||x|| / sqrt(n), any L"
    source = "003_b91220a50cbb67a9.txt"
    statement = ("For F_L = {x -> w^T h_L(x)} with h_l = h_{l-1} + V_l relu(U_l h_{l-1}), "
                 "||w|| <= 1, ||V_l||_F, ||U_l||_F <= 1/sqrt(L): the empirical Rademacher "
                 "complexity is at most e^2 max_i ||x_i|| / sqrt(n).")
    reading = ("Checked by lower estimates only (feasible networks, exact feasibility): "
               "'holds' means no violation was found.")
    controls = (
        Control("no-depth-scaling", "||V_l||_F, ||U_l||_F <= 1 instead of 1/sqrt(L), same "
                                    "bound: refuted from some L"),
        Control("constant-one", "e^2 replaced by 1"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        depths = {"no-depth-scaling": SCALING_DEPTHS, "constant-one": CONSTANT_ONE_DEPTHS
                  }.get(control or "", DEPTHS)[budget.name]
        inst = RademacherInstance(
            d_x=int(rng.integers(1, 3)), depths=depths, samples=int(rng.choice(SAMPLES)),
            block_radius=1.0 if control == "no-depth-scaling" else None,
            seed=int(rng.integers(2**31)))
        return self.check(inst, control, budget)

    def check(self, inst: RademacherInstance, control: str | None,
              budget: Budget) -> TrialResult:
        """Estimate at every depth of ``inst``; compare with the claimed (or control's) bound."""
        X = draw_sample(inst)
        constant = "1" if control == "constant-one" else "e^2"
        bound, m2 = bound_upper(constant, X)
        plain = (1.0 if constant == "1" else math.e**2) * math.sqrt(float(m2)) / inst.samples**0.5
        rng = np.random.default_rng([inst.seed, 1])
        train, restarts, iterations = EFFORT[budget.name]
        rows, margins, certified = [], [], []
        w_margin: float = 1.0
        block_margins: list[float] = []
        for L in inst.depths:
            cls = FrobeniusClass(inst.d_x, L, inst.width, inst.w_radius, inst.block_radius)
            est = estimate(cls, X, rng, train_signs=train, restarts=restarts,
                           iterations=iterations, delta=DELTA, certify_above=plain)
            margin = (plain - est.value) / plain
            margins.append(margin)
            certified.append(bool(margin < 0 and est.lower > bound))
            r2 = cls.exact_block_radius_squared()
            w_margin = 1.0 if Fraction(inst.w_radius) <= 1 else 1.0 - inst.w_radius
            if L > 1 or inst.block_radius is None:
                measured = est.details["max_block_norm_squared"] * L
                block_margins.append(1.0 if r2 <= Fraction(1, L) else 1.0 - measured)
            rows.append({"L": L, "lower_estimate": est.value,
                         "certified_lower": None if math.isnan(est.lower) else est.lower,
                         "method": est.method, "sign_vectors": est.n_signs, "pool": est.pool,
                         "bound_e2": math.e**2 * math.sqrt(float(m2)) / inst.samples**0.5,
                         "bound_one": math.sqrt(float(m2)) / inst.samples**0.5,
                         "ratio_to_e2_bound": est.value * inst.samples**0.5
                         / (math.e**2 * math.sqrt(float(m2))),
                         "ratio_to_one_bound": est.value * inst.samples**0.5 / math.sqrt(float(m2)),
                         "margin": margin, "refuted": margin < 0, "details": est.details})
        block = Assumption("||U_l||_F, ||V_l||_F <= 1/sqrt(L)",
                           min(block_margins) if block_margins else 1.0, None,
                           "every pool block has ||.||_F^2 <= r^2 exactly (projection + exact "
                           "check); margin 1 when r^2 <= 1/L, else 1 - L max_pool ||.||_F^2 "
                           "(measured on the pool, min over the depths)")
        assumptions = [Assumption("||w|| <= 1", w_margin, inst.w_radius,
                                  "w = r_w s/||s|| per sign vector; margin 1 when r_w <= 1")]
        broken: list[Assumption] = []
        if control == "no-depth-scaling":
            broken = [block]
        else:
            assumptions.append(block)
        refuting = [r["L"] for r in rows if r["refuted"]]
        method = rows[0]["method"]
        evidence: dict[str, Any] = {
            "instance": dataclasses.asdict(inst), "bound_constant": constant,
            "bound_upper": bound, "max_norm_squared": str(m2), "per_depth": rows,
            "refuted_from_L": min(refuting) if refuting else None,
            "meaning": "lower estimates only: holds = no violation found",
            "certification": ("exact enumeration of all 2^n sign vectors (50-digit intervals)"
                              if method == "enumeration" else
                              f"Hoeffding / empirical Bernstein at confidence 1 - {DELTA:g}")}
        worst = min(margins)
        return decide(worst, assumptions=assumptions, broken=broken,
                      certified=any(certified) if worst < 0 else None, evidence=evidence)


CLAIMS = [Rademacher()]
