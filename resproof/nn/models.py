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
from typing import Any

import numpy as np

from .._validation import check_array
from ..errors import InvalidInput
from . import kernels
from .activations import ACTIVATIONS
from .layout import ParamLayout
from .losses import resolve_loss
from .resnest import NetworkObjective, ResNEst
from .yun import YunResNet


@dataclasses.dataclass(frozen=True)
class LinearPredictor:
    """``yhat = T x`` (no bias: a constant input coordinate models one).

    :meth:`objective` is ``R(T) = (1/N) sum_n l(T x_n, y_n)`` with the exact Hessian
    ``H = (1/N) sum_n l''_n (x) x_n x_n^T``; :meth:`squared_optimum` its least-squares
    minimiser.  ``R_lin`` for any convex loss is :func:`resproof.problems.linear.optimum`.
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

    def hvp_block(self, t: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``H v_j`` for every row of ``V``, from one Hessian."""
        return np.asarray(V, dtype=np.float64) @ self.hessian(t).T


class _Embedded:
    """A model realised as a ResNEst with some parameters pinned (same kernels, exact
    derivatives through the subset machinery).  Subclasses define ``resnest``,
    ``_pinned()`` (the full vector with pinned values) and ``_free`` (block-name /
    index pairs of the free coordinates, in the model's own parameter order)."""

    @property
    def resnest(self) -> ResNEst:
        raise NotImplementedError

    def _free(self) -> list[tuple[str, slice, slice]]:
        raise NotImplementedError

    def _pinned(self) -> np.ndarray:
        raise NotImplementedError

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


@dataclasses.dataclass(frozen=True)
class YunTwoLayerResNet(_Embedded):
    """The deep ResNet of Yun, Sra & Jadbabaie with two-layer ``phi_l``:
    ``h_0 = x``, ``h_l = h_{l-1} + V_l s(A_l s(U_l h_{l-1}))``, ``f = w^T h_L``
    (``hidden[l] = (m_l, n_l)``: ``U_l`` is ``m_l x d_x``, ``A_l`` ``n_l x m_l``,
    ``V_l`` ``d_x x n_l``; for ``l = 1`` ``U_1, A_1`` are the parameters ``z`` of
    ``phi_1``).  No biases.

    Realised as a one-layer ResNEst of width ``d_x + sum_l m_l`` with ``W_0 = [I; 0]``:
    block ``l`` becomes two blocks, the first writing ``s(U_l h)`` into its own scratch
    slot (pinned ``[0; I; 0]``), the second reading only that slot (``[0 A_l 0]``) and
    writing ``V_l`` into the stream; scratch slots never reach the output
    (``W_out = [w^T 0]``).  Free parameters, in order: per block ``U_l, A_l, V_l``
    (row-major), then ``w``; :meth:`split` names them ``U{l}``, ``A{l}``, ``W{l}``
    (= ``V_l``) and ``Wout``, as :class:`~resproof.nn.yun.YunResNet` does.
    """

    d_x: int
    hidden: tuple[tuple[int, int], ...]
    activation: str = "tanh"
    skip: bool = True
    bias: bool = False

    @property
    def depth(self) -> int:
        return len(self.hidden)

    @property
    def resnest(self) -> ResNEst:
        widths = tuple(w for pair in self.hidden for w in pair)
        scratch = sum(m for m, _ in self.hidden)
        return ResNEst(ParamLayout(self.d_x, self.d_x + scratch, 1, widths), self.activation)

    def _free(self):
        d, out, slot = self.d_x, [], self.d_x
        for i, (m, _) in enumerate(self.hidden):
            a, b = 2 * i + 1, 2 * i + 2
            out += [(f"U{a}", slice(None), slice(0, d)),
                    (f"U{b}", slice(None), slice(slot, slot + m)),
                    (f"W{b}", slice(0, d), slice(None))]
            slot += m
        return [*out, ("Wout", slice(None), slice(0, d))]

    def _pinned(self) -> np.ndarray:
        lay = self.resnest.layout
        th = np.zeros(lay.n_params)
        views = lay.views(th)
        views["W0"][:self.d_x] = np.eye(self.d_x)
        slot = self.d_x
        for i, (m, _) in enumerate(self.hidden):
            views[f"W{2 * i + 1}"][slot:slot + m] = np.eye(m)
            slot += m
        return th

    def split(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """``{'U1', 'A1', 'W1' (= V_1), ..., 'Wout' (= w^T)}`` copies of a free vector."""
        t = np.asarray(t, dtype=np.float64)
        if t.shape != (self.n_params,):
            raise InvalidInput("theta", f"{self.n_params} numbers", f"shape {t.shape}")
        out, pos = {}, 0
        for i, (m, n) in enumerate(self.hidden, start=1):
            for name, shape in ((f"U{i}", (m, self.d_x)), (f"A{i}", (n, m)),
                                (f"W{i}", (self.d_x, n))):
                size = shape[0] * shape[1]
                out[name] = t[pos:pos + size].reshape(shape).copy()
                pos += size
        out["Wout"] = t[pos:].reshape(1, self.d_x).copy()
        return out

    def _from_views(self, views: dict[str, np.ndarray]) -> np.ndarray:
        parts = []
        for i in range(1, self.depth + 1):
            parts += [views[f"U{i}"].ravel(), views[f"A{i}"].ravel(), views[f"W{i}"].ravel()]
        return np.concatenate([*parts, views["Wout"].ravel()])

    def objective(self, X: Any, Y: Any, loss: str = "squared",  # type: ignore[override]
                  **kw: Any) -> HvpHessian:  # an HVP-assembled objective, same protocol
        """The risk; its ``hessian`` is assembled from ``P`` exact HVPs (the structured
        Hessian kernel disagrees with finite differences of the gradient on these
        scratch-slot layouts, while the HVP agrees: see ``tests/nn/test_models.py``)."""
        Y = np.asarray(Y, dtype=np.float64).reshape(-1, 1)
        return HvpHessian(super().objective(X, Y, loss, **kw))


class HvpHessian:
    """An objective whose dense Hessian is ``[H e_1, ..., H e_P]`` (symmetrised) from its
    HVPs; ``loss``, ``loss_grad``, ``grad``, ``hvp`` and ``hvp_block`` are the wrapped
    objective's."""

    def __init__(self, inner: NetworkObjective):
        self.inner = inner
        self.n_params = inner.n_params

    def loss(self, t: np.ndarray) -> float:
        return self.inner.loss(t)

    def loss_grad(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        return self.inner.loss_grad(t)

    def grad(self, t: np.ndarray) -> np.ndarray:
        return self.inner.grad(t)

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.inner.hvp(t, v)

    def hvp_block(self, t: np.ndarray, V: np.ndarray) -> np.ndarray:
        return self.inner.hvp_block(t, V)

    def hessian(self, t: np.ndarray) -> np.ndarray:
        eye = np.eye(self.n_params)
        H = np.stack([self.inner.hvp(t, eye[i]) for i in range(self.n_params)], axis=1)
        return 0.5 * (H + H.T)


MODELS = ("ResNEst", "TwoLayerResNEst", "YunTwoLayerResNet", "AResNEst", "DenseNEst",
          "YunResNet", "LinearPredictor")
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
    "YunTwoLayerResNet",
]
