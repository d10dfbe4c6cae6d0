"""Models of the seeds as thin classes over the compiled kernels.

Every model owns a :class:`~resproof.nn.layout.ParamLayout` and hands out
objectives (``loss``, ``grad``, ``hvp``, ``hessian`` on a flat vector) for a
data set, a loss and optionally a parameter subset.

* :class:`ResNEst` (Chen et al.): ``x_0 = W_0 x``, ``x_i = x_{i-1} + W_i s(U_i x_{i-1} + b_i)``,
  ``yhat = W_{L+1} x_L``.
* :class:`~resproof.nn.yun.YunResNet` (Yun, Sra & Jadbabaie), in :mod:`resproof.nn.yun`
  with its near-identity and Rademacher variants.
* :class:`LinearPredictor`: ``yhat = T x`` and its exact squared-loss optimum.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_array
from ..errors import InvalidInput
from . import kernels
from .activations import ACTIVATIONS, resolve_activation
from .layout import ParamLayout
from .losses import resolve_loss


@dataclasses.dataclass(frozen=True)
class ResNEst:
    """A ResNEst with one-layer blocks ``G_i(x) = s(U_i x + b_i)``.

    Parameters
    ----------
    layout
        Sizes ``N_in, M, N_o`` and block widths ``K_1..K_L``.
    activation
        One of :data:`~resproof.nn.activations.ACTIVATIONS`.
    activation_params
        ``(s0, s1, s2)`` for ``"quadratic"``, empty otherwise.
    skip
        ``False`` removes the identity path (``x_i = W_i G_i(x_{i-1})``), for controls.
    """

    layout: ParamLayout
    activation: str = "tanh"
    activation_params: tuple[float, ...] = ()
    skip: bool = True

    def __post_init__(self) -> None:
        resolve_activation(self.activation, self.activation_params)

    @classmethod
    def build(cls, n_in: int, width: int, n_out: int, block_widths: Sequence[int],
              **kwargs: Any) -> ResNEst:
        return cls(ParamLayout(n_in, width, n_out, tuple(block_widths)), **kwargs)

    @property
    def n_params(self) -> int:
        return self.layout.n_params

    def objective(self, X: Any, Y: Any, loss: str = "squared", *, loss_param: float | None = None,
                  subset: Any = None, theta: Any = None) -> NetworkObjective:
        """The risk ``R(theta) = (1/N) sum_n l(yhat(x_n), y_n)`` as an objective.

        With ``subset`` (see :meth:`ParamLayout.subset_indices`) the objective
        is over those coordinates only, the others fixed at ``theta``.
        """
        lay = self.layout
        X = check_array("X", X, ndim=2)
        Y = check_array("Y", Y, ndim=2)
        if X.shape[1] != lay.n_in:
            raise InvalidInput("X", f"{lay.n_in} columns (N_in)", f"shape {X.shape}")
        if Y.shape != (X.shape[0], lay.n_out):
            raise InvalidInput("Y", f"shape ({X.shape[0]}, {lay.n_out})", f"shape {Y.shape}")
        lspec, lp = resolve_loss(loss, loss_param)
        aspec, ap = resolve_activation(self.activation, self.activation_params)
        idx = lay.subset_indices(subset)
        if subset is not None:
            if theta is None:
                raise InvalidInput("theta", "the full parameter vector fixing the coordinates "
                                   "outside the subset", None)
            base = check_array("theta", theta, ndim=1).copy()
            if base.shape != (lay.n_params,):
                raise InvalidInput("theta", f"shape ({lay.n_params},)", f"shape {base.shape}")
        else:
            base = np.zeros(lay.n_params)
        return NetworkObjective(np.ascontiguousarray(X), np.ascontiguousarray(Y), lay.offsets,
                                aspec.code, ap, lspec.code, lp, 1.0 if self.skip else 0.0,
                                idx, base, subset is not None)

    def predict(self, theta: Any, X: Any) -> np.ndarray:
        aspec, ap = resolve_activation(self.activation, self.activation_params)
        X = np.ascontiguousarray(check_array("X", X, ndim=2))
        th = np.ascontiguousarray(check_array("theta", theta, ndim=1))
        skip = 1.0 if self.skip else 0.0
        XS = kernels.forward(th, self.layout.offsets, X, aspec.code, ap, skip)[0]
        return kernels.output(th, self.layout.offsets, XS[-1])

    def features(self, theta: Any, X: Any) -> list[np.ndarray]:
        """``[v_0 = x, v_1, ..., v_L]`` (each ``N x K_i``) and, last, ``x_{L-1}``."""
        aspec, ap = resolve_activation(self.activation, self.activation_params)
        X = np.ascontiguousarray(check_array("X", X, ndim=2))
        th = np.ascontiguousarray(check_array("theta", theta, ndim=1))
        XS, _Z, V, _S1, _S2 = kernels.forward(th, self.layout.offsets, X, aspec.code, ap,
                                           1.0 if self.skip else 0.0)
        out, ko = [X], 0
        for k in self.layout.block_widths:
            out.append(V[:, ko:ko + k].copy())
            ko += k
        return [*out, XS[-2]]


class NetworkObjective:
    """``loss / grad / hvp / hessian`` of a network risk on a flat vector.

    On a subset the vector holds only the subset's coordinates; the rest stay at
    the ``theta`` the objective was made with.
    """

    def __init__(self, X, Y, lay, acode, ap, lcode, lp, skip, idx, base, restricted):
        self._args = (lay, X, Y, acode, ap, lcode, lp, skip)
        self.indices = idx
        self._base = base
        self._restricted = restricted
        self.n_params = int(idx.size)
        self.chunk = max(1, min(X.shape[0], 256))

    def full(self, t: np.ndarray) -> np.ndarray:
        """The full parameter vector for the (possibly restricted) vector ``t``."""
        if not self._restricted:
            return np.ascontiguousarray(t, dtype=np.float64)
        th = self._base.copy()
        th[self.indices] = t
        return th

    def loss(self, t: np.ndarray) -> float:
        return float(kernels.loss(self.full(t), *self._args))

    def loss_grad(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        R, g = kernels.loss_grad(self.full(t), *self._args)
        return float(R), (g[self.indices] if self._restricted else g)

    def grad(self, t: np.ndarray) -> np.ndarray:
        return self.loss_grad(t)[1]

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self._restricted:
            w = np.zeros_like(self._base)
            w[self.indices] = v
            return kernels.hvp(self.full(t), *self._args, w)[self.indices]
        return kernels.hvp(self.full(t), *self._args, np.ascontiguousarray(v, dtype=np.float64))

    def hessian(self, t: np.ndarray) -> np.ndarray:
        H = kernels.hessian(self.full(t), *self._args, self.chunk)
        if self._restricted:
            return H[np.ix_(self.indices, self.indices)]
        return H


@dataclasses.dataclass(frozen=True)
class LinearPredictor:
    """``yhat = T x`` (no bias: a constant input coordinate models one).

    ``R_lin = min_T (1/N) sum_n l(T x_n, y_n)``: least squares (QR/SVD) for the squared
    loss, trust-region Newton with the exact Hessian ``H = (1/N) sum_n l''_n (x) x_n x_n^T``
    for the other convex losses (:meth:`optimum`).
    """

    n_in: int
    n_out: int

    @staticmethod
    def squared_optimum(X: Any, Y: Any) -> tuple[np.ndarray, float]:
        """``(T*, R_lin)`` for ``R(T) = 1/(2N) ||X T^T - Y||_F^2`` by least squares (QR/SVD)."""
        X = check_array("X", X, ndim=2)
        Y = check_array("Y", Y, ndim=2)
        sol, *_ = np.linalg.lstsq(X, Y, rcond=None)
        resid = X @ sol - Y
        return sol.T, float(0.5 * np.sum(resid * resid) / X.shape[0])

    @staticmethod
    def objective(X: Any, Y: Any, loss: str = "squared",
                  loss_param: float | None = None) -> LinearObjective:
        return LinearObjective(check_array("X", X, ndim=2), check_array("Y", Y, ndim=2),
                               loss, loss_param)

    @classmethod
    def optimum(cls, X: Any, Y: Any, loss: str = "squared", loss_param: float | None = None,
                *, gtol: float = 1e-12) -> tuple[np.ndarray, float]:
        """``(T*, R_lin)`` for any loss; raises :class:`~resproof.errors.SearchFailed` when
        the convex solve does not converge (e.g. separable data under the logistic loss,
        where the infimum is not attained)."""
        from ..errors import SearchFailed
        from ..landscape.minimize import minimize

        if loss == "squared":
            return cls.squared_optimum(X, Y)
        obj = cls.objective(X, Y, loss, loss_param)
        lspec, _ = resolve_loss(loss, loss_param)
        if not lspec.convex:
            raise InvalidInput("loss", "a convex loss (R_lin is a convex problem)", loss)
        point = minimize(obj, np.zeros(obj.n_params), gtol=gtol)
        if not point.converged:
            raise SearchFailed(point)
        return point.theta.reshape(obj.Y.shape[1], obj.X.shape[1]), point.loss


class LinearObjective:
    """``R(T) = (1/N) sum_n l(T x_n, y_n)`` over ``vec(T)`` (row-major ``N_o x N_in``)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, loss: str, loss_param: float | None):
        if Y.shape[0] != X.shape[0]:
            raise InvalidInput("Y", f"{X.shape[0]} rows (one per sample)", f"shape {Y.shape}")
        self.X, self.Y = X, Y
        self._loss = resolve_loss(loss, loss_param)
        self.n_params = Y.shape[1] * X.shape[1]

    def _terms(self, t: np.ndarray, want_h: bool):
        T = np.asarray(t, dtype=np.float64).reshape(self.Y.shape[1], self.X.shape[1])
        spec, lp = self._loss
        return kernels.risk_terms(np.ascontiguousarray(self.X @ T.T), self.Y, spec.code, lp,
                                  want_h)

    def loss_grad(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        R, G, _ = self._terms(t, False)
        return float(R), (G.T @ self.X).reshape(-1)

    def loss(self, t: np.ndarray) -> float:
        return self.loss_grad(t)[0]

    def grad(self, t: np.ndarray) -> np.ndarray:
        return self.loss_grad(t)[1]

    def hessian(self, t: np.ndarray) -> np.ndarray:
        _, _, Hl = self._terms(t, True)
        n_o, d = self.Y.shape[1], self.X.shape[1]
        H = np.einsum("nab,nc,ne->acbe", Hl, self.X, self.X)
        return H.reshape(n_o * d, n_o * d)

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.hessian(t) @ v


class _Embedded:
    """A model realised as a ResNEst with some parameters pinned (same kernels, exact
    derivatives through the subset machinery).  Subclasses define ``resnest``,
    ``_pinned()`` (the full vector with pinned values) and ``_free`` (block-name /
    index pairs of the free coordinates, in the model's own parameter order)."""

    resnest: ResNEst

    def free_indices(self) -> np.ndarray:
        lay = self.resnest.layout
        sl = lay.slices
        shapes = lay.shapes
        parts = []
        for name, rows, cols in self._free():
            base = np.arange(sl[name].start, sl[name].stop).reshape(
                shapes[name] if len(shapes[name]) == 2 else (shapes[name][0], 1))
            parts.append(base[rows][:, cols].reshape(-1))
        return np.concatenate(parts).astype(np.int64)

    @property
    def n_params(self) -> int:
        return int(self.free_indices().size)

    def full_theta(self, t: np.ndarray) -> np.ndarray:
        th = self._pinned()
        th[self.free_indices()] = t
        return th

    def objective(self, X: Any, Y: Any, loss: str = "squared", **kw: Any) -> NetworkObjective:
        return self.resnest.objective(X, Y, loss, subset=self.free_indices(),
                                      theta=self._pinned(), **kw)

    def predict(self, t: np.ndarray, X: Any) -> np.ndarray:
        return self.resnest.predict(self.full_theta(t), X)


@dataclasses.dataclass(frozen=True)
class AResNEst(_Embedded):
    """Augmented ResNEst ``yhat = sum_{i=0}^{L} H_i v_i``, ``v_0 = x``,
    ``v_i = s(U_i x_{i-1} + b_i)``,
    ``x_0 = W_0 x``, ``x_i = x_{i-1} + W_i v_i`` (Chen et al., eq. (3)).

    Realised as a ResNEst of width ``M + N_o`` whose stream carries
    ``[x_i; H_0 x + sum_{j<=i} H_j v_j]``: ``W_0' = [W_0; H_0]``, ``W_i' = [W_i; H_i]``,
    ``U_i' = [U_i 0]``, ``W_out' = [0 I]``.  Free parameters, in order: ``W_0``, ``H_0``,
    then per block ``U_i, b_i, W_i, H_i`` (row-major), with ``W_L`` unused by the output
    but kept for the layout.  ``include_input=False`` pins ``H_0 = 0`` (the
    ``no-input-feature`` control only).
    """

    n_in: int
    width: int
    n_out: int
    block_widths: tuple[int, ...]
    activation: str = "tanh"
    include_input: bool = True

    @property
    def resnest(self) -> ResNEst:
        return ResNEst(ParamLayout(self.n_in, self.width + self.n_out, self.n_out,
                                   tuple(self.block_widths)), self.activation)

    def _free(self):
        M, No = self.width, self.n_out
        out = [("W0", slice(0, M), slice(None))]
        if self.include_input:
            out.append(("W0", slice(M, M + No), slice(None)))
        for i in range(1, len(self.block_widths) + 1):
            out += [(f"U{i}", slice(None), slice(0, M)), (f"b{i}", slice(None), slice(None)),
                    (f"W{i}", slice(0, M), slice(None)), (f"W{i}", slice(M, M + No), slice(None))]
        return out

    def _pinned(self) -> np.ndarray:
        lay = self.resnest.layout
        th = np.zeros(lay.n_params)
        lay.views(th)["Wout"][:, self.width:] = np.eye(self.n_out)
        return th


@dataclasses.dataclass(frozen=True)
class DenseNEst(_Embedded):
    """``x_0 = x``, ``x_i = [x_{i-1}; s(U_i x_{i-1} + b_i)]``, ``yhat = W_{L+1} x_L``.

    Realised by the identity-slot construction of Prop. 4: a ResNEst of width
    ``M = N_in + sum K_i`` with ``W_0 = [I; 0]``, block ``i`` reading the filled
    slots and writing slot ``i`` through ``W_i = [0; I; 0]``, so that
    ``A_phi = [W_0 ... W_{L-1}]`` has orthonormal columns.  Free parameters:
    ``U_i`` (``K_i x (N_in + sum_{j<i} K_j)``), ``b_i`` per block, then ``W_{L+1}``.
    ``overlap=True`` makes every block write slot 1 (the ``overlapping-slots`` control).
    """

    n_in: int
    n_out: int
    block_widths: tuple[int, ...]
    activation: str = "tanh"
    overlap: bool = False

    @property
    def resnest(self) -> ResNEst:
        return ResNEst(ParamLayout(self.n_in, self.n_in + sum(self.block_widths), self.n_out,
                                   tuple(self.block_widths)), self.activation)

    def _free(self):
        out, filled = [], self.n_in
        for i, k in enumerate(self.block_widths, start=1):
            out += [(f"U{i}", slice(None), slice(0, filled)), (f"b{i}", slice(None), slice(None))]
            filled += k
        return [*out, ("Wout", slice(None), slice(None))]

    def _pinned(self) -> np.ndarray:
        lay = self.resnest.layout
        th = np.zeros(lay.n_params)
        views = lay.views(th)
        views["W0"][:self.n_in] = np.eye(self.n_in)
        slot = self.n_in
        for i, k in enumerate(self.block_widths, start=1):
            start = self.n_in if self.overlap else slot
            views[f"W{i}"][start:start + k] = np.eye(k)
            slot += k
        return th


@dataclasses.dataclass(frozen=True)
class TwoLayerResNEst(_Embedded):
    """A ResNEst with two-layer blocks ``G_i(x) = s(V_i s(U_i x + b_i) + c_i)``:
    ``x_0 = W_0 x``, ``x_i = x_{i-1} + W_i G_i(x_{i-1})``, ``yhat = W_{L+1} x_L``.

    Realised as a one-layer ResNEst of width ``M + sum_i K_i`` (``hidden[i] = (K_i, J_i)``):
    block ``i`` becomes two blocks, the first writing ``s(U_i x + b_i)`` into its own
    scratch slot (pinned ``[0; I; 0]``), the second reading only that slot
    (``[0 V_i 0]``) and writing ``W_i`` into the stream; scratch slots never reach the
    output.  Free parameters, in order: ``W_0``, then per block ``U_i, b_i, V_i, c_i, W_i``,
    then ``W_{L+1}``.
    """

    n_in: int
    width: int
    n_out: int
    hidden: tuple[tuple[int, int], ...]
    activation: str = "tanh"

    @property
    def resnest(self) -> ResNEst:
        widths = tuple(w for pair in self.hidden for w in pair)
        scratch = sum(k for k, _ in self.hidden)
        return ResNEst(ParamLayout(self.n_in, self.width + scratch, self.n_out, widths),
                       self.activation)

    def _free(self):
        M = self.width
        out = [("W0", slice(0, M), slice(None))]
        slot = M
        for i, (k, _) in enumerate(self.hidden):
            a, b = 2 * i + 1, 2 * i + 2
            out += [(f"U{a}", slice(None), slice(0, M)), (f"b{a}", slice(None), slice(None)),
                    (f"U{b}", slice(None), slice(slot, slot + k)),
                    (f"b{b}", slice(None), slice(None)), (f"W{b}", slice(0, M), slice(None))]
            slot += k
        return [*out, ("Wout", slice(None), slice(0, M))]

    def _pinned(self) -> np.ndarray:
        lay = self.resnest.layout
        th = np.zeros(lay.n_params)
        views = lay.views(th)
        slot = self.width
        for i, (k, _) in enumerate(self.hidden):
            views[f"W{2 * i + 1}"][slot:slot + k] = np.eye(k)
            slot += k
        return th


from .yun import YunResNet  # noqa: E402  (yun builds on ResNEst)

MODELS = ("ResNEst", "TwoLayerResNEst", "AResNEst", "DenseNEst", "YunResNet", "LinearPredictor")
__all__ = [
    "ACTIVATIONS",
    "MODELS",
    "AResNEst",
    "DenseNEst",
    "LinearPredictor",
    "NetworkObjective",
    "ResNEst",
    "TwoLayerResNEst",
    "YunResNet",
]
