"""``densenest.prop3`` (Chen et al., Prop. 3): under A2 only (no width condition), every
local minimum of (PD) is at most ``R_lin = min_T (1/N) sum_n l(T x_n, y_n)``.

(PD) optimises every parameter of the DenseNEst (``U_i, b_i, W_{L+1}``).  One trial
minimises it from the drawn weights (trust-region Newton on the model's own objective,
then, if that does not converge, variable projection of ``W_{L+1}`` from the same start:
:func:`projected_search`) and compares the risk with ``R_lin``
(:func:`resproof.problems.linear.optimum`) for the drawn convex loss.  A violation counts
only at a confirmed minimum.

Control ``input-dropped``: ``x`` removed from the final concatenation
(``W_{L+1}`` reads only ``v_1..v_L``) and every ReLU block dead on the sample.  It
measures that the input's columns of the realised ``W_{L+1}`` are zero (the dropped
assumption), that every pre-activation is at most ``-delta < 0`` (so the loss is
constant on a neighbourhood of radius ``delta / max_n ||[x_{i-1}(x_n); 1]||``: a local
minimum, which the Hessian test alone calls degenerate), and that ``R > R_lin``.  The
certificate is exact and one-sided: pre-activations in Fractions (all ``< 0``),
``R = (1/N) sum l(0, y_n)`` and an upper bound on ``R_lin`` (the risk of the float
``T*``) in 50-digit mpmath.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ...errors import SearchFailed
from ...landscape.points import GTOL
from ...nn.models import DenseNEst
from ...problems.full import mp_sample_loss, streams
from ...problems.linear import optimum
from ...problems.output_projection import projected_minimum
from ...profiles import Budget
from ...results import TrialResult
from ..base import Assumption, Claim, Control, SearchLog, decide
from ._cases import a2, relative, targets
from ._verdicts import log_failed_solve, logged_minimum, minimum_like, point_evidence, usable_margin
from .prop4 import draw_dense

RISK_TOL = 1e-10


@dataclasses.dataclass(frozen=True)
class InputDroppedDenseNEst(DenseNEst):
    """A DenseNEst whose output reads only ``[v_1; ...; v_L]``: the ``x`` columns of
    ``W_{L+1}`` pinned to zero (the ``input-dropped`` control)."""

    def _free(self):
        out = super()._free()
        return [*out[:-1], ("Wout", slice(None), slice(self.n_in, None))]


def dead_start(model: DenseNEst, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Free parameters with every ReLU unit dead on the sample: ``b_i = -(max_n |U_i x_n|
    + 1/2)`` row by row (earlier blocks output 0, so ``x_{i-1} = [x; 0]``)."""
    lay = model.resnest.layout
    theta = model.full_theta(np.zeros(model.n_params))
    w = lay.views(theta)
    for i in range(1, lay.n_blocks + 1):
        U = rng.standard_normal(w[f"U{i}"].shape)
        U[:, sum(model.block_widths[:i - 1]) + model.n_in:] = 0.0
        w[f"U{i}"][...] = U
        w[f"b{i}"][...] = -(np.max(np.abs(X @ U[:, :model.n_in].T), axis=0) + 0.5)
    w["Wout"][:, model.n_in:] = rng.standard_normal(w["Wout"][:, model.n_in:].shape)
    return theta[model.free_indices()]


def exact_dead_margin(model: DenseNEst, t: np.ndarray, X: np.ndarray) -> Fraction:
    """``-max`` pre-activation over samples, units and blocks, exactly (Fractions), with
    every earlier block's output exactly 0 (checked by the sign of its pre-activation)."""
    lay = model.resnest.layout
    w = lay.views(model.full_theta(t))
    worst: Fraction | None = None
    for row in X:
        x = [Fraction(float(v)) for v in row] + [Fraction(0)] * sum(model.block_widths)
        for i in range(1, lay.n_blocks + 1):
            U, b = w[f"U{i}"], w[f"b{i}"]
            for k in range(U.shape[0]):
                z = sum((Fraction(float(U[k, m])) * x[m] for m in range(len(x))),
                        Fraction(0)) + Fraction(float(b[k]))
                worst = z if worst is None else max(worst, z)
    if worst is None:
        raise ValueError("no pre-activation: the DenseNEst has no unit or no sample")
    return -worst


