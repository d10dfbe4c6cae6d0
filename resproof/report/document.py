"""The content of a sweep report, independent of how it is rendered.

:func:`build` reads a sweep directory and returns a list of blocks (headings,
paragraphs, tables, images, code) that :mod:`.markdown` and :mod:`.html`
render; it also writes each counterexample's ``REPORT.json``
(:mod:`.counterexample`) under ``DIR/counterexamples/``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..results import Outcome, Verdict
from . import counterexample, plots, reliability
from . import records as rec


@dataclasses.dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclasses.dataclass(frozen=True)
class Paragraph:
    text: str


@dataclasses.dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclasses.dataclass(frozen=True)
class Image:
    name: str
    png: bytes
    alt: str


@dataclasses.dataclass(frozen=True)
class Code:
    text: str


Block = Heading | Paragraph | Table | Image | Code


def build(directory: str | Path, plots_wanted: bool = True) -> list[Block]:
    """The blocks of the report on the sweep in ``directory``."""
    from ..claims import get
    from ..profiles import get_budget
    from ..sweep import outcomes

    path = Path(directory)
    head, records = rec.load(path)
    for record in records:  # every claim must be known before anything is written
        get(record["claim"])
    budget = get_budget(head["budget"])
    groups = list(rec.iter_groups(records))
    results = outcomes(records, int(head["seed"]), budget, [key for key, _ in groups])
    blocks: list[Block] = [
        Heading(1, "resproof sweep report"),
        Paragraph(f"Sweep of {', '.join(head['claims'])}: seed {head['seed']}, budget "
                  f"{head['budget']}, {len(records)} of {head.get('tasks', '?')} planned "
                  f"records (resproof {head.get('resproof')}; report by resproof "
                  f"{__version__})."),
        Table(("claim", "expected", "verdict", "certified", "trials", "as expected"),
              tuple((o.label, o.expected.value, o.verdict.value, _show(o.certified),
                     str(o.trials), "yes" if o.as_expected else "NO") for o in results)),
        Heading(2, "Reliability"),
        Paragraph("Per claim and control: verdict counts and rates over the trials, "
                  "refutations certified, the searches that converged, and the stop "
                  "reasons of needed searches that failed (these make trials "
                  "inconclusive)."),
        Table(reliability.HEADER,
              reliability.table_rows([*reliability.summarise(records),
                                      *(reliability.totals(reliability.summarise(records), e)
                                        for e in sorted({str(r.get('expected'))
                                                         for r in records}))])),
    ]
    for (claim_id, control), outcome in zip((key for key, _ in groups), results, strict=True):
        rows = dict(groups)[(claim_id, control)]
        blocks += _claim_section(get(claim_id), control, rows, outcome, path, budget,
                                 plots_wanted)
    return blocks


def _claim_section(claim: Any, control: str | None, rows: list[dict[str, Any]],
                   outcome: Outcome, path: Path, budget: Any, plots_wanted: bool
                   ) -> list[Block]:
    marks = []
    if claim.extension:
        marks.append("extension (beyond the paper)")
    if claim.reading:
        marks.append("resproof's reading")
    tag = f" [{'; '.join(marks)}]" if marks else ""
    blocks: list[Block] = [Heading(2, f"{outcome.label}: {claim.title}{tag}")]
    if control is None:
        blocks.append(Paragraph(f"Statement ({claim.source}): {claim.statement}"))
    else:
        blocks.append(Paragraph(f"Control of {claim.id}: {claim.control(control).summary}"))
        blocks.append(Paragraph(f"Claim statement: {claim.statement}"))
    if claim.reading:
        blocks.append(Paragraph(f"resproof's reading: {claim.reading}"))
    cert = ""
    if outcome.verdict is Verdict.REFUTED:
        cert = " (certified)" if outcome.certified else " (NOT certified)"
    blocks.append(Paragraph(
        f"Expected {outcome.expected.value}; verdict **{outcome.verdict.value}**{cert}"
        f" ({'as expected' if outcome.as_expected else 'NOT as expected'}); worst margin "
        f"{_num(outcome.margin)}."))
    counts = {v.value: sum(r["verdict"] == v.value for r in rows) for v in Verdict}
    blocks.append(Table(("holds", "refuted", "vacuous", "inconclusive", "records"),
                        ((*(str(counts[v.value]) for v in Verdict), str(len(rows))),)))
    if plots_wanted:
        blocks.append(Image(f"{rec.key_name(claim.id, control, 0)}-margins",
                            plots.margin_histogram([r["margin"] for r in rows],
                                                   [r["verdict"] for r in rows],
                                                   f"margins of {outcome.label}"),
                            f"margin distribution of {outcome.label}"))
    table = _assumption_table(rows)
    if table is not None:
        blocks += [Paragraph("Assumption margins over the trials (> 0: met):"), table]
    refuted = [r for r in rows if r["verdict"] == Verdict.REFUTED.value]
    if refuted:  # the worst certified refutation, else the worst one
        certified = [r for r in refuted if r.get("certified")]
        worst = min(certified or refuted, key=lambda r: float(r["margin"]))
        blocks += _counterexample(claim, control, worst, path, budget, plots_wanted,
                                  len(refuted), len(certified))
    return blocks


def _assumption_table(rows: Sequence[dict[str, Any]]) -> Table | None:
    """Min / max margin of each assumption and how often it was met, from the
    ``assumptions`` lists of :func:`~resproof.claims.base.decide` (or an older
    ``assumption_margins`` mapping)."""
    seen: dict[str, list[float]] = {}
    for row in rows:
        evidence = row.get("evidence") or {}
        for key, kind in (("assumptions", ""), ("broken_assumptions", " (dropped)")):
            for item in evidence.get(key, ()):
                if isinstance(item, dict) and "name" in item and item.get("margin") is not None:
                    seen.setdefault(str(item["name"]) + kind, []).append(float(item["margin"]))
        for name, margin in (evidence.get("assumption_margins") or {}).items():
            if isinstance(margin, int | float):
                seen.setdefault(str(name), []).append(float(margin))
    if not seen:
        return None
    return Table(("assumption", "min margin", "max margin", "met (> 0)"),
                 tuple((name, _num(min(v)), _num(max(v)), f"{sum(m > 0 for m in v)}/{len(v)}")
                       for name, v in seen.items()))


def _counterexample(claim: Any, control: str | None, record: dict[str, Any], path: Path,
                    budget: Any, plots_wanted: bool, count: int, certified: int
                    ) -> list[Block]:
    from ..claims.base import trial_sequence
    from .witnesses import landscape_of

    seed = record["seed"]
    which = "certified" if record.get("certified") else "uncertified (none certified)"
    blocks: list[Block] = [Heading(3, f"Counterexample: the worst {which} of {count} refuted "
                                      f"trials ({certified} certified)")]
    landscape, why = None, ""
    if plots_wanted and record.get("unit", "trial") == "trial":
        landscape, why = landscape_of(claim, trial_sequence(int(seed["entropy"]),
                                                            int(record["trial"])),
                                      control, budget)
    quantity = landscape.quantity if landscape is not None else ""
    target = path / "counterexamples" / rec.key_name(claim.id, control, int(record["trial"]))
    report_path = counterexample.write(record, target, path, quantity)
    evidence = record.get("evidence") or {}
    blocks.append(Paragraph(
        f"Trial {record['trial']}, seed SeedSequence({seed['entropy']}, spawn_key="
        f"{tuple(seed['spawn_key'])}), budget {record['budget']}. Violated quantity: "
        f"{quantity or 'see the evidence below'}; margin {_num(record['margin'])} (< 0: the "
        f"conclusion is violated). Certified: {_show(record.get('certified'))}. Replay: "
        f"`resproof replay {report_path.relative_to(path)}`."))
    scalars = [(k, _num(v)) for k, v in evidence.items()
               if isinstance(v, int | float | str) and not isinstance(v, bool)
               and len(str(v)) < 80]
    if scalars:
        blocks.append(Table(("quantity", "value"), tuple(scalars)))
    if evidence.get("certificate") is not None:
        blocks += [Paragraph("Certificate (high-precision re-check):"),
                   Code(json.dumps(evidence["certificate"], indent=1))]
    blocks += _instance_blocks(record, path)
    if not plots_wanted:
        return blocks
    if landscape is None:
        blocks.append(Paragraph(f"No landscape plots: {why}."))
        return blocks
    theta = np.asarray(landscape.theta, dtype=np.float64)
    if theta.size > plots.MAX_PARAMS:
        blocks.append(Paragraph(f"No landscape plots: {theta.size} parameters "
                                f"(> {plots.MAX_PARAMS})."))
        return blocks
    values, vectors = plots.curvature(landscape.objective, theta)
    name = rec.key_name(claim.id, control, int(record["trial"]))
    if values[0] < 0:
        v1, label1 = vectors[:, 0], f"negative-curvature direction (lambda_min = {values[0]:.3g})"
    elif landscape.direction is not None:
        v1, label1 = np.asarray(landscape.direction, dtype=np.float64), "the claim's direction"
    else:
        v1, label1 = vectors[:, 0], f"lowest-curvature direction (lambda_min = {values[0]:.3g})"
    v2 = vectors[:, -1] if len(values) > 1 else v1
    blocks += [
        Paragraph(f"Hessian of the objective at the critical point ({theta.size} parameters):"
                  f" lambda_min = {values[0]:.4g}, lambda_max = {values[-1]:.4g}, "
                  f"{int(np.sum(values < 0))} negative eigenvalues. Slices along v_1 = "
                  f"{label1}; v_2 = eigenvector of lambda_max."),
        Image(f"{name}-spectrum", plots.spectrum(values, "Hessian spectrum at the critical "
                                                 "point"), "Hessian spectrum"),
        Image(f"{name}-slice1d", plots.slice_1d(landscape.objective, theta, v1,
                                                "loss along v_1"), "1-D loss slice"),
    ]
    if len(values) > 1:
        blocks.append(Image(f"{name}-slice2d", plots.slice_2d(
            landscape.objective, theta, v1, v2, "loss - R(theta*) on (v_1, v_2)"),
            "2-D loss slice"))
    return blocks


def _instance_blocks(record: dict[str, Any], path: Path) -> list[Block]:
    inst = record.get("instance")
    if not inst:
        return [Paragraph("Instance: not provided by the claim; it is rebuilt by rerunning "
                          "the trial from its seed (`resproof replay`).")]
    arrays = rec.instance_arrays(record, path) or {}
    where = f" (`{inst['npz']}`)" if "npz" in inst else " (inline in the record)"
    blocks: list[Block] = [
        Paragraph(f"Instance{where}: arrays "
                  + ", ".join(f"{k} {tuple(a.shape)} {a.dtype}" for k, a in arrays.items())
                  + "; model:"),
        Code("\n".join(f"{key}: {json.dumps(value)}" for key, value in inst["model"].items())),
    ]
    small = {k: a for k, a in arrays.items() if a.size <= 16}
    if small:
        blocks.append(Code("\n".join(f"{k} = {np.array2string(a, precision=6)}"
                                     for k, a in small.items())))
    return blocks


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def _show(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")
