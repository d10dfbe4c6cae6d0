"""Hypothesis strategies (and their numpy twins) of the ResNEst and DenseNEst instances of
Chen et al.: specs of the full problem (P) and of DenseNEsts that shrink toward small
networks and few samples (the arrays are drawn from ``default_rng(spec.seed)`` by
``resproof.claims.resnest._cases.build``), and the (P_phi) specs of the width regimes
of A3 and A4 with :func:`resnest_instance`."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from .._validation import check_choice, check_int
from ..errors import InvalidInput


def full_problem_specs(*, min_blocks: int = 1, max_blocks: int = 2, max_n_in: int = 2,
                  max_bottleneck: int = 2, max_n_out: int = 2, min_samples: int = 24,
                  max_samples: int = 40, activations: tuple[str, ...] | None = None,
                  losses: tuple[str, ...] | None = None, wide: bool = True,
                  max_width: int = 1, constant_input: bool = False,
                  dead_blocks: bool = False) -> st.SearchStrategy[Any]:
    """:class:`~resproof.claims.resnest._cases.NetSpec` values.

    ``wide=True``: ``M = max(N_in + (L - 1) K, N_o) + extra`` (``extra`` in ``{0, 1}``),
    so A3 holds and A4 can; ``wide=False``: ``M`` in ``[1, max_width]`` (a narrow
    stream, for controls).  ``losses`` default to the convex losses of A2,
    ``activations`` to tanh, softplus and quadratic; ``softmax_ce`` forces ``N_o >= 2``.
    ``constant_input`` makes the last input coordinate 1; ``dead_blocks`` draws a block
    ``i`` in ``0..L`` whose ``U_i = 0`` (``v_i`` constant; 0: none).
    Shrinks towards one block, ``N_in = K = N_o = 1``, the narrowest width and
    ``min_samples`` samples.
    """
    from ..claims.resnest._cases import CONVEX_LOSSES, SMOOTH_ACTIVATIONS

    lo = check_int("min_blocks", min_blocks, minimum=1, maximum=6)
    hi = check_int("max_blocks", max_blocks, minimum=1, maximum=6)
    if hi < lo:
        raise InvalidInput("max_blocks", f"an integer >= min_blocks={lo}", hi)
    for name, value in (("max_n_in", max_n_in), ("max_bottleneck", max_bottleneck),
                        ("max_n_out", max_n_out), ("max_width", max_width)):
        check_int(name, value, minimum=1, maximum=16)
    s_lo = check_int("min_samples", min_samples, minimum=1, maximum=10**4)
    s_hi = check_int("max_samples", max_samples, minimum=s_lo, maximum=10**4)
    acts = tuple(activations or SMOOTH_ACTIVATIONS)
    for a in acts:
        check_choice("activations", a, ("identity", "tanh", "softplus", "sigmoid", "relu",
                                        "square", "quadratic"))
    ls = tuple(losses or CONVEX_LOSSES)
    for name in ls:
        check_choice("losses", name, ("squared", "logistic", "pseudo_huber", "softmax_ce",
                                      "welsch"))
    return _resnest_specs(lo, hi, max_n_in, max_bottleneck, max_n_out, s_lo, s_hi, acts, ls,
                          wide, max_width, constant_input, dead_blocks)


@st.composite
def _resnest_specs(draw: Any, lo: int, hi: int, max_n_in: int, max_k: int, max_n_out: int,
                   s_lo: int, s_hi: int, acts: tuple[str, ...], losses: tuple[str, ...],
                   wide: bool, max_width: int, constant_input: bool, dead: bool) -> Any:
    from ..claims.resnest._cases import NetSpec, wide_width

    L = draw(st.integers(lo, hi), label="blocks")
    n_in = draw(st.integers(1, max_n_in), label="n_in")
    k = draw(st.integers(1, max_k), label="bottleneck")
    loss = draw(st.sampled_from(losses), label="loss")
    n_out = draw(st.integers(2 if loss == "softmax_ce" else 1, max(max_n_out, 2)
                             if loss == "softmax_ce" else max_n_out), label="n_out")
    if wide:
        width = wide_width(n_in, k, L, n_out) + draw(st.integers(0, 1), label="extra_width")
    else:
        width = draw(st.integers(1, max_width), label="width")
    return NetSpec(n_in, width, k, L, n_out, draw(st.integers(s_lo, s_hi), label="samples"),
                   draw(st.sampled_from(acts), label="activation"), loss,
                   draw(st.integers(0, 2**31 - 1), label="seed"), constant_input,
                   draw(st.integers(0, L), label="dead_block") if dead else 0)


def densenest_specs(*, min_blocks: int = 1, max_blocks: int = 2, max_n_in: int = 2,
                    max_bottleneck: int = 2, min_samples: int = 16, max_samples: int = 32,
                    activations: tuple[str, ...] = ("tanh", "softplus", "sigmoid"),
                    losses: tuple[str, ...] | None = None) -> st.SearchStrategy[Any]:
    """DenseNEst specs (dicts with ``n_in, bottleneck, blocks, n_out, samples, activation,
    loss, seed``) as :func:`resproof.claims.resnest.prop4.draw_dense` draws them;
    shrinks towards one block of width 1, one input, one output and few samples."""
    from ..claims.resnest._cases import CONVEX_LOSSES

    lo = check_int("min_blocks", min_blocks, minimum=1, maximum=6)
    hi = check_int("max_blocks", max_blocks, minimum=lo, maximum=6)
    check_int("max_n_in", max_n_in, minimum=1, maximum=16)
    check_int("max_bottleneck", max_bottleneck, minimum=1, maximum=16)
    s_lo = check_int("min_samples", min_samples, minimum=1, maximum=10**4)
    s_hi = check_int("max_samples", max_samples, minimum=s_lo, maximum=10**4)
    ls = tuple(losses or CONVEX_LOSSES)

    @st.composite
    def specs(draw: Any) -> dict[str, Any]:
        loss = draw(st.sampled_from(ls), label="loss")
        return {"n_in": draw(st.integers(1, max_n_in), label="n_in"),
                "bottleneck": draw(st.integers(1, max_bottleneck), label="bottleneck"),
                "blocks": draw(st.integers(lo, hi), label="blocks"),
                "n_out": draw(st.integers(2, 2) if loss == "softmax_ce" else st.integers(1, 2),
                              label="n_out"),
                "samples": draw(st.integers(s_lo, s_hi), label="samples"),
                "activation": draw(st.sampled_from(activations), label="activation"),
                "loss": loss, "seed": draw(st.integers(0, 2**31 - 1), label="seed")}

    return specs()


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
#: ``narrow`` has ``N_in + sum_{i<L} K_i = M < N_o`` (A3 broken, A4 possible),
#: ``not-wide`` has ``N_o <= M < N_in + sum_{i<L} K_i`` (A4 impossible, A3 met), ``any``
#: draws ``M`` freely.
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
    from ..nn.activations import ACTIVATIONS
    from ..nn.losses import LOSSES

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
    if width == "narrow":
        # M = N_in + sum_{i<L} K_i < N_o: A3 broken while A4 can hold (the control breaks
        # A3 alone; with a smaller M most draws missed A4 too), and M < N_in + L K, so the
        # optimum of (PA_phi) (rank min(N_o, N_in + L K) > M) is out of reach: eps > 0
        M = n_in + (L - 1) * K
        n_out = pick("int", "n_out", (max(M + 1, lo_out), max(M + 1, lo_out) + 1))
        return _finish(pick, n_in, M, K, L, n_out, activation, loss)
    top_out = lo_out + 1
    if width == "not-wide":
        top_out = max(min(top_out, n_in + (L - 1) * K - 1), lo_out)
    n_out = pick("int", "n_out", (lo_out, top_out))
    if width == "not-wide":
        M = pick("int", "width", (n_out, max(n_in + (L - 1) * K - 1, n_out)))
    elif width == "wide":
        M = max(n_in + (L - 1) * K, n_out) + pick("int", "extra_width", (0, max_extra_width))
    else:
        M = pick("int", "width", (1, 6))
    return _finish(pick, n_in, M, K, L, n_out, activation, loss)


def _finish(pick: Any, n_in: int, M: int, K: int, L: int, n_out: int, activation: str,
            loss: str) -> ResnestSpec:
    """The sample size (``N = 6 (N_in + L K) + 12 + 4 j``) and the seed, then the spec."""
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

    from ..nn.instances import resnest_random
    from ..nn.resnest import ResNEst

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
        labels[flip] = rng.integers(0, spec.n_out, int(np.sum(flip)))
        Y = np.eye(spec.n_out)[labels]
    size = "-".join(str(v) for v in spec.sizes.values())
    return dataclasses.replace(inst, family=f"resnest-{spec.activation}-{spec.loss}",
                               size=size, seed=spec.data_seed, model=model, Y=Y)
