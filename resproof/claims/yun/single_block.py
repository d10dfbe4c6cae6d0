"""``yun.single-block`` (Yun, Sra & Jadbabaie, ``L = 1``; Shamir's setting).

For ``f(x) = w^T (x + V s(U x))`` with a twice-differentiable convex loss (squared,
logistic, pseudo-Huber) and a C2 activation (tanh, softplus): every critical point
with ``w != 0`` has ``R <= R_lin`` and every local minimum has ``R <= R_lin``,
``R_lin = inf_t E l(t^T x; y)`` (no bias).

One trial draws an instance from :data:`~resproof.claims.yun._critical.SINGLE_SPACE`
(logistic labels redrawn while separable, measured by an LP: ``R_lin`` attained).  It
checks the constructed critical point of :func:`~resproof.claims.yun._critical.linear_embedding`
(tanh: ``U = 0, V = 0, w = t*``, ``R = R_lin``, the tie; softplus: ``U = 0``, ``w = t``,
``V`` realising the affine minimiser's offset, ``R = R_aff <= R_lin``; both ``w != 0``,
criticality measured) and runs, from random starts, trust-region Newton minimisation
and Newton on the gradient norm, every attempt recorded in a
:class:`~resproof.claims.base.SearchLog`
(:func:`~resproof.claims.yun._critical.searched_point`: iteration budgets that scale
with progress, fresh starts after a stagnated attempt, a minimisation's end polished
by Newton on the gradient norm; the last attempt is the needed one).  Compared with
``R_lin``: every converged critical point with ``w != 0`` (any kind, ``DEGENERATE``
included: it is a critical point) and every *confirmed* minimum (``DEGENERATE`` is not
one).  The ``(d_x - 1) k`` zero modes of ``V -> V + n c^T`` (``w^T n = 0``) are expected.
A refutation would be re-checked at 50 digits (:func:`~resproof.claims.yun.thm1.certify_gap`).

Controls keep their constructions, under a loss drawn from squared, logistic and
pseudo-Huber; each is decided from the model's own measured risk, gradient and
curvature at the point, after measuring the dropped assumption broken:

* ``:w-zero`` -- ``w = 0`` on targets with ``E[l'(0; y) h] = 0`` (squared: the residual
  of ``y`` on ``h(x)``; otherwise ``l'(0; y_n) = u_n``, ``u`` orthogonal to the columns
  of ``h``); measured: ``||w|| = 0``, the gradient below tolerance, ``R - R_lin > 0``;
  certified at 50 digits (a critical point by Newton-Kantorovich; ``R`` there minus an
  upper bound of ``R_lin`` -- exact least squares, or the 50-digit risk of a feasible
  linear predictor -- bounded below ``> 0``), the negative curvature certified too.
* ``:no-skip`` -- ``f(x) = w^T V relu(U x)``, ``x > 0``, ``U < 0``: measured: the skip
  path absent (``f`` with ``V = 0`` is 0), every ReLU dead with a margin (then ``R`` is
  constant on a neighbourhood: a local minimum, though its Hessian is 0 and the
  second-order test only says ``DEGENERATE``), the measured gradient 0 and
  ``R - R_lin > 0``; certified from exact predictions and dead margin (rationals), ``R``
  exactly (squared) or at 50 digits, ``R_lin`` exactly or bounded above at 50 digits.

:meth:`SingleBlock.instance` and :meth:`SingleBlock.landscape` give reports the trial's
instance and deciding point.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ...errors import SearchFailed
from ...landscape.certify import certify_negative_curvature
from ...landscape.points import make_point
from ...nn.yun import YunResNet
from ...problems.linear import optimum
from ...problems.yun_mp import YunHighPrecision, linear_risk_upper_mp, risk_of_predictions_mp
from ...profiles import Budget
from ...results import PointKind, StopReason, TrialResult
from ..base import (
    Assumption,
    Claim,
    Control,
    InstanceData,
    Landscape,
    SearchLog,
    confirmed_minimum,
    decide,
)
from . import _critical as c
from .thm1 import certify_gap

#: Scale of ``w`` (times the start scale) in the extra critical-point searches.
W_HEAVY = 4.0
#: The controls' instance sizes (``d_x``, hidden width, samples).
CONTROL_SIZES = (2, 2, 8)


def exact_linear_risk(X: np.ndarray, y: np.ndarray) -> Fraction:
    """``R_lin`` (squared loss) in exact rationals (normal equations over QQ)."""
    import sympy

    A = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in row] for row in X])
    b = sympy.Matrix([sympy.Rational(Fraction(float(v))) for v in y])
    t = (A.T * A).LUsolve(A.T * b)
    r = A * t - b
    value = (r.T * r)[0] / (2 * len(y))
    return Fraction(int(value.p), int(value.q))


def exact_no_skip_predictions(model: YunResNet, theta: np.ndarray, X: np.ndarray
                              ) -> tuple[list[Fraction], Fraction]:
    """``([f(x_n)], min_n min_j -(U x_n)_j)`` of ``f = w^T V relu(U x)`` in exact rationals
    (the float parameters and data taken as exact)."""
    views = model.split(theta)
    U = [[Fraction(float(v)) for v in row] for row in views["U1"]]
    V = [[Fraction(float(v)) for v in row] for row in views["W1"]]
    w = [Fraction(float(v)) for v in views["Wout"][0]]
    preds: list[Fraction] = []
    margins: list[Fraction] = []
    for x in X:
        xs = [Fraction(float(v)) for v in x]
        z = [sum((u * v for u, v in zip(row, xs, strict=True)), Fraction(0)) for row in U]
        margins += [-v for v in z]
        s = [max(v, Fraction(0)) for v in z]
        h = [sum((a * b for a, b in zip(row, s, strict=True)), Fraction(0)) for row in V]
        preds.append(sum((a * b for a, b in zip(w, h, strict=True)), Fraction(0)))
    return preds, min(margins)


def _start(rng: np.random.Generator, model: c.YunModel, w_scale: float) -> np.ndarray:
    """A random start ``N(0, START_SCALE^2)``, its ``w`` part times ``w_scale``."""
    start = rng.standard_normal(model.n_params) * c.START_SCALE
    start[-model.d_x:] *= w_scale
    return start


def control_args(seed: np.random.SeedSequence, control: str) -> dict[str, Any]:
    """The arguments a control's trial draws from its seed: the instance seed, the loss
    and (``w-zero``) the activation."""
    rng = np.random.default_rng(seed)
    if control == "w-zero":
        return {"seed": int(rng.integers(2**31)), "activation": str(rng.choice(c.ACTIVATIONS)),
                "loss": str(rng.choice(c.LOSSES))}
    return {"seed": int(rng.integers(2**31)), "loss": str(rng.choice(c.LOSSES))}


Construction = tuple[c.Spec, YunResNet, np.ndarray, np.ndarray, np.ndarray]


def w_zero_instance(seed: int, activation: str = "tanh", w_norm: float = 0.0,
                    loss: str = "squared") -> Construction:
    """``(spec, model, X, y, theta)`` of the ``:w-zero`` control: ``U, V`` random, ``w = 0``
    (``w_1 = w_norm``), targets making ``w = 0`` critical (see :meth:`SingleBlock.w_zero`)."""
    d, k, n = CONTROL_SIZES
    spec = c.Spec(d, (k,), n, activation, loss, seed)
    rng = np.random.default_rng(seed)
    model = YunResNet(d, (k,), activation)
    X, y0 = c.draw_data(spec, rng)
    theta = rng.standard_normal(model.n_params)
    views = model.split(theta)
    views["Wout"][...] = 0.0
    views["Wout"][0, 0] = w_norm
    theta = model._from_views(views)
    h = c.features(model, theta, X)
    if loss == "squared":
        beta, *_ = np.linalg.lstsq(h, y0, rcond=None)
        return spec, model, X, y0 - h @ beta, theta  # E[y h] = 0: w = 0 is critical
    y = c.zero_w_targets(spec, X, h, rng)
    for _ in range(c.SEPARABLE_REDRAWS):  # logistic: R_lin's infimum attained
        if loss != "logistic" or c.separation(X, y) <= c.SEPARATION_TOL:
            break
        y = c.zero_w_targets(spec, X, h, rng)
    return spec, model, X, y, theta


def no_skip_instance(seed: int, skip: bool = False, dead: bool = True,
                     loss: str = "squared") -> Construction:
    """``(spec, model, X, y, theta)`` of the ``:no-skip`` control: ``x > 0``, ``U < 0``
    (``U > 0`` when not ``dead``), ``f = w^T V relu(U x)`` (the skip kept with ``skip``)."""
    d, k, n = CONTROL_SIZES
    rng = np.random.default_rng(seed)
    spec = c.Spec(d, (k,), n, "tanh", loss, seed)
    X, y = c.draw_data(spec, rng)
    X = np.abs(X) + 0.1
    if loss == "logistic" and c.separation(X, y) > c.SEPARATION_TOL:
        y = c.nonseparable_labels(X, y, rng)  # x > 0 made the labels separable
    model = YunResNet(d, (k,), "relu", skip=skip)
    theta = rng.standard_normal(model.n_params)
    views = model.split(theta)
    # U < 0 and x > 0: every ReLU dead
    views["U1"][...] = (-1 if dead else 1) * (np.abs(views["U1"]) + 0.1)
    return spec, model, X, y, model._from_views(views)


def instance_data(model: c.YunModel, loss: str, X: np.ndarray, y: np.ndarray,
                  theta: np.ndarray | None, spec: dict[str, Any]) -> InstanceData:
    """A single-block instance as plain data (numpy alone rebuilds it)."""
    shapes = model.split(np.zeros(model.n_params))
    described = {"X": "inputs, one sample per row (N, d_x)", "Y": "targets (N,)"}
    arrays = {"X": np.asarray(X, dtype=np.float64), "Y": np.asarray(y, dtype=np.float64)}
    if theta is not None:
        described["theta"] = "the control's constructed point (flat, theta_layout order)"
        arrays["theta"] = np.asarray(theta, dtype=np.float64)
    losses = {"squared": "(f - y)^2 / 2", "logistic": "log(1 + exp(-y f))",
              "pseudo_huber": f"d^2 (sqrt(1 + ((f - y)/d)^2) - 1), d = {c.HUBER_DELTA}"}
    return InstanceData({
        "family": "yun-single-block",
        "equations": "f(x) = w^T (x + V s(U x)) (f = w^T V s(U x) when skip is false)",
        "activation": model.activation, "skip": bool(model.skip),
        "loss": f"{loss}: R = (1/N) sum_n l(f(x_n); y_n), l = {losses[loss]}",
        "sizes": {"d_x": model.d_x, "hidden": list(model.hidden), "N": int(X.shape[0])},
        "spec": spec,
        "theta_layout": [[name, list(v.shape)] for name, v in shapes.items()],
        "theta_order": "U1 (= U), W1 (= V), Wout (= w^T), each matrix flattened row-major",
        "arrays": described}, arrays)


class SingleBlock(Claim):
    id = "yun.single-block"
    title = "Single-block ResNet: critical points with w != 0 and local minima beat linear"
    source = "003_b91220a50cbb67a9.txt"
    statement = ("For f(x) = w^T (x + V s(U x)), s in {tanh, softplus}, a twice-differentiable "
                 "convex loss (squared, logistic, pseudo-Huber): every critical point with "
                 "w != 0 has R <= R_lin, and every local minimum has R <= R_lin.")
    controls = (
        Control("w-zero", "the w != 0 requirement dropped: every critical point asserted to "
                          "have R <= R_lin"),
        Control("no-skip", "skip removed (f = w^T V relu(U x), dead ReLU features): every "
                           "local minimum asserted to have R <= R_lin"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        with c.small_blas():
            return self._trial(seed, control, budget)

    def _trial(self, seed: np.random.SeedSequence, control: str | None,
               budget: Budget) -> TrialResult:
        if control == "w-zero":
            return self.w_zero(**control_args(seed, control))
        if control == "no-skip":
            return self.no_skip(**control_args(seed, control))
        return self.check(c.draw_spec(np.random.default_rng(seed), c.SINGLE_SPACE), budget)

    # ------------------------------------------------------------------ report hooks

    def instance(self, seed: np.random.SeedSequence, control: str | None) -> InstanceData:
        """The instance trial ``seed`` draws (data and, for a control, its constructed
        point), as plain data."""
        if control is None:
            spec = c.draw_spec(np.random.default_rng(seed), c.SINGLE_SPACE)
            X, y = c.draw_data(spec, np.random.default_rng(spec.seed))
            return instance_data(spec.model, spec.loss, X, y, None, spec.to_json())
        args = control_args(seed, control)
        if control == "w-zero":
            spec, model, X, y, theta = w_zero_instance(**args)
        else:
            spec, model, X, y, theta = no_skip_instance(**args)
        return instance_data(model, args["loss"], X, y, theta, spec.to_json())

    def landscape(self, seed: np.random.SeedSequence, control: str | None,
                  budget: Budget) -> Landscape:
        """The risk and the trial's deciding point: a control's constructed point, or the
        claim's worst compared point (the trial rerun)."""
        if control is not None:
            args = control_args(seed, control)
            build = w_zero_instance if control == "w-zero" else no_skip_instance
            _, model, X, y, theta = build(**args)
            obj = model.objective(X, y, args["loss"], loss_param=c.loss_param(args["loss"]))
            what = ("w = 0 (critical, strict saddle)" if control == "w-zero"
                    else "the dead-ReLU point of w^T V relu(U x)")
            return Landscape(obj, theta, f"R - R_lin at {what}")
        spec = c.draw_spec(np.random.default_rng(seed), c.SINGLE_SPACE)
        with c.small_blas():
            result = self.check(spec, budget)
        worst = result.evidence.get("worst")
        if worst is None:
            raise SearchFailed(f"trial decided {result.verdict.value} without a compared point")
        X, y = c.draw_data(spec, np.random.default_rng(spec.seed))
        risk = spec.model.objective(X, y, spec.loss, loss_param=c.loss_param(spec.loss))
        return Landscape(risk, np.asarray(worst["theta"]),
                         f"R - R_lin at the worst compared point ({worst['compared_as']})")

    def check(self, spec: c.Spec, budget: Budget) -> TrialResult:
        """Every search's converged critical point with ``w != 0`` and every confirmed
        minimum against ``R_lin``."""
        rng = np.random.default_rng(spec.seed)
        model = spec.model
        X, y = c.draw_data(spec, rng)
        r_lin = c.linear_risk(X, y, spec.loss)
        log = SearchLog()
        evidence: dict[str, Any] = {"spec": spec.to_json(), "R_lin": r_lin,
                                    "n_params": model.n_params,
                                    "data": c.data_note(spec, X, y)}
        if r_lin is None:
            evidence["R_lin_failed"] = "the convex solve for R_lin did not converge"
            return decide(None, searches=log, evidence=evidence)
        obj = model.objective(X, y, spec.loss, loss_param=c.loss_param(spec.loss))
        rows: list[dict[str, Any]] = []
        embedding = c.linear_embedding(model, X, y, spec.loss)
        if embedding is not None:
            point = c.constructed_point(obj, model, embedding, log, c.embedding_label(model))
            if point.converged:
                rows.append(self._row(model, point, "constructed linear embedding", r_lin))
        plan = [(f"{kind} from random start {r}", kind, 1.0)
                for r in range(budget.restarts) for kind in ("minimum", "critical")]
        # when no point fell in scope (minimisations diverge, Newton on ||g|| finds the
        # w = 0 saddles), more critical-point searches from starts with a larger w
        extra = [(f"critical from a large-w start {r}", "critical", W_HEAVY)
                 for r in range(budget.restarts)]
        while plan:
            label, kind, w_scale = plan.pop(0)
            draw = functools.partial(_start, rng, model, w_scale)
            found = c.searched_point(obj, model, draw(), kind, budget, log, label, rng, draw)
            if found is not None and found.converged and found.kind is not PointKind.NOT_CRITICAL:
                rows.append(self._row(model, found, label, r_lin))
            if not plan and extra and not any(row["margin"] is not None for row in rows):
                plan, extra = extra, []
        compared = [row for row in rows if row["margin"] is not None]
        evidence.update(points_checked=len(compared), points_found=len(rows),
                        points=[{k: v for k, v in row.items() if k != "theta"} for row in rows])
        if not compared:
            return decide(None, searches=log, evidence=evidence)
        worst = min(compared, key=lambda row: row["margin"])
        evidence["worst"] = worst
        certified = None
        if worst["margin"] < 0:
            cert = certify_gap(model, X, y, np.array(worst["theta"]), spec.loss)
            evidence["certificate"] = cert.to_json()
            certified = bool(cert.certified and cert.margin > cert.error_bound)
        return decide(worst["margin"], searches=log, certified=certified, evidence=evidence)

    @staticmethod
    def _row(model: c.YunModel, point: Any, label: str, r_lin: float) -> dict[str, Any]:
        """A converged critical point: in scope as ``w != 0`` or as a confirmed minimum."""
        w_nonzero = c.w_zero_margin(model, point.theta)
        part = ("critical point with w != 0" if w_nonzero.met else
                "local minimum" if confirmed_minimum(point) else None)
        gap = c.risk_gap(point.loss, r_lin)
        return {"search": label, "kind": point.kind.value, "compared_as": part,
                "risk": point.loss, "gap": gap, "w_norm": w_nonzero.value,
                "lambda_min": point.lambda_min,
                "margin": None if part is None else c.RISK_TOL - gap,
                "theta": point.theta.tolist()}

    # ------------------------------------------------------------------ controls

    def w_zero(self, seed: int, activation: str = "tanh", w_norm: float = 0.0,
               loss: str = "squared") -> TrialResult:
        """The constructed ``w = 0`` point (``w_norm > 0`` puts ``w`` off zero: the
        dropped assumption then holds and the trial is vacuous).  Squared loss: targets
        replaced by their residual on ``h(x)``; logistic, pseudo-Huber: targets with
        ``l'(0; y_n) = u_n``, ``u`` orthogonal to the columns of ``h``
        (:func:`~resproof.claims.yun._critical.zero_w_targets`); either way
        ``dR/dw = E[l'(0; y) h] = 0``."""
        d, k, n = CONTROL_SIZES
        spec, model, X, y, theta = w_zero_instance(seed, activation, w_norm, loss)
        obj = model.objective(X, y, loss, loss_param=c.loss_param(loss))
        log = SearchLog()
        point = c.constructed_point(obj, model, theta, log, "constructed w = 0")
        r_lin = c.linear_risk(X, y, loss)
        broken = c.w_zero_margin(model, theta)
        evidence: dict[str, Any] = {
            "spec": spec.to_json(), "sizes": {"d_x": d, "hidden": k, "samples": n},
            "loss": loss,
            "construction": ("w = 0, targets = residual of y on h(x) = x + V s(U x)"
                             if loss == "squared" else
                             "w = 0, targets with l'(0; y_n) = u_n, u orthogonal to the "
                             "columns of h(x) = x + V s(U x)"),
            "risk": point.loss, "R_lin": r_lin, "kind": point.kind.value,
            "relative_grad_norm": point.relative_grad_norm, "lambda_min": point.lambda_min,
            "data": c.data_note(spec, X, y), "theta": theta.tolist()}
        if r_lin is None:
            evidence["R_lin_failed"] = "the convex solve for R_lin did not converge"
            return decide(None, broken=[broken], searches=log, evidence=evidence)
        gap = c.risk_gap(point.loss, r_lin)
        evidence["gap"] = gap
        margin = c.RISK_TOL - gap if point.converged else None
        certified = None
        if margin is not None and margin < 0 and not broken.met:
            cert = certify_gap(model, X, y, theta, loss)
            direction = np.linalg.eigh(obj.hessian(theta))[1][:, 0]
            param = c.loss_param(loss)
            hp = YunHighPrecision(model, X, y, loss, 1.0 if param is None else param)
            curv = certify_negative_curvature(hp, theta, direction)
            evidence["certificate"] = cert.to_json()
            evidence["negative_curvature"] = curv.to_json()
            certified = bool(cert.certified and cert.margin > cert.error_bound)
        return decide(margin, broken=[broken], searches=log, certified=certified,
                      evidence=evidence)

    def no_skip(self, seed: int, skip: bool = False, dead: bool = True,
                loss: str = "squared") -> TrialResult:
        """The dead-ReLU point of ``w^T V relu(U x)`` (``skip=True`` keeps the identity
        path, ``dead=False`` makes ``U > 0``: either gives a vacuous trial).

        Re-check: the dead margin and the predictions ``f(x_n)`` (all 0) in exact
        rationals; ``R`` from them, exactly (squared) or at 50 digits (logistic,
        pseudo-Huber); ``R_lin`` exactly (squared) or bounded above by the 50-digit risk
        of the float linear minimiser.  Certified when the gap's lower bound is > 0."""
        d, k, n = CONTROL_SIZES
        spec, model, X, y, theta = no_skip_instance(seed, skip, dead, loss)
        param = c.loss_param(loss)
        obj = model.objective(X, y, loss, loss_param=param)
        # measured: the skip path (f with V = 0 would be w^T x with a skip) is absent
        no_v = model.split(theta)
        no_v["W1"][...] = 0.0
        f_no_v = model.resnest.predict(model.full_theta(model._from_views(no_v)), X)
        skip_ratio = float(np.linalg.norm(f_no_v) / (np.linalg.norm(no_v["Wout"])
                                                      * np.linalg.norm(X)))
        skip_path = Assumption("skip connection", skip_ratio - 1e-12, skip_ratio,
                               "||f(X) with V = 0|| / (||w|| ||X||): the identity path's "
                               "output")
        U = model.split(theta)["U1"]
        dead_value = float(np.min(-(X @ U.T)))
        radius = dead_value / float(np.max(np.linalg.norm(X, axis=1)))
        dead_relus = Assumption("every ReLU dead on the sample (local constancy)",
                                radius / max(1.0, float(np.linalg.norm(U))), dead_value,
                                "min_n min_j -(U x_n)_j / max_n ||x_n||, relative to ||U||: "
                                "R is constant for ||dU||_2 below it and any V, w (a local "
                                "minimum)")
        log = SearchLog()
        point = make_point(obj, theta, StopReason.CONVERGED)
        if point.kind is PointKind.NOT_CRITICAL:
            point = dataclasses_replace_stop(point)
        log.add("constructed dead-ReLU point", point, needed=True)
        r_lin = c.linear_risk(X, y, loss)
        evidence: dict[str, Any] = {
            "sizes": {"d_x": d, "hidden": k, "samples": n}, "loss": loss,
            "construction": "x > 0, U < 0: relu(U x_n) = 0 for every sample",
            "risk": point.loss, "R_lin": r_lin, "kind": point.kind.value,
            "relative_grad_norm": point.relative_grad_norm,
            "data": c.data_note(spec, X, y), "theta": theta.tolist()}
        if r_lin is None:
            evidence["R_lin_failed"] = "the convex solve for R_lin did not converge"
            return decide(None, assumptions=[dead_relus], broken=[skip_path], searches=log,
                          evidence=evidence)
        gap = c.risk_gap(point.loss, r_lin)
        evidence["gap"] = gap
        if not skip:  # the exact evaluation is of the skip-free model only
            recheck = no_skip_recheck(model, theta, X, y, loss)
            evidence["recheck"] = recheck
        margin = c.RISK_TOL - gap if point.converged else None
        certified = None
        if margin is not None and margin < 0:
            certified = bool(not skip and recheck["certified"])
        return decide(margin, assumptions=[dead_relus], broken=[skip_path], searches=log,
                      certified=certified, evidence=evidence)


