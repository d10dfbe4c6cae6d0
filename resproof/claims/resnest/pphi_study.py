"""The frozen-feature study of one ResNEst instance for the (P_phi) claims of Chen et al.,
and its assumptions A1-A4 measured with margins.

``Study`` freezes ``phi`` of an :class:`~resproof.nn.instances.Instance`: the features
``v_0 = x, v_1, ..., v_L``, ``x_{L-1}`` and the (P_phi) objective over
``(W_L, W_{L+1})`` (Gram statistics for the squared loss, per-sample otherwise).  Also
here: the tolerances the claims compare with, and the record of one point.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ...nn.instances import Instance
from ...nn.losses import LOSSES
from ...problems.pphi import PphiObjective
from ...problems.pphi_exact import residual_targets
from ...problems.pphi_loss import PphiLossObjective
from ...results import CriticalPoint
from ..base import Assumption

#: ``|eps|`` below this, relative to ``max(1, min (PA_phi))``, is rounding.
EPS_TOL = 1e-10
#: A4 holds when ``sigma_min / sigma_max`` of ``A_phi`` exceeds this.
A4_TOL = 1e-8
#: A1's two measured quantities must exceed this (relative).
A1_TOL = 1e-10
#: ``W_{L+1}`` is rank deficient when ``sigma_min / sigma_max <= RANK_TOL``, full rank
#: when above ``FULL_RANK_TOL``; in between the point is not used (recorded as undecided).
RANK_TOL = 1e-6
FULL_RANK_TOL = 1e-4

@dataclasses.dataclass
class Study:
    """(P_phi) of one instance with ``phi`` frozen (``Y`` may be replaced, see
    :meth:`with_residual_targets`)."""

    inst: Instance
    loss: str
    features: list[np.ndarray]
    x_prev: np.ndarray
    Y: np.ndarray
    objective: Any

    @classmethod
    def of(cls, inst: Instance, loss: str = "squared") -> Study:
        *features, x_prev = inst.model.features(inst.theta, inst.X)
        return cls(inst, loss, features, x_prev, inst.Y, _objective(x_prev, features[-1],
                                                                      inst.Y, loss))

    def with_residual_targets(self) -> Study:
        """Targets replaced by their least-squares residual on ``[v_0, ..., v_{L-1}]``
        (squared loss): ``(W_L, W_{L+1}) = (0, 0)`` becomes critical."""
        Y = residual_targets(np.hstack(self.features[:-1]), self.Y)
        return dataclasses.replace(self, Y=Y, objective=_objective(
            self.x_prev, self.features[-1], Y, self.loss))

    @property
    def sizes(self) -> dict[str, int]:
        lay = self.inst.model.layout
        return {"N_in": lay.n_in, "M": lay.width, "K": lay.block_widths[-1],
                "L": lay.n_blocks, "N_o": lay.n_out, "N": self.inst.X.shape[0]}

    @property
    def symmetry_modes(self) -> int:
        """``W_L -> W_L + n k^T`` with ``W_{L+1} n = 0`` (and, for softmax, ``W_{L+1} ->
        W_{L+1} + 1 c^T``)."""
        lay = self.inst.model.layout
        modes = max(lay.width - lay.n_out, 0) * lay.block_widths[-1]
        return modes + (lay.width if self.loss == "softmax_ce" else 0)

    def drawn_theta(self) -> np.ndarray:
        return self.inst.theta[-self.objective.n_params:].copy()

    def w_out(self, theta: np.ndarray) -> np.ndarray:
        return self.objective.split(theta)[1]

    @property
    def w_out_scale(self) -> float:
        """The natural size of ``W_{L+1}``: ``||Y||_F / ||[x_{L-1}, v_L]||_2``."""
        F = np.hstack([self.x_prev, self.features[-1]])
        return float(np.linalg.norm(self.Y)) / max(float(np.linalg.norm(F, 2)), 1e-300)

    def w_out_rank_ratio(self, theta: np.ndarray) -> float:
        """``sigma_min / max(sigma_max, w_out_scale)`` of ``W_{L+1}`` at ``theta``."""
        return rank_ratio(self.w_out(theta), self.w_out_scale)


def _objective(x_prev: np.ndarray, v_last: np.ndarray, Y: np.ndarray, loss: str) -> Any:
    if loss == "squared":
        return PphiObjective(x_prev, v_last, Y)
    return PphiLossObjective(x_prev, v_last, Y, loss)


def loss_objective(study: Study) -> PphiLossObjective:
    """(P_phi) of ``study`` on per-sample terms (any loss; the squared loss's Gram-statistics
    objective is replaced by the equal per-sample one)."""
    if isinstance(study.objective, PphiLossObjective):
        return study.objective
    return PphiLossObjective(study.x_prev, study.features[-1], study.Y, study.loss)


def a1(study: Study) -> Assumption:
    """A1 (squared loss): ``sum_n v_L y_n^T != 0`` and ``sum_n v_L v_L^T`` full rank; margin
    the smaller of ``||V^T Y|| / (||V|| ||Y||)`` and ``sigma_min / sigma_max (V^T V)``,
    minus :data:`A1_TOL`."""
    V, Y = study.features[-1], study.Y
    nv, ny = float(np.linalg.norm(V)), float(np.linalg.norm(Y))
    corr = float(np.linalg.norm(V.T @ Y)) / (nv * ny) if nv > 0 and ny > 0 else 0.0
    s = np.linalg.svd(V.T @ V, compute_uv=False)
    cond = float(s[-1] / s[0]) if s[0] > 0 else 0.0
    margin = min(corr, cond) - A1_TOL
    return Assumption("A1", margin, min(corr, cond),
                      f"||V^T Y||/(||V|| ||Y||) = {corr:.3g}, sigma ratio of V^T V = {cond:.3g}")


def a2(loss: str) -> Assumption:
    """A2: the loss is convex and differentiable (twice, here) in ``yhat``."""
    spec = LOSSES[loss]
    ok = spec.convex and spec.c2
    return Assumption("A2", 1.0 if ok else -1.0, None,
                      f"loss {loss}: convex={spec.convex}, C2={spec.c2}")


def a3(study: Study) -> Assumption:
    """A3: ``M >= N_o``; margin ``(M - N_o + 1/2) / N_o``."""
    lay = study.inst.model.layout
    return Assumption("A3", (lay.width - lay.n_out + 0.5) / lay.n_out,
                      float(lay.width - lay.n_out), f"M = {lay.width}, N_o = {lay.n_out}")


def a_phi(inst: Instance) -> np.ndarray:
    """``A_phi = [W_0 W_1 ... W_{L-1}]`` (``M x (N_in + K_1 + ... + K_{L-1})``)."""
    lay = inst.model.layout
    views = lay.views(inst.theta)
    return np.hstack([views["W0"]] + [views[f"W{i}"] for i in range(1, lay.n_blocks)])


def a4_ratio(inst: Instance) -> float:
    """``sigma_min / sigma_max`` of ``A_phi``; 0 when ``M`` is too small for full column
    rank."""
    A = a_phi(inst)
    if A.shape[0] < A.shape[1]:
        return 0.0
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[-1] / s[0]) if s[0] > 0 else 0.0


def a4(study: Study) -> Assumption:
    """A4: ``A_phi`` of full column rank; margin ``sigma_min / sigma_max - A4_TOL``."""
    A = a_phi(study.inst)
    r = a4_ratio(study.inst)
    return Assumption("A4", r - A4_TOL, r,
                      f"sigma_min/sigma_max of A_phi ({A.shape[0]} x {A.shape[1]}) = {r:.3g}")


def rank_ratio(W: np.ndarray, scale: float = 0.0) -> float:
    """``sigma_min / max(sigma_max, scale)`` of ``W`` (``0`` for ``W = 0``, ``nan`` if not
    finite).  ``scale`` keeps a single-output ``W`` of size ``1e-18`` from counting as
    full rank (for ``N_o = 1``, ``sigma_min = sigma_max``)."""
    if not np.all(np.isfinite(W)):
        return float("nan")
    s = np.linalg.svd(W, compute_uv=False)
    top = max(float(s[0]), scale)
    return float(s[-1] / top) if top > 0 else 0.0


def eps_tolerance(best: float, *slacks: float) -> float:
    """Rounding (:data:`EPS_TOL` relative) plus the searches' Newton decrements."""
    return EPS_TOL * max(1.0, abs(best)) + float(sum(slacks))


