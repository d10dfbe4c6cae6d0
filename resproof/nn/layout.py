"""Flat parameter vector <-> named weight views of a ResNEst-shaped network.

Order (bench-spec.md): ``W0``, then ``U1, b1, W1, ..., UL, bL, WL``, then
``Wout`` (= ``W_{L+1}``), each matrix flattened row-major.  Shapes:
``W0 (M, N_in)``, ``U_i (K_i, M)``, ``b_i (K_i,)``, ``W_i (M, K_i)``,
``Wout (N_o, M)``.  Kernels receive :attr:`ParamLayout.offsets`, an int64
array encoding the same table (see :func:`_encode`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_choice, check_positive_int
from ..errors import InvalidInput

#: Named subsets of Chen et al.: (P_phi) optimises W_L, W_{L+1}; (PD_phi) W_{L+1}.
NAMED_SUBSETS = ("P_phi", "PD_phi")

# offsets encoding: [N_in, M, N_o, L, off_W0, off_Wout, P, then per block i:
#                    K_i, off_U_i, off_b_i, off_W_i, koff_i (column offset in sum K)]
HEAD = 7
PER_BLOCK = 5


@dataclasses.dataclass(frozen=True)
class ParamLayout:
    """Named blocks of the flat vector ``theta`` of a residual network.

    Parameters
    ----------
    n_in, width, n_out
        ``N_in``, the residual width ``M`` and ``N_o``.
    block_widths
        ``(K_1, ..., K_L)``; ``L = len(block_widths)`` may be 0.

    Examples
    --------
    >>> lay = ParamLayout(4, 8, 2, (4, 4))
    >>> lay.n_params
    184
    >>> lay.names[:4]
    ('W0', 'U1', 'b1', 'W1')
    """

    n_in: int
    width: int
    n_out: int
    block_widths: tuple[int, ...]

    def __post_init__(self) -> None:
        check_positive_int("n_in", self.n_in)
        check_positive_int("width", self.width)
        check_positive_int("n_out", self.n_out)
        widths = tuple(self.block_widths)
        for k in widths:
            check_positive_int("block_widths", k)
        object.__setattr__(self, "block_widths", widths)

    @property
    def n_blocks(self) -> int:
        """``L``."""
        return len(self.block_widths)

    @property
    def names(self) -> tuple[str, ...]:
        out = ["W0"]
        for i in range(1, self.n_blocks + 1):
            out += [f"U{i}", f"b{i}", f"W{i}"]
        out.append("Wout")
        return tuple(out)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        M = self.width
        out: dict[str, tuple[int, ...]] = {"W0": (M, self.n_in)}
        for i, k in enumerate(self.block_widths, start=1):
            out[f"U{i}"] = (k, M)
            out[f"b{i}"] = (k,)
            out[f"W{i}"] = (M, k)
        out["Wout"] = (self.n_out, M)
        return out

    @property
    def slices(self) -> dict[str, slice]:
        out, pos = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            out[name] = slice(pos, pos + size)
            pos += size
        return out

    @property
    def n_params(self) -> int:
        """``P = M N_in + sum_i (2 K_i M + K_i) + N_o M``."""
        return self.width * (self.n_in + self.n_out) + sum(
            2 * k * self.width + k for k in self.block_widths)

    @property
    def offsets(self) -> np.ndarray:
        """int64 table the kernels read (encoding in the module source)."""
        return _encode(self)

    def views(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Views (no copies) of ``theta`` keyed by block name."""
        theta = np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise InvalidInput("theta", f"an array of shape ({self.n_params},)",
                               f"shape {theta.shape}")
        shapes = self.shapes
        return {name: theta[s].reshape(shapes[name]) for name, s in self.slices.items()}

    def flatten(self, weights: dict[str, Any]) -> np.ndarray:
        """The flat float64 vector of a ``{name: array}`` mapping (every name required)."""
        parts = []
        for name, shape in self.shapes.items():
            if name not in weights:
                raise InvalidInput("weights", f"a mapping with key {name!r}", sorted(weights))
            w = np.asarray(weights[name], dtype=np.float64)
            if w.shape != shape:
                raise InvalidInput(f"weights[{name!r}]", f"shape {shape}", f"shape {w.shape}")
            parts.append(w.reshape(-1))
        return np.concatenate(parts)

    def subset_indices(self, subset: Any) -> np.ndarray:
        """Sorted int64 indices of a parameter subset into ``theta``.

        ``subset`` is ``None`` (all), ``"P_phi"`` (``W_L``, ``W_{L+1}``),
        ``"PD_phi"`` (``W_{L+1}``), a sequence of block names, a boolean mask
        of length ``P`` or an array of indices.
        """
        P = self.n_params
        if subset is None:
            return np.arange(P, dtype=np.int64)
        if isinstance(subset, str):
            check_choice("subset", subset, NAMED_SUBSETS)
            names = ["Wout"] if subset == "PD_phi" else [f"W{self.n_blocks}", "Wout"]
            return self._names_to_indices(names)
        if isinstance(subset, Sequence) and subset and all(isinstance(s, str) for s in subset):
            for s in subset:
                check_choice("subset", s, self.names)
            return self._names_to_indices(list(subset))
        arr = np.asarray(subset)
        if arr.dtype == np.bool_:
            if arr.shape != (P,):
                raise InvalidInput("subset", f"a boolean mask of shape ({P},)",
                                   f"shape {arr.shape}")
            idx = np.flatnonzero(arr).astype(np.int64)
        elif arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
            idx = np.unique(arr.astype(np.int64))
            if idx.size != arr.size or (idx.size and (idx[0] < 0 or idx[-1] >= P)):
                raise InvalidInput("subset", f"distinct indices in [0, {P})", subset)
        else:
            raise InvalidInput("subset", "None, 'P_phi', 'PD_phi', block names, a boolean "
                               "mask or an index array", subset)
        if idx.size == 0:
            raise InvalidInput("subset", "a non-empty subset", subset)
        return idx

    def _names_to_indices(self, names: list[str]) -> np.ndarray:
        sl = self.slices
        return np.unique(np.concatenate(
            [np.arange(sl[n].start, sl[n].stop) for n in names])).astype(np.int64)


def _encode(lay: ParamLayout) -> np.ndarray:
    sl = lay.slices
    L = lay.n_blocks
    out = np.zeros(HEAD + PER_BLOCK * L, dtype=np.int64)
    out[:HEAD] = [lay.n_in, lay.width, lay.n_out, L, sl["W0"].start, sl["Wout"].start,
                  lay.n_params]
    koff = 0
    for i, k in enumerate(lay.block_widths, start=1):
        j = HEAD + PER_BLOCK * (i - 1)
        out[j:j + PER_BLOCK] = [k, sl[f"U{i}"].start, sl[f"b{i}"].start, sl[f"W{i}"].start, koff]
        koff += k
    return out


def resnest_layout(n_in: int, width: int, n_out: int,
                   block_widths: Sequence[int]) -> ParamLayout:
    """Shorthand for :class:`ParamLayout`."""
    return ParamLayout(n_in, width, n_out, tuple(block_widths))
