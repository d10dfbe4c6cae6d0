"""The deep ResNet of Yun, Sra & Jadbabaie and its two constrained variants.

``h_0 = x``, ``h_l = h_{l-1} + phi_l(h_{l-1})`` with ``phi_l(h) = V_l s(U_l h + b_l)``,
``f(x) = w^T h_L(x)``; realised as a ResNEst with ``W_0 = I``, so the kernels,
exact derivatives and parameter subsets are those of every other model.  The
biases ``b_l`` are pinned at 0 unless ``bias=True`` (then ``phi_l(0) != 0`` is
possible: the ``no-anchor`` control of ``yun.near-identity``); ``skip=False``
gives ``f(x) = w^T V_L s(U_L ...)`` (the ``no-skip`` control).

Variants of claims.md, as constraint sets on the parameters:

* **near-identity** (``yun.near-identity``): every block ``rho_l``-Lipschitz
  with ``rho_l <= alpha / L`` and ``phi_l(0) = 0``.  ``Lip(phi_l) <=
  Lip(s) ||V_l||_2 ||U_l||_2`` (:meth:`YunResNet.block_lipschitz`);
  :meth:`YunResNet.near_identity` rescales blocks into the set.
* **Rademacher** (``yun.rademacher``): ``s = relu``, ``||w|| <= 1``,
  ``||V_l||_F, ||U_l||_F <= 1/sqrt(L)``; :meth:`YunResNet.frobenius_ball` is the
  Euclidean projection onto that product of balls.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from .._validation import check_array, check_real
from ..errors import InvalidInput
from .activations import ACTIVATIONS
from .layout import ParamLayout
from .resnest import NetworkObjective, ResNEst


@dataclasses.dataclass(frozen=True)
class YunResNet:
    """``h_0 = x``, ``h_l = h_{l-1} + V_l s(U_l h_{l-1} + b_l)``, ``f = w^T h_L``.

    Trainable: ``(U_l, V_l)`` for each block (``b_l`` too with ``bias=True``),
    then ``w``; ``W_0 = I`` is pinned.
    """

    d_x: int
    hidden: tuple[int, ...]
    activation: str = "tanh"
    skip: bool = True
    bias: bool = False

    @property
    def resnest(self) -> ResNEst:
        return ResNEst(ParamLayout(self.d_x, self.d_x, 1, tuple(self.hidden)),
                       self.activation, skip=self.skip)

    @property
    def depth(self) -> int:
        return len(self.hidden)

    @property
    def trainable(self) -> list[str]:
        names = []
        for i in range(1, self.depth + 1):
            names += [f"U{i}", f"b{i}", f"W{i}"] if self.bias else [f"U{i}", f"W{i}"]
        return [*names, "Wout"]

    def full_theta(self, t: np.ndarray) -> np.ndarray:
        lay = self.resnest.layout
        th = np.zeros(lay.n_params)
        th[lay.slices["W0"]] = np.eye(self.d_x).ravel()
        th[lay.subset_indices(self.trainable)] = t
        return th

    def objective(self, X: Any, Y: Any, loss: str = "squared", **kw: Any) -> NetworkObjective:
        Y = np.asarray(Y, dtype=np.float64).reshape(-1, 1)
        return self.resnest.objective(X, Y, loss, subset=self.trainable,
                                      theta=self.full_theta(np.zeros(self.n_params)), **kw)

    @property
    def n_params(self) -> int:
        return int(self.resnest.layout.subset_indices(self.trainable).size)

    def split(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """``{'U1', 'W1' (= V_1), ..., 'Wout' (= w^T)}`` views of a trainable vector
        (``'b1', ...`` too with ``bias=True``)."""
        views = self.resnest.layout.views(self.full_theta(self._vector(t)))
        return {name: views[name] for name in self.trainable}

    def _vector(self, t: Any) -> np.ndarray:
        t = check_array("theta", t, ndim=1)
        if t.size != self.n_params:
            raise InvalidInput("theta", f"{self.n_params} numbers", f"{t.size}")
        return t

    def _from_views(self, views: dict[str, np.ndarray]) -> np.ndarray:
        lay = self.resnest.layout
        th = self.full_theta(np.zeros(self.n_params))
        for name, value in views.items():
            th[lay.slices[name]] = np.asarray(value).ravel()
        return th[lay.subset_indices(self.trainable)]

    # ---------------------------------------------------------------- near-identity

    @property
    def anchored(self) -> bool:
        """``phi_l(0) = 0`` for every parameter value: ``s(0) = 0`` and no biases."""
        return ACTIVATIONS[self.activation].fixes_zero and not self.bias

    def block_lipschitz(self, t: Any) -> np.ndarray:
        """``rho_l = Lip(s) ||V_l||_2 ||U_l||_2 >= Lip(phi_l)``, ``l = 1..L`` (``inf``
        for an activation with no global Lipschitz constant)."""
        views = self.split(t)
        lip = ACTIVATIONS[self.activation].lipschitz
        return np.array([lip * np.linalg.norm(views[f"W{i}"], 2) * np.linalg.norm(views[f"U{i}"], 2)
                         for i in range(1, self.depth + 1)])

    def is_near_identity(self, t: Any, alpha: float) -> bool:
        """Whether ``t`` meets the near-identity assumptions: anchored blocks with
        ``rho_l <= alpha / L``."""
        alpha = check_real("alpha", alpha, positive=True)
        return self.anchored and bool(np.all(self.block_lipschitz(t) <= alpha / self.depth))

    def near_identity(self, t: Any, alpha: float) -> np.ndarray:
        """``t`` with each block over the bound scaled into it: ``U_l, V_l`` both times
        ``sqrt(c_l)``, ``c_l = (alpha / L) / rho_l`` (so ``rho_l = alpha / L`` up to a
        few ulps below it); blocks within the bound are unchanged (so it is idempotent).
        The 2-norms are recomputed after scaling and the block shrunk again while
        rounding left it above the bound, so :meth:`is_near_identity` always accepts
        the result."""
        alpha = check_real("alpha", alpha, positive=True)
        if not math.isfinite(ACTIVATIONS[self.activation].lipschitz):
            raise InvalidInput("activation", "a globally Lipschitz activation for the "
                               "near-identity variant", self.activation)
        views = self.split(t)
        limit = alpha / self.depth
        bound = limit * (1.0 - 4.0 * np.finfo(float).eps)
        lip = ACTIVATIONS[self.activation].lipschitz
        for i, rho in enumerate(self.block_lipschitz(t), start=1):
            while rho > limit:
                root = math.sqrt(bound / rho)
                views[f"U{i}"] = views[f"U{i}"] * root
                views[f"W{i}"] = views[f"W{i}"] * root
                rho = lip * np.linalg.norm(views[f"W{i}"], 2) * np.linalg.norm(views[f"U{i}"], 2)
        return self._from_views(views)

    # ---------------------------------------------------------------- Rademacher

    def frobenius_radii(self, w_radius: float = 1.0,
                        block_radius: float | None = None) -> tuple[float, float]:
        """``(||w|| bound, ||V_l||_F and ||U_l||_F bound)``; the block bound defaults to
        ``1/sqrt(L)`` (the ``no-depth-scaling`` control passes 1)."""
        w_radius = check_real("w_radius", w_radius, positive=True)
        block = 1.0 / math.sqrt(self.depth) if block_radius is None else block_radius
        return w_radius, check_real("block_radius", block, positive=True)

    def frobenius_ball(self, t: Any, w_radius: float = 1.0,
                       block_radius: float | None = None) -> np.ndarray:
        """Euclidean projection of ``t`` onto ``{||w|| <= r_w, ||V_l||_F <= r, ||U_l||_F <= r}``
        (a product of balls: each factor scaled onto its own ball if outside it)."""
        r_w, r = self.frobenius_radii(w_radius, block_radius)
        views = self.split(t)
        for name, value in views.items():
            if name.startswith("b"):
                continue
            radius = r_w if name == "Wout" else r
            norm = np.linalg.norm(value)
            if norm > radius:
                views[name] = value * (radius / norm)
        return self._from_views(views)

    def in_frobenius_ball(self, t: Any, w_radius: float = 1.0,
                          block_radius: float | None = None, *, slack: float = 1e-12) -> bool:
        r_w, r = self.frobenius_radii(w_radius, block_radius)
        return all(np.linalg.norm(value) <= (r_w if name == "Wout" else r) * (1 + slack)
                   for name, value in self.split(t).items() if not name.startswith("b"))
