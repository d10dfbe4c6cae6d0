"""Seeded, serialisable problem instances.

The ``resnest-tanh`` family of ``bench-spec.md`` is drawn here to the last
random number: from ``rng = numpy.random.default_rng(seed)``, in order,
``X, B, noise, W_0, (U_i, b_i, W_i)_{i=1..L}, W_out``, each
``rng.standard_normal(shape) * scale`` with the scale computed first in
float64; ``Y = tanh(X B^T) + noise``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import numpy as np

from .._validation import check_choice, check_seed
from ..errors import InvalidInput
from .layout import ParamLayout
from .models import ResNEst

#: ``size: (N_in, M, K, L, N_o, N)`` of bench-spec.md.
RESNEST_TANH_SIZES: dict[str, tuple[int, int, int, int, int, int]] = {
    "S": (4, 8, 4, 2, 2, 256),
    "M": (8, 16, 8, 4, 4, 1024),
    "L": (16, 32, 16, 8, 8, 4096),
}


@dataclasses.dataclass(frozen=True, eq=False)
class Instance:
    """A model, its data and a parameter vector, with the seed that drew them."""

    family: str
    size: str
    seed: int
    model: ResNEst
    X: np.ndarray
    Y: np.ndarray
    theta: np.ndarray

    def objective(self, subset: Any = None, loss: str = "squared"):
        return self.model.objective(self.X, self.Y, loss, subset=subset, theta=self.theta)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write an ``.npz`` (arrays and plain metadata only; read back with :func:`load`)."""
        lay = self.model.layout
        meta = np.array([self.family, self.size, str(self.seed), self.model.activation,
                         "1" if self.model.skip else "0"])
        np.savez(path, meta=meta, X=self.X, Y=self.Y, theta=self.theta,
                 sizes=np.array([lay.n_in, lay.width, lay.n_out], dtype=np.int64),
                 block_widths=np.array(lay.block_widths, dtype=np.int64))


def load(path: str | os.PathLike[str]) -> Instance:
    """Read an instance written by :meth:`Instance.save` (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            family, size, seed, activation, skip = (str(s) for s in f["meta"])
            n_in, width, n_out = (int(v) for v in f["sizes"])
            layout = ParamLayout(n_in, width, n_out, tuple(int(k) for k in f["block_widths"]))
            return Instance(family, size, int(seed),
                            ResNEst(layout, activation, skip=skip == "1"),
                            f["X"].copy(), f["Y"].copy(), f["theta"].copy())
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput("path", "an .npz instance written by resproof", str(path)) from exc


def resnest_tanh(size: str = "S", seed: int = 0) -> Instance:
    """The bench-spec ``resnest-tanh`` instance of ``size`` (``S``, ``M``, ``L``) and ``seed``."""
    check_choice("size", size, RESNEST_TANH_SIZES)
    check_seed("seed", seed)
    drawn = resnest_random(np.random.default_rng(seed), *RESNEST_TANH_SIZES[size])
    return dataclasses.replace(drawn, family="resnest-tanh", size=size, seed=seed)


def resnest_random(rng: np.random.Generator, n_in: int, width: int, bottleneck: int,
                   blocks: int, n_out: int, samples: int, activation: str = "tanh") -> Instance:
    """A ``resnest-tanh``-style instance of any sizes, drawn in bench-spec order from ``rng``."""
    N_in, M, K, L, N_o, N = n_in, width, bottleneck, blocks, n_out, samples
    X = rng.standard_normal((N, N_in))
    B = rng.standard_normal((N_o, N_in))
    noise = rng.standard_normal((N, N_o)) * 0.1
    parts = [rng.standard_normal((M, N_in)) * (1.0 / np.sqrt(N_in))]
    for _ in range(L):
        parts.append(rng.standard_normal((K, M)) * (1.0 / np.sqrt(M)))
        parts.append(rng.standard_normal((K,)) * 0.1)
        parts.append(rng.standard_normal((M, K)) * (1.0 / (L * np.sqrt(K))))
    parts.append(rng.standard_normal((N_o, M)) * (1.0 / np.sqrt(M)))
    model = ResNEst(ParamLayout(N_in, M, N_o, (K,) * L), activation)
    return Instance("resnest-random", f"{N_in}-{M}-{K}-{L}-{N_o}-{N}", -1, model, X,
                    np.tanh(X @ B.T) + noise, np.concatenate([p.reshape(-1) for p in parts]))


@dataclasses.dataclass(frozen=True, eq=False)
class ModelInstance:
    """Any model of :mod:`resproof.nn.models` with seeded data and parameters (its own
    parameter vector: the free coordinates for the pinned models)."""

    model: Any
    seed: int
    loss: str
    X: np.ndarray
    Y: np.ndarray
    theta: np.ndarray

    def objective(self):
        return self.model.objective(self.X, self.Y, self.loss)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write an ``.npz``: arrays, and the model as a JSON string (no pickles)."""
        spec = json.dumps({"kind": type(self.model).__name__,
                           "args": _plain(dataclasses.asdict(self.model))})
        np.savez(path, model=np.array(spec), seed=np.array(self.seed), loss=np.array(self.loss),
                 X=self.X, Y=self.Y, theta=self.theta)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def model_from_json(spec: dict[str, Any]) -> Any:
    """Rebuild a model written by :meth:`ModelInstance.save`."""
    from . import models

    kind = check_choice("model kind", spec.get("kind"), models.MODELS)
    args = {k: _tuples(v) for k, v in spec.get("args", {}).items()}
    if kind == "ResNEst":
        args["layout"] = ParamLayout(**{k: _tuples(v) for k, v in args["layout"].items()})
    return getattr(models, kind)(**args)


def load_model_instance(path: str | os.PathLike[str]) -> ModelInstance:
    """Read a :class:`ModelInstance` (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            model = model_from_json(json.loads(str(f["model"])))
            return ModelInstance(model, int(f["seed"]), str(f["loss"]), f["X"].copy(),
                                 f["Y"].copy(), f["theta"].copy())
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InvalidInput("path", "an .npz model instance written by resproof", str(path)) from exc


def random_instance(model: Any, seed: int = 0, samples: int = 64,
                    loss: str = "squared") -> ModelInstance:
    """Seeded data and parameters for ``model``: ``X ~ N(0, I)``, targets from a tanh
    teacher ``tanh(X B^T) + 0.1 noise`` (signs for ``logistic``, one-hot for
    ``softmax_ce``), parameters ``N(0, 1/4)``; drawn in that order from
    ``default_rng(seed)``."""
    from .models import LinearPredictor

    check_seed("seed", seed)
    if isinstance(model, LinearPredictor):
        raise InvalidInput("model", "a network (the linear predictor has a closed form)",
                           type(model).__name__)
    n_in, n_out = _io(model)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, n_in))
    B = rng.standard_normal((n_out, n_in))
    Y = np.tanh(X @ B.T) + 0.1 * rng.standard_normal((samples, n_out))
    if loss == "logistic":
        Y = np.where(Y >= 0, 1.0, -1.0)
    elif loss == "softmax_ce":
        Y = np.eye(n_out)[np.argmax(Y, axis=1)]
    n_params = model.n_params
    theta = rng.standard_normal(n_params) * 0.5
    return ModelInstance(model, seed, loss, X, Y, theta)


def _io(model: Any) -> tuple[int, int]:
    if hasattr(model, "layout"):
        return model.layout.n_in, model.layout.n_out
    if hasattr(model, "d_x"):
        return model.d_x, 1
    return model.n_in, model.n_out
