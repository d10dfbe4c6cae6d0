"""What a claim is: statement, assumptions, controls, and how trials become a verdict.

A claim is a property of instances.  ``Claim.trial`` draws one instance from a
seed, checks the assumptions (failing -> ``vacuous``), runs the searches
(not converged -> ``inconclusive``) and compares the bounded quantity
(violated -> ``refuted``).  ``Claim.verify`` spawns one independent
:class:`numpy.random.SeedSequence` per trial from the root seed, so the same
seed gives the same trials whatever runs them, and aggregates.  Trial ``t``
of root seed ``s`` draws from ``SeedSequence(s, spawn_key=(t,))``
(:func:`trial_sequence`, the ``t``-th child of ``SeedSequence(s).spawn(n)``), so a
sweep may run any trial alone, in any process (:meth:`Claim.run_trial`).

Two optional hooks let sweeps and reports show more than the evidence:
:meth:`Claim.instance` (the drawn instance as plain data, written to
``results.jsonl`` and to a counterexample's ``REPORT.json``) and
:meth:`Claim.landscape` (the objective and the point that decided the trial, for
the spectrum and slice plots).

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
class InstanceData:
    """An instance as plain data another tool can rebuild with numpy alone.

    ``model`` is JSON (family, sizes, activation, loss, parameter layout in
    order); ``arrays`` maps names to float or int arrays (``X``, ``Y``, ``theta``...).
    """

    model: dict[str, Any]
    arrays: dict[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Landscape:
    """The loss a trial decided on and its deciding point, for plots.

    ``objective`` follows the Objective protocol (``loss``, ``grad``, ``hvp``,
    ``hessian`` on a flat vector); ``theta`` is the critical point; ``quantity``
    names the compared quantity; ``direction`` (optional) is one that moves it
    (the plots use the negative-curvature direction when there is one).
    """

    objective: Any
    theta: np.ndarray
    quantity: str = ""
    direction: np.ndarray | None = None


def trial_sequence(seed: int, index: int) -> np.random.SeedSequence:
    """The seed of trial ``index`` of root ``seed``: ``SeedSequence(seed).spawn(n)[index]``."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


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


