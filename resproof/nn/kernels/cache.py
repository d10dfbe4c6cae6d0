"""numba's on-disk cache keyed on the source of every compiled module of resproof.

numba keys a cached function on its own file (path, modification time, a hash of
its source).  A kernel inlines the callees it imports from other modules, so after
an edit to a callee its callers would keep loading stale machine code from disk.
Here every function of resproof is cached in a directory named after a hash of
the sources of *all* of resproof's modules that compile (:func:`compiled_modules`), and
that hash is also the source stamp numba checks: changing any of them sends every
kernel to a fresh directory, and switching back finds the old entries again.

:func:`install` puts :class:`SourceTreeLocator` first in numba's list of cache
locators; it claims only files inside the ``resproof`` package, so other
packages' caches are untouched.  Directory: ``$NUMBA_CACHE_DIR/resproof`` when
the user set numba's cache directory, else ``__pycache__/numba-<hash>`` beside
each module, else ``$XDG_CACHE_HOME/resproof`` (``~/.cache/resproof``) when the
package directory is read-only.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import time
from pathlib import Path
from typing import Any

from numba.core import caching, config

#: The package directory.
PACKAGE = Path(__file__).resolve().parents[2]

#: Decorators that make numba compile a function.
COMPILING = ("@njit", "@jit", "@intrinsic", "@generated_jit", "@vectorize", "@overload")


@functools.cache
def compiled_modules() -> tuple[Path, ...]:
    """The modules whose source can end up in machine code: every module of resproof
    that compiles a function, and every resproof module those import from.

    A compiled function can call only compiled functions (which live in compiling
    modules, so they are followed further) and read other modules' globals as
    constants frozen at compile time (the module that defines them is included,
    and not followed: its own imports are Python, never inlined)."""
    compiling = {path: text for path in PACKAGE.rglob("*.py")
                 if any(mark in (text := path.read_text()) for mark in COMPILING)}
    seen: set[Path] = set()
    for path, text in compiling.items():
        seen.add(path)
        seen.update(_local_imports(path, text))
    return tuple(sorted(seen))


def _local_imports(path: Path, text: str) -> list[Path]:
    """The resproof modules ``path`` imports (relative imports only; resproof never
    imports itself absolutely)."""
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = path.parent
        for _ in range(node.level - 1):
            base = base.parent
        stem = base.joinpath(*node.module.split(".")) if node.module else base
        candidates = [stem.with_suffix(".py"), stem / "__init__.py"]
        candidates += [stem / f"{alias.name}.py" for alias in node.names]
        out += [c for c in candidates if c.is_file()]
    return out


@functools.cache
def source_hash() -> str:
    """SHA-256 over the path and contents of every module of :func:`compiled_modules`
    (16 hex digits)."""
    digest = hashlib.sha256()
    for path in compiled_modules():
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _user_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "resproof"


class SourceTreeLocator(caching._CacheLocator):
    """Cache locator for resproof's functions: directory and stamp from :func:`source_hash`."""

    def __init__(self, py_func, py_file: str, root: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        relative = Path(py_file).resolve().parent.relative_to(PACKAGE)
        self._cache_path = str(root / f"numba-{source_hash()}" / relative)

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> str:
        return source_hash()

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            Path(py_file).resolve().relative_to(PACKAGE)
        except ValueError:
            return None
        for root in _roots():
            self = cls(py_func, py_file, root)
            try:
                self.ensure_cache_path()
            except OSError:
                continue
            return self
        return None


def _roots() -> list[Path]:
    user_dir = getattr(config, "CACHE_DIR", "")
    if user_dir:
        return [Path(user_dir) / "resproof"]
    return [PACKAGE / "__pycache__", _user_cache_root()]


def _impl_class() -> Any:
    # numba >= 0.61 names it CacheImpl, older releases _CacheImpl
    return getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")  # noqa: B009


def install() -> None:
    """Put :class:`SourceTreeLocator` first among numba's cache locators (idempotent)."""
    impl = _impl_class()
    if SourceTreeLocator not in impl._locator_classes:
        impl._locator_classes = [SourceTreeLocator, *impl._locator_classes]


def index_path(dispatcher) -> Path | None:
    """Where numba keeps the cache index of ``dispatcher`` (``None`` if unknown)."""
    try:
        return Path(dispatcher._cache._cache_file._index_path)
    except AttributeError:
        return None


def warmup_lock() -> Path:
    """The lock file of the warm-up process (:mod:`resproof.warmup`) of this source tree:
    in the cache directory that numba's locator picks (:func:`_roots`), holding the
    warm-up's process id."""
    roots = _roots()
    tree = f"numba-{source_hash()}"
    root = next((r for r in roots if (r / tree).is_dir()), roots[0])
    return root / tree / "warmup.lock"


def warmup_pid(lock: Path) -> int:
    """The process id in ``lock``, 0 when it is missing or unreadable."""
    try:
        return int(lock.read_text() or "0")
    except (OSError, ValueError):
        return 0


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


#: Set to ``0`` to never start a warm-up process (:mod:`resproof.warmup`).
WARMUP_ENV = "RESPROOF_WARMUP"
#: The longest wait for a warm-up's compile, seconds (the slowest, the Hessian assembly,
#: is cached about 45 s into a first run on 2 cores, measured); after it the run
#: compiles the kernel itself.
WAIT_LIMIT = 120.0
#: Dispatchers already waited for (or found ready) in this process.
_AWAITED: set[int] = set()


def await_warmup(dispatcher, limit: float = WAIT_LIMIT) -> None:
    """Wait while the warm-up process compiles ``dispatcher``, rather than compile it too.

    Only for the kernels the warm-up compiles (:func:`resproof.warmup.compile_late_kernels`).
    A first run reaches them early (its first numeric claim needs the Hessian and the
    (P_phi) solver); a second compile of a kernel that the warm-up is half way through
    halves the speed of both.  Returns at once when ``dispatcher`` is compiled in this
    process or has a cache index, or when no live warm-up other than this process holds
    the lock; else when the index appears, the warm-up ends or ``limit`` seconds pass.
    Waits at most once per dispatcher, and never in the warm-up's own processes nor with
    the warm-up turned off (both have ``RESPROOF_WARMUP=0``).
    """
    key = id(dispatcher)
    if key in _AWAITED or os.environ.get(WARMUP_ENV) == "0":
        return
    _AWAITED.add(key)
    index = index_path(dispatcher)
    if dispatcher.signatures or index is None:
        return
    lock = warmup_lock()
    deadline = time.monotonic() + limit
    while not index.exists() and time.monotonic() < deadline:
        pid = warmup_pid(lock)
        if not pid or pid == os.getpid() or not alive(pid):
            return
        time.sleep(0.05)
