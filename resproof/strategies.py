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


# ---------------------------------------------------------------------------------------
# Yun, Sra & Jadbabaie: near-identity and Rademacher instances (yun.near-identity,
# yun.rademacher)
# ---------------------------------------------------------------------------------------

NEAR_IDENTITY_CONTROLS = ("zero-constant", "no-anchor")
RADEMACHER_CONTROLS = ("no-depth-scaling", "constant-one")


def near_identity_instances(*, control: str | None = None, max_depth: int = 2,
                            max_samples: int = 16) -> st.SearchStrategy[Any]:
    """:class:`~resproof.claims.yun.near_identity.NearIdentityInstance` for the claim or a
    control.  The claim: tanh blocks at the depths ``1, 2, 4, ... <= max_depth``, logistic,
    pseudo-Huber or softmax cross-entropy (3 classes) loss, ``alpha`` in ``{1/2, 1, 2}``.
    A control: one ReLU depth ``<= 2``,
    dyadic data, ``alpha = 1`` (``zero-constant``) or ``2^-8`` with biases (``no-anchor``).
    Shrinks towards one block, width 1, one input and few samples."""
    if control is not None:
        check_choice("control", control, NEAR_IDENTITY_CONTROLS)
    top = check_int("max_depth", max_depth, minimum=1, maximum=32)
    hi = check_int("max_samples", max_samples, minimum=2, maximum=256)
    return _near_identity_instances(control, top, hi)


@st.composite
def _near_identity_instances(draw: Any, control: str | None, top: int, hi: int) -> Any:
    from .claims.yun.near_identity import NearIdentityInstance

    d_x = draw(st.integers(1, 2), label="d_x")
    width = draw(st.integers(1, 2), label="width")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    if control is None:
        ladder = [L for L in (1, 2, 4, 8, 16, 32) if top >= L]
        count = draw(st.integers(1, len(ladder)), label="depths")
        return NearIdentityInstance(
            d_x=d_x, depths=tuple(ladder[:count]), width=width,
            samples=draw(st.integers(max(4, d_x + 2), max(hi, d_x + 2)), label="samples"),
            loss=draw(st.sampled_from(["logistic", "pseudo_huber", "softmax_ce"]), label="loss"),
            alpha=draw(st.sampled_from([1.0, 0.5, 2.0]), label="alpha"), seed=seed)
    return NearIdentityInstance(
        d_x=d_x, depths=(draw(st.integers(1, min(2, top)), label="depth"),), width=width,
        samples=draw(st.integers(d_x + 1, max(hi, d_x + 1)), label="samples"),
        loss="logistic", alpha=1.0 if control == "zero-constant" else 2.0**-8,
        activation="relu", bias=control == "no-anchor", seed=seed)


def rademacher_instances(*, control: str | None = None, max_depth: int = 8,
                         max_samples: int = 8) -> st.SearchStrategy[Any]:
    """:class:`~resproof.claims.yun.rademacher.RademacherInstance`: one depth
    ``<= max_depth``, ``1..max_samples`` points in ``R^1`` or ``R^2`` (norms in
    ``[1/2, 1]``), widths 1 or 2; block radius ``1/sqrt(L)``, or 1 for the
    ``no-depth-scaling`` control.  Shrinks towards depth 1, one point, one input."""
    if control is not None:
        check_choice("control", control, RADEMACHER_CONTROLS)
    top = check_int("max_depth", max_depth, minimum=1, maximum=32)
    hi = check_int("max_samples", max_samples, minimum=1, maximum=64)
    return _rademacher_instances(control, top, hi)


@st.composite
def _rademacher_instances(draw: Any, control: str | None, top: int, hi: int) -> Any:
    from .claims.yun.rademacher import RademacherInstance

    return RademacherInstance(
        d_x=draw(st.integers(1, 2), label="d_x"),
        depths=(draw(st.integers(1, top), label="depth"),),
        width=draw(st.integers(1, 2), label="width"),
        samples=draw(st.integers(1, hi), label="samples"),
        block_radius=1.0 if control == "no-depth-scaling" else None,
        seed=draw(st.integers(0, 2**31 - 1), label="seed"))


# ======================================================================================
# ResNEst instances for resnest.rem1/rem2/cor1/cor2/linear-unpredictability and
# densenest.prop3/prop4 (Chen et al.): specs that shrink toward small networks and few
# samples; the arrays are drawn from ``default_rng(spec.seed)`` by
# ``resproof.claims.resnest._cases.build``.
# ======================================================================================


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
    from .claims.resnest._cases import CONVEX_LOSSES, SMOOTH_ACTIVATIONS

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
    from .claims.resnest._cases import NetSpec, wide_width

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
    from .claims.resnest._cases import CONVEX_LOSSES

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
        labels[flip] = rng.integers(0, spec.n_out, int(np.sum(flip)))
        Y = np.eye(spec.n_out)[labels]
    size = "-".join(str(v) for v in spec.sizes.values())
    return dataclasses.replace(inst, family=f"resnest-{spec.activation}-{spec.loss}",
                               size=size, seed=spec.data_seed, model=model, Y=Y)
# Deep ResNets of Yun, Sra & Jadbabaie (yun.thm1, yun.thm1-no-coverage, yun.single-block)
# ---------------------------------------------------------------------------------------

YUN_SPACES = ("thm1", "no-coverage", "single-block")


def yun_specs(space: str = "thm1", *, searched: bool = True) -> st.SearchStrategy[Any]:
    """Instances :class:`~resproof.claims.yun._critical.Spec` of the space the claim
    draws from (``"thm1"``, ``"no-coverage"`` or ``"single-block"``): input dimension,
    block widths with ``sum_{l >= 2} m_l < d_x``, sample count, activation, loss, a
    data seed and one- or two-layer ``phi_l``.  Shrinks towards the smallest ``d_x``,
    the first (smallest) widths, few samples, tanh, the squared loss and one layer."""
    from .claims.yun import _critical

    check_choice("space", space, YUN_SPACES)
    chosen = {"thm1": _critical.THM1_SPACE, "no-coverage": _critical.NO_COVERAGE_SPACE,
              "single-block": _critical.SINGLE_SPACE}[space]
    return _yun_specs(chosen, searched)


@st.composite
def _yun_specs(draw: Any, space: Any, searched: bool) -> Any:
    from .claims.yun import _critical

    d = draw(st.sampled_from(space.d_x), label="d_x")
    widths = draw(st.sampled_from(_critical.admissible_widths(space, d)), label="widths")
    samples = draw(st.integers(*space.samples), label="samples")
    activation = draw(st.sampled_from(space.activations), label="activation")
    loss = draw(st.sampled_from(space.losses), label="loss")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    dead = draw(st.sampled_from(space.dead_coordinate), label="dead_coordinate")
    layers = draw(st.sampled_from(space.phi_layers), label="phi_layers")
    return _critical.Spec(d, widths, samples, activation, loss, seed, dead, searched, layers)
