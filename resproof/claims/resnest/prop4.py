"""``densenest.prop4`` (Chen et al., Prop. 4): every DenseNEst equals, for all inputs, a
wide ResNEst with bottleneck blocks whose ``A_phi`` has orthonormal columns, so (A2, A3)
``eps = 0`` at every local minimiser of (P_phi) there.

One trial draws a DenseNEst ``x_i = [x_{i-1}; s(U_i x_{i-1} + b_i)]``,
``yhat = W_{L+1} x_L`` (free parameters ``U_i, b_i, W_{L+1}``) and checks, against the
concatenation computed directly (:func:`dense_forward`, not through the ResNEst):

1. the identity-slot ResNEst (:class:`~resproof.nn.models.DenseNEst`: ``W_0 = [I; 0]``,
   ``W_i = [0; I; 0]`` writing slot ``i``) gives the same outputs to rounding;
2. its ``A_phi = [W_0 ... W_{L-1}]`` has orthonormal columns (``||A^T A - I||_max``);
3. ``eps = R(local min of P_phi) - min(PA_phi) = 0`` on it, for the drawn convex loss.

Control ``overlapping-slots``: every block writes slot 1 (``DenseNEst(overlap=True)``);
it first measures that the writes ``[W_0 W_1 ... W_L]`` are no longer orthonormal
(``sigma_min / sigma_max = 0``), then that the outputs differ from the concatenation, the
difference re-computed at 50 digits (certified when it exceeds the rounding bound).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ...errors import SearchFailed
from ...nn.models import DenseNEst
from ...problems.augmented_general import augmented_solution
from ...problems.full import FLOAT_ACTIVATIONS, mp_activation, mp_streams
from ...profiles import Budget
from ...results import TrialResult
from ..base import Assumption, Claim, Control, SearchLog, decide
from ._cases import CONVEX_LOSSES, a2, targets
from ._verdicts import log_failed_solve, minimise_pphi, minimum_like, point_evidence, usable_margin

#: Relative output difference that counts as rounding.
OUTPUT_TOL = 1e-12
ORTHO_TOL = 1e-14
EPS_TOL = 1e-9
ACTIVATIONS = ("tanh", "softplus", "sigmoid")


def draw_dense(rng: np.random.Generator, control: str | None) -> dict[str, Any]:
    """Sizes, activation, loss and seed of one DenseNEst (controls need ``L >= 2``)."""
    loss = str(CONVEX_LOSSES[int(rng.integers(len(CONVEX_LOSSES)))])
    lo = 2 if control == "overlapping-slots" else 1
    return {"n_in": int(rng.integers(1, 3)), "bottleneck": int(rng.integers(1, 3)),
            "blocks": int(rng.integers(lo, 3)),
            "n_out": int(rng.integers(2 if loss == "softmax_ce" else 1, 3)),
            "samples": int(rng.integers(16, 33)),
            "activation": str(ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]),
            "loss": loss, "seed": int(rng.integers(2**31))}


def unpack(t: np.ndarray, n_in: int, widths: tuple[int, ...], n_out: int):
    """``(U_i, b_i)`` per block and ``W_{L+1}`` from the DenseNEst's free vector."""
    blocks, at, filled = [], 0, n_in
    for k in widths:
        U = t[at:at + k * filled].reshape(k, filled)
        at += k * filled
        blocks.append((U, t[at:at + k]))
        at += k
        filled += k
    return blocks, t[at:].reshape(n_out, filled)


def dense_forward(t: np.ndarray, X: np.ndarray, n_in: int, widths: tuple[int, ...],
                  n_out: int, activation: str) -> np.ndarray:
    """``yhat`` of the DenseNEst by concatenation (eq. (9)), independent of the ResNEst."""
    blocks, Wo = unpack(t, n_in, widths, n_out)
    s = FLOAT_ACTIVATIONS[activation]
    x = X
    for U, b in blocks:
        x = np.hstack([x, s(x @ U.T + b, ())])
    return x @ Wo.T


def mp_dense_forward(t: np.ndarray, X: np.ndarray, n_in: int, widths: tuple[int, ...],
                     n_out: int, activation: str) -> list[list]:
    blocks, Wo = unpack(np.asarray(t), n_in, widths, n_out)
    s = mp_activation(activation)
    out = []
    for row in X:
        x = [mpmath.mpf(float(v)) for v in row]
        for U, b in blocks:
            x = x + [s(mpmath.fsum(mpmath.mpf(float(u)) * v for u, v in zip(r, x, strict=True))
                       + mpmath.mpf(float(bb))) for r, bb in zip(U, b, strict=True)]
        out.append([mpmath.fsum(mpmath.mpf(float(w)) * v for w, v in zip(r, x, strict=True))
                    for r in Wo])
    return out


def writes_margin(model: DenseNEst, theta: np.ndarray) -> Assumption:
    """Disjoint slots: ``sigma_min / sigma_max`` of ``[W_0 W_1 ... W_L]`` of the
    realisation (1 for disjoint identity slots, 0 when two blocks share one)."""
    lay = model.resnest.layout
    w = lay.views(theta)
    A = np.hstack([w["W0"]] + [w[f"W{i}"] for i in range(1, lay.n_blocks + 1)])
    s = np.linalg.svd(A, compute_uv=False)
    ratio = 0.0 if A.shape[0] < A.shape[1] else float(s[-1] / s[0])
    return Assumption("disjoint slots", ratio - 1e-8, ratio,
                      "sigma_min/sigma_max of [W_0 W_1 ... W_L] - 1e-8")


