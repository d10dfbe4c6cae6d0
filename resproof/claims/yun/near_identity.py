"""``yun.near-identity``: near-identity ResNets have no critical point much worse than linear.

Statement (claims.md, with resproof's reading of ``C``): for blocks
``h_l = h_{l-1} + phi_l(h_{l-1})``, ``phi_l(h) = V_l tanh(U_l h)``, each
``rho_l``-Lipschitz with ``phi_l(0) = 0`` and ``rho_l <= alpha / L``, and a convex
``L_l``-Lipschitz loss (logistic, pseudo-Huber, or softmax cross-entropy on
``f = W h_L`` with 3 outputs, ``||t*||`` then the spectral norm of the row-centred
minimiser), every critical point has ``R <= R_lin + C``,
``C = L_l ||t*|| (e^alpha - 1) E||x||`` (derivation:
:mod:`resproof.problems.near_identity`; ``C`` does not depend on ``L``).

What a trial checks, for every depth ``L`` of the instance on the same data:

* **The constraint, enforced and measured.**  ``||U_l||_F, ||V_l||_F <= r``,
  ``r^2 = (alpha / L)(1 - 1e-8)``, so ``rho_l = ||V_l||_2 ||U_l||_2 <= r^2 < alpha / L``
  (a subset of the budget set, chosen because it is a product of balls).  It is
  kept by the sinc parametrisation of :mod:`resproof.problems.ball_map`, and
  ``rho_l`` (:meth:`~resproof.nn.yun.YunResNet.block_lipschitz`) is measured at every
  point: its margin ``(alpha/L - max rho_l) / (alpha/L)`` is an assumption.
* **Critical points** of the constrained problem = critical points of
  ``R o m``: interior critical points and points of the boundary stationary
  along it (every KKT point among them).  ``w`` is never constrained, so at all
  of them ``dR/dw = 0``, the one fact the bound uses.  Searched by trust-region
  minimisation (needed: a failed one makes the trial inconclusive) and by Newton
  on the gradient norm (exploratory: gradient-flat stops are recorded, not
  counted) from ``restarts`` random starts each.
* **Constructed critical points**: ``w = 0`` with targets for which
  ``E[l'(0; y) h_L] = 0`` (its own ``R_lin`` and ``C``), where the gap
  ``R - R_lin`` is as large as the data allow.

Controls, built exactly (ReLU blocks, dyadic data, targets in the null space of
``[h_L(x_n)]`` exactly: :func:`~resproof.problems.near_identity.null_targets`):

* ``:zero-constant`` (``C = 0``): the ``w = 0`` construction with anchored blocks
  inside the budget; ``R = log 2 > R_lin``.
* ``:no-anchor`` (``phi_l(0) != 0`` allowed, ``YunResNet(bias=True)``): blocks
  ``V_l relu(U_l h + b_l)`` with small ``U_l``, so ``rho_l`` is far inside the budget
  while ``h_L ~ x + sum_l V_l b_l``; ``R - R_lin`` stays of order one while ``C``
  shrinks with ``alpha``.  The anchor is measured broken (``||phi_l(0)|| > 0``).

Both are certified one-sidedly: exact rationals for criticality, the budget and
``phi_l(0)``; mpmath (50 digits) upper bounds of ``R_lin`` and ``||t*||``, so
the certified quantity is a lower bound of ``R - R_lin - C``.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
from threadpoolctl import threadpool_limits

from ...errors import SearchFailed
from ...landscape.minimize import minimize
from ...landscape.points import make_point
from ...landscape.saddles import find_critical_point
from ...nn.activations import ACTIVATIONS
from ...nn.losses import LOSSES
from ...nn.yun import YunResNet
from ...problems import linear
from ...problems.ball_map import BallParametrised
from ...problems.near_identity import (
    MultiOutputYunResNet,
    anchor_values,
    block_groups,
    depth_constant,
    identity_gap_factor,
    last_features,
    linear_norm,
    logistic_minimiser_norm_upper,
    logistic_risk_upper,
    loss_lipschitz,
    near_identity_constant,
    null_targets,
    pack,
    relu_features_exact,
    zero_slope_targets,
)
from ...profiles import Budget
from ...results import PointKind, StopReason, TrialResult, Verdict
from ..base import Assumption, Claim, Control, SearchLog, decide

#: ``R - R_lin - C`` above this (relative to ``max(1, R_lin)``) is a violation, not rounding.
RISK_TOL = 1e-10
#: Block radii are ``sqrt((alpha / L)(1 - BUDGET_SLACK))``: the budget is met with a margin.
BUDGET_SLACK = 1e-8
#: Standard deviation of the random starts (in the parametrisation, ``pi/2`` is the sphere).
START_SCALE = 0.5
#: Iteration caps: trust-region Newton converges in tens of steps here, and Newton on the
#: gradient norm converges quadratically when it converges at all.
MINIMIZE_ITERATIONS, NEWTON_ITERATIONS = 300, 60
DEPTHS = {"quick": (1, 2, 4, 8), "standard": (1, 2, 4, 8, 16, 32), "deep": (1, 2, 4, 8, 16, 32)}
CONTROL_DEPTHS = (1, 2)
LIPSCHITZ_LOSSES = ("logistic", "pseudo_huber", "softmax_ce")
#: Outputs of the softmax cross-entropy instances.
SOFTMAX_CLASSES = 3
#: Redraws of a control instance before it is called inconclusive.
DRAW_ATTEMPTS = 20


@dataclasses.dataclass(frozen=True)
class NearIdentityInstance:
    """One instance: data drawn from ``seed``, one network per depth of ``depths``.

    ``budget_factor`` scales the block radii (``> 1`` lets ``rho_l`` exceed
    ``alpha / L``: an instance missing the budget assumption).
    """

    d_x: int = 2
    depths: tuple[int, ...] = (1, 2, 4, 8)
    width: int = 2
    samples: int = 24
    loss: str = "logistic"
    alpha: float = 1.0
    activation: str = "tanh"
    bias: bool = False
    budget_factor: float = 1.0
    seed: int = 0


def draw_data(rng: np.random.Generator, inst: NearIdentityInstance
              ) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((inst.samples, inst.d_x))
    a = rng.standard_normal(inst.d_x)
    signal = np.tanh(2.0 * X @ a) + 0.1 * rng.standard_normal(inst.samples)
    if inst.loss == "softmax_ce":
        scores = 2.0 * np.tanh(X @ rng.standard_normal((inst.d_x, SOFTMAX_CLASSES)))
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        return X, 0.9 * probs / probs.sum(axis=1, keepdims=True) + 0.1 / SOFTMAX_CLASSES
    if inst.loss == "logistic":
        flip = rng.random(inst.samples) < 0.2
        return X, np.where((signal > 0) != flip, 1.0, -1.0)
    return X, signal


def make_model(inst: NearIdentityInstance, depth: int) -> YunResNet:
    """The network of ``inst`` at ``depth`` (``SOFTMAX_CLASSES`` outputs for softmax CE)."""
    if inst.loss == "softmax_ce":
        return MultiOutputYunResNet(inst.d_x, (inst.width,) * depth, inst.activation,
                                    bias=inst.bias, outputs=SOFTMAX_CLASSES)
    return YunResNet(inst.d_x, (inst.width,) * depth, inst.activation, bias=inst.bias)


def _column(y: np.ndarray) -> np.ndarray:
    return y if y.ndim == 2 else y[:, None]


def _a_priori(inst: NearIdentityInstance, lip: float) -> list[Assumption]:
    convex = LOSSES[inst.loss].convex
    return [Assumption("loss convex", 1.0 if convex else -1.0, float(convex),
                       "LOSSES[loss].convex"),
            Assumption("loss Lipschitz", 1.0 if math.isfinite(lip) else -1.0, lip,
                       "L_l from lipschitz_constant(loss, y_max=max|y|)")]


class NearIdentity(Claim):
    id = "yun.near-identity"
    title = "Near-identity ResNets: every critical point has R <= R_lin + C, C independent of L"
    source = "003_b91220a50cbb67a9.txt"
    statement = ("For h_l = h_{l-1} + phi_l(h_{l-1}) with each phi_l rho_l-Lipschitz, "
                 "phi_l(0) = 0, rho_l <= alpha/L, and a convex L_l-Lipschitz loss, every "
                 "critical point has R <= R_lin + C with C = L_l ||t*|| (e^alpha - 1) E||x||.")
    reading = ("C = L_l ||t*|| (e^alpha - 1) E||x|| (t* the linear minimiser) is resproof's "
               "reading; the seed gives no C.  Critical points of the constrained problem: "
               "critical points of the risk on ||U_l||_F, ||V_l||_F <= sqrt(alpha/L) through "
               "a smooth surjective parametrisation (interior critical points and "
               "boundary-stationary points, KKT points included).")
    controls = (
        Control("zero-constant", "C = 0: every critical point asserted to have R <= R_lin"),
        Control("no-anchor", "phi_l(0) != 0 allowed (blocks with biases), same C"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        sub = int(rng.integers(2**31))
        if control is None:
            inst = NearIdentityInstance(
                depths=DEPTHS[budget.name], loss=str(rng.choice(LIPSCHITZ_LOSSES)),
                alpha=float(rng.choice([0.5, 1.0, 2.0])), seed=sub)
            return self.check(inst, budget)
        inst = NearIdentityInstance(
            d_x=int(rng.integers(1, 3)), depths=(int(rng.choice(CONTROL_DEPTHS)),),
            width=int(rng.integers(1, 3)), samples=int(rng.integers(6, 13)), loss="logistic",
            alpha=1.0 if control == "zero-constant" else 2.0**-8, activation="relu",
            bias=control == "no-anchor", seed=sub)
        return self.check_control(inst, control)

    # ------------------------------------------------------------------ the claim

    def check(self, inst: NearIdentityInstance, budget: Budget) -> TrialResult:
        """Decide the claim on ``inst``: searches at every depth, constructed points too.

        BLAS runs on one thread here: the dense ``eigh`` of every search step is small, and
        threaded OpenBLAS on a busy machine made it ~90x slower (measured)."""
        with threadpool_limits(1, user_api="blas"):
            return self._check(inst, budget)

    def _check(self, inst: NearIdentityInstance, budget: Budget) -> TrialResult:
        rng = np.random.default_rng(inst.seed)
        X, y = draw_data(rng, inst)
        lip = loss_lipschitz(inst.loss, None, y)
        assumptions = _a_priori(inst, lip)
        evidence: dict[str, Any] = {"instance": dataclasses.asdict(inst), "L_l": lip}
        if not all(a.met for a in assumptions):
            return decide(None, assumptions=assumptions, evidence=evidence)
        try:
            T, r_lin = linear.optimum(X, _column(y), inst.loss)
        except SearchFailed as failed:
            evidence["R_lin"] = f"linear solve failed: {failed}"
            return decide(None, assumptions=assumptions, evidence=evidence)
        t_norm = linear_norm(inst.loss, T)
        mean_x = float(np.mean(np.linalg.norm(X, axis=1)))
        C = near_identity_constant(lip, t_norm, inst.alpha, mean_x)
        evidence.update({"R_lin": r_lin, "t_star_norm": t_norm, "mean_x_norm": mean_x, "C": C})
        log = SearchLog()
        margins, budget_margins, anchor_norms, per_depth = [], [], [], []
        for L in inst.depths:
            row = self._depth(inst, L, X, y, r_lin, C, t_norm, mean_x, lip, rng, budget, log)
            per_depth.append(row)
            margins += row.pop("_margins")
            budget_margins += row.pop("_budget")
            anchor_norms += row.pop("_anchor")
        evidence["per_depth"] = per_depth
        evidence["C_by_depth"] = {str(r["L"]): r["C"] for r in per_depth}
        evidence["C_grows_with_L"] = len({r["C"] for r in per_depth}) > 1
        if budget_margins:
            worst_budget = min(budget_margins)
            assumptions.append(Assumption(
                "rho_l <= alpha/L", worst_budget, None,
                "min over checked points of (alpha/L - max_l rho_l) / (alpha/L), "
                "rho_l = Lip(s) ||V_l||_2 ||U_l||_2"))
            top = max(anchor_norms)
            assumptions.append(Assumption(
                "phi_l(0) = 0", 1.0 if top == 0.0 else -top, top,
                "max over checked points and blocks of ||V_l s(b_l)||"))
        short = [r["L"] for r in per_depth if r["critical_points"] == 0]
        if short:
            evidence["depths_without_critical_point"] = short
        margin = min(margins) if margins and not short else None
        return decide(margin, assumptions=assumptions, searches=log, evidence=evidence)

    def _depth(self, inst, L, X, y, r_lin, C, t_norm, mean_x, lip, rng, budget, log):
        model = make_model(inst, L)
        obj = model.objective(X, y, inst.loss)
        w_size = model.split(np.zeros(model.n_params))["Wout"].size
        act_lip = ACTIVATIONS[inst.activation].lipschitz
        act_lip = act_lip if math.isfinite(act_lip) else 1.0
        radius = math.sqrt(inst.budget_factor * inst.alpha / L * (1 - BUDGET_SLACK) / act_lip)
        param = BallParametrised(obj, block_groups(model, radius))
        limit = inst.alpha / L
        row: dict[str, Any] = {"L": L, "C": C,
                               "C_L": depth_constant(lip, t_norm, inst.alpha, L, mean_x),
                               "budget_alpha_over_L": limit, "block_radius": radius,
                               "n_params": model.n_params, "_margins": [], "_budget": [],
                               "_anchor": []}
        worst, checked = None, 0
        for r in range(budget.restarts):
            for label, search, needed, cap in (
                    ("minimum", minimize, True, MINIMIZE_ITERATIONS),
                    ("critical point", find_critical_point, False, NEWTON_ITERATIONS)):
                z0 = rng.standard_normal(model.n_params) * START_SCALE
                point = log.add(f"L={L} {label} #{r}", search(
                    param, z0, max_iterations=min(cap, budget.max_iterations)), needed=needed)
                if not point.converged or point.kind is PointKind.NOT_CRITICAL:
                    continue
                theta = param.theta(point.theta)
                rhos = model.block_lipschitz(theta)
                checked += 1
                gap = point.loss - r_lin
                row["_margins"].append((r_lin + C - point.loss) / max(1.0, abs(r_lin)) + RISK_TOL)
                row["_budget"].append(float((limit - rhos.max()) / limit))
                row["_anchor"].append(float(anchor_values(model, theta).max()))
                if worst is None or gap > worst["gap"]:
                    worst = {"search": label, "kind": point.kind.value, "risk": point.loss,
                             "gap": gap, "max_rho": float(rhos.max()),
                             "identity_gap_factor": identity_gap_factor(rhos),
                             "dR_dw_norm": float(np.linalg.norm(obj.grad(theta)[-w_size:])),
                             "folded": any(s > math.pi / 2 for s in param.group_norms(
                                 point.theta)),
                             "theta": theta.tolist()}
        row.update({"critical_points": checked, "worst_gap": None if worst is None
                    else worst["gap"], "worst": worst})
        row["constructed"] = self._constructed(inst, model, param, X, rng, row)
        return row

    def _constructed(self, inst, model, param, X, rng, row) -> dict[str, Any]:
        """``w = 0`` critical by construction: blocks inside the balls, targets with
        ``E[l'(0; y) h_L] = 0``."""
        z = rng.standard_normal(model.n_params)
        for idx, _r in param.groups:
            z[idx] *= 1.2 / max(1e-300, float(np.linalg.norm(z[idx])))
        theta = param.theta(z)
        theta[-model.split(theta)["Wout"].size:] = 0.0
        shape = (X.shape[0], SOFTMAX_CLASSES) if inst.loss == "softmax_ce" else X.shape[0]
        yc = zero_slope_targets(inst.loss, None, last_features(model, theta, X),
                                rng.standard_normal(shape) + 1.0)
        objc = model.objective(X, yc, inst.loss)
        point = make_point(objc, theta, StopReason.CONVERGED)
        out: dict[str, Any] = {"kind": point.kind.value, "risk": point.loss,
                               "relative_grad_norm": point.relative_grad_norm}
        if point.kind is PointKind.NOT_CRITICAL:
            return out
        try:
            T, r_lin = linear.optimum(X, _column(yc), inst.loss)
        except SearchFailed:
            out["R_lin"] = "linear solve failed"
            return out
        lip = loss_lipschitz(inst.loss, None, yc)
        C = near_identity_constant(lip, linear_norm(inst.loss, T), inst.alpha,
                                   float(np.mean(np.linalg.norm(X, axis=1))))
        rhos = model.block_lipschitz(theta)
        out.update({"R_lin": r_lin, "C": C, "gap": point.loss - r_lin,
                    "gap_over_C": (point.loss - r_lin) / C if C > 0 else None})
        limit = inst.alpha / model.depth
        row["_margins"].append((r_lin + C - point.loss) / max(1.0, abs(r_lin)) + RISK_TOL)
        row["_budget"].append(float((limit - rhos.max()) / limit))
        row["_anchor"].append(float(anchor_values(model, theta).max()))
        return out

    # ------------------------------------------------------------------ controls

    def check_control(self, inst: NearIdentityInstance, control: str) -> TrialResult:
        """The exact ``w = 0`` construction on ``inst`` (ReLU, one depth), decided from
        the model's measured risk and gradient, certified in rationals and mpmath."""
        rng = np.random.default_rng(inst.seed)
        evidence: dict[str, Any] = {"instance": dataclasses.asdict(inst), "control": control,
                                    "construction": "w = 0, ReLU blocks, dyadic data, targets "
                                    "y with sum_n y_n h_L(x_n) = 0 exactly"}
        attempt = 0
        while attempt < DRAW_ATTEMPTS:
            attempt += 1
            X, views, blocks = _draw_exact(rng, inst)
            rows, smallest = relu_features_exact(X, blocks)
            coefficients = [int(c) for c in rng.integers(-2, 3, inst.samples)]
            coefficients[0] = coefficients[0] or 1
            yq = null_targets(rows, coefficients)
            if yq is not None and smallest > 0:
                break
        if yq is None or smallest == 0:
            evidence["failure"] = (f"{DRAW_ATTEMPTS} draws without exactly representable "
                                   "targets off the ReLU kinks")
            return TrialResult(Verdict.INCONCLUSIVE, None, evidence)
        evidence["draw_attempts"] = attempt
        L, d, k = inst.depths[0], inst.d_x, inst.width
        limit = Fraction(inst.alpha) / L
        y = np.array([float(v) for v in yq])
        model = YunResNet(d, (k,) * L, "relu", bias=inst.bias)
        theta = pack(model, views)
        obj = model.objective(X, y, inst.loss)
        point = make_point(obj, theta, StopReason.CONVERGED)
        log = SearchLog()
        log.add("constructed w = 0 point", point)
        lip = loss_lipschitz(inst.loss, None, y)
        rhos = model.block_lipschitz(theta)
        anchor = float(anchor_values(model, theta).max())
        a_budget = Assumption("rho_l <= alpha/L", float((float(limit) - rhos.max())
                                                        / float(limit)),
                              float(rhos.max()), "Lip(relu) ||V_l||_2 ||U_l||_2 (and exactly "
                              "||U_l||_F^2 ||V_l||_F^2 <= (alpha/L)^2)")
        a_anchor = Assumption("phi_l(0) = 0", 1.0 if anchor == 0.0 else -anchor, anchor,
                              "max_l ||V_l relu(b_l)||")
        assumptions = [*_a_priori(inst, lip), a_budget]
        broken = []
        if control == "no-anchor":
            broken = [a_anchor]
        else:
            assumptions.append(a_anchor)
        try:
            T, r_lin = linear.optimum(X, y[:, None], inst.loss)
        except SearchFailed as failed:
            evidence["R_lin"] = f"linear solve failed: {failed}"
            return decide(None, assumptions=assumptions, broken=broken, searches=log,
                          evidence=evidence)
        t_hat = T.ravel()
        mean_x = float(np.mean(np.linalg.norm(X, axis=1)))
        C = 0.0 if control == "zero-constant" else near_identity_constant(
            lip, float(np.linalg.norm(t_hat)), inst.alpha, mean_x)
        margin = (r_lin + C - point.loss) / max(1.0, abs(r_lin)) + RISK_TOL
        evidence.update({"risk": point.loss, "R_lin": r_lin, "C": C, "gap": point.loss - r_lin,
                         "kind": point.kind.value, "relative_grad_norm":
                         point.relative_grad_norm, "X": X.tolist(), "y": y.tolist(),
                         "theta": theta.tolist(), "t_hat": t_hat.tolist()})
        certified = None
        if margin < 0:
            cert = _certify(X, y, yq, rows, smallest, blocks, limit, t_hat, inst, control)
            evidence["certificate"] = cert
            certified = cert["certified"]
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)


