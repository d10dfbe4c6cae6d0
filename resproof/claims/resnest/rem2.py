"""``resnest.rem2`` (Chen et al., Remark 2): under A2 and A3, at a local minimiser of (P)
where A4 holds, the best linear prediction from the residual representation ``x_i``,

.. math:: r_i = \\min_T \\tfrac1N \\sum_n l(T x_i(x_n), y_n),

is non-increasing in ``i = 0..L`` and never worse than from the input, ``r_i <= R_lin``.

One trial minimises (P) (:func:`~resproof.claims.resnest._verdicts.full_minimum`: the drawn
weights, then fresh draws past starts that diverge) for the drawn convex loss (tanh or
quadratic activation, see
:data:`~resproof.claims.resnest._cases.FULL_ACTIVATIONS`), measures A4 at the point
found and compares every ``r_i`` (:func:`resproof.problems.linear.optimum` on ``x_i``).
A violation counts only at a confirmed minimum.

Control ``scalar-stream``: a stream of width 1 (``M = N_in = K = 1``, ``L = 2``), so
``A_phi = [W_0 W_1]`` is ``1 x 2`` and A4 fails (measured: ``sigma_min / sigma_max =
0``).  (P) is minimised from ``restarts`` starts; a confirmed minimum with
``r_i > r_{i-1}`` refutes monotonicity.  Certified by refining that critical point of
(P) at 50 digits (:class:`~resproof.problems.full.FullHighPrecision`, the one
symmetry mode ``x_i -> c x_i`` explained) and bounding ``r_i - r_{i-1}`` there
(squared loss: ``r(z) = (||y||^2 - (z^T y)^2 / ||z||^2) / 2N`` for a scalar stream).

Yun et al., Sec. 3.2 (``X = [1, 2.5, 3]``, ``Y = [1, 3, 2]``, non-monotone block outputs
at the global minimum of a two-block scalar ResNet): the stored seed
(``003_b91220a50cbb67a9.txt``) is the poster version and has no Sec. 3.2; it names
neither the activation nor the block form nor the loss of that example, so the model
cannot be pinned down and the example is **not reproduced**.
:func:`yun_sec32_data_on_scalar_resnest` runs the same data through the width-1 ResNEst
of this control (tanh, squared loss, ``W_0`` free) and reports what it finds, as a
plausible reading only.  Measured (8 starts, seed 0): a global minimiser (``R = 4e-32``,
an exact interpolant certified at 50 digits) with ``r_0 = R_lin = 0.1769``,
``r_1 = 0.3514``, ``r_2 = 0``: the representation after block 1 is *worse* than the
input in the linear-prediction sense, qualitatively what Sec. 3.2 is said to show.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ...errors import SearchFailed
from ...landscape.points import GTOL
from ...problems.full import (
    full_objective,
    interpolating_minimum,
    mp_streams,
    stream_symmetry_modes,
    streams,
)
from ...problems.linear import optimum
from ...profiles import Budget
from ...results import TrialResult
from ..base import Claim, Control, SearchLog, decide
from ._cases import (
    FULL_ACTIVATIONS,
    Case,
    NetSpec,
    a4,
    model_for,
    prepare,
    random_spec,
    random_theta,
    relative,
)
from ._verdicts import (
    full_minimum,
    log_failed_solve,
    logged_minimum,
    minimum_like,
    point_evidence,
    usable_margin,
)

RISK_TOL = 1e-9
#: A minimum with ``R <= INTERPOLATION_TOL * mean(y^2)`` interpolates the sample.
INTERPOLATION_TOL = 1e-20


def linear_risks(model: Any, theta: np.ndarray, X: np.ndarray, Y: np.ndarray,
                 loss: str) -> list[float]:
    """``[r_0, ..., r_L]``: the best linear risk from each ``x_i``."""
    return [optimum(x, Y, loss, gtol=GTOL)[1] for x in streams(model, theta, X)]


def monotonicity_margin(r: list[float], r_lin: float) -> tuple[float, int]:
    """``min`` over ``i`` of ``(r_{i-1} - r_i) / scale`` and ``(R_lin - r_i) / scale``
    (``+ RISK_TOL``), and the ``i`` where it is attained."""
    best, at = np.inf, 0
    for i in range(len(r)):
        terms = [(r_lin - r[i]) / relative(r_lin, r[i])]
        if i:
            terms.append((r[i - 1] - r[i]) / relative(r[i - 1], r[i]))
        m = min(terms) + RISK_TOL
        if m < best:
            best, at = m, i
    return float(best), at


def mp_scalar_linear_risk(z: list, Y: np.ndarray) -> Any:
    """``(||y||^2 - (z^T y)^2 / ||z||^2) / 2N`` in mpmath (squared loss, scalar stream)."""
    y = [mpmath.mpf(float(v)) for v in Y[:, 0]]
    zz = mpmath.fsum(t * t for t in z)
    zy = mpmath.fsum(a * b for a, b in zip(z, y, strict=True))
    return (mpmath.fsum(t * t for t in y) - zy * zy / zz) / (2 * len(y))


class Remark2(Claim):
    id = "resnest.rem2"
    title = "ResNEsts: residual representations improve monotonically at local minima of (P)"
    source = "002_1b35302677467779.txt"
    statement = ("Under A2 and A3, at every local minimiser of (P) where A4 holds, "
                 "r_i = min_T (1/N) sum_n l(T x_i(x_n), y_n) is non-increasing in i and "
                 "r_i <= R_lin for every i.")
    controls = (Control("scalar-stream", "a stream of width 1 (A4 broken): monotonicity "
                                         "asserted anyway"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        rng = np.random.default_rng(seed)
        if control == "scalar-stream":
            spec = random_spec(rng, n_in=(1, 1), bottleneck=(1, 1), blocks=(2, 2),
                               n_out=(1, 1), wide=False, width=(1, 1), losses=("squared",),
                               activations=("tanh",), samples=(3, 5))
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
        obj = full_objective(case.model, case.X, case.Y, spec.loss)
        modes = stream_symmetry_modes(case.model)
        try:
            r_lin = optimum(case.X, case.Y, spec.loss, gtol=GTOL)[1]
            if control == "scalar-stream":
                return self._scalar(case, obj, modes, r_lin, budget, assumptions, log,
                                    evidence)
            point = full_minimum(log, case, budget)
            assumptions.append(a4(case.model, point.theta))
            evidence["point"] = point_evidence(point)
            if not minimum_like(point):
                return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
            r = linear_risks(case.model, point.theta, case.X, case.Y, spec.loss)
        except SearchFailed as exc:
            log_failed_solve(log, "linear risk convex solve", exc)
            return decide(None, assumptions=assumptions, searches=log, evidence=evidence)
        margin, at = monotonicity_margin(r, r_lin)
        evidence.update(R_lin=r_lin, linear_risks=r, worst_block=at)
        return decide(usable_margin(margin, point), assumptions=assumptions, searches=log,
                      evidence=evidence)

    def _scalar(self, case, obj, modes, r_lin, budget, assumptions, log, evidence):
        """Width-1 stream with ``N <= P``: the minima found interpolate (``R = 0``), so they
        are global minimisers of ``R >= 0``; a confirmed-minimum test is replaced by that
        fact, re-established at 50 digits by the certificate (an exact interpolant nearby).
        Each start is searched by Levenberg-Marquardt on the residuals
        (:func:`~resproof.problems.full.interpolating_minimum`, quadratic convergence to an
        interpolant), and by trust-region Newton on ``R`` when that did not converge."""
        spec = case.spec
        rng = np.random.default_rng(spec.seed + 11)
        starts = [case.theta] + [random_theta(rng, case.model) * 2.0
                                 for _ in range(budget.restarts - 1)]
        found = []
        scale = float(np.mean(case.Y ** 2)) or 1.0
        for j, start in enumerate(starts):
            point = interpolating_minimum(case.model, case.X, case.Y, start, gtol=1e-14,
                                          tol=INTERPOLATION_TOL)
            if point.converged:
                log.add(f"(P) start {j} (Levenberg-Marquardt on the residuals)", point)
            else:
                log.add(f"(P) start {j} (Levenberg-Marquardt on the residuals)", point,
                        needed=False)
                point = logged_minimum(log, f"(P) start {j}", obj, start,
                                       max_iterations=budget.max_iterations,
                                       symmetry_modes=modes, gtol=1e-14)
            if point.converged and point.loss <= INTERPOLATION_TOL * scale:
                r = linear_risks(case.model, point.theta, case.X, case.Y, spec.loss)
                found.append((monotonicity_margin(r, r_lin), r, point))
        if not found:
            return decide(None, assumptions=assumptions, broken=[a4(case.model, case.theta)],
                          searches=log, evidence=evidence)
        (margin, at), r, point = min(found, key=lambda f: f[0][0])
        broken = [a4(case.model, point.theta)]
        evidence.update(R_lin=r_lin, linear_risks=r, worst_block=at, global_minima=len(found),
                        point=point_evidence(point), theta=point.theta.tolist())
        certified = None
        if margin < 0:
            certified, detail = certify_increase(case, point.theta, at)
            evidence["certificate"] = detail
        return decide(margin, assumptions=assumptions, broken=broken, searches=log,
                      certified=certified, evidence=evidence)


def certify_increase(case: Any, theta: np.ndarray, at: int, dps: int = 50,
                     steps: int = 30) -> tuple[bool, dict[str, Any]]:
    """An exact interpolant ``theta_hat`` near ``theta`` (so a global minimiser of
    ``R >= 0``) with ``r_at - r_{at-1} > 0`` there (``R_lin`` in place of ``r_{-1}``).

    Gauss-Newton with minimum-norm steps ``-J^+ F`` on the residuals
    ``F(theta) = yhat(theta) - y`` at ``dps`` digits (``J`` by central differences carried
    at ``2 dps + 20`` digits) until ``||F|| <= 10^(5-dps)``; a zero of ``F`` lies within
    ``2 ||J^+|| ||F||`` (Kantorovich for underdetermined systems, the Lipschitz constant
    estimated, as in :mod:`resproof.landscape.certify`); the rise's error is its
    gradient norm (central differences) times that distance, plus rounding."""
    model, X, Y = case.model, case.X, case.Y
    wo = model.layout.slices["Wout"].start

    def residual(t):
        seqs = mp_streams(model, t, X)
        return [t[wo] * s[-1][0] - mpmath.mpf(float(y)) for s, y in zip(seqs, Y[:, 0],
                                                                        strict=True)]

    def rise(t):
        seqs = mp_streams(model, t, X)
        z = [[s[i][0] for s in seqs] for i in range(len(seqs[0]))]
        lower = mp_scalar_linear_risk(z[at - 1], Y) if at else \
            mp_scalar_linear_risk([mpmath.mpf(float(v)) for v in X[:, 0]], Y)
        return mp_scalar_linear_risk(z[at], Y) - lower

    with mpmath.workdps(dps):
        t = [mpmath.mpf(float(v)) for v in theta]
        history = []
        for _ in range(steps):
            F = residual(t)
            fn = mpmath.norm(mpmath.matrix(F))
            history.append(float(fn))
            J = _jacobian(residual, t, dps)
            Jp = mpmath.inverse(J * J.T)
            if fn <= mpmath.mpf(10) ** (5 - dps):
                break
            step = J.T * (Jp * mpmath.matrix(F))
            t = [t[i] - step[i] for i in range(len(t))]
        pinv_norm = mpmath.sqrt(max(abs(v) for v in mpmath.eigsy(Jp)[0]))
        distance = 2 * pinv_norm * fn
        Q = rise(t)
        h = mpmath.mpf(10) ** (-(dps // 3))
        slope = mpmath.sqrt(mpmath.fsum(((rise([v + (h if j == i else 0) for j, v in
                                                enumerate(t)])
                                          - rise([v - (h if j == i else 0) for j, v in
                                                  enumerate(t)])) / (2 * h)) ** 2
                                        for i in range(len(t))))
        error = 2 * slope * distance + mpmath.mpf(10) ** (10 - dps)
        converged = fn <= mpmath.mpf(10) ** (5 - dps)
    ok = bool(converged and Q - error > 0)
    return ok, {"rise": float(Q), "error_bound": float(error), "residual": float(fn),
                "distance_bound": float(distance), "residual_history": history, "dps": dps,
                "method": "mpmath", "global_minimum": "exact interpolant within the distance "
                "bound: R = 0 = min R"}


def _jacobian(fun, t: list, dps: int) -> Any:
    with mpmath.workdps(2 * dps + 20):
        h = mpmath.mpf(10) ** (-(dps + 10))
        cols = []
        for i in range(len(t)):
            up, down = list(t), list(t)
            up[i] += h
            down[i] -= h
            cols.append([(a - b) / (2 * h) for a, b in zip(fun(up), fun(down), strict=True)])
    J = mpmath.matrix(len(cols[0]), len(t))
    for i, col in enumerate(cols):
        for n, v in enumerate(col):
            J[n, i] = v
    return J


def yun_sec32_data_on_scalar_resnest(restarts: int = 20, seed: int = 0,
                                     activation: str = "tanh") -> dict[str, Any]:
    """The data of Yun et al. Sec. 3.2 (``X = [1, 2.5, 3]``, ``Y = [1, 3, 2]``) on the
    width-1, two-block ResNEst of the control (squared loss): the best minimum found over
    ``restarts`` starts and its ``r_0, r_1, r_2``.  Not a reproduction (the seed does not
    pin the model down); a plausible reading, reported as measured."""
    spec = NetSpec(1, 1, 1, 2, 1, 3, activation, "squared", seed)
    model = model_for(spec)
    X = np.array([[1.0], [2.5], [3.0]])
    Y = np.array([[1.0], [3.0], [2.0]])
    obj = full_objective(model, X, Y)
    rng = np.random.default_rng(seed)
    log = SearchLog()
    best = None
    for j in range(restarts):
        point = logged_minimum(log, f"start {j}", obj, random_theta(rng, model) * 2.0,
                               max_iterations=1000, symmetry_modes=1)
        if point.converged and (best is None or point.loss < best.loss):
            best = point
    if best is None:
        return {"found": False, "searches": log.to_json()}
    r = linear_risks(model, best.theta, X, Y, "squared")
    r_lin = optimum(X, Y)[1]
    margin, at = monotonicity_margin(r, r_lin)
    out = {"found": True, "risk": best.loss, "kind": best.kind.value, "linear_risks": r,
           "monotone": bool(margin >= 0), "R_lin": r_lin, "theta": best.theta.tolist(),
           "searches": {"run": log.run, "converged": log.converged}}
    if margin < 0 and best.loss <= INTERPOLATION_TOL * float(np.mean(Y ** 2)):
        certified, detail = certify_increase(Case(spec, model, X, Y, best.theta), best.theta,
                                             at)
        out.update(certified_non_monotone=certified, certificate=detail, worst_block=at)
    return out


CLAIMS = [Remark2()]