class Proposition4(Claim):
    id = "densenest.prop4"
    title = "DenseNEsts are wide ResNEsts with orthonormal A_phi, so eps = 0"
    source = "002_1b35302677467779.txt"
    statement = ("Every DenseNEst equals, for all inputs, a wide ResNEst with bottleneck blocks "
                 "whose A_phi = [W_0 ... W_{L-1}] has orthonormal columns (A4 with margin 1); "
                 "under A2 and A3, eps = 0 for every local minimiser of (P_phi) of that ResNEst.")
    controls = (Control("overlapping-slots",
                        "every block writes slot 1 (slots overlap): outputs equal to the "
                        "DenseNEst asserted anyway"),)

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        return self.check(draw_dense(np.random.default_rng(seed), control), control, budget)

    def check(self, d: dict[str, Any], control: str | None, budget: Budget) -> TrialResult:
        widths = (d["bottleneck"],) * d["blocks"]
        model = DenseNEst(d["n_in"], d["n_out"], widths, d["activation"],
                          overlap=control == "overlapping-slots")
        rng = np.random.default_rng(d["seed"])
        X = rng.standard_normal((d["samples"], d["n_in"]))
        Y = targets(rng, X, d["n_out"], d["loss"])
        t = rng.standard_normal(model.n_params) * 0.7
        theta = model.full_theta(t)
        ref = dense_forward(t, X, d["n_in"], widths, d["n_out"], d["activation"])
        got = model.predict(t, X)
        diff = float(np.max(np.abs(got - ref)) / max(1.0, float(np.max(np.abs(ref)))))
        slots = writes_margin(model, theta)
        evidence: dict[str, Any] = {"dense": d, "output_difference": diff,
                                    "output_tolerance": OUTPUT_TOL}
        if control == "overlapping-slots":
            certified, detail = self._certify_difference(model, t, X, widths, d)
            evidence["certificate"] = detail
            return decide((OUTPUT_TOL - diff) / OUTPUT_TOL, broken=[slots], certified=certified,
                          evidence=evidence)
        lay = model.resnest.layout
        w = lay.views(theta)
        A = np.hstack([w["W0"]] + [w[f"W{i}"] for i in range(1, lay.n_blocks)])
        ortho = float(np.max(np.abs(A.T @ A - np.eye(A.shape[1]))))
        a3 = Assumption("A3", (lay.width - lay.n_out + 0.5) / lay.n_out, lay.width - lay.n_out,
                        "(M - N_o + 1/2) / N_o on the realisation")
        log = SearchLog()
        margins: list[float | None] = [(OUTPUT_TOL - diff) / OUTPUT_TOL,
                                       (ORTHO_TOL - ortho) / ORTHO_TOL]
        evidence["orthonormality_error"] = ortho
        assumptions = [a2(d["loss"]), a3]
        if not all(a.met for a in assumptions):
            return decide(None, assumptions=assumptions, evidence=evidence)
        features = model.resnest.features(theta, X)[:-1]
        try:
            _, best = augmented_solution(features, Y, d["loss"])
        except SearchFailed as exc:
            log_failed_solve(log, "(PA_phi) convex solve", exc)
            return decide(None, assumptions=[a2(d["loss"]), a3], searches=log, evidence=evidence)
        point, risk = minimise_pphi(log, "(P_phi) from the DenseNEst's W_L, W_{L+1}",
                                    model.resnest, theta, X, Y, d["loss"],
                                    max_iterations=budget.max_iterations)
        eps = risk - best
        evidence.update(min_PA_phi=best, eps=eps, point=point_evidence(point))
        if not minimum_like(point):
            return decide(None, assumptions=[a2(d["loss"]), a3], searches=log, evidence=evidence)
        tol = EPS_TOL * max(1.0, abs(best))
        margins.append(usable_margin((tol - abs(eps)) / tol, point))
        known = [m for m in margins if m is not None]
        margin = None if len(known) < len(margins) else min(known)
        return decide(margin, assumptions=[a2(d["loss"]), a3], searches=log, evidence=evidence)

    @staticmethod
    def _certify_difference(model: DenseNEst, t: np.ndarray, X: np.ndarray,
                            widths: tuple[int, ...], d: dict[str, Any], dps: int = 50):
        """``max |yhat_ResNEst - yhat_DenseNEst|`` at ``dps`` digits vs its rounding bound."""
        with mpmath.workdps(dps):
            theta = model.full_theta(t)
            res = model.resnest
            lay = res.layout
            Wo = lay.views(theta)["Wout"]
            seqs = mp_streams(res, list(theta), X)
            dense = mp_dense_forward(t, X, d["n_in"], widths, d["n_out"], d["activation"])
            gap = mpmath.mpf(0)
            for seq, yd in zip(seqs, dense, strict=True):
                for o in range(d["n_out"]):
                    yr = mpmath.fsum(mpmath.mpf(float(Wo[o, m])) * seq[-1][m]
                                     for m in range(lay.width))
                    gap = max(gap, abs(yr - yd[o]))
            bound = mpmath.mpf(10) ** (10 - dps)
        return bool(gap > bound), {"difference": float(gap), "error_bound": float(bound),
                                   "dps": dps, "method": "mpmath"}


CLAIMS = [Proposition4()]
