"""The one interface landscape code sees: a smooth function of a flat vector.

Any model of :mod:`resproof.nn` (whole or on a parameter subset) and any
user's own callables satisfy :class:`Objective`; minimisers, saddle finders,
spectra and certification use nothing else.

Besides the protocol this module offers three adapters:

* :class:`FunctionObjective` wraps plain callables (a user's own loss);
* :class:`Restricted` optimises a subset of the coordinates with the others
  frozen (e.g. (P_phi): only ``W_L, W_{L+1}``);
* :func:`counted` counts evaluations (for budgets, tests and benchmarks).

An objective may also define ``loss_grad(theta) -> (float, ndarray)`` when the
two share a forward pass; :func:`loss_and_grad` uses it if present.  Likewise
``hvp_block(theta, V) -> (b, P)``, the Hessian applied to every row of ``V``
(``b x P``) in one pass: :func:`hvp_block` uses it if present and stacks single
HVPs otherwise, so block methods work with every objective.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._validation import check_array
from ..errors import InvalidInput


@runtime_checkable
class Objective(Protocol):
    """``f: R^P -> R`` with exact first and second derivatives.

    Attributes / methods
    --------------------
    n_params
        ``P``, the length of the flat vector ``theta``.
    loss(theta)
        ``f(theta)`` as a float.
    grad(theta)
        ``nabla f(theta)``, shape ``(P,)``.
    hvp(theta, v)
        ``nabla^2 f(theta) v``, shape ``(P,)``, exact to rounding (no finite differences).
    hessian(theta)
        ``nabla^2 f(theta)``, shape ``(P, P)``, symmetric.
    symmetry_modes(theta) (optional)
        How many zero eigenvalues of the Hessian at ``theta`` the problem's own
        continuous symmetries explain (flat directions of ``f``); the classifier
        uses it when the caller passes no count (:func:`symmetry_modes_at`).  It
        must never exceed the true number of flat directions: too few only
        makes a minimum ``DEGENERATE``, too many could hide a degenerate one.
    """

    n_params: int

    def loss(self, theta: np.ndarray) -> float: ...

    def grad(self, theta: np.ndarray) -> np.ndarray: ...

    def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray: ...

    def hessian(self, theta: np.ndarray) -> np.ndarray: ...


def loss_and_grad(objective: Objective, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """``(f(theta), grad f(theta))``, in one call when the objective offers ``loss_grad``."""
    fused = getattr(objective, "loss_grad", None)
    if fused is not None:
        f, g = fused(theta)
        return float(f), g
    return float(objective.loss(theta)), objective.grad(theta)


def hvp_block(objective: Objective, theta: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``H v_j`` for every row ``v_j`` of ``V`` (``b x P``), as the rows of a ``b x P``
    array: the objective's own ``hvp_block`` when it has one, else ``b`` single HVPs."""
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[1] != objective.n_params:
        raise InvalidInput("V", f"shape (b, {objective.n_params}), one vector per row",
                           V.shape)
    own = getattr(objective, "hvp_block", None)
    if own is not None:
        return np.asarray(own(theta, V), dtype=np.float64)
    if V.shape[0] == 0:
        return np.empty((0, objective.n_params))
    return np.stack([np.asarray(objective.hvp(theta, v), dtype=np.float64) for v in V])


def has_block_hvp(objective: Objective) -> bool:
    """Whether ``objective`` applies the Hessian to a block natively (its own
    ``hvp_block``, through any :class:`Restricted` / :class:`CountedObjective` wrappers)."""
    while isinstance(objective, (Restricted, CountedObjective)):
        objective = objective.objective
    return getattr(objective, "hvp_block", None) is not None


def symmetry_modes_at(objective: Objective, theta: np.ndarray, given: int | None = None) -> int:
    """``given`` when the caller passes a count, else the objective's own
    ``symmetry_modes(theta)`` when it has one, else 0."""
    if given is not None:
        return int(given)
    own = getattr(objective, "symmetry_modes", None)
    return 0 if own is None else int(own(theta))


