"""Sweeps: many trials of many claims, resumable, on one process, a pool or Dask.

A sweep is a plan of tasks, one per ``(claim, control, trial)``: trial ``t`` of
root seed ``s`` runs ``claim.trial(SeedSequence(s, spawn_key=(t,)), control,
budget)`` (exactly the ``t``-th trial of ``Claim.verify``), so its record is the
same whichever process or machine runs it.  A claim decided by one property
search rather than by trials (it overrides ``verify``) is one task.

With ``out``, each finished task is appended to ``out/results.jsonl`` as one
line, written with one ``write`` and fsynced before the next, after its instance
``.npz`` (if any) is renamed into place; ``out/sweep.json`` holds the sweep's
arguments.  ``resume`` skips the recorded tasks and redoes a torn last line;
resuming with other arguments is refused.

Executors: ``workers == 1`` runs in this process; ``workers > 1`` a Dask
``LocalCluster`` when ``dask.distributed`` is installed, else a
``concurrent.futures`` process pool; ``scheduler`` connects to a running Dask
scheduler.  Records are written in completion order; every reader sorts them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._validation import check_choice, check_positive_int, check_seed
from .errors import InvalidInput
from .profiles import Budget, get_budget
from .report import records as rec
from .results import Outcome, Verdict, to_jsonable

SWEEP_FORMAT = "resproof.sweep"
SWEEP_VERSION = 1
BACKENDS = ("auto", "dask", "processes")
#: Arguments that must match for ``--resume``.
RESUME_KEYS = ("claims", "seed", "budget", "trials")


@dataclasses.dataclass(frozen=True)
class Task:
    """One unit of a sweep: a trial of a claim (or its whole property search)."""

    claim: str
    control: str | None
    trial: int
    trials: int | None
    seed: int
    budget: str
    unit: str  # "trial" or "search"

    @property
    def key(self) -> tuple[str, str | None, int]:
        return self.claim, self.control, self.trial


def label(claim: str, control: str | None) -> str:
    return claim if control is None else f"{claim}:{control}"


def plan(labels: Sequence[tuple[str, str | None]], trials: int | None, seed: int,
         budget: str | Budget) -> list[Task]:
    """The tasks of a sweep over ``(claim id, control)`` pairs, validated."""
    from .claims import get

    chosen = get_budget(budget)
    tasks = []
    for claim_id, control in labels:
        claim = get(claim_id)
        control, n, seed, _ = claim.validate(control, trials, seed, chosen)
        if claim.runs_trials:
            tasks += [Task(claim.id, control, t, n, seed, chosen.name, "trial") for t in range(n)]
        else:
            tasks.append(Task(claim.id, control, 0, trials, seed, chosen.name, "search"))
    return tasks


def run_task(task: Task) -> tuple[dict[str, Any], Any]:
    """Run one task; return its record (without the instance) and its instance data.

    Top-level and pure so a process pool or Dask worker can run it."""
    from .claims import get
    from .claims.base import trial_sequence
    from .report.witnesses import instance_of

    claim = get(task.claim)
    budget = get_budget(task.budget)
    record: dict[str, Any] = {
        "format": rec.RECORD_FORMAT, "format_version": rec.RECORD_VERSION,
        "resproof": __version__, "claim": task.claim, "control": task.control,
        "trial": task.trial, "trials": task.trials,
        "seed": {"entropy": task.seed, "spawn_key": [task.trial]},
        "budget": task.budget, "unit": task.unit,
        "expected": claim.expected(task.control).value}
    instance = None
    if task.unit == "search":
        outcome = claim.verify(control=task.control, trials=task.trials, seed=task.seed,
                               budget=budget)
        record.update(verdict=outcome.verdict.value, margin=outcome.margin,
                      certified=outcome.certified, evidence=outcome.counterexample or {},
                      outcome=outcome.to_json())
    else:
        result = claim.run_trial(task.seed, task.trial, task.control, budget)
        record.update(verdict=result.verdict.value, margin=result.margin,
                      certified=result.certified, evidence=result.evidence)
        try:  # the instance is for readers: its failure is noted, never fatal
            instance = instance_of(claim, trial_sequence(task.seed, task.trial), task.control)
        except Exception as exc:
            record["instance_error"] = f"{type(exc).__name__}: {exc}"
    return to_jsonable(record), instance


# --- executors -------------------------------------------------------------------------

def _serial(tasks: Sequence[Task]) -> Iterator[tuple[dict[str, Any], Any]]:
    for task in tasks:
        yield run_task(task)


def _process_pool(tasks: Sequence[Task], workers: int) -> Iterator[tuple[dict[str, Any], Any]]:
    context = multiprocessing.get_context("spawn")  # no fork of numba/BLAS threads
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(run_task, t) for t in tasks]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _dask(tasks: Sequence[Task], workers: int,
          scheduler: str | None) -> Iterator[tuple[dict[str, Any], Any]]:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout="5s"))
            except (OSError, TimeoutError, ValueError) as exc:
                raise InvalidInput("--scheduler", "the address of a reachable Dask scheduler",
                                   scheduler) from exc
        futures = client.map(run_task, list(tasks), pure=False)
        for future in as_completed(futures):
            yield future.result()


def has_dask() -> bool:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _executor(tasks: Sequence[Task], workers: int, scheduler: str | None,
              backend: str) -> Iterator[tuple[dict[str, Any], Any]]:
    if scheduler is not None:
        if not has_dask():
            raise InvalidInput("--scheduler", "dask.distributed installed (pip install "
                               "'resproof[dask]')", scheduler)
        return _dask(tasks, workers, scheduler)
    if workers == 1 or not tasks:
        return _serial(tasks)
    if backend == "dask" or (backend == "auto" and has_dask()):
        return _dask(tasks, workers, None)
    return _process_pool(tasks, workers)


# --- the results directory -------------------------------------------------------------

def header(tasks: Sequence[Task], labels: Sequence[tuple[str, str | None]], trials: int | None,
           seed: int, budget: str) -> dict[str, Any]:
    return {"format": SWEEP_FORMAT, "format_version": SWEEP_VERSION, "resproof": __version__,
            "claims": [label(c, k) for c, k in labels], "seed": seed, "budget": budget,
            "trials": trials, "tasks": len(tasks)}


def _open_results(out: Path, head: dict[str, Any], resume: bool
                  ) -> tuple[list[dict[str, Any]], int]:
    """Prepare ``out`` and return the records already there (resume) and the byte
    length to keep of results.jsonl."""
    if out.exists() and not out.is_dir():
        raise InvalidInput("--out", "a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)
    header_path = out / rec.HEADER
    results = out / rec.RESULTS
    if not resume:
        if header_path.exists() or (results.exists() and results.stat().st_size):
            raise InvalidInput("--out", "a new or empty directory (pass --resume to continue "
                               "the sweep recorded there)", str(out))
        rec.fsync_write(header_path, json.dumps(head, indent=1) + "\n")
        return [], 0
    if not header_path.exists():
        if results.exists() and results.stat().st_size:
            raise InvalidInput("--out", f"a sweep directory with {rec.HEADER}", str(out))
        rec.fsync_write(header_path, json.dumps(head, indent=1) + "\n")
        return [], 0
    old = rec.read_header(out)
    changed = [k for k in RESUME_KEYS if old.get(k) != head[k]]
    if changed:
        diff = "; ".join(f"{k}: recorded {old.get(k)!r}, now {head[k]!r}" for k in changed)
        raise InvalidInput("--resume", "the arguments the sweep was started with", diff)
    return rec.scan(out)


class _Writer:
    """Appends records to results.jsonl: one write per line, fsync after each."""

    def __init__(self, out: Path, keep: int) -> None:
        self.out = out
        self.fd = os.open(out / rec.RESULTS, os.O_WRONLY | os.O_CREAT, 0o644)
        os.ftruncate(self.fd, keep)  # drop a torn last line
        os.lseek(self.fd, keep, os.SEEK_SET)

    def write(self, record: dict[str, Any], instance: Any) -> dict[str, Any]:
        name = rec.key_name(*rec.record_key(record))
        record = {**record, "instance": rec.instance_json(instance, self.out, name)}
        line = (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode()
        written = os.write(self.fd, line)
        while written < len(line):
            written += os.write(self.fd, line[written:])
        os.fsync(self.fd)
        return record

    def close(self) -> None:
        os.close(self.fd)


# --- the sweep -------------------------------------------------------------------------

def run(labels: Sequence[tuple[str, str | None]], *, trials: int | None = None, seed: int = 0,
        budget: str | Budget = "quick", out: str | os.PathLike[str] | None = None,
        resume: bool = False, workers: int = 1, scheduler: str | None = None,
        backend: str = "auto", progress: bool = False,
        on_record: Callable[[dict[str, Any]], None] | None = None
        ) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """Run (or resume) a sweep; return one :class:`Outcome` per ``(claim, control)``
    and every record, sorted by ``(claim, control, trial)`` in plan order."""
    workers = check_positive_int("--workers", workers)
    seed = check_seed("--seed", seed)
    check_choice("backend", backend, BACKENDS)
    if trials is not None:
        check_positive_int("--trials", trials)
    chosen = get_budget(budget)
    if resume and out is None:
        raise InvalidInput("--resume", "--out DIR (the sweep to resume)")
    tasks = plan(labels, trials, seed, chosen)
    head = header(tasks, labels, trials, seed, chosen.name)
    done: list[dict[str, Any]] = []
    writer = None
    if out is not None:
        out_dir = Path(out)
        done, keep = _open_results(out_dir, head, resume)
        known = {t.key for t in tasks}
        strange = [r for r in done if rec.record_key(r) not in known]
        if strange:
            r = strange[0]
            raise InvalidInput(f"{rec.RESULTS} record", "a (claim, control, trial) of this "
                               "sweep", label(r["claim"], r["control"]) + f" trial {r['trial']}")
        writer = _Writer(out_dir, keep)
    finished = {rec.record_key(r) for r in done}
    pending = [t for t in tasks if t.key not in finished]
    all_records = list(done)
    bar = _progress(len(tasks), len(done), progress, done)
    try:
        for record, instance in _executor(pending, workers, scheduler, backend):
            if writer is not None:
                record = writer.write(record, instance)
            all_records.append(record)
            if on_record is not None:
                on_record(record)
            bar.update(record)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    order = {t.key: i for i, t in enumerate(tasks)}
    all_records.sort(key=lambda r: order[rec.record_key(r)])
    return outcomes(all_records, seed, chosen, labels), all_records


def outcomes(records: Sequence[dict[str, Any]], seed: int, budget: Budget,
             labels: Sequence[tuple[str, str | None]] | None = None) -> list[Outcome]:
    """Aggregate records into one :class:`Outcome` per ``(claim, control)`` with the
    claim's own rule (:meth:`Claim.outcome`)."""
    from .claims import get

    groups = dict(rec.iter_groups(list(records)))
    keys = list(labels) if labels is not None else list(groups)
    result = []
    for claim_id, control in keys:
        rows = groups.get((claim_id, control), [])
        claim = get(claim_id)
        if rows and rows[0].get("unit") == "search":
            result.append(Outcome.from_json(rows[0]["outcome"]))
        else:
            result.append(claim.outcome(control, [rec.trial_result(r) for r in rows], seed,
                                        budget))
    return result


class _Bar:
    """tqdm on stderr: trials done, rate, refuted and inconclusive so far, ETA."""

    def __init__(self, total: int, initial: int, enabled: bool,
                 done: Sequence[dict[str, Any]]) -> None:
        self.counts = {"refuted": 0, "inconclusive": 0}
        for record in done:
            self._count(record)
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, file=sys.stderr, unit="trial",
                            dynamic_ncols=True, smoothing=0.1)
            self.bar.set_postfix(self.counts, refresh=False)

    def _count(self, record: dict[str, Any]) -> None:
        verdict = record["verdict"]
        if verdict in (Verdict.REFUTED.value, Verdict.INCONCLUSIVE.value):
            self.counts[verdict] += 1

    def update(self, record: dict[str, Any]) -> None:
        self._count(record)
        if self.bar is not None:
            self.bar.set_postfix(self.counts, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress(total: int, initial: int, wanted: bool, done: Sequence[dict[str, Any]]) -> _Bar:
    return _Bar(total, initial, wanted and sys.stderr.isatty(), done)