def violation(quantity: str, value: Any, relation: str, threshold: Any = 0, *,
              certified_bound: Any = None, exact: bool = False) -> dict[str, Any]:
    """The violated quantity of a refutation, for ``evidence["violated"]``: what the CLI
    prints in one line (``eps = R - min(PA_phi) = 3e-3 > 0; certified bound 2.9e-3``).

    ``relation`` is how ``value`` compares with ``threshold`` at the counterexample
    (``">"``, ``"<"``, ``"!="``, ``"<="``); ``certified_bound`` is the end of the certified
    interval on the refuting side (:attr:`~resproof.landscape.certify.Certificate.bound`),
    or, for ``exact`` checks, the value itself.
    """
    return {"quantity": quantity, "value": value, "relation": relation, "threshold": threshold,
            "certified_bound": value if exact and certified_bound is None else certified_bound,
            "exact": exact}


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

    @property
    def runs_trials(self) -> bool:
        """True when the claim is decided trial by trial (it implements :meth:`trial`);
        False for claims that override :meth:`verify` with one property search."""
        return type(self).trial is not Claim.trial

    def run_trial(self, seed: int, index: int, control: str | None,
                  budget: Budget) -> TrialResult:
        """Trial ``index`` of root ``seed``, with its seed recorded as ``[seed, index]``."""
        result = self.trial(trial_sequence(seed, index), control, budget)
        if result.seed is None:
            result = dataclasses.replace(result, seed=[seed, index])
        return result

    def instance(self, seed: np.random.SeedSequence, control: str | None
                 ) -> InstanceData | None:
        """The instance :meth:`trial` draws from ``seed``, as plain data (optional hook)."""
        return None

    def landscape(self, seed: np.random.SeedSequence, control: str | None,
                  budget: Budget) -> Landscape | None:
        """The objective and deciding point of the trial at ``seed`` (optional hook)."""
        return None
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
        results = [self.run_trial(seed, index, control, plan) for index in range(n)]
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
        inconclusive; else all vacuous -> vacuous; else holds.

        The counterexample reported for ``refuted`` is the worst *certified*
        refutation when there is one (smallest margin among them), else the worst
        refutation; ``Outcome.certified`` is that trial's own certification, so it
        always describes the counterexample shown.  The evidence says which was
        chosen (``evidence["counterexample_choice"]``) and carries
        :func:`trial_statistics` (counts and searches per verdict, rates).
        """
        verdict = aggregate([r.verdict for r in results])
        decided = [r for r in results if r.verdict is verdict]
        summary: dict[str, Any] = {
            "counts": {v.value: sum(r.verdict is v for r in results) for v in Verdict},
            **trial_statistics(results),
            "margins": [r.margin for r in results],
        }
        if evidence:
            summary.update(evidence)
        certified = None
        counterexample = None
        worst = min(decided, key=_margin_key) if decided else None
        if verdict is Verdict.REFUTED:
            worst, summary["counterexample_choice"] = choose_counterexample(decided)
            certified = bool(worst.certified)
            counterexample = {"seed": worst.seed, "margin": worst.margin,
                              "certified": certified, **worst.evidence}
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


def choose_counterexample(refutations: Sequence[TrialResult]
                          ) -> tuple[TrialResult, dict[str, Any]]:
    """The refutation to report, and a record of why it was chosen.

    The worst (smallest margin) certified refutation when one exists, else the
    worst refutation (then uncertified).  The record counts the certified
    refutations and, when an uncertified one is worse than the one reported,
    gives its margin and seed so nothing is hidden.
    """
    if not refutations:
        raise ValueError("no refutation to choose from")
    certified = [r for r in refutations if r.certified]
    worst_any = min(refutations, key=_margin_key)
    chosen = min(certified, key=_margin_key) if certified else worst_any
    record: dict[str, Any] = {
        "rule": "worst certified refutation" if certified
                else "worst refutation (none certified)",
        "refutations": len(refutations), "certified_refutations": len(certified),
        "seed": chosen.seed, "margin": chosen.margin, "certified": bool(chosen.certified)}
    if worst_any is not chosen and _margin_key(worst_any) < _margin_key(chosen):
        record["worse_uncertified"] = {"seed": worst_any.seed, "margin": worst_any.margin}
    return chosen, record


def trial_statistics(results: Sequence[TrialResult]) -> dict[str, Any]:
    """Per verdict: trials, and searches run / converged summed over them (from the
    ``searches`` entry :func:`decide` puts in each trial's evidence); the
    inconclusive and vacuous rates; totals.  Trials without a search log are
    counted apart (``trials_without_search_log``), never as converged searches."""
    by_verdict: dict[str, dict[str, int]] = {}
    totals = {"run": 0, "converged": 0, "failed_needed": 0}
    without_log = 0
    for verdict in Verdict:
        group = [r for r in results if r.verdict is verdict]
        row = {"trials": len(group), "searches_run": 0, "searches_converged": 0,
               "searches_failed_needed": 0}
        for result in group:
            log = _search_log(result)
            if log is None:
                without_log += 1
                continue
            row["searches_run"] += log["run"]
            row["searches_converged"] += log["converged"]
            row["searches_failed_needed"] += log["failed_needed"]
        for key in totals:
            totals[key] += row[f"searches_{key}"]
        by_verdict[verdict.value] = row
    n = len(results)
    return {"by_verdict": by_verdict,
            "inconclusive_rate": by_verdict[Verdict.INCONCLUSIVE.value]["trials"] / n if n
            else 0.0,
            "vacuous_rate": by_verdict[Verdict.VACUOUS.value]["trials"] / n if n else 0.0,
            "certified_refutations": sum(r.verdict is Verdict.REFUTED and bool(r.certified)
                                         for r in results),
            "searches": {**totals, "trials_without_search_log": without_log}}


def _search_log(result: TrialResult) -> dict[str, int] | None:
    log = result.evidence.get("searches") if isinstance(result.evidence, dict) else None
    if not isinstance(log, dict) or not {"run", "converged"} <= set(log):
        return None
    return {"run": int(log["run"]), "converged": int(log["converged"]),
            "failed_needed": int(log.get("failed_needed", 0))}


def _margin_key(result: TrialResult) -> float:
    return float("inf") if result.margin is None else result.margin
