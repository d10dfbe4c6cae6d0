"""``REPORT.json``: one counterexample, self-describing, and its replay.

Format (``format_version`` 1), beside it ``instance.npz`` when the claim
provides its instance::

    {"format": "resproof.counterexample", "format_version": 1, "resproof": "0.1.0",
     "claim": "resnest.thm1", "control": "narrow", "statement": "...",
     "reading": null, "extension": false, "expected": "refuted",
     "verdict": "refuted", "margin": -0.0017, "certified": true,
     "tolerance": {"relative": 1e-6, "absolute": 1e-12},
     "seed": {"entropy": 0, "spawn_key": [3]}, "trial": 3, "trials": 20,
     "budget": "quick", "unit": "trial",
     "violated": {"quantity": "eps = ...", "margin": -0.0017},
     "certificate": {...} | null, "evidence": {...},
     "instance": {"model": {...}, "npz": "instance.npz", "names": ["X", "Y", "theta"]}
                 | null}

``instance.npz`` holds plain float64 / int64 arrays (``numpy.load(path,
allow_pickle=False)``); ``instance.model`` says what they are (family,
equations, sizes, the order of the blocks of ``theta``).

:func:`replay` reruns the trial from its seed (``claim.trial(SeedSequence(
entropy, spawn_key), control, budget)``), checks that the instance it draws is
the recorded one, and compares verdict, certification and margin (within
``tolerance``: ``|m - m0| <= absolute + relative |m0|``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InvalidInput
from ..results import to_jsonable
from . import records as rec

REPORT_FORMAT = "resproof.counterexample"
REPORT_VERSION = 1
NPZ = "instance.npz"
TOLERANCE = {"relative": 1e-6, "absolute": 1e-12}


def write(record: dict[str, Any], directory: Path, sweep_dir: Path, quantity: str = ""
          ) -> Path:
    """Write ``directory/REPORT.json`` (and ``instance.npz``) for a refuted record."""
    from ..claims import get

    claim = get(record["claim"])
    directory.mkdir(parents=True, exist_ok=True)
    statement = (claim.statement if record["control"] is None
                 else claim.control(record["control"]).summary)
    instance = None
    arrays = rec.instance_arrays(record, sweep_dir)
    if arrays is not None:
        named: dict[str, Any] = dict(arrays)  # savez's stub types **kwds like allow_pickle
        np.savez(directory / NPZ, **named)
        instance = {"model": record["instance"]["model"], "npz": NPZ, "names": sorted(arrays)}
    evidence = record.get("evidence") or {}
    doc = {"format": REPORT_FORMAT, "format_version": REPORT_VERSION, "resproof": __version__,
           "claim": record["claim"], "control": record["control"], "statement": statement,
           "reading": claim.reading, "extension": claim.extension,
           "expected": record.get("expected"), "verdict": record["verdict"],
           "margin": record["margin"], "certified": record.get("certified"),
           "tolerance": TOLERANCE, "seed": record["seed"], "trial": record["trial"],
           "trials": record.get("trials"), "budget": record["budget"],
           "unit": record.get("unit", "trial"),
           "violated": {"quantity": quantity or "the claim's margin (evidence)",
                        "margin": record["margin"]},
           "certificate": evidence.get("certificate"), "evidence": evidence,
           "instance": instance}
    path = directory / "REPORT.json"
    rec.fsync_write(path, json.dumps(to_jsonable(doc), indent=1, allow_nan=False) + "\n")
    return path


@dataclasses.dataclass(frozen=True)
class Replay:
    reproduced: bool
    claim: str
    control: str | None
    recorded: dict[str, Any]
    now: dict[str, Any]
    reasons: tuple[str, ...]

    def line(self) -> str:
        label = self.claim if self.control is None else f"{self.claim}:{self.control}"
        head = "reproduced" if self.reproduced else "NOT reproduced"
        return (f"{head}: {label} {self.now['verdict']} (recorded {self.recorded['verdict']}),"
                f" margin {self.now['margin']} (recorded {self.recorded['margin']})"
                + ("" if self.reproduced else "; " + "; ".join(self.reasons)))


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A REPORT.json, checked for format and version."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput("REPORT.json", "an existing file", str(path)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise InvalidInput("REPORT.json", "a JSON document", f"{path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != REPORT_FORMAT:
        raise InvalidInput("REPORT.json format", repr(REPORT_FORMAT),
                           doc.get("format") if isinstance(doc, dict) else type(doc).__name__)
    if doc.get("format_version") != REPORT_VERSION:
        raise InvalidInput("REPORT.json format_version",
                           f"{REPORT_VERSION} (this resproof {__version__})",
                           doc.get("format_version"))
    for key in ("claim", "control", "seed", "trial", "budget", "verdict", "margin"):
        if key not in doc:
            raise InvalidInput("REPORT.json", f"a field {key!r}", str(path))
    return doc


def load_instance(doc: dict[str, Any], path: Path) -> dict[str, np.ndarray] | None:
    """The instance arrays of a REPORT.json (numpy alone, ``allow_pickle=False``)."""
    inst = doc.get("instance")
    if not inst:
        return None
    npz = path.parent / inst["npz"]
    try:
        with np.load(npz, allow_pickle=False) as f:
            return {k: f[k].copy() for k in f.files}
    except (OSError, ValueError) as exc:
        raise InvalidInput("instance", "the .npz beside REPORT.json", str(npz)) from exc


def replay(path: str | os.PathLike[str]) -> Replay:
    """Rebuild the counterexample of ``path`` and rerun its check."""
    from ..claims import get
    from ..claims.base import trial_sequence
    from .witnesses import instance_of

    doc = read(path)
    claim = get(doc["claim"])
    control = doc["control"]
    if control is not None:
        claim.control(control)
    seed = int(doc["seed"]["entropy"])
    reasons = []
    arrays = load_instance(doc, Path(path))
    if arrays is not None:
        try:
            drawn = instance_of(claim, trial_sequence(seed, int(doc["trial"])), control)
        except Exception as exc:  # a claim whose drawing changed: say so, do not crash
            reasons.append(f"the instance could not be redrawn ({type(exc).__name__}: {exc})")
        else:
            if drawn is not None and not _same_arrays(arrays, drawn.arrays):
                reasons.append("the seed no longer draws the recorded instance")
    if doc.get("unit", "trial") == "search":
        outcome = claim.verify(control=control, trials=doc.get("trials"), seed=seed,
                               budget=doc["budget"])
        now = {"verdict": outcome.verdict.value, "margin": outcome.margin,
               "certified": outcome.certified}
    else:
        from ..profiles import get_budget

        result = claim.run_trial(seed, int(doc["trial"]), control, get_budget(doc["budget"]))
        now = {"verdict": result.verdict.value, "margin": result.margin,
               "certified": result.certified}
    now = to_jsonable(now)
    if now["verdict"] != doc["verdict"]:
        reasons.append(f"verdict {now['verdict']} != recorded {doc['verdict']}")
    if now["certified"] != doc.get("certified"):
        reasons.append(f"certified {now['certified']} != recorded {doc.get('certified')}")
    if not _close(now["margin"], doc["margin"], doc.get("tolerance", TOLERANCE)):
        reasons.append(f"margin {now['margin']} outside the recorded tolerance of "
                       f"{doc['margin']}")
    recorded = {k: doc.get(k) for k in ("verdict", "margin", "certified")}
    return Replay(not reasons, claim.id, control, recorded, now, tuple(reasons))


def _same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return set(a) == set(b) and all(np.array_equal(a[k], np.asarray(b[k])) for k in a)


def _close(now: Any, recorded: Any, tolerance: dict[str, float]) -> bool:
    if now is None or recorded is None:
        return now is None and recorded is None
    now, recorded = float(now), float(recorded)
    if not (math.isfinite(now) and math.isfinite(recorded)):
        return now == recorded
    bound = float(tolerance["absolute"]) + float(tolerance["relative"]) * abs(recorded)
    return abs(now - recorded) <= bound
