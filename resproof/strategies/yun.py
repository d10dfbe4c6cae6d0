"""Hypothesis strategies of the Yun, Sra & Jadbabaie instances: near-identity and
Rademacher instances (``yun.near-identity``, ``yun.rademacher``) and the deep-ResNet specs of
``yun.thm1``, ``yun.thm1-no-coverage`` and ``yun.single-block``."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .._validation import check_choice, check_int

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
    from ..claims.yun.near_identity import NearIdentityInstance

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
    from ..claims.yun.rademacher import RademacherInstance

    return RademacherInstance(
        d_x=draw(st.integers(1, 2), label="d_x"),
        depths=(draw(st.integers(1, top), label="depth"),),
        width=draw(st.integers(1, 2), label="width"),
        samples=draw(st.integers(1, hi), label="samples"),
        block_radius=1.0 if control == "no-depth-scaling" else None,
        seed=draw(st.integers(0, 2**31 - 1), label="seed"))


YUN_SPACES = ("thm1", "no-coverage", "single-block")


def yun_specs(space: str = "thm1", *, searched: bool = True) -> st.SearchStrategy[Any]:
    """Instances :class:`~resproof.claims.yun._critical.Spec` of the space the claim
    draws from (``"thm1"``, ``"no-coverage"`` or ``"single-block"``): input dimension,
    block widths with ``sum_{l >= 2} m_l < d_x``, sample count, activation, loss, a
    data seed and one- or two-layer ``phi_l``.  Shrinks towards the smallest ``d_x``,
    the first (smallest) widths, few samples, tanh, the squared loss and one layer."""
    from ..claims.yun import _critical

    check_choice("space", space, YUN_SPACES)
    chosen = {"thm1": _critical.THM1_SPACE, "no-coverage": _critical.NO_COVERAGE_SPACE,
              "single-block": _critical.SINGLE_SPACE}[space]
    return _yun_specs(chosen, searched)


@st.composite
def _yun_specs(draw: Any, space: Any, searched: bool) -> Any:
    from ..claims.yun import _critical

    d = draw(st.sampled_from(space.d_x), label="d_x")
    widths = draw(st.sampled_from(_critical.admissible_widths(space, d)), label="widths")
    samples = draw(st.integers(*space.samples), label="samples")
    activation = draw(st.sampled_from(space.activations), label="activation")
    loss = draw(st.sampled_from(space.losses), label="loss")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    dead = draw(st.sampled_from(space.dead_coordinate), label="dead_coordinate")
    layers = draw(st.sampled_from(space.phi_layers), label="phi_layers")
    return _critical.Spec(d, widths, samples, activation, loss, seed, dead, searched, layers)
