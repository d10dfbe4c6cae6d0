"""Small random ResNEst instances for the claims of Chen et al., and their measured
assumptions (A2, A3, A4 of ``claims.md`` with margins).

A :class:`NetSpec` fixes sizes, activation, loss and a seed; :func:`build` draws the
data and weights from ``default_rng(seed)`` (so a Hypothesis example and a trial seed
give the same instance); :func:`random_spec` draws a spec from a trial's generator over
the same ranges as the public strategy :func:`resproof.strategies.full_problem_specs`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ...nn.losses import LOSSES
from ...nn.resnest import ResNEst
from ...results import TrialResult
from ..base import Assumption, decide

#: The convex losses of A2.
CONVEX_LOSSES = ("squared", "logistic", "pseudo_huber", "softmax_ce")
SMOOTH_ACTIVATIONS = ("tanh", "softplus", "quadratic")
#: Activations for claims about minimisers of the full problem (P): with softplus the
#: infimum of (P) is typically approached at infinity (units drift into softplus's
#: linear regime; measured: 8 of 16 trust-region searches ran out of iterations, every
#: one with softplus), so there is no minimiser to check.
FULL_ACTIVATIONS = ("tanh", "quadratic")
#: ``(s0, s1, s2)`` of the ``quadratic`` activation.
QUADRATIC = (0.1, 1.0, 0.5)
#: A4 is met when ``sigma_min / sigma_max`` of ``A_phi`` exceeds this.
A4_TOL = 1e-8


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """Sizes ``(N_in, M, K, L, N_o, N)``, activation, loss and the data/weights seed.
    ``constant_input`` makes the last input coordinate the constant 1 (a bias);
    ``dead_block = i > 0`` sets ``U_i = 0`` (``v_i = s(b_i)`` constant on the sample)."""

    n_in: int
    width: int
    bottleneck: int
    blocks: int
    n_out: int
    samples: int
    activation: str = "tanh"
    loss: str = "squared"
    seed: int = 0
    constant_input: bool = False
    dead_block: int = 0

    def sizes(self) -> dict[str, int]:
        return {"N_in": self.n_in, "M": self.width, "K": self.bottleneck, "L": self.blocks,
                "N_o": self.n_out, "N": self.samples}


@dataclasses.dataclass(frozen=True, eq=False)
class Case:
    spec: NetSpec
    model: ResNEst
    X: np.ndarray
    Y: np.ndarray
    theta: np.ndarray

    @property
    def loss(self) -> str:
        return self.spec.loss


def model_for(spec: NetSpec, blocks: int | None = None) -> ResNEst:
    params = QUADRATIC if spec.activation == "quadratic" else ()
    L = spec.blocks if blocks is None else blocks
    return ResNEst.build(spec.n_in, spec.width, spec.n_out, (spec.bottleneck,) * L,
                         activation=spec.activation, activation_params=params)


def targets(rng: np.random.Generator, X: np.ndarray, n_out: int, loss: str) -> np.ndarray:
    """A noisy tanh teacher; ``+-1`` labels with 25% flips for ``logistic``, soft labels
    (a softmax of the teacher) for ``softmax_ce``: both keep the infimum attained."""
    B = rng.standard_normal((n_out, X.shape[1]))
    t = np.tanh(X @ B.T) + 0.3 * rng.standard_normal((X.shape[0], n_out))
    if loss == "logistic":
        flip = rng.random(t.shape) < 0.25
        return np.where((t >= 0) ^ flip, 1.0, -1.0)
    if loss == "softmax_ce":
        e = np.exp(2.0 * (t - t.max(axis=1, keepdims=True)))
        return e / e.sum(axis=1, keepdims=True)
    return t


def build(spec: NetSpec) -> Case:
    """Data and weights of ``spec`` from ``default_rng(spec.seed)``: ``X ~ N(0, I)``,
    teacher targets, weights at the scales of ``resnest-tanh`` (bench-spec)."""
    rng = np.random.default_rng(spec.seed)
    model = model_for(spec)
    X = rng.standard_normal((spec.samples, spec.n_in))
    if spec.constant_input:
        X[:, -1] = 1.0
    Y = targets(rng, X, spec.n_out, spec.loss)
    theta = random_theta(rng, model)
    if 0 < spec.dead_block <= spec.blocks:
        model.layout.views(theta)[f"U{spec.dead_block}"][...] = 0.0
    return Case(spec, model, X, Y, theta)


def random_theta(rng: np.random.Generator, model: ResNEst) -> np.ndarray:
    lay = model.layout
    theta = np.zeros(lay.n_params)
    w = lay.views(theta)
    L = lay.n_blocks
    w["W0"][...] = rng.standard_normal(w["W0"].shape) / np.sqrt(lay.n_in)
    for i in range(1, L + 1):
        w[f"U{i}"][...] = rng.standard_normal(w[f"U{i}"].shape) / np.sqrt(lay.width)
        w[f"b{i}"][...] = 0.1 * rng.standard_normal(w[f"b{i}"].shape)
        w[f"W{i}"][...] = rng.standard_normal(w[f"W{i}"].shape) / (L * np.sqrt(
            lay.block_widths[i - 1]))
    w["Wout"][...] = rng.standard_normal(w["Wout"].shape) / np.sqrt(lay.width)
    return theta


def random_spec(rng: np.random.Generator, *, n_in: tuple[int, int] = (1, 2),
                bottleneck: tuple[int, int] = (1, 2), blocks: tuple[int, int] = (1, 2),
                n_out: tuple[int, int] = (1, 2), extra_width: tuple[int, int] = (0, 1),
                samples: tuple[int, int] = (24, 40), activations=SMOOTH_ACTIVATIONS,
                losses=CONVEX_LOSSES, wide: bool = True, width: tuple[int, int] = (1, 1),
                constant_input: bool = False, dead_blocks: bool = False) -> NetSpec:
    """A spec over the ranges of :func:`resproof.strategies.full_problem_specs` (same rules)."""
    def pick(r):
        return int(rng.integers(r[0], r[1] + 1))

    loss = str(losses[int(rng.integers(len(losses)))])
    spec: dict[str, Any] = {
        "n_in": pick(n_in), "bottleneck": pick(bottleneck), "blocks": pick(blocks),
        "n_out": max(pick(n_out), 2 if loss == "softmax_ce" else 1), "samples": pick(samples),
        "activation": str(activations[int(rng.integers(len(activations)))]), "loss": loss,
        "seed": int(rng.integers(2**31)), "constant_input": constant_input}
    spec["dead_block"] = int(rng.integers(0, spec["blocks"] + 1)) if dead_blocks else 0
    spec["width"] = (wide_width(spec["n_in"], spec["bottleneck"], spec["blocks"],
                                spec["n_out"]) + pick(extra_width)) if wide else pick(width)
    return NetSpec(**spec)


def wide_width(n_in: int, bottleneck: int, blocks: int, n_out: int) -> int:
    """The least ``M`` with ``M >= N_in + (L - 1) K`` (A4 possible) and ``M >= N_o`` (A3)."""
    return max(n_in + (blocks - 1) * bottleneck, n_out)


# ------------------------------------------------------------ measured assumptions


def a_phi(model: ResNEst, theta: np.ndarray, blocks: int | None = None) -> np.ndarray:
    """``A_phi = [W_0 W_1 ... W_{L-1}]`` (``M x (N_in + K_1 + ... + K_{L-1})``)."""
    lay = model.layout
    w = lay.views(np.asarray(theta, dtype=np.float64))
    L = lay.n_blocks if blocks is None else blocks
    return np.hstack([w["W0"]] + [w[f"W{i}"] for i in range(1, L)])


def a4(model: ResNEst, theta: np.ndarray, blocks: int | None = None) -> Assumption:
    """A4: ``sigma_min / sigma_max`` of ``A_phi`` above :data:`A4_TOL` (0 when ``A_phi``
    is wider than tall)."""
    A = a_phi(model, theta, blocks)
    s = np.linalg.svd(A, compute_uv=False)
    ratio = 0.0 if A.shape[0] < A.shape[1] else float(s[-1] / s[0])
    return Assumption("A4", ratio - A4_TOL, ratio,
                      f"sigma_min/sigma_max of A_phi ({A.shape[0]}x{A.shape[1]}) - {A4_TOL}")


def a3(model: ResNEst) -> Assumption:
    lay = model.layout
    return Assumption("A3", (lay.width - lay.n_out + 0.5) / lay.n_out, lay.width - lay.n_out,
                      "(M - N_o + 1/2) / N_o")


def a2(loss: str) -> Assumption:
    spec = LOSSES[loss]
    ok = spec.convex and spec.c2
    return Assumption("A2", 1.0 if ok else -1.0, None,
                      f"{loss}: differentiable and convex in yhat" if ok
                      else f"{loss}: not convex")


def relative(a: float, b: float) -> float:
    """Scale of a risk comparison: ``max(1, |a|, |b|)``."""
    return max(1.0, abs(a), abs(b))


def base_evidence(case: Case, **extra: Any) -> dict[str, Any]:
    s = case.spec
    return {"spec": dataclasses.asdict(s), "sizes": s.sizes(), **extra}


@dataclasses.dataclass(eq=False)
class Prepared:
    """A trial's instance, the start of its evidence and its measured assumptions;
    ``unmet`` is the trial's (vacuous) verdict when one of them is missed."""

    case: Case
    evidence: dict[str, Any]
    assumptions: list[Assumption]
    unmet: TrialResult | None


def prepare(spec: NetSpec, *, a3_required: bool = True) -> Prepared:
    """The preamble of the full-problem claims: build the instance of ``spec``, start the
    evidence (:func:`base_evidence`) and measure A2 (and A3, unless not ``a3_required``)."""
    case = build(spec)
    evidence = base_evidence(case)
    assumptions = [a2(spec.loss)] + ([a3(case.model)] if a3_required else [])
    unmet = None if all(a.met for a in assumptions) else decide(
        None, assumptions=assumptions, evidence=evidence)
    return Prepared(case, evidence, assumptions, unmet)
