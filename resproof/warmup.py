"""A first run's compiles, shared with other processes.

On a cold cache (no kernel compiled yet for this source tree, see
:mod:`resproof.nn.kernels.cache`) a ``verify`` spends most of its first minutes in
numba, one kernel after another on one core.  Kernels compile independently, so
:func:`start` launches ``python -m resproof.warmup`` beside the run: it compiles, by
running them on tiny problems, the Hessian assembly and (in a helper process of its
own) the (P_phi) solver, the two largest kernels, while the run compiles the others.
Each process writes what it compiled to the shared on-disk cache, and a kernel found
there is loaded instead of compiled.  A run that reaches one of the two while the
warm-up is still compiling it waits for it
(:func:`resproof.nn.kernels.cache.await_warmup`) rather than compile it a second time
beside it; either way the cache holds the same machine code.

Nothing starts when the cache is warm, on one core, or with ``RESPROOF_WARMUP=0``;
at most one warm-up runs per cache directory (a lock file holds its process id), and
the run stops it (and its helper) when it exits.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
from pathlib import Path

from .nn.kernels import cache

#: Set to ``0`` to never start a warm-up process.
ENV = cache.WARMUP_ENV


def _targets() -> list:
    from .nn.kernels.kron.assemble import assemble
    from .problems.pphi_solve import _local_minimum

    return [assemble, _local_minimum]


def cold() -> bool:
    """Whether some kernel of :func:`_targets` has no cache index yet."""
    paths = [cache.index_path(d) for d in _targets()]
    return any(p is not None and not p.exists() for p in paths)


def start() -> subprocess.Popen | None:
    """Launch the warm-up process if the cache is cold (module docstring); its handle,
    or ``None`` when none was started."""
    if os.environ.get(ENV) == "0" or (os.cpu_count() or 1) < 2 or not cold():
        return None
    lock = cache.warmup_lock()
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pid = cache.warmup_pid(lock)
        if pid and cache.alive(pid):
            return None
        lock.unlink(missing_ok=True)
        return start()
    except OSError:
        return None
    # a session of its own: stopping it (_stop) stops the helper it starts too
    proc = subprocess.Popen([sys.executable, "-m", "resproof.warmup"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, ENV: "0"},
                            start_new_session=True)
    with os.fdopen(fd, "w") as handle:
        handle.write(str(proc.pid))
    atexit.register(_stop, proc, lock)
    return proc


def _stop(proc: subprocess.Popen, lock: Path) -> None:
    if proc.poll() is None:
        _signal_session(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _signal_session(proc, signal.SIGKILL)
    lock.unlink(missing_ok=True)


def _signal_session(proc: subprocess.Popen, sig: int) -> None:
    """``sig`` to the warm-up and the helper it started (its session), else to it alone."""
    try:
        os.killpg(proc.pid, sig)
    except (OSError, AttributeError):
        proc.send_signal(sig)


def compile_hessian() -> None:
    """Run the (serial) Hessian assembly once on a tiny problem, in the argument types the
    claims use, so numba compiles and caches it."""
    import numpy as np

    from .nn.layout import ParamLayout
    from .nn.models import ResNEst

    rng = np.random.default_rng(0)
    layout = ParamLayout(2, 3, 1, (2, 2))
    X, Y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    ResNEst(layout, "tanh").objective(X, Y).hessian(rng.standard_normal(layout.n_params))


def compile_pphi() -> None:
    """The same for the (P_phi) solver."""
    import numpy as np

    from .problems.pphi import PphiObjective
    from .problems.pphi_solve import local_minimum

    rng = np.random.default_rng(0)
    objective = PphiObjective(rng.standard_normal((6, 3)), rng.standard_normal((6, 2)),
                              rng.standard_normal((6, 2)))
    local_minimum(objective, rng.standard_normal(objective.n_params), max_iterations=5)


def compile_late_kernels() -> None:
    """Compile the Hessian assembly here and the (P_phi) solver in a helper process.

    The run needs both for its first numeric claim (the Hessian first), and meanwhile
    compiles its own kernels.  One process that compiled the two in turn cached the
    solver 62 s into a cold ``verify all --budget quick``, and the run, idle from 43 s
    on, compiled it too.  With the helper, and the run waiting for both, that first run
    took 54-55 s longer than a warm one against 59-61 s (2 cores, measured).
    """
    helper = subprocess.Popen([sys.executable, "-m", "resproof.warmup", "pphi"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        compile_hessian()
    finally:
        helper.wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["pphi"]:
        compile_pphi()
    else:
        compile_late_kernels()
