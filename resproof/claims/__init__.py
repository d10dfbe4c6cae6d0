"""The claim registry: ``get(id)``, ``all_claims()``, ``verify(id, ...)``.

Every module of this package and of its sub-packages (``resnest/``, ``yun/``: one
module per claim) may define ``CLAIMS``, a list of
:class:`~resproof.claims.base.Claim` instances; they are collected on first
use, so importing resproof stays cheap.

Other installed packages add claims through the ``resproof.claims`` entry-point
group: each entry point names a module defining ``CLAIMS``, a list of claims, a
:class:`Claim` instance or a :class:`Claim` subclass (instantiated without
arguments).  Their ids must not clash with resproof's (``mypackage.claim`` is the
convention).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import pkgutil
import types
from typing import Any

from ..errors import InvalidInput, ResproofError
from ..profiles import Budget
from ..results import Outcome
from .base import Assumption, Claim, Control, InstanceData, Landscape, SearchLog, aggregate, decide

__all__ = ["ENTRY_POINT_GROUP", "Assumption", "Claim", "Control", "InstanceData", "Landscape",
           "SearchLog", "aggregate", "all_claims", "decide", "get", "registry", "verify"]

#: The entry-point group through which other packages register claims.
ENTRY_POINT_GROUP = "resproof.claims"

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
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            for claim in _entry_point_claims(entry_point):
                if claim.id in _REGISTRY:
                    raise ResproofError(f"entry point {entry_point.name!r} "
                                        f"({entry_point.value}): claim id {claim.id!r} "
                                        "is already registered")
                _REGISTRY[claim.id] = claim
    return _REGISTRY


def _entry_point_claims(entry_point: importlib.metadata.EntryPoint) -> list[Claim]:
    """The claims an entry point of :data:`ENTRY_POINT_GROUP` provides."""
    where = f"entry point {entry_point.name!r} ({entry_point.value})"
    try:
        target: Any = entry_point.load()
    except Exception as exc:  # a broken third-party package: say which one
        raise ResproofError(f"{where} failed to load: {type(exc).__name__}: {exc}") from exc
    if isinstance(target, types.ModuleType):
        target = getattr(target, "CLAIMS", None)
    if isinstance(target, type) and issubclass(target, Claim):
        target = target()
    claims = [target] if isinstance(target, Claim) else target
    if not isinstance(claims, list | tuple) or not all(isinstance(c, Claim) for c in claims):
        raise ResproofError(f"{where}: expected a module with CLAIMS, a list of Claim "
                            f"instances, a Claim or a Claim subclass; got {type(target).__name__}")
    for claim in claims:
        if not claim.id or not isinstance(claim.id, str):
            raise ResproofError(f"{where}: {type(claim).__name__} has no id")
    return list(claims)


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
