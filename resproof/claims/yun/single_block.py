"""Claims of Yun, Sra & Jadbabaie, deep ResNets vs linear predictors (seed 003).

``yun.single-block`` (``L = 1``, Shamir's setting): for
``f(x) = w^T (x + V phi(U x))`` with squared loss, every critical point with
``w != 0`` has ``R <= R_lin`` and every local minimum has ``R <= R_lin``,
where ``R_lin = min_t 1/(2N) sum_n (t^T x_n - y_n)^2`` (no bias).

One trial draws data and searches from random starts: local minima by
trust-region Newton, and critical points of any index by Newton on the
gradient norm (points the gradient-flat guard rejects are not critical).
Every converged point with ``w != 0`` (and every local minimum) is compared
with ``R_lin``.  Controls construct the points the theorem excludes:

* ``:w-zero`` -- targets replaced by their residual on ``h(x)``, so that
  ``w = 0`` is critical (``dR/dw = -E[y h] = 0``, the other blocks are
  multiplied by ``w``); its risk ``E y^2 / 2`` exceeds ``R_lin``, and the
  engine must call it a strict saddle (certified negative curvature).
* ``:no-skip`` -- ``f(x) = w^T V relu(U x)`` with every ReLU dead on the
  sample (``U x_n < 0``): ``f == 0`` on an open set, so a (flat) local
  minimum with ``R = E y^2 / 2 > R_lin``, certified in exact rationals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ...landscape.certify import certify_critical_point, certify_negative_curvature
from ...landscape.minimize import minimize
from ...landscape.points import make_point
from ...landscape.saddles import find_critical_point
from ...nn.models import LinearPredictor, YunResNet
from ...problems.augmented import augmented_optimum_mp
from ...profiles import Budget
from ...results import PointKind, StopReason, TrialResult, Verdict
from ..base import Claim, Control

D_X, HIDDEN, SAMPLES = 2, 2, 48
#: ``R - R_lin`` above this (relative to ``max(1, R_lin)``) is a violation, not rounding.
RISK_TOL = 1e-10
#: ``||w||`` below this counts as ``w = 0``.
W_ZERO = 1e-8
#: Standard deviation of the random starts.
START_SCALE = 0.3


def draw_data(rng: np.random.Generator, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((SAMPLES, D_X))
    if positive:
        X = np.abs(X) + 0.1
    a = rng.standard_normal(D_X)
    y = np.tanh(2.0 * X @ a) + 0.1 * rng.standard_normal(SAMPLES)
    return X, y


class YunSingleBlockHighPrecision:
    """``R(U, V, w) = 1/(2N) sum_n (w^T (sigma x_n + V tanh(U x_n)) - y_n)^2`` in mpmath.

    Parameter order as :class:`~resproof.nn.models.YunResNet`: ``U`` (``k x d``),
    ``V`` (``d x k``), ``w`` (``d``), row-major.  With ``a = V^T w``,
    ``df/dU_jc = a_j s'_j x_c``, ``df/dV_ij = w_i s_j``, ``df/dw_i = h_i``; the
    nonzero second derivatives are ``UU: delta_jj' a_j s''_j x_c x_c'``,
    ``UV: delta_jj' w_i s'_j x_c``, ``Uw: V_ij s'_j x_c``, ``Vw: delta_ii' s_j``;
    ``H = 1/N sum_n (grad f grad f^T + r_n hess f)``.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, skip: bool = True):
        self.X = [[mpmath.mpf(float(v)) for v in row] for row in X]
        self.y = [mpmath.mpf(float(v)) for v in y]
        self.d, self.k = X.shape[1], HIDDEN
        self.sigma = 1 if skip else 0
        self.n_params = 2 * self.d * self.k + self.d

    def _unpack(self, theta):
        d, k = self.d, self.k
        t = [mpmath.mpf(v) for v in theta]
        U = [t[j * d:(j + 1) * d] for j in range(k)]
        V = [t[d * k + i * k:d * k + (i + 1) * k] for i in range(d)]
        w = t[2 * d * k:]
        return U, V, w

    def _sample(self, U, V, w, x):
        d, k = self.d, self.k
        z = [mpmath.fsum(U[j][c] * x[c] for c in range(d)) for j in range(k)]
        s = [mpmath.tanh(v) for v in z]
        s1 = [1 - v * v for v in s]
        s2 = [-2 * s[j] * s1[j] for j in range(k)]
        h = [self.sigma * x[i] + mpmath.fsum(V[i][j] * s[j] for j in range(k)) for i in range(d)]
        f = mpmath.fsum(w[i] * h[i] for i in range(d))
        a = [mpmath.fsum(V[i][j] * w[i] for i in range(d)) for j in range(k)]
        return s, s1, s2, h, f, a

    def _grad_f(self, V, w, x, s, s1, h, a):
        d, k = self.d, self.k
        g = [a[j] * s1[j] * x[c] for j in range(k) for c in range(d)]
        g += [w[i] * s[j] for i in range(d) for j in range(k)]
        return g + list(h)

    def mp_loss(self, theta):
        U, V, w = self._unpack(theta)
        return mpmath.fsum((self._sample(U, V, w, x)[4] - y) ** 2
                           for x, y in zip(self.X, self.y, strict=True)) / (2 * len(self.y))

    def mp_grad(self, theta):
        U, V, w = self._unpack(theta)
        g = [mpmath.mpf(0)] * self.n_params
        for x, y in zip(self.X, self.y, strict=True):
            s, s1, _s2, h, f, a = self._sample(U, V, w, x)
            gf = self._grad_f(V, w, x, s, s1, h, a)
            g = [gi + (f - y) * gj for gi, gj in zip(g, gf, strict=True)]
        return mpmath.matrix([gi / len(self.y) for gi in g])

    def mp_hessian(self, theta):
        d, k, P = self.d, self.k, self.n_params
        U, V, w = self._unpack(theta)
        H = mpmath.matrix(P, P)
        oV, ow = d * k, 2 * d * k
        for x, y in zip(self.X, self.y, strict=True):
            s, s1, s2, h, f, a = self._sample(U, V, w, x)
            gf = self._grad_f(V, w, x, s, s1, h, a)
            r = f - y
            for p in range(P):
                for q in range(P):
                    H[p, q] += gf[p] * gf[q]
            for j in range(k):
                for c in range(d):
                    pu = j * d + c
                    for c2 in range(d):
                        H[pu, j * d + c2] += r * a[j] * s2[j] * x[c] * x[c2]
                    for i in range(d):
                        pv = oV + i * k + j
                        H[pu, pv] += r * w[i] * s1[j] * x[c]
                        H[pv, pu] += r * w[i] * s1[j] * x[c]
                        H[pu, ow + i] += r * V[i][j] * s1[j] * x[c]
                        H[ow + i, pu] += r * V[i][j] * s1[j] * x[c]
            for i in range(d):
                for j in range(k):
                    H[oV + i * k + j, ow + i] += r * s[j]
                    H[ow + i, oV + i * k + j] += r * s[j]
        return H / len(self.y)