def _draw_exact(rng: np.random.Generator, inst: NearIdentityInstance):
    """Dyadic data and ReLU blocks inside the budget (``||U||_F^2 ||V||_F^2 <= (alpha/L)^2``
    exactly); with ``bias`` large ``V_l b_l`` and small ``U_l``."""
    L, d, k = inst.depths[0], inst.d_x, inst.width
    limit = Fraction(inst.alpha) / L
    X = rng.integers(-8, 9, (inst.samples, d)) / 4.0
    views: dict[str, np.ndarray] = {"Wout": np.zeros((1, d))}
    blocks = []
    for i in range(1, L + 1):
        U = rng.integers(-4, 5, (k, d)) / 4.0
        V = rng.integers(1, 9, (d, k)) / 2.0 if inst.bias else rng.integers(-4, 5, (d, k)) / 4.0
        b: np.ndarray | None = (2 + rng.integers(0, 4, k)) / 4.0 if inst.bias else None
        while _frobenius_product(U, V) >= limit ** 2:  # powers of two: everything stays dyadic
            U = U / 2.0
            if not inst.bias:
                V = V / 2.0
        views[f"U{i}"], views[f"W{i}"] = U, V
        if b is not None:
            views[f"b{i}"] = b
        blocks.append((U, V, b))
    return X, views, blocks


