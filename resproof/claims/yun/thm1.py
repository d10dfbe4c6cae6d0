"""``yun.thm1``: deep ResNets, critical points beat linear predictors or are strict saddles.

Model (seed 003): ``h_1 = x + V_1 phi_1(x)``, ``h_l = h_{l-1} + V_l phi_l(U_l h_{l-1})``,
``f = w^T h_L``, realised by :class:`~resproof.nn.yun.YunResNet` with one-layer
``phi_1(x) = s(U_1 x)`` (``U_1`` is the parameter ``z`` of ``phi_1``) and
``phi_l = s`` for ``l >= 2`` (``U_l`` the paper's), or by
:class:`~resproof.nn.models.YunTwoLayerResNet` with two-layer ``phi_l(u) = s(A_l s(u))``
(``A_l`` part of ``z``), ``s`` in {tanh, softplus} (C2);
losses squared, logistic, pseudo-Huber (twice differentiable, convex).

Statement: at a critical point ``theta*`` where (1) ``E[l'' h_L h_L^T]`` is full rank
and (2) ``col([U_2^T ... U_L^T]) != R^{d_x}``, ``R(theta*) <= R_lin`` or
``lambda_min(nabla^2 R(theta*)) < 0``.

One trial (:func:`~resproof.claims.yun._critical.draw_spec`) checks every critical
point it establishes:

* constructed: ``w = 0`` on targets with ``E[l'(0; y) h_L] = 0`` (then ``dR/dw = 0``
  and every other block's gradient carries the factor ``w``), with ``U, V`` random;
  and, for tanh, ``U_l = 0, V_l = 0, w = t*`` on the drawn data (critical, ``R = R_lin``);
* searched (on the drawn data): trust-region Newton minimisation from a random
  start, Newton on the gradient norm from random and rank-deficient starts
  (``w = 0``, ``U_l = 0`` for ``l >= 2``).

At each converged point both conditions are measured; where both hold the
conclusion's margin is ``max(RISK_TOL - (R - R_lin)/max(1, |R_lin|),
(-lambda_min - tau) / s)`` (``tau`` the zero threshold, ``s = max |lambda|``).

``:drop-curvature`` asserts ``R <= R_lin`` at every critical point; at the
constructed saddle (squared loss) the measured risk exceeds ``R_lin``, re-checked
at 50 digits (criticality by Newton-Kantorovich and the gap's lower bound > 0).

The extension ``yun.thm1-no-coverage`` drops condition (1) (resproof's reading,
expected to hold): instances with a dead input coordinate, where ``h_L`` misses a
direction at the constructed points.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ...landscape.certify import Certificate, certify_critical_point
from ...problems.augmented import augmented_optimum_mp
from ...problems.linear import optimum
from ...problems.yun_mp import YunHighPrecision, linear_risk_upper_mp
from ...profiles import Budget
from ...results import CriticalPoint, TrialResult
from ..base import Assumption, Claim, Control, SearchLog, decide
from . import _critical as c

#: The control's instance: squared loss, two blocks, few samples (50-digit jets are O(P^2)).
CONTROL_D_X, CONTROL_WIDTHS, CONTROL_SAMPLES, CONTROL_LOSS = 2, (1, 1), 8, "squared"


def _point_row(point: CriticalPoint, label: str, r_lin: float, lam: float, tau: float,
               scale: float, conditions: list[Assumption]) -> dict[str, Any]:
    gap = c.risk_gap(point.loss, r_lin)
    return {"point": label, "kind": point.kind.value, "risk": point.loss, "R_lin": r_lin,
            "gap": gap, "lambda_min": lam, "zero_tolerance": tau, "scale": scale,
            "conditions": [a.to_json() for a in conditions],
            "margin": max(c.RISK_TOL - gap, (-lam - tau) / scale if scale > 0 else -np.inf),
            "theta": point.theta.tolist()}


class Theorem1(Claim):
    id = "yun.thm1"
    title = "Deep ResNet: a critical point beats linear predictors or is a strict saddle"
    source = "003_b91220a50cbb67a9.txt"
    statement = ("At any twice-differentiable critical point theta* of R where (1) "
                 "E[l''(f(x); y) h_L h_L^T] is full rank and (2) col([U_2^T ... U_L^T]) != "
                 "R^{d_x}: R(theta*) <= R_lin or lambda_min(Hessian of R at theta*) < 0.")
    controls = (
        Control("drop-curvature", "the strict-saddle alternative dropped: every critical "
                                  "point asserted to have R <= R_lin"),
    )
    space = c.THM1_SPACE
    needs_coverage = True

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        with c.small_blas():
            return self._trial(seed, control, budget)

    def _trial(self, seed: np.random.SeedSequence, control: str | None,
               budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "drop-curvature":
            spec = c.Spec(CONTROL_D_X, CONTROL_WIDTHS, CONTROL_SAMPLES,
                          activation=str(rng.choice(c.ACTIVATIONS)), loss=CONTROL_LOSS,
                          seed=int(rng.integers(2**31)))
            return self.drop_curvature(spec)
        return self.check(c.draw_spec(rng, self.space), budget)

    # ------------------------------------------------------------------ the claim

    def check(self, spec: c.Spec, budget: Budget) -> TrialResult:
        """Decide one instance: every established critical point against the conclusion."""
        rng = np.random.default_rng(spec.seed)
        model = spec.model
        log = SearchLog()
        rows: list[dict[str, Any]] = []
        problems: list[tuple[str, np.ndarray, np.ndarray,
                             list[tuple[str, np.ndarray, str | None]]]] = []
        theta, X, y = self._constructed(spec, model, rng)
        problems.append(("constructed w = 0", X, y, [("constructed", theta, None)]))
        if spec.searched:
            Xd, yd = c.draw_data(spec, rng)
            # one minimisation (their paths mostly leave to infinity: the risk's infimum
            # is not attained), Newton on ||g|| from every random start
            starts: list[tuple[str, np.ndarray, str | None]] = [
                ("minimum from random start 0", self._start(model, rng), "minimum")]
            for r in range(budget.restarts):
                starts.append((f"critical point from random start {r}",
                               self._start(model, rng), "critical"))
            starts.append(("critical point from rank-deficient start",
                           self._start(model, rng, deficient=True), "critical"))
            r_lin_d = c.linear_risk(Xd, yd, spec.loss)
            if r_lin_d is not None:
                embedding = c.linear_embedding(model, Xd, yd, spec.loss)
                if embedding is not None:
                    starts.insert(0, (c.embedding_label(model), embedding, None))
            problems.append(("drawn data", Xd, yd, starts))
        evidence: dict[str, Any] = {"spec": spec.to_json(), "n_params": model.n_params}
        if spec.searched:
            evidence["drawn_data"] = c.data_note(spec, Xd, yd)
        for name, X_, y_, plan in problems:
            r_lin = c.linear_risk(X_, y_, spec.loss)
            if r_lin is None:
                evidence.setdefault("R_lin_failed", []).append(name)
                continue
            obj = model.objective(X_, y_, spec.loss, loss_param=c.loss_param(spec.loss))
            for label, start, kind in plan:
                point: CriticalPoint | None
                if kind is None:
                    point = c.constructed_point(obj, model, start, log, label)
                else:
                    point = c.searched_point(obj, model, start, kind, budget, log, label, rng)
                if point is None or not point.converged or point.kind.value == "not_critical":
                    continue
                conditions = self._conditions(model, point.theta, X_, y_, spec.loss)
                lam, tau = c.curvature(obj, point)
                scale = max(abs(point.lambda_min), abs(point.lambda_max))
                rows.append(_point_row(point, f"{name}: {label}", r_lin, lam, tau, scale,
                                       conditions))
        return self._decide(rows, log, evidence)

    def _conditions(self, model: c.YunModel, theta: np.ndarray, X: np.ndarray,
                    y: np.ndarray, loss: str) -> list[Assumption]:
        out = [c.room(model, theta)]
        if self.needs_coverage:
            out.insert(0, c.coverage(model, theta, X, y, loss))
        return out

    def _decide(self, rows: list[dict[str, Any]], log: SearchLog,
                evidence: dict[str, Any]) -> TrialResult:
        met = [r for r in rows if all(a["met"] for a in r["conditions"])]
        evidence.update(points_checked=len(rows), points_meeting_conditions=len(met),
                        points=[{k: v for k, v in r.items() if k != "theta"} for r in rows])
        if not met:
            if rows:  # the conditions were measured and missed everywhere
                worst = min(rows, key=lambda r: min(a["margin"] for a in r["conditions"]))
                missed = [_assumption(a) for a in worst["conditions"]]
                return decide(None, assumptions=missed, searches=log, evidence=evidence)
            return decide(None, searches=log, evidence=evidence)
        worst = min(met, key=lambda r: r["margin"])
        evidence["worst"] = worst
        return decide(worst["margin"], assumptions=[_assumption(a) for a in worst["conditions"]],
                      searches=log, certified=False if worst["margin"] < 0 else None,
                      evidence=evidence)

    def _constructed(self, spec: c.Spec, model: c.YunModel, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``w = 0``, ``U, V`` random (last row of every ``V_l`` zero with a dead
        coordinate), targets with ``E[l'(0; y) h_L] = 0``."""
        X, _ = c.draw_data(spec, rng)
        theta = rng.standard_normal(model.n_params) * c.START_SCALE * 2
        views = model.split(theta)
        views["Wout"][...] = 0.0
        if spec.dead_coordinate:
            for i in range(1, model.depth + 1):
                views[f"W{i}"][-1, :] = 0.0
        theta = model._from_views(views)
        y = c.zero_w_targets(spec, X, c.features(model, theta, X), rng)
        return theta, X, y

    def _start(self, model: c.YunModel, rng: np.random.Generator,
               deficient: bool = False) -> np.ndarray:
        theta = rng.standard_normal(model.n_params) * c.START_SCALE
        if deficient:
            views = model.split(theta)
            views["Wout"][...] = 0.0
            for i in range(2, model.depth + 1):
                views[f"U{i}"][...] = 0.0
            theta = model._from_views(views)
        return theta

    # ------------------------------------------------------------------ the control

    def drop_curvature(self, spec: c.Spec) -> TrialResult:
        """The constructed ``w = 0`` point, decided by its measured risk, gradient and
        curvature: critical, a strict saddle (the dropped alternative, measured broken)
        with ``R > R_lin`` (refutes "every critical point has R <= R_lin")."""
        rng = np.random.default_rng(spec.seed)
        model = spec.model
        theta, X, y = self._constructed(spec, model, rng)
        obj = model.objective(X, y, spec.loss)
        log = SearchLog()
        point = c.constructed_point(obj, model, theta, log, "constructed w = 0")
        r_lin = c.linear_risk(X, y, spec.loss)
        lam, tau = c.curvature(obj, point)
        scale = max(abs(point.lambda_min), abs(point.lambda_max), 1e-300)
        saddle = Assumption("lambda_min >= 0 (the dropped alternative)", (lam + tau) / scale,
                            lam, "lambda_min of the full Hessian, zero threshold tau")
        conditions = self._conditions(model, theta, X, y, spec.loss)
        if r_lin is None:
            return decide(None, assumptions=conditions, broken=[saddle], searches=log,
                          evidence={"spec": spec.to_json(), "R_lin_failed": "the convex "
                                    "solve for R_lin did not converge"})
        gap = c.risk_gap(point.loss, r_lin)
        evidence: dict[str, Any] = {
            "spec": spec.to_json(), "construction": "w = 0, targets with E[l'(0;y) h_L] = 0",
            "risk": point.loss, "R_lin": r_lin, "gap": gap, "kind": point.kind.value,
            "relative_grad_norm": point.relative_grad_norm, "lambda_min": lam,
            "conditions": [a.to_json() for a in conditions], "theta": theta.tolist()}
        margin = None if not point.converged else c.RISK_TOL - gap
        certified = None
        if margin is not None and margin < 0 and not saddle.met:
            cert = certify_gap(model, X, y, theta, spec.loss)
            evidence["certificate"] = cert.to_json()
            certified = bool(cert.certified and cert.margin > cert.error_bound)
        return decide(margin, assumptions=conditions, broken=[saddle], searches=log,
                      certified=certified, evidence=evidence)


