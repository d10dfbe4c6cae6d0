"""Shared machinery of ``yun.thm1`` and ``yun.single-block``: instances, ``R_lin``, the
theorem's two conditions and the searches for critical points.

An instance is a :class:`Spec` (sizes, activation, loss, a data seed) drawn from
:data:`THM1_SPACE` / :data:`SINGLE_SPACE` by :func:`draw_spec` (the claims, from
the trial's SeedSequence) or by the public Hypothesis strategies of
:mod:`resproof.strategies` (the tests), which read the same spaces.

Conditions of the theorem at a point ``theta*`` (margins relative, ``> 0`` met):

1. coverage: ``E[l''(f(x); y) h_L h_L^T]`` full rank, margin
   ``lambda_min / lambda_max - COND_TOL``;
2. room: ``col([U_2^T ... U_L^T]) != R^{d_x}``, margin
   ``1 - sigma_{d_x} / (RANK_TOL sigma_1)`` (``sigma_{d_x} = 0`` when the matrix has
   fewer than ``d_x`` columns, so the margin is 1: always met when ``sum m_l < d_x``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import SearchFailed
from ...landscape.minimize import minimize
from ...landscape.points import make_point
from ...landscape.progress import run_with_progress
from ...landscape.saddles import find_critical_point
from ...landscape.spectrum import extreme_eigenvalues
from ...nn.losses import loss_value
from ...nn.models import YunTwoLayerResNet
from ...nn.yun import YunResNet
from ...problems.linear import optimum
from ...profiles import Budget
from ...results import CriticalPoint, PointKind, StopReason
from ..base import Assumption, SearchLog

#: Either realisation of the deep ResNet (one- or two-layer ``phi_l``).
YunModel = YunResNet | YunTwoLayerResNet

#: ``(R - R_lin) / max(1, |R_lin|)`` above this is a violation, not rounding.
RISK_TOL = 1e-9
#: Condition 1 met when ``lambda_min / lambda_max`` of ``E[l'' h h^T]`` exceeds this.
COND_TOL = 1e-8
#: Condition 2 met when ``sigma_{d_x} / sigma_1`` of ``[U_2^T ... U_L^T]`` is below this.
RANK_TOL = 1e-6
#: ``||w|| / max(1, ||theta||)`` at most this counts as ``w = 0``.
W_ZERO = 1e-8
#: Standard deviation of random starts.
START_SCALE = 0.5
#: Attempts per needed search: the start, then fresh starts (each run while it progresses).
ATTEMPTS = 8
#: Iterations one needed search may spend over its attempts, in budget iterations.
SEARCH_BUDGET = 3
#: A minimisation whose ``||theta||`` grew this many times its start has diverged.
DIVERGED = 20.0
#: Growth of ``||theta||`` over the progress window that counts as progress for a
#: minimisation (it is followed until its divergence is measured).
GROWTH = 1.05
#: Iterations at most of Newton on the gradient norm polishing a minimisation's end point.
POLISH = 300
#: Iterations per chunk of a minimisation (each chunk restarts its trust radius).
MINIMIZE_CHUNK = 100
#: Redraws of the logistic label flips while the labels are separable.
SEPARABLE_REDRAWS = 20
#: The separation LP's value at most this counts as 0 (not separable).
SEPARATION_TOL = 1e-9
#: Pseudo-Huber scale used throughout.
HUBER_DELTA = 1.0

LOSSES = ("squared", "logistic", "pseudo_huber")
ACTIVATIONS = ("tanh", "softplus")


@dataclasses.dataclass(frozen=True)
class Spec:
    """One instance: ``YunResNet(d_x, widths, activation)``, ``samples`` data points drawn
    from ``seed``, the loss; ``dead_coordinate`` zeroes the last input coordinate (and
    the last row of every ``V_l`` at constructed points: condition 1 then fails there);
    ``searched`` adds the random searches to the constructed critical points."""

    d_x: int
    widths: tuple[int, ...]
    samples: int
    activation: str
    loss: str
    seed: int
    dead_coordinate: bool = False
    searched: bool = True
    phi_layers: int = 1

    @property
    def model(self) -> YunModel:
        """One-layer ``phi_l = s(U_l .)``, or two-layer ``s(A_l s(U_l .))`` with
        ``A_l`` square (``phi_layers = 2``)."""
        if self.phi_layers == 2:
            return YunTwoLayerResNet(self.d_x, tuple((m, m) for m in self.widths),
                                     self.activation)
        return YunResNet(self.d_x, tuple(self.widths), self.activation)

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "widths": list(self.widths)}


@dataclasses.dataclass(frozen=True)
class Space:
    """Ranges an instance is drawn from (shared by :func:`draw_spec` and the strategies)."""

    d_x: tuple[int, ...]
    widths: tuple[tuple[int, ...], ...]   # per d_x: the admissible width tuples, by index
    samples: tuple[int, int]
    activations: tuple[str, ...] = ACTIVATIONS
    losses: tuple[str, ...] = LOSSES
    dead_coordinate: tuple[bool, ...] = (False,)
    phi_layers: tuple[int, ...] = (1,)


#: yun.thm1: ``sum_{l >= 2} m_l < d_x`` (condition 2 met by construction), L = 1..3.
THM1_SPACE = Space(d_x=(2, 3), widths=((1,), (2,), (1, 1), (2, 1), (1, 1, 1), (2, 1, 1)),
                   samples=(8, 24), phi_layers=(1, 2))
#: yun.thm1-no-coverage: the same, with the last input coordinate dead half of the time.
NO_COVERAGE_SPACE = dataclasses.replace(THM1_SPACE, dead_coordinate=(False, True))
#: yun.single-block: ``L = 1``.
SINGLE_SPACE = Space(d_x=(2, 3), widths=((1,), (2,), (3,)), samples=(24, 48))


def small_blas():
    """A context with BLAS on one thread: the instances are tiny (``P < 100``), and a
    threaded ``eigh`` of a 27 x 27 Hessian was measured at 36 ms on a busy machine
    (spinning threads) against well under 1 ms on one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def admissible_widths(space: Space, d_x: int) -> list[tuple[int, ...]]:
    """Width tuples of ``space`` with ``sum_{l >= 2} m_l < d_x``."""
    return [w for w in space.widths if sum(w[1:]) < d_x]