def _frobenius_product(U: np.ndarray, V: np.ndarray) -> Fraction:
    """``||U||_F ||V||_F`` squared, exactly (it bounds ``||V||_2^2 ||U||_2^2``)."""
    def sq(M):
        return sum((Fraction(float(v)) ** 2 for v in M.ravel()), Fraction(0))
    return sq(U) * sq(V)


def _certify(X, y, yq, rows, smallest, blocks, limit, t_hat, inst, control) -> dict[str, Any]:
    """One-sided certificate: exact criticality, budget and anchor; a 50-digit lower bound
    of ``R - R_lin - C`` (``R = log 2`` exactly at ``w = 0``)."""
    N, d = len(rows), inst.d_x
    dRdw = [sum((yq[n] * rows[n][i] for n in range(N)), Fraction(0)) / (2 * N)
            for i in range(d)]
    exact_critical = all(v == 0 for v in dRdw) and smallest > 0
    budget_exact = all(_frobenius_product(U, V) <= limit ** 2 for U, V, _b in blocks)
    anchors = [sum(((sum((Fraction(float(v)) * max(Fraction(float(bj)), Fraction(0))
                          for v, bj in zip(row, b, strict=True)), Fraction(0))) ** 2
                    for row in V), Fraction(0)) if b is not None else Fraction(0)
               for _U, V, b in blocks]
    anchor_ok = all(a == 0 for a in anchors) if control == "zero-constant" \
        else any(a > 0 for a in anchors)
    with mpmath.workdps(50):
        r_lin_up = logistic_risk_upper(X, y, t_hat)
        C_up = mpmath.mpf(0)
        t_up = None
        if control == "no-anchor":
            t_up = logistic_minimiser_norm_upper(X, y, t_hat)
            if t_up is None:
                return {"certified": False, "reason": "no bound on ||t*||"}
            mean_x = mpmath.fsum(mpmath.sqrt(mpmath.fsum(mpmath.mpf(float(v)) ** 2 for v in x))
                                 for x in X) / N
            C_up = (mpmath.mpf(max(abs(float(v)) for v in y)) * t_up
                    * mpmath.expm1(mpmath.mpf(inst.alpha)) * mean_x) * (1 + mpmath.mpf(10)**-40)
        lower = mpmath.log(2) - r_lin_up - C_up
    return {"certified": bool(exact_critical and budget_exact and anchor_ok and lower > 0),
            "method": "exact rationals (dR/dw = 0, blocks' gradient 0 at w = 0, ReLU "
                      "pre-activations off the kink, ||U||_F^2 ||V||_F^2 <= (alpha/L)^2, "
                      "phi_l(0)) + mpmath 50 digits (upper bounds of R_lin and ||t*||)",
            "lower_bound_of_R_minus_R_lin_minus_C": mpmath.nstr(lower, 20),
            "exact_critical": exact_critical, "smallest_preactivation": str(smallest),
            "budget_exact": budget_exact, "anchor_as_required": anchor_ok,
            "R_lin_upper": mpmath.nstr(r_lin_up, 20), "C_upper": mpmath.nstr(C_up, 20),
            "t_star_norm_upper": None if t_up is None else mpmath.nstr(t_up, 20)}


CLAIMS = [NearIdentity()]
