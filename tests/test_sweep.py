"""Sweeps: kill-and-resume loses and repeats nothing; records identical on 1 worker, a
process pool and a Dask local cluster; resuming with other arguments refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resproof import sweep
from resproof.errors import InvalidInput
from resproof.report import records as rec

ROOT = Path(__file__).resolve().parents[1]
#: Fast trials of both kinds of unit: trial claims (a control and a claim) and a
#: property-search claim (one record).
MIX = [("resnest.thm1", "narrow"), ("resnest.thm1", None), ("yun.single-block", "no-skip"),
       ("kreinovich.square-activation", "linear-activation")]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *extra.pop("path", "").split(os.pathsep)])
    env.update(extra)
    return env


def _comparable(records: list[dict]) -> list[dict]:
    """Records without the instance field (its .npz path differs by directory), sorted."""
    out = [{k: v for k, v in r.items() if k != "instance"} for r in records]
    return sorted(out, key=lambda r: (r["claim"], str(r["control"]), r["trial"]))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    """The mix run serially in this process, without writing anything."""
    _, records = sweep.run(MIX, trials=5, seed=3)
    return _comparable(records)


def test_kill_and_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "resproof", "verify", "resnest.thm1:narrow", "--trials", "16",
            "--seed", "5", "--out", str(out)]
    results = out / rec.RESULTS
    # SIGKILL twice, mid-run, each after some records are written
    for kills, stop_at in enumerate((2, 6)):
        log = tmp_path / f"stderr{kills}.txt"
        with open(log, "wb") as err:
            proc = subprocess.Popen(args + (["--resume"] if kills else []), cwd=ROOT,
                                    env=_env(), stdout=subprocess.DEVNULL, stderr=err)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                if results.exists() and results.read_bytes().count(b"\n") >= stop_at:
                    break
                time.sleep(0.02)
            assert proc.poll() is None, log.read_text()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    before = _lines(results)
    assert 6 <= len(before) < 16
    with open(results, "ab") as f:  # a torn last line, as a kill during write leaves it
        f.write(b'{"format":"resproof.record","format_version":1,"claim":"resn')
    done = subprocess.run([*args, "--resume"], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _lines(results)  # every line parses: the torn one was cut away
    keys = [rec.record_key(r) for r in after]
    assert len(keys) == len(set(keys)) == 16  # nothing lost, nothing repeated
    assert after[: len(before)] == before  # finished trials kept as they were
    _, fresh = sweep.run([("resnest.thm1", "narrow")], trials=16, seed=5)
    assert _comparable(after) == _comparable(fresh)


def test_torn_last_line_detected_and_redone(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    sweep.run([("resnest.thm1", "narrow")], trials=4, seed=1, out=out)
    results = out / rec.RESULTS
    full = results.read_bytes()
    lines = full.split(b"\n")
    results.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:40])  # last record torn
    records, keep = rec.scan(out)
    assert len(records) == 3
    assert keep == len(b"\n".join(lines[:3])) + 1
    sweep.run([("resnest.thm1", "narrow")], trials=4, seed=1, out=out, resume=True)
    assert results.read_bytes() == full


def test_one_worker_and_two_processes_give_identical_records(reference: list[dict]) -> None:
    _, records = sweep.run(MIX, trials=5, seed=3, workers=2, backend="processes")
    assert _comparable(records) == reference


def test_dask_local_cluster_gives_identical_records(reference: list[dict],
                                                    tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    _, records = sweep.run(MIX, trials=5, seed=3, workers=2, backend="dask",
                           out=tmp_path / "dask")
    assert _comparable(records) == reference
    assert _comparable(_lines(tmp_path / "dask" / rec.RESULTS)) == reference


def test_records_carry_what_a_reader_needs(tmp_path: Path) -> None:
    sweep.run([("resnest.thm1", "narrow")], trials=2, seed=0, out=tmp_path)
    for record in _lines(tmp_path / rec.RESULTS):
        assert {"resproof", "seed", "budget", "verdict", "margin", "certified", "evidence",
                "instance"} <= set(record)
        arrays = rec.instance_arrays(record, tmp_path)
        assert set(arrays) == {"X", "Y", "theta"}
        assert (tmp_path / record["instance"]["npz"]).exists()


@pytest.mark.parametrize(("change", "field"), [({"seed": 2}, "seed"),
                                               ({"budget": "standard"}, "budget"),
                                               ({"labels": [("resnest.thm1", None)]}, "claims")])
def test_resume_with_other_arguments_is_refused(tmp_path: Path, change: dict,
                                                field: str) -> None:
    sweep.run([("resnest.thm1", "narrow")], trials=2, seed=1, out=tmp_path)
    kwargs = {"trials": 2, "seed": 1, "budget": "quick", **change}
    labels = kwargs.pop("labels", [("resnest.thm1", "narrow")])
    with pytest.raises(InvalidInput, match=field):
        sweep.run(labels, out=tmp_path, resume=True, **kwargs)


def test_existing_sweep_without_resume_is_refused(tmp_path: Path) -> None:
    sweep.run([("resnest.thm1", None)], trials=1, out=tmp_path)
    with pytest.raises(InvalidInput, match="--resume"):
        sweep.run([("resnest.thm1", None)], trials=1, out=tmp_path)


def test_sweep_outcomes_equal_verify_outcomes() -> None:
    from resproof.claims import get

    outcomes, _ = sweep.run([("resnest.thm1", "narrow"), ("yun.single-block", "no-skip")],
                            trials=3, seed=4)
    assert outcomes[0].to_json() == get("resnest.thm1").verify("narrow", 3, 4).to_json()
    assert outcomes[1].to_json() == get("yun.single-block").verify("no-skip", 3, 4).to_json()


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    try:
        done = subprocess.run([sys.executable, "-m", "resproof", "verify", "resnest.thm1:narrow",
                               "--trials", "3", "--out", str(tmp_path / "a")], cwd=ROOT,
                              env=_env(), stdout=subprocess.PIPE, stderr=slave, timeout=120)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    text = shown.decode(errors="replace")
    assert "3/3" in text
    assert "refuted=" in text
    assert "inconclusive=" in text
    assert "trial/s" in text or "s/trial" in text
    quiet = subprocess.run([sys.executable, "-m", "resproof", "verify", "resnest.thm1:narrow",
                            "--trials", "3", "--out", str(tmp_path / "b")], cwd=ROOT, env=_env(),
                           capture_output=True, timeout=120)
    assert quiet.stderr == b""  # stderr not a terminal: silent