def check_objective(objective: Any) -> Objective:
    """Return ``objective`` if it satisfies :class:`Objective`, else raise ``InvalidInput``."""
    if not isinstance(objective, Objective):
        raise InvalidInput("objective", "an object with n_params, loss, grad, hvp and hessian",
                           objective)
    return objective


def check_theta(objective: Objective, theta: Any, field: str = "theta") -> np.ndarray:
    """A finite float64 copy of ``theta`` with shape ``(objective.n_params,)``."""
    array = check_array(field, theta, ndim=1)
    if array.shape != (objective.n_params,):
        raise InvalidInput(field, f"shape ({objective.n_params},)", array.shape)
    return array.copy()


#: Columns per block product when a Hessian is assembled from ``hvp_block``.
HESSIAN_BLOCK = 16


class FunctionObjective:
    """An :class:`Objective` from user callables.

    Parameters
    ----------
    loss, grad
        ``f(theta) -> float`` and ``grad f(theta) -> (P,)``.
    hvp
        ``(theta, v) -> H v``; default ``hessian(theta) @ v``.
    hessian
        ``theta -> (P, P)``; default: assembled column by column from ``hvp``
        (``P`` products; :data:`HESSIAN_BLOCK` columns per product when ``hvp_block``
        is given) and symmetrised.
    n_params
        ``P``.  At least one of ``hvp`` / ``hessian`` is required.
    hvp_block
        ``(theta, V) -> (b, P)``, ``H`` applied to the rows of ``V`` in one pass
        (optional; block Lanczos and the column Hessian use it).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[2.0, 0.0], [0.0, 0.0]])
    >>> obj = FunctionObjective(lambda x: 0.5 * x @ A @ x, lambda x: A @ x,
    ...                         hessian=lambda x: A, n_params=2)
    >>> obj.hvp(np.zeros(2), np.ones(2)).tolist()
    [2.0, 0.0]
    """

    def __init__(self, loss: Callable[[np.ndarray], float],
                 grad: Callable[[np.ndarray], np.ndarray],
                 hvp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                 hessian: Callable[[np.ndarray], np.ndarray] | None = None, *,
                 n_params: int,
                 hvp_block: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                 ) -> None:
        if hvp is None and hessian is None:
            raise InvalidInput("hvp", "hvp or hessian (a FunctionObjective needs second "
                               "derivatives)")
        for field, fn in (("loss", loss), ("grad", grad), ("hvp", hvp), ("hessian", hessian),
                          ("hvp_block", hvp_block)):
            if fn is not None and not callable(fn):
                raise InvalidInput(field, "a callable", fn)
        self.n_params = int(n_params)
        self._loss, self._grad, self._hvp, self._hessian = loss, grad, hvp, hessian
        if hvp_block is not None:
            # an attribute only when given: has_block_hvp tells block methods it is native
            self.hvp_block = hvp_block

    def loss(self, theta: np.ndarray) -> float:
        return float(self._loss(theta))

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return np.asarray(self._grad(theta), dtype=np.float64).reshape(-1)

    def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self._hvp is not None:
            return np.asarray(self._hvp(theta, v), dtype=np.float64).reshape(-1)
        return self.hessian(theta) @ v

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        if self._hessian is not None:
            return np.asarray(self._hessian(theta), dtype=np.float64)
        P = self.n_params
        eye = np.eye(P)
        if has_block_hvp(self):
            H = np.concatenate([hvp_block(self, theta, eye[j:j + HESSIAN_BLOCK])
                                for j in range(0, P, HESSIAN_BLOCK)]).T
        else:
            H = np.column_stack([self.hvp(theta, e) for e in eye])
        return 0.5 * (H + H.T)


