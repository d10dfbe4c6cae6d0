"""Value objects every layer returns: verdicts, critical points, outcomes.

All are frozen dataclasses with ``to_json`` / ``from_json`` (plain JSON, never
pickle).  Non-finite floats are written as the strings ``"inf"``, ``"-inf"``
and ``"nan"`` so every document is strict JSON; exact rationals as ``"p/q"``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np


class Verdict(enum.Enum):
    """Four-valued verdict of a claim on a set of trials."""

    HOLDS = "holds"            # every trial met the conclusion, with margins
    REFUTED = "refuted"        # some trial violated it
    VACUOUS = "vacuous"        # no trial met the assumptions
    INCONCLUSIVE = "inconclusive"  # a needed search did not converge; never a pass


class StopReason(enum.Enum):
    """Why a search stopped.  Only ``CONVERGED`` supports a verdict."""

    CONVERGED = "converged"
    MAX_ITERATIONS = "max_iterations"
    STALLED = "stalled"                      # no progress: trust radius collapsed
    NONFINITE = "nonfinite"                  # nan/inf met on the way
    GRADIENT_FLAT = "gradient_flat"          # ||H g|| small, ||g|| not: not critical
    NEGATIVE_CURVATURE = "negative_curvature"
    DIVERGING = "diverging"                  # weights ran off while the loss kept falling

    @property
    def converged(self) -> bool:
        return self is StopReason.CONVERGED


class PointKind(enum.Enum):
    """Second-order classification of a (claimed) critical point."""

    MINIMUM = "minimum"          # lambda_min >= -tol, zero modes counted apart
    SADDLE = "saddle"            # lambda_min < -tol and lambda_max > tol
    MAXIMUM = "maximum"
    DEGENERATE = "degenerate"    # undecided at second order (only zero modes besides +)
    NOT_CRITICAL = "not_critical"


@dataclasses.dataclass(frozen=True)
class CriticalPoint:
    """A point a search returned, with the evidence that it is critical.

    ``grad_norm`` is ``||grad R(theta)||_2`` and ``relative_grad_norm`` that
    norm over the problem's gradient scale; ``lambda_min`` / ``lambda_max`` are
    Hessian eigenvalues; ``n_zero_modes`` counts eigenvalues with
    ``|lambda| <= zero_tolerance``; ``margin`` is the distance of the deciding
    eigenvalue from its threshold, in units of the Hessian's scale.
    """

    theta: np.ndarray
    loss: float
    grad_norm: float
    relative_grad_norm: float
    lambda_min: float
    lambda_max: float
    n_zero_modes: int
    zero_tolerance: float
    kind: PointKind
    margin: float
    stop_reason: StopReason
    iterations: int = 0
    spectrum: np.ndarray | None = None

    @property
    def converged(self) -> bool:
        return self.stop_reason.converged

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CriticalPoint:
        data = dict(data)
        data["theta"] = np.asarray(data["theta"], dtype=np.float64)
        if data.get("spectrum") is not None:
            data["spectrum"] = np.asarray(data["spectrum"], dtype=np.float64)
        data["kind"] = PointKind(data["kind"])
        data["stop_reason"] = StopReason(data["stop_reason"])
        for key in ("loss", "grad_norm", "relative_grad_norm", "lambda_min", "lambda_max",
                    "zero_tolerance", "margin"):
            data[key] = from_json_float(data[key])
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class TrialResult:
    """The verdict of one trial (one instance drawn from one seed).

    ``margin`` is signed: > 0 the conclusion held with that slack, < 0 it was
    violated by that much (relative units, stated in ``evidence``).
    """

    verdict: Verdict
    margin: float | None = None
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    certified: bool | None = None
    seed: list[int] | None = None

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrialResult:
        data = dict(data)
        data["verdict"] = Verdict(data["verdict"])
        if data.get("margin") is not None:
            data["margin"] = from_json_float(data["margin"])
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What ``verify`` returns for one claim or one control.

    ``expected`` is the verdict the registry expects (``holds`` for a claim,
    ``refuted`` for a control); a claim that is ``vacuous`` is also as
    expected.  ``counterexample`` holds the reported refutation's instance, enough
    to replay it: the worst *certified* refutation when there is one, else the
    worst refutation; ``certified`` is that counterexample's own flag
    (:meth:`resproof.claims.base.Claim.outcome`).
    """

    claim: str
    control: str | None
    expected: Verdict
    verdict: Verdict
    certified: bool | None
    trials: int
    seed: int
    margin: float | None
    budget: str
    statement: str
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    counterexample: dict[str, Any] | None = None
    reading: str | None = None

    @property
    def as_expected(self) -> bool:
        if self.expected is Verdict.REFUTED:
            return self.verdict is Verdict.REFUTED
        return self.verdict in (self.expected, Verdict.VACUOUS)

    @property
    def label(self) -> str:
        return self.claim if self.control is None else f"{self.claim}:{self.control}"

    def to_json(self) -> dict[str, Any]:
        out = to_jsonable(self)
        out["as_expected"] = self.as_expected
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        data = {k: v for k, v in data.items() if k != "as_expected"}
        data["expected"] = Verdict(data["expected"])
        data["verdict"] = Verdict(data["verdict"])
        if data.get("margin") is not None:
            data["margin"] = from_json_float(data["margin"])
        return cls(**data)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, enums, numpy values and Fractions to plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Fraction):
        return str(value)
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def from_json_float(value: Any) -> float:
    """Inverse of :func:`to_jsonable` for a float (``"inf"`` -> ``inf``)."""
    return float(value)


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``value`` (``allow_nan=False``)."""
    return json.dumps(to_jsonable(value), allow_nan=False, **kwargs)
