"""What a claim is: statement, assumptions, controls, and how trials become a verdict.

A claim is a property of instances.  ``Claim.trial`` draws one instance from a
seed, checks the assumptions (failing -> ``vacuous``), runs the searches
(not converged -> ``inconclusive``) and compares the bounded quantity
(violated -> ``refuted``).  ``Claim.verify`` spawns one independent
:class:`numpy.random.SeedSequence` per trial from the root seed, so the same
seed gives the same trials whatever runs them, and aggregates.

Controls are variants with an assumption dropped or the conclusion made
stronger; each is expected to be refuted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_choice, check_positive_int, check_seed
from ..errors import InvalidInput
from ..profiles import Budget, get_budget
from ..results import CriticalPoint, Outcome, PointKind, TrialResult, Verdict, to_jsonable


@dataclasses.dataclass(frozen=True)
class Control:
    """A variant of a claim that the checker must refute.

    ``name`` is the part after the colon in ``CLAIM:NAME``; ``summary`` says
    which assumption is dropped or how the conclusion is strengthened.
    """

    name: str
    summary: str


@dataclasses.dataclass(frozen=True)
class Assumption:
    """An assumption measured on one instance.

    ``margin`` is signed and relative (``sigma_min / sigma_max - tol`` for A4,
    ``(M - N_o + 1/2) / N_o`` for A3, ...): ``> 0`` met, ``<= 0`` missed.
    ``value`` is the raw measured quantity and ``detail`` says how it was measured.
    """

    name: str
    margin: float
    value: float | None = None
    detail: str = ""

    @property
    def met(self) -> bool:
        return bool(self.margin > 0)

    def to_json(self) -> dict[str, Any]:
        return {**to_jsonable(self), "met": self.met}


@dataclasses.dataclass
class SearchLog:
    """Every search one trial ran, converged or not (none is ever dropped).

    :meth:`add` records a search's stop reason and second-order kind; a trial
    whose needed search did not converge can never hold (:func:`decide`).
    """

    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def add(self, label: str, point: CriticalPoint, needed: bool = True) -> CriticalPoint:
        self.records.append({"search": label, "stop_reason": point.stop_reason.value,
                             "converged": point.converged, "kind": point.kind.value,
                             "needed": needed, "loss": point.loss,
                             "relative_grad_norm": point.relative_grad_norm,
                             "lambda_min": point.lambda_min})
        return point

    @property
    def run(self) -> int:
        return len(self.records)

    @property
    def converged(self) -> int:
        return sum(r["converged"] for r in self.records)

    @property
    def failed_needed(self) -> int:
        return sum(r["needed"] and not r["converged"] for r in self.records)

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run, "converged": self.converged,
                "failed_needed": self.failed_needed, "records": self.records}


def confirmed_minimum(point: CriticalPoint) -> bool:
    """A converged point whose second-order test says minimum (``DEGENERATE`` is not)."""
    return point.converged and point.kind is PointKind.MINIMUM


def decide(margin: float | None, *, assumptions: Sequence[Assumption] = (),
           broken: Sequence[Assumption] = (), searches: SearchLog | None = None,
           certified: bool | None = None, evidence: dict[str, Any] | None = None
           ) -> TrialResult:
    """The rule every trial is decided by, in this order:

    1. an assumption of ``assumptions`` missed, or one of ``broken`` (the
       assumption a control drops, which must really be broken on its
       instance) met -> ``vacuous``;
    2. ``margin < 0`` (the conclusion violated at a point the searches
       established) -> ``refuted``, ``certified`` as the caller's independent
       re-check found;
    3. a needed search that did not converge, or nothing to compare
       (``margin is None``) -> ``inconclusive``;
    4. otherwise ``holds`` with slack ``margin``.

    The evidence always carries every assumption's margin and the search log.
    """
    out: dict[str, Any] = dict(evidence or {})
    out["assumptions"] = [a.to_json() for a in assumptions]
    if broken:
        out["broken_assumptions"] = [a.to_json() for a in broken]
    if searches is not None:
        out["searches"] = searches.to_json()
    if any(not a.met for a in assumptions) or any(a.met for a in broken):
        return TrialResult(Verdict.VACUOUS, margin, out)
    if margin is not None and margin < 0:
        return TrialResult(Verdict.REFUTED, float(margin), out, certified=certified)
    if margin is None or (searches is not None and searches.failed_needed):
        return TrialResult(Verdict.INCONCLUSIVE, margin, out)
    return TrialResult(Verdict.HOLDS, float(margin), out)


class Claim:
    """Base class of every registered claim.

    Subclasses set the class attributes and implement :meth:`trial` (or, for
    claims decided by a property search rather than by independent trials,
    override :meth:`verify`).

    Attributes
    ----------
    id
        Registry id, as in ``claims.md`` (``"resnest.thm1"``).
    source
        The seed document (file name in ``shared/seeds``).
    statement
        The precise statement checked.
    reading
        Set when the statement is resproof's reading, not the paper's.
    extension
        True for claims that go beyond the paper (reported as such).
    controls
        The controls, each expected to be refuted.
    """

    id: str = ""
    title: str = ""
    source: str = ""
    statement: str = ""
    reading: str | None = None
    extension: bool = False
    controls: tuple[Control, ...] = ()

    def control_names(self) -> list[str]:
        return [c.name for c in self.controls]

    def expected(self, control: str | None) -> Verdict:
        return Verdict.HOLDS if control is None else Verdict.REFUTED

    def trial(self, seed: np.random.SeedSequence, control: str | None,
              budget: Budget) -> TrialResult:
        """Draw one instance from ``seed`` and decide it."""
        raise NotImplementedError(f"{type(self).__name__} implements neither trial nor verify")

    def trial_on(self, instance: Any, budget: Budget, control: str | None = None
                 ) -> TrialResult:
        """Decide the claim on one given instance (``resproof verify --instance``).
        Claims that can take a bench-spec :class:`~resproof.nn.instances.Instance`
        override this; the default refuses."""
        raise InvalidInput("--instance", f"a claim that takes an instance ({self.id} draws "
                           "its own)", self.id)

    def verify_on(self, instance: Any, control: str | None = None,
                  budget: str | Budget = "quick") -> Outcome:
        """One trial on ``instance`` (:meth:`trial_on`), aggregated like :meth:`verify`."""
        control, _, _, plan = self.validate(control, 1, 0, budget)
        result = self.trial_on(instance, plan, control)
        seed = max(int(getattr(instance, "seed", 0)), 0)
        if result.seed is None:
            result = dataclasses.replace(result, seed=[seed])
        return self.outcome(control, [result], seed, plan)

    def verify(self, control: str | None = None, trials: int | None = None, seed: int = 0,
               budget: str | Budget = "quick") -> Outcome:
        """Run ``trials`` independent trials and aggregate them into an :class:`Outcome`."""
        control, n, seed, plan = self.validate(control, trials, seed, budget)
        sequences = np.random.SeedSequence(seed).spawn(n)
        results = []
        for sequence in sequences:
            result = self.trial(sequence, control, plan)
            if result.seed is None:
                result = dataclasses.replace(result, seed=[seed, *sequence.spawn_key])
            results.append(result)
        return self.outcome(control, results, seed, plan)

    def validate(self, control: str | None, trials: int | None, seed: int,
                 budget: str | Budget) -> tuple[str | None, int, int, Budget]:
        """Check ``verify``'s arguments; return them normalised."""
        if control is not None:
            check_choice("control", control, self.control_names())
        plan = get_budget(budget)
        n = plan.trials if trials is None else check_positive_int("trials", trials)
        return control, n, check_seed("seed", seed), plan

    def outcome(self, control: str | None, results: Sequence[TrialResult], seed: int,
                budget: Budget, evidence: dict[str, Any] | None = None) -> Outcome:
        """Aggregate trial results: any refuted -> refuted; else any inconclusive ->
        inconclusive; else all vacuous -> vacuous; else holds."""
        verdict = aggregate([r.verdict for r in results])
        decided = [r for r in results if r.verdict is verdict]
        worst = min(decided, key=_margin_key) if decided else None
        summary = {
            "counts": {v.value: sum(r.verdict is v for r in results) for v in Verdict},
            "margins": [r.margin for r in results],
        }
        if evidence:
            summary.update(evidence)
        certified = None
        if verdict is Verdict.REFUTED:
            certified = any(r.certified for r in decided)
        counterexample = None
        if worst is not None and verdict is Verdict.REFUTED:
            counterexample = {"seed": worst.seed, **worst.evidence}
        elif worst is not None:
            summary["worst_trial"] = {"seed": worst.seed, **worst.evidence}
        return Outcome(
            claim=self.id, control=control, expected=self.expected(control), verdict=verdict,
            certified=certified, trials=len(results), seed=seed,
            margin=None if worst is None else worst.margin, budget=budget.name,
            statement=self.statement if control is None else self.control(control).summary,
            evidence=summary, counterexample=counterexample, reading=self.reading)

    def control(self, name: str) -> Control:
        for candidate in self.controls:
            if candidate.name == name:
                return candidate
        check_choice("control", name, self.control_names())
        raise AssertionError("unreachable")


def aggregate(verdicts: Sequence[Verdict]) -> Verdict:
    """Combine trial verdicts; a failed search can never turn into ``holds``."""
    if any(v is Verdict.REFUTED for v in verdicts):
        return Verdict.REFUTED
    if any(v is Verdict.INCONCLUSIVE for v in verdicts):
        return Verdict.INCONCLUSIVE
    if not verdicts or all(v is Verdict.VACUOUS for v in verdicts):
        return Verdict.VACUOUS
    return Verdict.HOLDS


def _margin_key(result: TrialResult) -> float:
    return float("inf") if result.margin is None else result.margin