def exact_linear_risk(X: np.ndarray, y: np.ndarray) -> Fraction:
    """``R_lin`` in exact rationals (normal equations over QQ from the float data)."""
    import sympy

    A = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in row] for row in X])
    b = sympy.Matrix([sympy.Rational(Fraction(float(v))) for v in y])
    t = (A.T * A).LUsolve(A.T * b)
    r = A * t - b
    value = (r.T * r)[0] / (2 * len(y))
    return Fraction(int(value.p), int(value.q))


class SingleBlock(Claim):
    id = "yun.single-block"
    title = "Single-block ResNet: critical points with w != 0 and local minima beat linear"
    source = "003_b91220a50cbb67a9.txt"
    statement = ("For f(x) = w^T (x + V phi(U x)) with squared loss, every critical point with "
                 "w != 0 has R <= R_lin, and every local minimum has R <= R_lin.")
    controls = (
        Control("w-zero", "the w != 0 requirement dropped: every critical point asserted to "
                          "have R <= R_lin"),
        Control("no-skip", "skip removed (f = w^T V relu(U x), dead ReLU features): every "
                           "local minimum asserted to have R <= R_lin"),
    )

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "w-zero":
            return self._w_zero(rng)
        if control == "no-skip":
            return self._no_skip(rng)
        X, y = draw_data(rng)
        model = YunResNet(D_X, (HIDDEN,), "tanh")
        obj = model.objective(X, y)
        _, r_lin = LinearPredictor.squared_optimum(X, y[:, None])
        tol = RISK_TOL * max(1.0, r_lin)
        points = []
        for _ in range(budget.restarts):
            start = rng.standard_normal(model.n_params) * START_SCALE
            points.append(("local minimum", minimize(obj, start,
                                                     max_iterations=budget.max_iterations)))
            points.append(("critical point", find_critical_point(
                obj, start, max_iterations=budget.max_iterations)))
        checked, worst = [], None
        for label, p in points:
            w = model.split(p.theta)["Wout"]
            relevant = p.converged and p.kind is not PointKind.NOT_CRITICAL and (
                p.kind in (PointKind.MINIMUM, PointKind.DEGENERATE)
                or np.linalg.norm(w) > W_ZERO)
            if not relevant:
                continue
            row = {"search": label, "kind": p.kind.value, "risk": p.loss,
                   "w_norm": float(np.linalg.norm(w)), "lambda_min": p.lambda_min,
                   "gap": p.loss - r_lin, "theta": p.theta.tolist()}
            checked.append(row)
            if worst is None or row["gap"] > worst["gap"]:
                worst = row
        evidence: dict[str, Any] = {"R_lin": r_lin, "points_checked": len(checked),
                                    "searches": len(points), "tolerance": tol, "worst": worst}
        if worst is None:
            return TrialResult(Verdict.INCONCLUSIVE, None, evidence)
        if worst["gap"] <= tol:
            return TrialResult(Verdict.HOLDS, float(tol - worst["gap"]), evidence)
        hp = YunSingleBlockHighPrecision(X, y)
        best = augmented_optimum_mp([X], y[:, None])
        cert = certify_critical_point(hp, np.array(worst["theta"]),
                                      lambda t: hp.mp_loss(t) - best, 0, refutes="above")
        evidence["certificate"] = cert.to_json()
        return TrialResult(Verdict.REFUTED, -worst["gap"], evidence, certified=cert.certified)

    def _w_zero(self, rng: np.random.Generator) -> TrialResult:
        X, y0 = draw_data(rng)
        model = YunResNet(D_X, (HIDDEN,), "tanh")
        theta = rng.standard_normal(model.n_params)
        theta[-D_X:] = 0.0  # w = 0
        views = model.split(theta)
        h = X + np.tanh(X @ views["U1"].T) @ views["W1"].T
        beta, *_ = np.linalg.lstsq(h, y0, rcond=None)
        y = y0 - h @ beta  # E[y h] = 0: w = 0 is critical
        obj = model.objective(X, y)
        point = make_point(obj, theta, StopReason.CONVERGED)
        _, r_lin = LinearPredictor.squared_optimum(X, y[:, None])
        gap = point.loss - r_lin
        evidence = {"construction": "w = 0, targets = residual of y on h(x) = x + V tanh(U x)",
                    "risk": point.loss, "R_lin": r_lin, "kind": point.kind.value,
                    "grad_norm": point.grad_norm, "lambda_min": point.lambda_min,
                    "theta": theta.tolist()}
        if point.kind is PointKind.NOT_CRITICAL:
            return TrialResult(Verdict.INCONCLUSIVE, None, evidence)
        if gap <= RISK_TOL * max(1.0, r_lin):
            return TrialResult(Verdict.HOLDS, float(-gap), evidence)
        hp = YunSingleBlockHighPrecision(X, y)
        best = augmented_optimum_mp([X], y[:, None])
        cert = certify_critical_point(hp, theta, lambda t: hp.mp_loss(t) - best, 0,
                                      refutes="above")
        direction = np.linalg.eigh(obj.hessian(theta))[1][:, 0]
        curvature = certify_negative_curvature(hp, theta, direction)
        evidence["certificate"] = cert.to_json()
        evidence["negative_curvature"] = curvature.to_json()
        return TrialResult(Verdict.REFUTED, -gap, evidence,
                           certified=cert.certified and curvature.certified)

    def _no_skip(self, rng: np.random.Generator) -> TrialResult:
        X, y = draw_data(rng, positive=True)
        model = YunResNet(D_X, (HIDDEN,), "relu", skip=False)
        theta = rng.standard_normal(model.n_params)
        k = HIDDEN * D_X
        theta[:k] = -np.abs(theta[:k]) - 0.1  # U < 0 and x > 0: every ReLU dead
        U = theta[:k].reshape(HIDDEN, D_X)
        dead_margin = float(np.min(-(X @ U.T)))
        obj = model.objective(X, y)
        risk = obj.loss(theta)
        _, r_lin = LinearPredictor.squared_optimum(X, y[:, None])
        exact_risk = sum(Fraction(float(v)) ** 2 for v in y) / (2 * len(y))
        exact_gap = exact_risk - exact_linear_risk(X, y)
        radius = dead_margin / float(np.max(np.linalg.norm(X, axis=1)))
        evidence = {"construction": "x > 0, U < 0: relu(U x_n) = 0 for every sample, f = 0 "
                                    "on the ball ||dU||_2 < radius",
                    "dead_margin": dead_margin, "radius": radius, "risk": risk, "R_lin": r_lin,
                    "grad_norm": float(np.linalg.norm(obj.grad(theta))),
                    "exact_gap": str(exact_gap), "theta": theta.tolist()}
        if dead_margin <= 0:
            return TrialResult(Verdict.INCONCLUSIVE, None, evidence)
        if exact_gap <= 0:
            return TrialResult(Verdict.HOLDS, float(-exact_gap), evidence)
        return TrialResult(Verdict.REFUTED, -float(exact_gap), evidence, certified=True)


CLAIMS = [SingleBlock()]
