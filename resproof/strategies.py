"""Public Hypothesis strategies for resproof's instances.

Arguments are validated eagerly (when the strategy is built), each bad one
raising :class:`~resproof.errors.InvalidInput` naming it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from ._validation import check_choice, check_int
from .errors import InvalidInput

LINEAR_PARTS = ("inside", "outside", "any")


def quadratics(*, min_variables: int = 0, max_variables: int = 3, rank: int | None = None,
               linear: str = "any", max_coefficient: int = 3) -> st.SearchStrategy[Any]:
    """Quadratics ``f = a0 + a^T x + x^T A x`` over QQ with a prescribed structure.

    ``A = B^T D B`` with ``B`` (``k x n``) in row echelon form with unit pivots
    (full row rank) and ``D`` a nonzero integer diagonal, so ``rank A = k``
    exactly; the linear part is ``a = 2 A u + r`` with ``r`` in ``ker A``:
    ``r = 0`` for ``linear="inside"`` (``a`` in ``col A``), ``r != 0`` for
    ``"outside"`` (which needs ``k < n``).  Shrinks towards few variables,
    low rank and small coefficients.

    Parameters
    ----------
    min_variables, max_variables
        Range of ``n`` (``0 <= min <= max <= 8``).
    rank
        ``k`` exactly, or ``None`` for any ``0 <= k <= n``.
    linear
        ``"inside"``, ``"outside"`` or ``"any"``.
    max_coefficient
        Bound on the integers drawn (``>= 1``).

    Returns
    -------
    SearchStrategy[Quadratic]
    """
    lo = check_int("min_variables", min_variables, minimum=0, maximum=8)
    hi = check_int("max_variables", max_variables, minimum=0, maximum=8)
    if hi < lo:
        raise InvalidInput("max_variables", f"an integer >= min_variables={lo}", hi)
    if rank is not None:
        rank = check_int("rank", rank, minimum=0, maximum=hi)
    check_choice("linear", linear, LINEAR_PARTS)
    bound = check_int("max_coefficient", max_coefficient, minimum=1, maximum=10**6)
    if linear == "outside":
        top = hi - 1 if rank is None else rank
        if rank is not None and rank >= hi:
            raise InvalidInput("rank", f"rank < max_variables={hi} for linear='outside'", rank)
        if top < 0:
            raise InvalidInput("max_variables", "an integer >= 1 for linear='outside'", hi)
        lo = max(lo, (0 if rank is None else rank) + 1)
    elif rank is not None:
        lo = max(lo, rank)
    return _quadratics(lo, hi, rank, linear, bound)


@st.composite
def _quadratics(draw: Any, lo: int, hi: int, rank: int | None, linear: str,
                bound: int) -> Any:
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    from .symbolic.quadratic import Quadratic, default_variables

    n = draw(st.integers(lo, hi), label="n")
    top = n - 1 if linear == "outside" else n
    k = draw(st.integers(0, top), label="rank") if rank is None else rank
    ints = st.integers(-bound, bound)
    nonzero = ints.filter(bool)
    pivots = sorted(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True),
                         label="pivots")) if k else []
    B = [[QQ(0)] * n for _ in range(k)]
    for t, p in enumerate(pivots):
        B[t][p] = QQ(1)
        for c in range(p + 1, n):
            if c not in pivots:
                B[t][c] = QQ(draw(ints))
    D = [QQ(draw(nonzero)) for _ in range(k)]
    A = [[sum((B[t][i] * D[t] * B[t][j] for t in range(k)), QQ(0)) for j in range(n)]
         for i in range(n)]
    u = [QQ(draw(ints)) for _ in range(n)]
    a = [2 * sum((A[i][j] * u[j] for j in range(n)), QQ(0)) for i in range(n)]
    outside = linear == "outside" or (linear == "any" and k < n and draw(st.booleans()))
    if outside:
        kernel = DomainMatrix(B, (k, n), QQ).nullspace().to_list() if k else \
            [[QQ(int(i == j)) for j in range(n)] for i in range(n)]
        coeffs = [QQ(draw(ints)) for _ in kernel]
        if not any(coeffs):
            coeffs[0] = QQ(1)
        r = [sum((c * v[i] for c, v in zip(coeffs, kernel, strict=True)), QQ(0))
             for i in range(n)]
        a = [ai + ri for ai, ri in zip(a, r, strict=True)]
    a0 = QQ(draw(ints))
    return Quadratic(default_variables(n), tuple(map(tuple, A)), tuple(a), a0)


# ------------------------------------------------------------------------------------------
# ResNEst instances (Chen et al., ResNEsts and DenseNEsts; claims resnest.*)
#
# One set of parameters, two ways to draw from it: :func:`draw_resnest_spec` from a numpy
# Generator (what a claim's trial does, from its SeedSequence) and :func:`resnest_specs`
# (the same ranges as a Hypothesis strategy, shrinking toward small networks and few
# samples).  :func:`resnest_instance` turns a spec into the model, data and weights.
# ------------------------------------------------------------------------------------------

#: Activations for claims about (P_phi) / (PA_phi) (features frozen: non-smooth allowed).
RESNEST_ACTIVATIONS = ("tanh", "softplus", "quadratic", "relu")
#: Smooth activations only (claims that differentiate through the blocks).
SMOOTH_ACTIVATIONS = ("tanh", "softplus", "quadratic")
#: The convex differentiable losses of assumption A2.
A2_LOSSES = ("squared", "logistic", "pseudo_huber", "softmax_ce")
#: Width regimes: ``wide`` meets A3 and A4's count ``M >= N_in + sum_{i<L} K_i``,
#: ``narrow`` has ``M < N_o`` (A3 broken), ``not-wide`` has ``N_o <= M < N_in +
#: sum_{i<L} K_i`` (A4 impossible, A3 met), ``any`` draws ``M`` freely.
WIDTHS = ("wide", "narrow", "not-wide", "any")
#: ``(s0, s1, s2)`` of the ``quadratic`` activation.
QUADRATIC_PARAMS = (0.1, 1.0, 0.5)


@dataclasses.dataclass(frozen=True)
class ResnestSpec:
    """Sizes ``(N_in, M, K, L, N_o, N)`` (``K_i = K`` for every block), activation, loss
    and the seed of the data and weights."""

    n_in: int
    width: int
    bottleneck: int
    blocks: int
    n_out: int
    samples: int
    activation: str
    loss: str
    data_seed: int

    @property
    def sizes(self) -> dict[str, int]:
        return {"N_in": self.n_in, "M": self.width, "K": self.bottleneck, "L": self.blocks,
                "N_o": self.n_out, "N": self.samples}


def _spec_options(width: str, activations: Any, losses: Any, max_blocks: int,
                  max_n_in: int, max_extra_width: int = 2
                  ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from .nn.activations import ACTIVATIONS
    from .nn.losses import LOSSES

    check_choice("width", width, WIDTHS)
    acts = tuple(activations)
    loss_names = tuple(losses)
    if not acts or not loss_names:
        raise InvalidInput("activations/losses", "non-empty sequences", (acts, loss_names))
    for a in acts:
        check_choice("activation", a, ACTIVATIONS)
    for name in loss_names:
        check_choice("loss", name, LOSSES)
    check_int("max_blocks", max_blocks, minimum=1, maximum=4)
    check_int("max_n_in", max_n_in, minimum=1, maximum=4)
    check_int("max_extra_width", max_extra_width, minimum=0, maximum=4)
    return acts, loss_names


def _spec_from(pick: Any, width: str, acts: tuple[str, ...], losses: tuple[str, ...],
               max_blocks: int, max_n_in: int, max_extra_width: int) -> ResnestSpec:
    """Build a spec from ``pick(kind, lo, hi_or_choices)`` (``"int"`` or ``"choice"``): the
    one place the ranges live, shared by the numpy and the Hypothesis draws."""
    loss = pick("choice", "loss", losses)
    activation = pick("choice", "activation", acts)
    lo_out = 2 if (loss == "softmax_ce" or width == "narrow") else 1
    # not-wide needs N_o <= M < N_in + sum_{i<L} K_i, so N_in > N_o with one block
    lo_in = lo_out + 1 if width == "not-wide" else 1
    n_in = pick("int", "n_in", (lo_in, max(max_n_in, lo_in)))
    K = pick("int", "bottleneck", (1, 2))
    L = pick("int", "blocks", (1, max_blocks))
    top_out = lo_out + 1
    if width == "not-wide":
        top_out = max(min(top_out, n_in + (L - 1) * K - 1), lo_out)
    n_out = pick("int", "n_out", (lo_out, top_out))
    if width == "not-wide":
        M = pick("int", "width", (n_out, max(n_in + (L - 1) * K - 1, n_out)))
    elif width == "wide":
        M = max(n_in + (L - 1) * K, n_out) + pick("int", "extra_width", (0, max_extra_width))
    elif width == "narrow":
        M = pick("int", "width", (1, n_out - 1))
    else:
        M = pick("int", "width", (1, 6))
    D = n_in + L * K
    N = 6 * D + 12 + 4 * pick("int", "extra_samples", (0, 4))
    seed = pick("int", "data_seed", (0, 2**32 - 1))
    return ResnestSpec(n_in, M, K, L, n_out, N, activation, loss, seed)


def draw_resnest_spec(rng: Any, *, width: str = "wide", activations: Any = RESNEST_ACTIVATIONS,
                      losses: Any = A2_LOSSES, max_blocks: int = 3, max_n_in: int = 3,
                      max_extra_width: int = 2) -> ResnestSpec:
    """A :class:`ResnestSpec` from a :class:`numpy.random.Generator` (the claims' trials).

    ``wide``: ``M = max(N_in + (L - 1) K, N_o) + extra``, ``extra <= max_extra_width``;
    ``N = 6 (N_in + L K) + 12 + 4 j``, ``j <= 4`` (enough samples for the stacked
    features to have full column rank and logistic / softmax data not to be separable)."""
    acts, loss_names = _spec_options(width, activations, losses, max_blocks, max_n_in,
                                     max_extra_width)

    def pick(kind: str, _label: str, arg: Any) -> Any:
        if kind == "choice":
            return arg[int(rng.integers(len(arg)))]
        return int(rng.integers(arg[0], arg[1] + 1))

    return _spec_from(pick, width, acts, loss_names, max_blocks, max_n_in, max_extra_width)


def resnest_specs(*, width: str = "wide", activations: Any = RESNEST_ACTIVATIONS,
                  losses: Any = A2_LOSSES, max_blocks: int = 3, max_n_in: int = 3,
                  max_extra_width: int = 2) -> st.SearchStrategy[ResnestSpec]:
    """Hypothesis strategy of :class:`ResnestSpec` over the ranges of
    :func:`draw_resnest_spec`; shrinks toward one block, one input, one output, the
    first activation and loss listed, and the fewest samples."""
    acts, loss_names = _spec_options(width, activations, losses, max_blocks, max_n_in,
                                     max_extra_width)

    @st.composite
    def specs(draw: Any) -> ResnestSpec:
        def pick(kind: str, label: str, arg: Any) -> Any:
            if kind == "choice":
                return draw(st.sampled_from(arg), label=label)
            return draw(st.integers(arg[0], arg[1]), label=label)

        return _spec_from(pick, width, acts, loss_names, max_blocks, max_n_in,
                          max_extra_width)

    return specs()


def resnest_instance(spec: ResnestSpec) -> Any:
    """The :class:`~resproof.nn.instances.Instance` of ``spec``: weights and data drawn in
    bench-spec order from ``default_rng(spec.data_seed)``
    (:func:`~resproof.nn.instances.resnest_random`), then targets for the loss:
    ``tanh(X B^T) + noise`` (squared, pseudo-Huber), its signs with a quarter of them
    flipped (logistic: not separable), its row-wise argmax one-hot with a quarter
    relabelled at random (softmax cross-entropy)."""
    import numpy as np

    from .nn.instances import resnest_random
    from .nn.resnest import ResNEst

    rng = np.random.default_rng(spec.data_seed)
    inst = resnest_random(rng, spec.n_in, spec.width, spec.bottleneck, spec.blocks,
                          spec.n_out, spec.samples)
    params = QUADRATIC_PARAMS if spec.activation == "quadratic" else ()
    model = ResNEst(inst.model.layout, spec.activation, params)
    Y = inst.Y
    flip = rng.random(Y.shape[0]) < 0.25
    if spec.loss == "logistic":
        Y = np.where(Y >= 0, 1.0, -1.0)
        Y[flip] *= -1.0
    elif spec.loss == "softmax_ce":
        labels = np.argmax(Y, axis=1)
        labels[flip] = rng.integers(0, spec.n_out, int(flip.sum()))
        Y = np.eye(spec.n_out)[labels]
    size = "-".join(str(v) for v in spec.sizes.values())
    return dataclasses.replace(inst, family=f"resnest-{spec.activation}-{spec.loss}",
                               size=size, seed=spec.data_seed, model=model, Y=Y)
