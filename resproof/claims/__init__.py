"""The claim registry: ``get(id)``, ``all_claims()``, ``verify(id, ...)``.

Every module of this package and of its sub-packages (``resnest/``, ``yun/``: one
module per claim) may define ``CLAIMS``, a list of
:class:`~resproof.claims.base.Claim` instances; they are collected on first
use, so importing resproof stays cheap.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil

from ..errors import InvalidInput
from ..profiles import Budget
from ..results import Outcome
from .base import Claim, Control, aggregate

__all__ = ["Claim", "Control", "aggregate", "all_claims", "get", "registry", "verify"]

_REGISTRY: dict[str, Claim] = {}


def registry() -> dict[str, Claim]:
    """All registered claims by id, in module then declaration order."""
    if not _REGISTRY:
        for name in _claim_modules():
            module = importlib.import_module(name)
            for claim in getattr(module, "CLAIMS", ()):
                if claim.id in _REGISTRY:
                    raise RuntimeError(f"claim id {claim.id!r} registered twice")
                _REGISTRY[claim.id] = claim
    return _REGISTRY


def _claim_modules() -> list[str]:
    """Every module of this package and its sub-packages (one per document) except
    ``base`` and private ones, depth first in name order."""
    names = []
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf == "base" or leaf.startswith("_") or info.ispkg:
            continue
        names.append(info.name)
    return sorted(names)


def all_claims() -> list[Claim]:
    return list(registry().values())


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; ``CLAIM:CONTROL`` is not accepted here."""
    claims = registry()
    if not isinstance(claim_id, str) or claim_id not in claims:
        close = difflib.get_close_matches(str(claim_id), list(claims), n=3, cutoff=0.5)
        raise InvalidInput("claim", "a registered claim id (see `resproof list`)", claim_id, close)
    return claims[claim_id]


def verify(claim_id: str, control: str | None = None, trials: int | None = None,
           seed: int = 0, budget: str | Budget = "quick") -> Outcome:
    """Verify one claim (or one of its controls); see :meth:`Claim.verify`."""
    if isinstance(claim_id, str) and ":" in claim_id and control is None:
        claim_id, control = claim_id.split(":", 1)
    return get(claim_id).verify(control=control, trials=trials, seed=seed, budget=budget)
