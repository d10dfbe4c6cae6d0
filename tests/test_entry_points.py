"""A claim from another installed package (``tests/fixtures/entry_point``: a
``toyclaims-0.1.dist-info/entry_points.txt`` in the ``resproof.claims`` group on
``sys.path``) is listed, verified, swept on two workers, reported and replayed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tests" / "fixtures" / "entry_point"


def _resproof(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(PACKAGE)])
    return subprocess.run([sys.executable, "-m", "resproof", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_entry_point_claim_is_listed_swept_reported_and_replayed(tmp_path: Path) -> None:
    listed = _resproof("list", "--controls", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [c["id"] for c in json.loads(listed.stdout)["claims"]]
    assert "toy.double-well" in ids
    assert "resnest.thm1" in ids  # resproof's own claims still there

    out = tmp_path / "sweep"
    swept = _resproof("verify", "toy.double-well", "toy.double-well:any-critical-point",
                      "--trials", "6", "--workers", "2", "--out", str(out), "--json")
    assert swept.returncode == 0, swept.stderr
    outcomes = {o["control"]: o for o in json.loads(swept.stdout)["outcomes"]}
    assert outcomes[None]["verdict"] == "holds"
    assert outcomes["any-critical-point"]["verdict"] == "refuted"
    assert outcomes["any-critical-point"]["certified"] is True
    assert swept.stderr == ""  # no progress bar: --json, and stderr is not a terminal
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 12
    assert records[0]["instance"]["model"]["family"] == "double-well"  # inline: 3 numbers
    assert "arrays" in records[0]["instance"]

    reported = _resproof("report", str(out), "--html")
    assert reported.returncode == 0, reported.stderr
    html = (out / "report.html").read_text()
    assert "toy.double-well:any-critical-point" in html
    assert "negative-curvature direction" in html  # the saddle at the origin
    (report,) = (out / "counterexamples").glob("*/REPORT.json")
    replayed = _resproof("replay", str(report))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_without_the_package_its_records_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    assert _resproof("verify", "toy.double-well", "--trials", "1", "--out",
                     str(out)).returncode == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "resproof", "report", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "toy.double-well" in done.stderr


@pytest.fixture(autouse=True)
def _no_registry_leak() -> None:
    """The registry of this process never sees the fixture package."""
    from resproof.claims import registry

    assert "toy.double-well" not in registry()