def point_record(study: Study, point: CriticalPoint, best: float | None) -> dict[str, Any]:
    """What a reader needs to check one point: loss, gap to ``min (PA_phi)``, rank of
    ``W_{L+1}``, curvature."""
    rec = {"kind": point.kind.value, "stop_reason": point.stop_reason.value,
           "loss": point.loss, "relative_grad_norm": point.relative_grad_norm,
           "lambda_min": point.lambda_min, "lambda_max": point.lambda_max,
           "rank_ratio_Wout": study.w_out_rank_ratio(point.theta)}
    if best is not None:
        rec["gap"] = point.loss - best
    return rec


def instance_evidence(study: Study, loss: str | None = None) -> dict[str, Any]:
    """How the evidence of every (P_phi) trial starts: sizes, activation (and loss), and
    the instance's bench-spec name ``family:size:seed``."""
    inst = study.inst
    evidence: dict[str, Any] = {"sizes": study.sizes, "activation": inst.model.activation}
    if loss is not None:
        evidence["loss"] = loss
    evidence["instance"] = f"{inst.family}:{inst.size}:{inst.seed}"
    return evidence


def instance_rng(inst: Instance) -> np.random.Generator:
    """The generator of a trial on a given instance (``trial_on``): from its seed."""
    return np.random.default_rng(max(inst.seed, 0))