def projected_search(model: DenseNEst, objective: Any, X: np.ndarray, Y: np.ndarray,
                     loss: str, budget: Budget) -> Any:
    """(PD) by variable projection of ``W_{L+1}`` over the concatenation ``[x; v_1; ...;
    v_L]`` (:func:`~resproof.problems.output_projection.projected_minimum`, at most
    ``max_iterations // 5`` iterations): the fallback of the trust-region search."""
    n = model.n_params
    out = np.arange(n - model.n_out * (model.n_in + sum(model.block_widths)), n)
    resnest = model.resnest

    def features(t: np.ndarray) -> np.ndarray:
        return streams(resnest, model.full_theta(t), X)[-1]

    def search(t0: np.ndarray) -> Any:
        return projected_minimum(objective, out, features, Y, loss, t0,
                                 max_iterations=max(1, budget.max_iterations // 5))

    return search


class Proposition3(Claim):
    id = "densenest.prop3"
    title = "DenseNEsts: every local minimum of (PD) is no worse than the best linear predictor"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2 (loss differentiable and convex in yhat), every local minimum of (PD) "
                 "is <= R_lin = min_T (1/N) sum_n l(T x_n, y_n); no width condition.")
    controls = (Control("input-dropped", "x removed from the final concatenation (all-dead ReLU "
                                         "blocks): local minimum <= R_lin asserted anyway"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        d = draw_dense(rng, None)
        if control == "input-dropped":
            d["activation"] = "relu"
            d["loss"] = ("squared", "pseudo_huber", "logistic")[int(rng.integers(3))]
            d["n_out"] = 1
        return self.check(d, control, budget)

    def check(self, d: dict[str, Any], control: str | None, budget: Budget) -> TrialResult:
        widths = (d["bottleneck"],) * d["blocks"]
        rng = np.random.default_rng(d["seed"])
        X = rng.standard_normal((d["samples"], d["n_in"]))
        Y = targets(rng, X, d["n_out"], d["loss"])
        evidence: dict[str, Any] = {"dense": d}
        assumptions = [a2(d["loss"])]
        if not assumptions[0].met:
            return decide(None, assumptions=assumptions, evidence=evidence)
        log = SearchLog()
        try:
            T, r_lin = optimum(X, Y, d["loss"], gtol=GTOL)
        except SearchFailed as exc:
            log_failed_solve(log, "R_lin convex solve", exc)
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        evidence["R_lin"] = r_lin
        if control == "input-dropped":
            return self._dropped(d, widths, X, Y, T, r_lin, rng, assumptions, evidence)
        model = DenseNEst(d["n_in"], d["n_out"], widths, d["activation"])
        t0 = rng.standard_normal(model.n_params) * 0.7
        objective = model.objective(X, Y, d["loss"])
        point = logged_minimum(log, "(PD) from the drawn weights", objective, t0,
                               max_iterations=budget.max_iterations,
                               fallback=projected_search(model, objective, X, Y, d["loss"],
                                                         budget))
        scale = relative(point.loss, r_lin)
        evidence.update(risk=point.loss, point=point_evidence(point))
        if not minimum_like(point):
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        margin = usable_margin((r_lin - point.loss) / scale + RISK_TOL, point)
        return decide(margin, assumptions=assumptions, searches=log, evidence=evidence)

    def _dropped(self, d, widths, X, Y, T, r_lin, rng, assumptions, evidence) -> TrialResult:
        model = InputDroppedDenseNEst(d["n_in"], d["n_out"], widths, "relu")
        t = dead_start(model, X, rng)
        theta = model.full_theta(t)
        w_in = float(np.linalg.norm(model.resnest.layout.views(theta)["Wout"][:, :d["n_in"]]))
        dropped = Assumption("x in the final concatenation", w_in, w_in,
                             "||W_{L+1}[:, :N_in]|| of the realisation (0: x dropped)")
        delta = exact_dead_margin(model, t, X)
        risk = model.objective(X, Y, d["loss"]).loss(t)
        scale = relative(risk, r_lin)
        evidence.update(risk=risk, dead_margin=float(delta),
                        local_minimum="loss constant within delta / max ||[x; 1]|| "
                                      "(every ReLU unit dead)")
        if delta <= 0:
            return decide(None, assumptions=assumptions, broken=[dropped], evidence=evidence)
        with mpmath.workdps(50):
            ys = [[mpmath.mpf(float(v)) for v in y] for y in Y]
            zero = [mpmath.mpf(0)] * d["n_out"]
            r_mp = mpmath.fsum(mp_sample_loss(d["loss"], zero, y) for y in ys) / len(ys)
            lin_upper = mpmath.fsum(mp_sample_loss(
                d["loss"], [mpmath.fsum(mpmath.mpf(float(T[o, j])) * mpmath.mpf(float(x[j]))
                                        for j in range(d["n_in"])) for o in range(d["n_out"])],
                y) for x, y in zip(X, ys, strict=True)) / len(ys)
            gap = r_mp - lin_upper
            bound = mpmath.mpf(10) ** -40
        evidence["certificate"] = {"R": float(r_mp), "R_lin_upper_bound": float(lin_upper),
                                   "gap_lower_bound": float(gap - bound), "dps": 50,
                                   "dead_margin_exact": str(delta)}
        return decide((r_lin - risk) / scale + RISK_TOL, assumptions=assumptions,
                      broken=[dropped], certified=bool(gap > bound), evidence=evidence)


CLAIMS = [Proposition3()]