class Restricted:
    """``g(z) = f(theta_base with theta[indices] = z)``: a subset of coordinates.

    The gradient, HVP and Hessian are the corresponding slices of ``f``'s:
    ``grad g = (grad f)[I]``, ``H_g = (H_f)[I, I]``, ``H_g u = (H_f embed(u))[I]``.

    Parameters
    ----------
    objective
        The full objective on ``R^P``.
    indices
        Integer indices or a boolean mask of length ``P`` of the free coordinates.
    base_theta
        The full vector supplying the frozen coordinates.
    """

    def __init__(self, objective: Objective, indices: Any, base_theta: Any) -> None:
        self.objective = objective
        self.base_theta = check_theta(objective, base_theta, "base_theta")
        index = np.asarray(indices)
        if index.dtype == np.bool_:
            if index.shape != (objective.n_params,):
                raise InvalidInput("indices", f"a boolean mask of length {objective.n_params}",
                                   index.shape)
            index = np.flatnonzero(index)
        if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
            raise InvalidInput("indices", "a 1-d array of integer indices or a boolean mask",
                               indices)
        index = index.astype(np.int64)
        if index.size == 0 or np.any(index < 0) or np.any(index >= objective.n_params) or \
                np.unique(index).size != index.size:
            raise InvalidInput("indices", f"distinct indices in [0, {objective.n_params})",
                               indices)
        self.indices = index
        self.n_params = int(index.size)

    def embed(self, z: np.ndarray) -> np.ndarray:
        """The full vector with the free coordinates set to ``z``."""
        theta = self.base_theta.copy()
        theta[self.indices] = z
        return theta

    def restrict(self, theta: np.ndarray) -> np.ndarray:
        """The free coordinates of a full vector."""
        return np.asarray(theta, dtype=np.float64)[self.indices].copy()

    def loss(self, z: np.ndarray) -> float:
        return float(self.objective.loss(self.embed(z)))

    def grad(self, z: np.ndarray) -> np.ndarray:
        return self.objective.grad(self.embed(z))[self.indices]

    def loss_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = loss_and_grad(self.objective, self.embed(z))
        return f, g[self.indices]

    def hvp(self, z: np.ndarray, u: np.ndarray) -> np.ndarray:
        full = np.zeros(self.objective.n_params)
        full[self.indices] = u
        return self.objective.hvp(self.embed(z), full)[self.indices]

    def hvp_block(self, z: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``(H_f embed(u_j))[I]`` for every row ``u_j`` of ``U``, one block product of ``f``."""
        full = np.zeros((U.shape[0], self.objective.n_params))
        full[:, self.indices] = U
        return hvp_block(self.objective, self.embed(z), full)[:, self.indices]

    def hessian(self, z: np.ndarray) -> np.ndarray:
        H = self.objective.hessian(self.embed(z))
        return H[np.ix_(self.indices, self.indices)]


@dataclasses.dataclass
class Counts:
    """Evaluations made through a :func:`counted` objective."""

    loss: int = 0
    grad: int = 0
    #: Hessian-vector products: a block of ``b`` vectors counts ``b``.
    hvp: int = 0
    hessian: int = 0
    #: Calls of ``hvp_block`` (each also counted in :attr:`hvp`, once per vector).
    hvp_blocks: int = 0


class CountedObjective:
    """An objective that forwards every call and counts it in ``counts``."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective
        self.n_params = objective.n_params
        self.counts = Counts()

    def loss(self, theta: np.ndarray) -> float:
        self.counts.loss += 1
        return self.objective.loss(theta)

    def grad(self, theta: np.ndarray) -> np.ndarray:
        self.counts.grad += 1
        return self.objective.grad(theta)

    def loss_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        self.counts.loss += 1
        self.counts.grad += 1
        return loss_and_grad(self.objective, theta)

    def hvp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.counts.hvp += 1
        return self.objective.hvp(theta, v)

    def hvp_block(self, theta: np.ndarray, V: np.ndarray) -> np.ndarray:
        self.counts.hvp += int(np.shape(V)[0])
        self.counts.hvp_blocks += 1
        return hvp_block(self.objective, theta, V)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        self.counts.hessian += 1
        return self.objective.hessian(theta)

    def symmetry_modes(self, theta: np.ndarray) -> int:
        return symmetry_modes_at(self.objective, theta)


def counted(objective: Objective) -> CountedObjective:
    """Wrap ``objective`` so that ``.counts`` records loss/grad/hvp/hessian calls."""
    return CountedObjective(check_objective(objective))