def draw_spec(rng: np.random.Generator, space: Space) -> Spec:
    d = int(rng.choice(space.d_x))
    options = admissible_widths(space, d)
    widths = options[int(rng.integers(len(options)))]
    return Spec(d, widths, int(rng.integers(space.samples[0], space.samples[1] + 1)),
                str(rng.choice(space.activations)), str(rng.choice(space.losses)),
                int(rng.integers(2**31)), bool(rng.choice(space.dead_coordinate)),
                phi_layers=int(rng.choice(space.phi_layers)))


def draw_data(spec: Spec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``x ~ N(0, I)`` (last coordinate 0 when dead); targets from a random tanh unit
    with noise; for the logistic loss labels ``+-1`` with 20% flipped, the flips redrawn
    (up to :data:`SEPARABLE_REDRAWS` times) while the labels are linearly separable
    (measured, :func:`separation`): there ``R_lin``'s infimum is not attained and the
    instance has no ``R_lin`` to compare with.  :func:`data_note` says what was drawn."""
    X = rng.standard_normal((spec.samples, spec.d_x))
    if spec.dead_coordinate:
        X[:, -1] = 0.0
    a = rng.standard_normal(spec.d_x)
    y = np.tanh(2.0 * X @ a) + 0.3 * rng.standard_normal(spec.samples)
    if spec.loss == "logistic":
        y = nonseparable_labels(X, np.where(y >= 0, 1.0, -1.0), rng)
    return X, y


def nonseparable_labels(X: np.ndarray, clean: np.ndarray, rng: np.random.Generator
                        ) -> np.ndarray:
    """``clean`` (``+-1``) with 20% of the signs flipped, the flips redrawn up to
    :data:`SEPARABLE_REDRAWS` times while :func:`separation` measures the labels
    separable (the last draw is returned either way: :func:`data_note` says which)."""
    clean = np.sign(clean) + (clean == 0)
    for _ in range(SEPARABLE_REDRAWS + 1):
        y = clean * np.where(rng.random(len(clean)) < 0.2, -1.0, 1.0)
        if separation(X, y) <= SEPARATION_TOL:
            break
    return y


def separation(X: np.ndarray, y: np.ndarray) -> float:
    """``max sum_n y_n t^T x_n`` over ``y_n t^T x_n >= 0`` (all ``n``), ``||t||_inf <= 1``
    (a linear programme): ``0`` iff no ``t`` separates the data weakly, i.e. iff the
    logistic risk ``E log(1 + exp(-y t^T x))`` attains its infimum; ``> 0`` when it
    decreases without bound along a separating ``t`` (infimum at infinity)."""
    from scipy.optimize import linprog

    A = y[:, None] * X
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)),
                  bounds=[(-1.0, 1.0)] * X.shape[1], method="highs")
    return float(-res.fun) if res.status == 0 else float("inf")


def data_note(spec: Spec, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """For the evidence: whether ``R_lin``'s infimum is attained (logistic: the
    :func:`separation` LP, ``0`` = not separable = attained; the other losses are
    coercive in ``t`` on full-rank data)."""
    if spec.loss != "logistic":
        return {"R_lin_attained": "coercive loss", "rank_X": int(np.linalg.matrix_rank(X))}
    value = separation(X, y)
    return {"R_lin_attained": bool(value <= SEPARATION_TOL), "separation_lp": value,
            "detail": "max sum y t^T x over y t^T x >= 0, |t|_inf <= 1 (0: not separable)"}


def loss_param(loss: str) -> float | None:
    return HUBER_DELTA if loss == "pseudo_huber" else None


def linear_risk(X: np.ndarray, y: np.ndarray, loss: str) -> float | None:
    """``R_lin = inf_t E l(t^T x; y)``, or ``None`` when the convex solve did not converge
    (separable logistic data: the infimum is not attained)."""
    try:
        return float(optimum(X, y[:, None], loss, loss_param(loss))[1])
    except SearchFailed:
        return None


def zero_w_targets(spec: Spec, X: np.ndarray, h: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Targets with ``E[l'(0; y) h_L] = 0`` (so ``w = 0`` is critical): ``u`` a random vector
    orthogonal to the columns of ``h_L`` (over the samples), ``y_n`` solving ``l'(0; y_n) =
    u_n``: ``y = -u`` (squared), ``-2u`` (logistic), ``-u / sqrt(1 - (u/delta)^2)``
    (pseudo-Huber, ``|u| <= 0.8 delta``)."""
    r = rng.standard_normal(X.shape[0])
    beta, *_ = np.linalg.lstsq(h, r, rcond=None)
    u = r - h @ beta
    u = u / max(np.max(np.abs(u)), 1e-300)
    if spec.loss == "squared":
        return -u
    if spec.loss == "logistic":
        return -2.0 * u
    u = 0.8 * HUBER_DELTA * u
    return -u / np.sqrt(1.0 - (u / HUBER_DELTA) ** 2)


