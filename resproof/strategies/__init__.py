"""Public Hypothesis strategies for resproof's instances.

Arguments are validated eagerly (when the strategy is built), each bad one
raising :class:`~resproof.errors.InvalidInput` naming it.  One module per family:
:mod:`.quadratic` (``kreinovich.*``), :mod:`.resnest` (``resnest.*``, ``densenest.*``),
:mod:`.yun` (``yun.*``); every public name is importable from here.
"""

from __future__ import annotations

from .quadratic import LINEAR_PARTS, quadratics
from .resnest import (
    A2_LOSSES,
    QUADRATIC_PARAMS,
    RESNEST_ACTIVATIONS,
    SMOOTH_ACTIVATIONS,
    WIDTHS,
    ResnestSpec,
    densenest_specs,
    draw_resnest_spec,
    full_problem_specs,
    resnest_instance,
    resnest_specs,
)
from .yun import (
    NEAR_IDENTITY_CONTROLS,
    RADEMACHER_CONTROLS,
    YUN_SPACES,
    near_identity_instances,
    rademacher_instances,
    yun_specs,
)

__all__ = [
    "A2_LOSSES", "LINEAR_PARTS", "NEAR_IDENTITY_CONTROLS", "QUADRATIC_PARAMS",
    "RADEMACHER_CONTROLS", "RESNEST_ACTIVATIONS", "SMOOTH_ACTIVATIONS", "WIDTHS", "YUN_SPACES",
    "ResnestSpec", "densenest_specs", "draw_resnest_spec", "full_problem_specs",
    "near_identity_instances", "quadratics", "rademacher_instances", "resnest_instance",
    "resnest_specs", "yun_specs",
]
