"""Public Hypothesis strategies for resproof's instances.

Arguments are validated eagerly (when the strategy is built), each bad one
raising :class:`~resproof.errors.InvalidInput` naming it.
"""

from __future__ import annotations

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


def resnest_specs(*, min_blocks: int = 1, max_blocks: int = 2, max_n_in: int = 2,
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