def certify_gap(model: c.YunModel, X: np.ndarray, y: np.ndarray,
                theta: np.ndarray, loss: str = "squared", dps: int = 50) -> Certificate:
    """50-digit re-check of ``R(theta*) - R_lin > 0``: a critical point ``theta*`` within
    the Kantorovich radius of ``theta`` (the model's risk in mpmath,
    :class:`~resproof.problems.yun_mp.YunHighPrecision`) and ``R(theta*) - B`` there with
    its error bound, ``B >= R_lin``: the exact least-squares optimum for the squared loss,
    otherwise the 50-digit risk of the float linear minimiser ``t`` (any feasible linear
    predictor's risk bounds the infimum above).  One-sided: certified only if the lower
    bound ``margin - error > 0`` (checked by the caller)."""
    param = c.loss_param(loss)
    mp_param = 1.0 if param is None else param
    hp = YunHighPrecision(model, X, y, loss, mp_param)
    if loss == "squared":
        with mpmath.workdps(dps):
            best = augmented_optimum_mp([X], y[:, None], dps)
    else:
        t = optimum(X, y[:, None], loss, param)[0]
        best = linear_risk_upper_mp(X, y, t, loss, mp_param, dps)
    return certify_critical_point(hp, theta, lambda v: hp.mp_loss(v) - best, 0, dps=dps)


def _assumption(data: dict[str, Any]) -> Assumption:
    return Assumption(data["name"], data["margin"], data["value"], data["detail"])


class Theorem1NoCoverage(Theorem1):
    id = "yun.thm1-no-coverage"
    title = "Extension (resproof): Theorem 1 without the coverage condition (1)"
    statement = ("resproof's extension, not the paper's claim: at any critical point with "
                 "col([U_2^T ... U_L^T]) != R^{d_x} (condition (1) on E[l'' h_L h_L^T] "
                 "dropped), R(theta*) <= R_lin or lambda_min(Hessian) < 0.")
    reading = "condition (1) dropped; expected to hold (resproof's extension)"
    extension = True
    controls = (
        Control("drop-curvature", "the strict-saddle alternative dropped: every critical "
                                  "point with condition (2) asserted to have R <= R_lin"),
    )
    space = c.NO_COVERAGE_SPACE
    needs_coverage = False


CLAIMS = [Theorem1(), Theorem1NoCoverage()]