def no_skip_recheck(model: YunResNet, theta: np.ndarray, X: np.ndarray, y: np.ndarray,
                    loss: str, dps: int = 50) -> dict[str, Any]:
    """The no-skip point re-checked: exact predictions and dead margin, then
    ``R - R_lin`` exactly (squared) or its lower bound ``R - R(t) - error`` at ``dps``
    digits (``R(t) >= R_lin`` for the float linear minimiser ``t``)."""
    preds, exact_dead = exact_no_skip_predictions(model, theta, X)
    if loss == "squared":
        risk = sum(((f - Fraction(float(t))) ** 2 for f, t in zip(preds, y, strict=True)),
                   Fraction(0)) / (2 * len(y))
        exact_gap = risk - exact_linear_risk(X, y)
        return {"method": "exact rationals", "gap_lower_bound": str(exact_gap),
                "exact_dead_margin": str(exact_dead),
                "certified": bool(exact_gap > 0 and exact_dead > 0)}
    param = c.loss_param(loss)
    p = 1.0 if param is None else param
    t = optimum(X, y[:, None], loss, param)[0]
    with mpmath.workdps(dps):
        risk_mp = risk_of_predictions_mp(preds, y, loss, p, dps)
        upper = linear_risk_upper_mp(X, y, t, loss, p, dps)
        error = mpmath.mpf(10) ** (10 - dps) * max(1, abs(risk_mp))
        lower = risk_mp - upper - error
        return {"method": f"exact predictions, risks at {dps} digits; R_lin <= R(t), t the "
                          "float linear minimiser",
                "risk": float(risk_mp), "R_lin_upper": float(upper), "error": float(error),
                "gap_lower_bound": float(lower), "exact_dead_margin": str(exact_dead),
                "certified": bool(lower > 0 and exact_dead > 0)}


def dataclasses_replace_stop(point):
    import dataclasses

    return dataclasses.replace(point, stop_reason=StopReason.STALLED)


CLAIMS = [SingleBlock()]