def features(model: YunModel, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``h_L(x_n)`` as rows (``N x d_x``): the prediction of ``w = e_i`` for each ``i``."""
    views = model.split(theta)
    h = X.copy()
    act = np.tanh if model.activation == "tanh" else lambda t: np.logaddexp(0.0, t)
    for i in range(1, model.depth + 1):
        inner = act(h @ views[f"U{i}"].T)
        if f"A{i}" in views:
            inner = act(inner @ views[f"A{i}"].T)
        h = h + inner @ views[f"W{i}"].T
    return h


def coverage(model: YunModel, theta: np.ndarray, X: np.ndarray, y: np.ndarray,
             loss: str) -> Assumption:
    """Condition 1: ``E[l''(f; y) h_L h_L^T]`` full rank, ``lambda_min / lambda_max``."""
    h = features(model, theta, X)
    f = h @ model.split(theta)["Wout"][0]
    curv = np.array([loss_value(loss, [fn], [yn], loss_param(loss))[2][0, 0]
                     for fn, yn in zip(f, y, strict=True)])
    A = (h * curv[:, None]).T @ h / X.shape[0]
    ev = np.linalg.eigvalsh(0.5 * (A + A.T))
    ratio = float(ev[0] / ev[-1]) if ev[-1] > 0 else 0.0
    return Assumption("(1) E[l'' h_L h_L^T] full rank", ratio - COND_TOL, ratio,
                      "lambda_min / lambda_max of E[l''(f(x); y) h_L(x) h_L(x)^T]")


def room(model: YunModel, theta: np.ndarray) -> Assumption:
    """Condition 2: ``col([U_2^T ... U_L^T]) != R^{d_x}``."""
    views = model.split(theta)
    d = model.d_x
    if model.depth < 2:
        ratio = 0.0
    else:
        M = np.hstack([views[f"U{i}"].T for i in range(2, model.depth + 1)])
        s = np.linalg.svd(M, compute_uv=False)
        ratio = float(s[d - 1] / s[0]) if M.shape[1] >= d and s[0] > 0 else 0.0
    return Assumption("(2) col([U_2^T ... U_L^T]) != R^d_x", 1.0 - ratio / RANK_TOL, ratio,
                      "sigma_{d_x} / sigma_1 of [U_2^T ... U_L^T] (0: fewer columns than d_x)")


def symmetry_modes(model: YunModel) -> int:
    """``V_L -> V_L + n c^T`` with ``w^T n = 0`` leaves ``f`` unchanged: ``(d_x - 1) n_L``
    (``n_L`` the columns of ``V_L``)."""
    n_last = model.split(np.zeros(model.n_params))[f"W{model.depth}"].shape[1]
    return (model.d_x - 1) * n_last


def w_zero_margin(model: YunModel, theta: np.ndarray) -> Assumption:
    """``w != 0``: ``||w|| / max(1, ||theta||) - W_ZERO``."""
    w = model.split(theta)["Wout"]
    ratio = float(np.linalg.norm(w)) / max(1.0, float(np.linalg.norm(theta)))
    return Assumption("w != 0", ratio - W_ZERO, ratio, "||w|| / max(1, ||theta||)")


def risk_gap(risk: float, r_lin: float) -> float:
    """``(R - R_lin) / max(1, |R_lin|)``."""
    return (risk - r_lin) / max(1.0, abs(r_lin))


def curvature(obj: Any, point: CriticalPoint) -> tuple[float, float]:
    """``(lambda_min, tau)`` of the full Hessian (dense when small, Lanczos on HVPs above
    :data:`~resproof.landscape.spectrum.DENSE_LIMIT`) and the zero threshold."""
    ritz = extreme_eigenvalues(obj, point.theta, "SA")
    return float(ritz.value), float(point.zero_tolerance)


def searched_point(obj: Any, model: YunModel, start: np.ndarray,
                   kind: str, budget: Budget, log: SearchLog, label: str,
                   rng: np.random.Generator,
                   draw_start: Callable[[], np.ndarray] | None = None) -> CriticalPoint | None:
    """One needed search: up to :data:`ATTEMPTS` attempts, each run in chunks while the
    gradient norm keeps falling (:func:`~resproof.landscape.progress.run_with_progress`;
    a progressing attempt may use all that is left of the search's budget,
    :data:`SEARCH_BUDGET` times the budget's ``max_iterations``), the first from
    ``start``, the others from fresh starts (``draw_start``, default
    ``N(0, START_SCALE^2)``) after a stagnated one, until the budget is spent.  Superseded attempts
    are logged (``needed=False``); the last attempt is the needed one, so a search that
    never converged makes the trial inconclusive.

    A minimisation whose ``||theta||`` grew above :data:`DIVERGED` times its start
    (the risk's infimum along the path lies at infinity: no critical point on it) is
    logged as diverged, not needed, and returns ``None``: the statement is about
    critical points and such a path has none to check.  A minimisation that stopped
    otherwise is polished from its end point by Newton on the gradient norm (at most
    :data:`POLISH` iterations): the critical point it approached, classified by the
    spectrum there (a minimum, or a saddle the minimiser crawled past).
    """
    modes = symmetry_modes(model)
    if draw_start is None:
        def draw_start() -> np.ndarray:
            return rng.standard_normal(model.n_params) * START_SCALE

    def run(theta: np.ndarray, iterations: int) -> CriticalPoint:
        if kind == "minimum":
            return minimize(obj, theta, max_iterations=iterations, symmetry_modes=modes)
        return find_critical_point(obj, theta, max_iterations=iterations,
                                   symmetry_modes=modes)

    def polish(theta: np.ndarray, iterations: int) -> CriticalPoint:
        return find_critical_point(obj, theta, max_iterations=iterations, symmetry_modes=modes)

    theta = start
    spent, allowed = 0, SEARCH_BUDGET * budget.max_iterations
    for attempt in range(ATTEMPTS):
        norm0 = max(1.0, float(np.linalg.norm(theta)))
        if kind == "minimum":
            point, progress = run_with_progress(
                run, theta, max_total=allowed - spent, chunk=MINIMIZE_CHUNK,
                min_growth=GROWTH,
                diverged=functools.partial(_grew, limit=DIVERGED * norm0))
        else:
            point, progress = run_with_progress(run, theta, max_total=allowed - spent)
        spent += progress.iterations
        ok = point.converged and point.kind is not PointKind.NOT_CRITICAL
        growth = float(np.linalg.norm(point.theta)) / norm0
        what = f"{progress.outcome} after {progress.iterations} iterations"
        if not ok and kind == "minimum" and growth > DIVERGED:
            log.add(f"{label} (attempt {attempt + 1}, diverged: ||theta|| x{growth:.0f}, "
                    "no critical point on the path)", point, needed=False)
            return None
        if not ok and kind == "minimum" and spent < allowed and np.all(np.isfinite(point.theta)):
            # where the loss no longer resolves the decrease (flat valleys, a pseudo-Huber
            # risk near 0) Newton on the gradient norm still converges to the critical
            # point the minimisation approached
            log.add(f"{label} (attempt {attempt + 1}, minimisation {what}, then polished "
                    "by Newton on the gradient norm)", point, needed=False)
            point, progress = run_with_progress(polish, point.theta,
                                                max_total=min(POLISH, allowed - spent))
            spent += progress.iterations
            ok = point.converged and point.kind is not PointKind.NOT_CRITICAL
            what = f"polish {progress.outcome} after {progress.iterations} iterations"
        if ok or attempt == ATTEMPTS - 1 or spent >= allowed:
            log.add(f"{label} (attempt {attempt + 1}, {what})", point, needed=True)
            return point
        log.add(f"{label} (attempt {attempt + 1}, {what}, superseded by a fresh start)",
                point, needed=False)
        theta = draw_start()
    raise AssertionError("unreachable")


def _grew(point: CriticalPoint, limit: float) -> bool:
    """``||theta|| > limit`` at ``point`` (a minimisation's divergence test)."""
    return float(np.linalg.norm(point.theta)) > limit


def linear_embedding(model: YunModel, X: np.ndarray, y: np.ndarray,
                     loss: str) -> np.ndarray | None:
    """A constructed critical point with ``w != 0`` that realises a linear or affine predictor.

    * ``s(0) = 0`` (tanh): ``U_l = 0``, ``V_l = 0`` (``A_l`` random), ``w = t*`` the linear
      minimiser: critical (``dR/dw = E[l'(t*^T x) x] = 0``, ``dR/dV_l`` carries
      ``s(0) = 0``, ``dR/dU_l`` carries ``V_l = 0``) with ``R = R_lin``: the tie.
    * ``s(0) != 0`` (softplus): ``U_l = 0`` makes ``phi_l`` the constant ``c_l``
      (``s(0) 1``, or ``s(A_l s(0) 1)`` two-layer), so with ``(t, b)`` the affine minimiser
      ``inf E l(t^T x + b)``, ``w = t``, ``V_1 = b t c_1^T / (||t||^2 ||c_1||^2)`` and
      ``V_l = 0`` for ``l >= 2`` the network is ``t^T x + b``.  Critical: ``dR/dw =
      E[l'] (t-part offsets) + E[l' x] = 0``, ``dR/dV_l = w c_l^T E[l'] = 0`` and ``dR/dU_l``,
      ``dR/dA_l`` carry ``E[l' h_{l-1}] = 0`` or ``V_l^T w = 0``; ``R = R_aff <= R_lin``.

    ``None`` when the convex solve fails or ``t = 0``.  Criticality is not assumed: the
    caller measures the gradient (:func:`constructed_point`).
    """
    views = model.split(np.zeros(model.n_params))
    rng = np.random.default_rng(0)
    for name in views:
        if name.startswith("A"):
            views[name][...] = rng.standard_normal(views[name].shape)
    try:
        if model.activation == "tanh":
            views["Wout"][...] = optimum(X, y[:, None], loss, loss_param(loss))[0]
            return model._from_views(views)
        ones = np.ones((X.shape[0], 1))
        coef = optimum(np.hstack([X, ones]), y[:, None], loss, loss_param(loss))[0][0]
    except SearchFailed:
        return None
    t, offset = coef[:-1], float(coef[-1])
    if not np.linalg.norm(t) > 0:
        return None
    inner = np.full(views["U1"].shape[0], float(np.logaddexp(0.0, 0.0)))
    if "A1" in views:
        inner = np.logaddexp(0.0, views["A1"] @ inner)
    views["Wout"][...] = t
    views["W1"][...] = offset * np.outer(t, inner) / (float(t @ t) * float(inner @ inner))
    return model._from_views(views)


def embedding_label(model: YunModel) -> str:
    """How :func:`linear_embedding` builds its point for ``model``'s activation."""
    if model.activation == "tanh":
        return "constructed U = 0, V = 0, w = t* (the linear minimiser)"
    return "constructed U = 0, w = t, V_1 c_1 = b t / ||t||^2 (the affine minimiser t^T x + b)"


def constructed_point(obj: Any, model: YunModel, theta: np.ndarray, log: SearchLog,
                      label: str) -> CriticalPoint:
    """Classify a constructed point from the objective's own gradient and Hessian (no
    search: ``NOT_CRITICAL`` when the measured gradient is above tolerance)."""
    point = make_point(obj, theta, StopReason.CONVERGED, symmetry_modes=symmetry_modes(model))
    if point.kind.value == "not_critical":
        point = dataclasses.replace(point, stop_reason=StopReason.STALLED)
    log.add(label, point, needed=True)
    return point
