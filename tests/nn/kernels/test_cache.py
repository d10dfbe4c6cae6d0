"""numba's on-disk cache never serves stale machine code after an edit to a callee.

In a temporary copy of the package a caller and its callee live in two modules;
the callee's constant is changed between two fresh processes.  The second must
see the new value.  The same pair outside resproof (numba's own per-file keying)
shows the stale value, so the test can tell the two apart.

A run waits for a kernel that a live warm-up process is compiling, and only then.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import resproof
from resproof.nn.kernels import cache

CALLEE = ("from numba import njit\n\nK = {value}\n\n\n"
          "@njit(cache=True)\ndef callee():\n    return K\n")
CALLER = ("from numba import njit\n\nfrom .{callee} import callee\n\n\n"
          "@njit(cache=True)\ndef caller():\n    return callee()\n")


def _run(root: Path, module: str, cache_dir: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "NUMBA_CACHE_DIR": str(cache_dir)}
    code = f"import {module} as m; print(m.caller())"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip())


def _write_pair(package: Path, value: float) -> None:
    (package / "_probe_callee.py").write_text(CALLEE.format(value=value))
    (package / "_probe_caller.py").write_text(CALLER.format(callee="_probe_callee"))


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    source = Path(resproof.__file__).parent
    shutil.copytree(source, tmp_path / "resproof",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return tmp_path


def test_callee_edit_reaches_the_cached_caller(package_copy: Path, tmp_path: Path) -> None:
    kernels = package_copy / "resproof" / "nn" / "kernels"
    module = "resproof.nn.kernels._probe_caller"
    _write_pair(kernels, 1.0)
    cache_dir = tmp_path / "numba-cache"
    assert _run(package_copy, module, cache_dir) == 1.0
    assert _run(package_copy, module, cache_dir) == 1.0  # now from the disk cache
    assert any(cache_dir.rglob("_probe_caller.caller-*.nbi"))
    _write_pair(kernels, 2.0)
    assert _run(package_copy, module, cache_dir) == 2.0


def test_numba_alone_serves_the_stale_caller(tmp_path: Path) -> None:
    """The negative control: outside resproof numba keys the caller on its own file."""
    package = tmp_path / "plain"
    package.mkdir()
    (package / "__init__.py").write_text("")
    _write_pair(package, 1.0)
    cache_dir = tmp_path / "numba-cache"
    assert _run(tmp_path, "plain._probe_caller", cache_dir) == 1.0
    _write_pair(package, 2.0)
    assert _run(tmp_path, "plain._probe_caller", cache_dir) == 1.0


def test_every_cached_kernel_of_resproof_uses_the_source_keyed_locator() -> None:
    import importlib

    from numba.core.registry import CPUDispatcher

    checked = 0
    for path in cache.compiled_modules():
        name = ".".join(path.relative_to(cache.PACKAGE.parent).with_suffix("").parts)
        module = importlib.import_module(name.removesuffix(".__init__"))
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value._cache.__class__.__name__ != "NullCache":
                assert isinstance(value._cache._impl.locator, cache.SourceTreeLocator), value
                checked += 1
    assert checked > 50


def test_the_hash_covers_every_compiling_module() -> None:
    names = {str(p.relative_to(cache.PACKAGE)) for p in cache.compiled_modules()}
    assert {"nn/kernels/drivers.py", "nn/kernels/fastmath.py", "nn/layout.py",
            "problems/pphi.py", "nn/kernels/kron/assemble.py"} <= names


class FakeDispatcher:
    """What :func:`cache.await_warmup` reads of a dispatcher: its signatures and index."""

    def __init__(self, index):
        self.index = index
        self.signatures = []


@pytest.fixture
def awaiting(monkeypatch, tmp_path):
    """A warm-up lock in ``tmp_path`` and a dispatcher whose index is ``tmp_path/k.nbi``."""
    monkeypatch.setattr(cache, "warmup_lock", lambda: tmp_path / "warmup.lock")
    monkeypatch.setattr(cache, "index_path", lambda d: d.index)
    monkeypatch.setattr(cache, "_AWAITED", set())
    monkeypatch.delenv(cache.WARMUP_ENV, raising=False)
    return tmp_path, FakeDispatcher(tmp_path / "k.nbi")


def _other_live_process():
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])


def test_a_run_waits_for_the_index_a_live_warmup_is_compiling(awaiting):
    tmp_path, kernel = awaiting
    proc = _other_live_process()
    try:
        (tmp_path / "warmup.lock").write_text(str(proc.pid))
        threading.Timer(0.3, (tmp_path / "k.nbi").touch).start()
        start = time.monotonic()
        cache.await_warmup(kernel, limit=10.0)
        waited = time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    assert (tmp_path / "k.nbi").exists()
    assert 0.25 <= waited < 5.0


@pytest.mark.parametrize("case", ["no lock", "dead warm-up", "this process", "turned off",
                                  "limit"])
def test_a_run_does_not_wait_without_a_live_other_warmup_nor_past_the_limit(
        awaiting, monkeypatch, case):
    tmp_path, kernel = awaiting
    lock = tmp_path / "warmup.lock"
    proc = None
    if case == "dead warm-up":
        proc = subprocess.Popen([sys.executable, "-c", "pass"])
        proc.wait()
        lock.write_text(str(proc.pid))
    elif case == "this process":
        lock.write_text(str(os.getpid()))
    elif case in ("turned off", "limit"):
        proc = _other_live_process()
        lock.write_text(str(proc.pid))
        if case == "turned off":
            monkeypatch.setenv(cache.WARMUP_ENV, "0")
    start = time.monotonic()
    try:
        cache.await_warmup(kernel, limit=0.5)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
    waited = time.monotonic() - start
    assert not (tmp_path / "k.nbi").exists()
    assert waited < (2.0 if case == "limit" else 0.3)
    if case == "limit":
        assert waited >= 0.45
    # at most one wait per dispatcher
    start = time.monotonic()
    cache.await_warmup(kernel, limit=0.5)
    assert time.monotonic() - start < 0.1
