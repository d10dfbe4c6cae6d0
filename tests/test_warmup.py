"""The first run's background compile: when it starts, and at most one per cache."""

from __future__ import annotations

import os

import pytest

from resproof import warmup


class FakeProcess:
    pid = 2**22 + 17

    def __init__(self, *args, **kwargs):
        self.args = args
        self.terminated = False

    def poll(self):
        return 0


@pytest.fixture
def cold_cache(monkeypatch, tmp_path):
    """A cold cache whose lock lives in ``tmp_path``; Popen recorded, not run."""
    started = []

    def popen(*args, **kwargs):
        started.append(FakeProcess(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(warmup, "cold", lambda: True)
    monkeypatch.setattr(warmup.cache, "index_path", lambda d: tmp_path / "assemble.nbi")
    monkeypatch.setattr(warmup.cache, "warmup_lock", lambda: tmp_path / "warmup.lock")
    monkeypatch.setattr(warmup.subprocess, "Popen", popen)
    monkeypatch.setattr(warmup.os, "cpu_count", lambda: 2)
    monkeypatch.delenv(warmup.ENV, raising=False)
    return tmp_path, started


def test_the_kernels_it_compiles_have_cache_indexes_in_resproofs_cache():
    paths = [warmup.cache.index_path(d) for d in warmup._targets()]
    assert all(p is not None and p.suffix == ".nbi" for p in paths)
    assert all("resproof" in str(p) for p in paths)


def test_a_cold_cache_starts_one_warmup_and_a_second_run_does_not(cold_cache):
    tmp_path, started = cold_cache
    first = warmup.start()
    assert first is started[0]
    assert first.args[0][1:] == ["-m", "resproof.warmup"]
    assert (tmp_path / "warmup.lock").read_text() == str(first.pid)
    # the lock names a live process (this one): no second warm-up
    (tmp_path / "warmup.lock").write_text(str(os.getpid()))
    assert warmup.start() is None
    assert len(started) == 1


def test_a_stale_lock_is_replaced(cold_cache):
    tmp_path, started = cold_cache
    (tmp_path / "warmup.lock").write_text(str(2**22 + 5))  # no such process
    assert warmup.start() is started[0]


@pytest.mark.parametrize("case", ["disabled", "one core", "warm"])
def test_nothing_starts_when_disabled_on_one_core_or_warm(cold_cache, monkeypatch, case):
    _, started = cold_cache
    if case == "disabled":
        monkeypatch.setenv(warmup.ENV, "0")
    elif case == "one core":
        monkeypatch.setattr(warmup.os, "cpu_count", lambda: 1)
    else:
        monkeypatch.setattr(warmup, "cold", lambda: False)
    assert warmup.start() is None
    assert started == []
