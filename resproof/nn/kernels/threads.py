"""Thread counts around the compiled kernels: BLAS on one thread, numba's threads
cut to one while other processes keep the cores busy.

Thread counts change only the speed of a kernel, never a bit of its result
(chunks and the order of their sums are fixed by the data: see
:mod:`resproof.nn.kernels`).
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

_BLAS: list = []


def _blas_threads() -> tuple:
    """``(get, set)`` for the thread count of the BLAS that numba's ``np.dot`` and
    :mod:`resproof.nn.kernels.blas` call (SciPy's OpenBLAS), looked up once.

    OpenBLAS's own ``openblas_get/set_num_threads`` are called through ctypes
    (0.3 us against 6 us through threadpoolctl's controller objects: this runs
    twice per HVP); other BLAS go through threadpoolctl."""
    if not _BLAS:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS numba binds to)
        from threadpoolctl import ThreadpoolController

        libs = [lc for lc in ThreadpoolController().lib_controllers if lc.user_api == "blas"]
        mark = os.sep + "scipy.libs" + os.sep
        libs = [lc for lc in libs if mark in lc.filepath] or libs
        _BLAS.append(_direct_openblas(libs) or _controllers(libs))
    return _BLAS[0]


def _direct_openblas(libs) -> tuple | None:
    if len(libs) != 1 or libs[0].internal_api != "openblas":
        return None
    for prefix in ("scipy_", ""):
        for suffix in ("", "64_"):
            get = getattr(libs[0].dynlib, f"{prefix}openblas_get_num_threads{suffix}", None)
            put = getattr(libs[0].dynlib, f"{prefix}openblas_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                return get, put
    return None


def _controllers(libs) -> tuple:
    def get() -> int:
        return max(lc.get_num_threads() for lc in libs)

    def put(n: int) -> None:
        for lc in libs:
            lc.set_num_threads(n)

    return get, put


def one_thread(kernel, *args):
    """``kernel(*args)`` with its BLAS on one thread, the caller's setting restored, and
    numba's threads cut to one while the machine is busy (:func:`machine_busy`).

    The products here are skinny (inner sizes 4..32) and the kernels run their
    own threads over sample chunks; OpenBLAS threads inside them would only
    contend (3.5x slower for size L when the other core is busy, measured; on a
    quiet machine with SkylakeX kernels the two settings are within noise on sizes
    M and L, re-measured 2026-12-07).
    Thread counts change only the speed, never a bit of a result.
    """
    get, put = _blas_threads()
    old = get()
    if old != 1:
        put(1)
    lanes = numba.get_num_threads() if machine_busy() else 1
    if lanes != 1:
        numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        if old != 1:
            put(old)
        if lanes != 1:
            numba.set_num_threads(lanes)


def on_numba_threads(kernel, *args):
    """``kernel(*args, threads)``, ``threads`` numba's thread count now (as :func:`one_thread`
    left it): threaded kernels give each thread a work area of its own, so they size
    their buffers by it (compiled code that asks numba for it cannot be cached)."""
    return kernel(*args, np.int64(numba.get_num_threads()))


#: ``[wall time, machine CPU seconds, own CPU seconds, busy?]`` at the last look.
_LOAD = [-1.0, 0.0, 0.0, False]

#: How often the machine's CPU use is sampled, seconds.
LOAD_INTERVAL = 0.5


def machine_busy() -> bool:
    """Whether other processes kept more than half a core busy over the last
    :data:`LOAD_INTERVAL` (machine CPU time from ``/proc/stat`` minus this process's
    own, its threads included; never busy where ``/proc/stat`` is missing).

    On a busy machine a parallel region waits for time slices: the size-S Hessian
    took 16 ms on two threads against 1.1 ms on one (median of 300, two other busy
    processes, measured)."""
    now = time.monotonic()
    if now - _LOAD[0] < LOAD_INTERVAL:
        return bool(_LOAD[3])
    machine, own = _machine_cpu_seconds(), time.process_time()
    elapsed = now - _LOAD[0]
    if machine is None:
        busy = False
    else:
        others = (machine - _LOAD[1]) - (own - _LOAD[2])
        busy = _LOAD[0] >= 0 and others > 0.5 * elapsed
    _LOAD[:] = [now, machine or 0.0, own, busy]
    return busy


def _machine_cpu_seconds() -> float | None:
    """CPU seconds spent by all processes since boot (``/proc/stat``), or ``None``."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()[1:9]
        ticks = [int(x) for x in fields]
    except (OSError, ValueError):
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")
