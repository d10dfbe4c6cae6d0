"""A first run's compiles, shared with a second process.

On a cold cache (no kernel compiled yet for this source tree, see
:mod:`resproof.nn.kernels.cache`) a ``verify`` spends most of its first minutes in
numba, one kernel after another on one core.  Kernels compile independently, so
:func:`start` launches ``python -m resproof.warmup`` beside the run: it compiles, by
running them on tiny problems, the kernels a run reaches late (the Hessian assembly,
the (P_phi) solver), while the run compiles the ones it needs first.  Each process
writes what it compiled to the shared on-disk cache, and a kernel found there is
loaded instead of compiled; a kernel the run reaches before the warm-up has cached
it is compiled by both (time lost, never a different result: the cache holds the
same machine code either way).

Nothing starts when the cache is warm, on one core, or with ``RESPROOF_WARMUP=0``;
at most one warm-up runs per cache directory (a lock file holds its process id), and
the run stops it when it exits.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

#: Set to ``0`` to never start a warm-up process.
ENV = "RESPROOF_WARMUP"


def _index_path(dispatcher) -> Path | None:
    """Where numba keeps the cache index of ``dispatcher`` (``None`` if unknown)."""
    try:
        return Path(dispatcher._cache._cache_file._index_path)
    except AttributeError:
        return None


def _targets() -> list:
    from .nn.kernels.kron.assemble import assemble
    from .problems.pphi_solve import _local_minimum

    return [assemble, _local_minimum]


def cold() -> bool:
    """Whether some kernel of :func:`_targets` has no cache index yet."""
    paths = [_index_path(d) for d in _targets()]
    return any(p is not None and not p.exists() for p in paths)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def start() -> subprocess.Popen | None:
    """Launch the warm-up process if the cache is cold (module docstring); its handle,
    or ``None`` when none was started."""
    if os.environ.get(ENV) == "0" or (os.cpu_count() or 1) < 2 or not cold():
        return None
    index = _index_path(_targets()[0])
    if index is None:
        return None
    lock = index.parent / "warmup.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            pid = int(lock.read_text() or "0")
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid):
            return None
        lock.unlink(missing_ok=True)
        return start()
    except OSError:
        return None
    proc = subprocess.Popen([sys.executable, "-m", "resproof.warmup"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, ENV: "0"})
    with os.fdopen(fd, "w") as handle:
        handle.write(str(proc.pid))
    atexit.register(_stop, proc, lock)
    return proc


def _stop(proc: subprocess.Popen, lock: Path) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
    lock.unlink(missing_ok=True)


def compile_late_kernels() -> None:
    """Run the (serial) Hessian assembly and the (P_phi) solver once on tiny problems, in
    the argument types the claims use, so numba compiles and caches them."""
    import numpy as np

    from .nn.layout import ParamLayout
    from .nn.models import ResNEst
    from .problems.pphi import PphiObjective
    from .problems.pphi_solve import local_minimum

    rng = np.random.default_rng(0)
    layout = ParamLayout(2, 3, 1, (2, 2))
    X, Y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    ResNEst(layout, "tanh").objective(X, Y).hessian(rng.standard_normal(layout.n_params))
    objective = PphiObjective(rng.standard_normal((6, 3)), rng.standard_normal((6, 2)),
                              rng.standard_normal((6, 2)))
    local_minimum(objective, rng.standard_normal(objective.n_params), max_iterations=5)


if __name__ == "__main__":
    compile_late_kernels()
