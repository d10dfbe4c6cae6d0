"""The sweep record schema: ``DIR/sweep.json`` and ``DIR/results.jsonl``.

``sweep.json`` holds the arguments of the sweep (claim set, root seed, budget,
trials, resproof version); ``results.jsonl`` one JSON object per line and per
``(claim, control, trial)``::

    {"format": "resproof.record", "format_version": 1, "resproof": "0.1.0",
     "claim": "resnest.thm1", "control": "narrow", "trial": 3, "trials": 20,
     "seed": {"entropy": 0, "spawn_key": [3]}, "budget": "standard",
     "unit": "trial" | "search", "expected": "refuted", "verdict": "refuted",
     "margin": -0.0017, "certified": true, "evidence": {...},
     "instance": null | {"model": {...}, "arrays": {"X": [[...]], ...}}
                      | {"model": {...}, "npz": "instances/<key>.npz", "names": [...]}}

``unit`` is ``trial`` for claims decided trial by trial (trial ``t`` draws from
``SeedSequence(entropy, spawn_key=(t,))``) and ``search`` for claims decided by
one property search over ``trials`` examples (one record, ``trial`` 0, with the
search's outcome in ``outcome``).  Instances with at most
:data:`INLINE_LIMIT` numbers are inline, larger ones in an ``.npz`` beside the
file (read with ``allow_pickle=False``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..results import TrialResult, Verdict, from_json_float

RECORD_FORMAT = "resproof.record"
RECORD_VERSION = 1
RESULTS = "results.jsonl"
HEADER = "sweep.json"
INSTANCES = "instances"
#: Instances with at most this many numbers are written inline.
INLINE_LIMIT = 64

_REQUIRED = ("claim", "control", "trial", "seed", "budget", "verdict", "margin", "evidence")


def record_key(record: dict[str, Any]) -> tuple[str, str | None, int]:
    return record["claim"], record["control"], int(record["trial"])


def key_name(claim: str, control: str | None, trial: int) -> str:
    """A file-name-safe key for one record: ``claim__control__trial``."""
    return f"{claim}__{control or 'claim'}__{trial}".replace("/", "_").replace(":", "_")


def fsync_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def instance_json(instance: Any, directory: Path, name: str) -> dict[str, Any] | None:
    """The record's ``instance`` field for an :class:`~resproof.claims.base.InstanceData`
    (arrays inline when small, else in ``directory/instances/name.npz``)."""
    if instance is None:
        return None
    arrays = {k: np.asarray(v) for k, v in instance.arrays.items()}
    if sum(a.size for a in arrays.values()) <= INLINE_LIMIT:
        return {"model": instance.model,
                "arrays": {k: {"dtype": a.dtype.str, "shape": list(a.shape),
                               "data": a.reshape(-1).tolist()} for k, a in arrays.items()}}
    folder = directory / INSTANCES
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.npz"
    tmp = folder / f"{name}.tmp.npz"
    named: dict[str, Any] = dict(arrays)  # savez's stub types **kwds like allow_pickle
    np.savez(tmp, **named)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return {"model": instance.model, "npz": f"{INSTANCES}/{name}.npz", "names": sorted(arrays)}


def instance_arrays(record: dict[str, Any], directory: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a record's instance (inline or from its ``.npz``), or None."""
    inst = record.get("instance")
    if not inst:
        return None
    if "arrays" in inst:
        return {k: np.asarray(v["data"], dtype=np.dtype(v["dtype"])).reshape(v["shape"])
                for k, v in inst["arrays"].items()}
    path = directory / inst["npz"]
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k].copy() for k in f.files}
    except (OSError, ValueError) as exc:
        raise InvalidInput("instance", "a readable .npz written by resproof", str(path)) from exc


def trial_result(record: dict[str, Any]) -> TrialResult:
    """The :class:`TrialResult` a record holds."""
    margin = record["margin"]
    return TrialResult(Verdict(record["verdict"]),
                       None if margin is None else from_json_float(margin),
                       record["evidence"], record.get("certified"),
                       [record["seed"]["entropy"], *record["seed"]["spawn_key"]])


def read_header(directory: Path) -> dict[str, Any]:
    path = directory / HEADER
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput("DIR", f"a sweep directory with {HEADER} (made by verify --out)",
                           str(directory)) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(HEADER, "valid JSON", f"{path}: {exc}") from exc


def scan(directory: Path) -> tuple[list[dict[str, Any]], int]:
    """Every complete record of ``directory/results.jsonl`` and the byte length of the
    valid part.  A torn last line (no newline, or not JSON: the sweep was killed while
    writing it) is left out; a bad line anywhere else is refused."""
    path = directory / RESULTS
    if not path.exists():
        return [], 0
    lines = path.read_bytes().split(b"\n")  # a complete file ends with b"\n": last item b""
    records: list[dict[str, Any]] = []
    good = 0
    for number, line in enumerate(lines, start=1):
        final = number == len(lines) or (number == len(lines) - 1 and not lines[-1])
        if not line:
            good += number < len(lines)
            continue
        try:
            record = json.loads(line)
            _check_record(record)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
            if final:
                break  # the torn last line of a killed sweep: redone on resume
            raise InvalidInput(f"{path.name} line {number}", "one JSON record per line",
                               f"corrupt ({exc})") from exc
        if number == len(lines):
            break  # parses but has no newline: its write may not have finished
        records.append(record)
        good += len(line) + 1
    return records, good


def _check_record(record: Any) -> None:
    if not isinstance(record, dict):
        raise TypeError("not a JSON object")
    if record.get("format") != RECORD_FORMAT or record.get("format_version") != RECORD_VERSION:
        raise ValueError(f"format {record.get('format')!r} version "
                         f"{record.get('format_version')!r}, expected {RECORD_FORMAT!r} "
                         f"version {RECORD_VERSION}")
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise KeyError(f"missing {', '.join(missing)}")
    Verdict(record["verdict"])


def load(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and records of a sweep directory (a torn last line dropped)."""
    path = Path(directory)
    if not path.is_dir():
        raise InvalidInput("DIR", "an existing sweep directory (made by verify --out)",
                           str(directory))
    header = read_header(path)
    records, _ = scan(path)
    return header, records


def iter_groups(records: list[dict[str, Any]]) -> Iterator[tuple[tuple[str, str | None],
                                                                  list[dict[str, Any]]]]:
    """Records grouped by ``(claim, control)``, in first-seen order, trials sorted."""
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["claim"], record["control"]), []).append(record)
    for key, rows in groups.items():
        yield key, sorted(rows, key=lambda r: int(r["trial"]))
