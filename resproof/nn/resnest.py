"""The ResNEst of Chen et al., the base every model of resproof is pinned from, and the
objective it hands out.

``x_0 = W_0 x``, ``x_i = x_{i-1} + W_i s(U_i x_{i-1} + b_i)`` (``i = 1..L``),
``yhat = W_{L+1} x_L``; :class:`NetworkObjective` evaluates ``loss``, ``grad``,
``hvp`` and ``hessian`` on a flat parameter vector (or a subset of it) through
the compiled kernels of :mod:`resproof.nn.kernels`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_array
from ..errors import InvalidInput
from . import kernels
from .activations import resolve_activation
from .layout import HEAD, PER_BLOCK, ParamLayout
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
        return NetworkObjective(kernels.private(X), kernels.private(Y), lay.offsets,
                                aspec.code, ap, lspec.code, lp, 1.0 if self.skip else 0.0,
                                idx, base, subset is not None,
                                subset if isinstance(subset, str) else None)

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
    """``loss / grad / hvp / hvp_block / hessian`` of a network risk on a flat vector.

    On a subset the vector holds only the subset's coordinates; the rest stay at
    the ``theta`` the objective was made with.
    """

    _args: tuple[Any, Any, Any, Any, Any, Any, Any, Any]  # lay, X, Y, acode, ap, lcode, lp, skip

    def __init__(self, X, Y, lay, acode, ap, lcode, lp, skip, idx, base, restricted,
                 subset_name=None):
        self._args = (lay, X, Y, acode, ap, lcode, lp, skip)
        self.indices = idx
        self._base = base
        self._restricted = restricted
        self._symmetric = not restricted or subset_name == "P_phi"
        self.n_params = int(idx.size)
        self.chunk = max(1, min(X.shape[0], 256))

    def full(self, t: np.ndarray) -> np.ndarray:
        """The full parameter vector for the (possibly restricted) vector ``t``."""
        if not self._restricted:
            return np.ascontiguousarray(t, dtype=np.float64)
        th = self._base.copy()
        th[self.indices] = t
        return th

    def symmetry_modes(self, t: np.ndarray) -> int:
        """``(M - rank W_{L+1}) K_L`` on the full problem (P) and on (P_phi): the flat
        directions ``W_L + q r^T`` with ``W_{L+1} q = 0`` (``x_L`` enters the
        prediction only through ``W_{L+1}``).  For (P) this is a lower count (its
        other symmetries are not counted, which can only make a minimum
        ``DEGENERATE``); 0 on every other subset."""
        lay = self._args[0]
        n_blocks = int(lay[3])
        if not self._symmetric or n_blocks == 0:
            return 0
        M, N_o, o_out = int(lay[1]), int(lay[2]), int(lay[5])
        K = int(lay[HEAD + PER_BLOCK * (n_blocks - 1)])
        W_out = self.full(t)[o_out:o_out + N_o * M].reshape(N_o, M)
        return (M - int(np.linalg.matrix_rank(W_out))) * K

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

    def hvp_block(self, t: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``H v_j`` for every row ``v_j`` of ``V`` (``b x n_params``), as rows: one pass
        for the whole block (:func:`resproof.nn.kernels.hvp_block`), each row equal to
        :meth:`hvp` of that row up to the order of its sums."""
        V = np.asarray(V, dtype=np.float64)
        if V.ndim != 2 or V.shape[1] != self.n_params:
            raise InvalidInput("V", f"shape (b, {self.n_params}), one vector per row",
                               f"shape {V.shape}")
        if self._restricted:
            W = np.zeros((V.shape[0], self._base.size))
            W[:, self.indices] = V
            return kernels.hvp_block(self.full(t), *self._args, W)[:, self.indices]
        return kernels.hvp_block(self.full(t), *self._args, np.ascontiguousarray(V))

    def hessian(self, t: np.ndarray) -> np.ndarray:
        H = kernels.hessian(self.full(t), *self._args, self.chunk)
        if self._restricted:
            return H[np.ix_(self.indices, self.indices)]
        return H
