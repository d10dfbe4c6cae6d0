"""Reliability of a sweep: how often each claim and control decided, and how.

For every ``(claim, control)`` of a sweep's records: trials, the four verdicts,
certified refutations, the inconclusive and vacuous rates, searches run and
converged (summed from each trial's ``searches`` log), and the stop reasons of the
needed searches that failed (what made trials inconclusive).  A refutation of a
label whose expected verdict is ``holds`` is a *false refutation* of the checker
(or a finding, once certified); the totals count them over every label expected
to hold.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from ..results import Verdict
from . import records as rec


@dataclasses.dataclass(frozen=True)
class Reliability:
    """The verdict counts of one ``(claim, control)`` over its trials."""

    label: str
    expected: str
    trials: int
    counts: dict[str, int]
    certified_refutations: int
    searches_run: int
    searches_converged: int
    failed_stop_reasons: dict[str, int]

    def rate(self, verdict: Verdict) -> float:
        return self.counts[verdict.value] / self.trials if self.trials else 0.0

    @property
    def false_refutations(self) -> int:
        """Refuted trials of a label expected to hold."""
        return self.counts[Verdict.REFUTED.value] if self.expected == "holds" else 0


def summarise(records: Sequence[dict[str, Any]]) -> list[Reliability]:
    """One :class:`Reliability` per ``(claim, control)``, in first-seen order."""
    rows = []
    for (claim, control), group in rec.iter_groups(list(records)):
        counts = collections.Counter(r["verdict"] for r in group)
        run = converged = 0
        reasons: collections.Counter[str] = collections.Counter()
        for record in group:
            log = (record.get("evidence") or {}).get("searches")
            if not isinstance(log, dict):
                continue
            run += int(log.get("run", 0))
            converged += int(log.get("converged", 0))
            for search in log.get("records", ()):
                if search.get("needed") and not search.get("converged"):
                    reasons[str(search.get("stop_reason"))] += 1
        rows.append(Reliability(
            label=f"{claim}:{control}" if control else claim,
            expected=str(group[0].get("expected")), trials=len(group),
            counts={v.value: counts.get(v.value, 0) for v in Verdict},
            certified_refutations=sum(r["verdict"] == Verdict.REFUTED.value
                                      and bool(r.get("certified")) for r in group),
            searches_run=run, searches_converged=converged,
            failed_stop_reasons=dict(reasons.most_common())))
    return rows


def totals(rows: Iterable[Reliability], expected: str) -> Reliability:
    """The rows expected to give ``expected``, summed into one."""
    chosen = [r for r in rows if r.expected == expected]
    reasons: collections.Counter[str] = collections.Counter()
    for r in chosen:
        reasons.update(r.failed_stop_reasons)
    return Reliability(
        label=f"all expected {expected}", expected=expected,
        trials=sum(r.trials for r in chosen),
        counts={v.value: sum(r.counts[v.value] for r in chosen) for v in Verdict},
        certified_refutations=sum(r.certified_refutations for r in chosen),
        searches_run=sum(r.searches_run for r in chosen),
        searches_converged=sum(r.searches_converged for r in chosen),
        failed_stop_reasons=dict(reasons.most_common()))


HEADER = ("claim", "expected", "trials", "holds", "refuted (certified)", "vacuous",
          "inconclusive", "searches converged / run", "failed needed searches")


def table_rows(rows: Iterable[Reliability]) -> tuple[tuple[str, ...], ...]:
    """Rows of :data:`HEADER`; rates in percent."""
    out = []
    for r in rows:
        refuted = r.counts[Verdict.REFUTED.value]
        failed = ", ".join(f"{reason} x{n}" for reason, n in r.failed_stop_reasons.items())
        out.append((
            r.label, r.expected, str(r.trials), str(r.counts[Verdict.HOLDS.value]),
            f"{refuted} ({r.certified_refutations}) = {100 * r.rate(Verdict.REFUTED):.1f} %",
            f"{r.counts[Verdict.VACUOUS.value]} = {100 * r.rate(Verdict.VACUOUS):.1f} %",
            f"{r.counts[Verdict.INCONCLUSIVE.value]} = "
            f"{100 * r.rate(Verdict.INCONCLUSIVE):.1f} %",
            f"{r.searches_converged} / {r.searches_run}", failed or "-"))
    return tuple(out)


def markdown(records: Sequence[dict[str, Any]]) -> str:
    """The reliability table of ``records`` in Markdown, with a total per expectation."""
    rows = summarise(records)
    expectations = sorted({r.expected for r in rows})
    body = table_rows([*rows, *(totals(rows, e) for e in expectations)])
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    held = totals(rows, "holds")
    if held.trials:
        lines.append("")
        lines.append(f"False refutations (refuted trials of claims expected to hold): "
                     f"{held.false_refutations} of {held.trials} trials.")
    return "\n".join(lines) + "\n"
