"""Input checks shared by every public entry point.

Each check returns the (normalised) value or raises
:class:`~resproof.errors.InvalidInput` whose message reads
``field=value!r: expected ...``.  Wrappers validate; kernels never do.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import InvalidInput


def check_type(field: str, value: Any, types: type | tuple[type, ...], expected: str) -> Any:
    """Return ``value`` if it is an instance of ``types``."""
    if not isinstance(value, types):
        raise InvalidInput(field, expected, value)
    return value


def check_int(field: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """An integer (``bool`` refused) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInput(field, _int_expectation(minimum, maximum), value)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInput(field, _int_expectation(minimum, maximum), value)
    return value


def check_positive_int(field: str, value: Any) -> int:
    """An integer >= 1."""
    return check_int(field, value, minimum=1)


def check_seed(field: str, value: Any) -> int:
    """A seed for :class:`numpy.random.SeedSequence`: an integer >= 0."""
    return check_int(field, value, minimum=0)


def check_real(field: str, value: Any, *, positive: bool = False,
               nonnegative: bool = False) -> float:
    """A finite real number, optionally > 0 or >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(field, "a finite real number", value)
    value = float(value)
    if not np.isfinite(value):
        raise InvalidInput(field, "a finite real number", value)
    if positive and value <= 0:
        raise InvalidInput(field, "a real number > 0", value)
    if nonnegative and value < 0:
        raise InvalidInput(field, "a real number >= 0", value)
    return value


def check_array(field: str, value: Any, *, ndim: int | None = None,
                shape: tuple[int | None, ...] | None = None,
                finite: bool = True) -> np.ndarray:
    """A C-contiguous float64 array of the given rank/shape (``None`` = any size)."""
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(field, "an array of real numbers", value) from None
    if ndim is not None and array.ndim != ndim:
        raise InvalidInput(field, f"an array with {ndim} dimension(s), got shape {array.shape}")
    if shape is not None:
        wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        if array.ndim != len(shape) or any(s is not None and s != a
                                           for s, a in zip(shape, array.shape, strict=True)):
            raise InvalidInput(field, f"an array of shape {wanted}, got shape {array.shape}")
    if finite and not np.all(np.isfinite(array)):
        raise InvalidInput(field, "finite values only (no nan or inf)")
    return array


def check_choice(field: str, value: Any, choices: Iterable[str]) -> str:
    """One of ``choices``; a near miss is answered with close matches."""
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        close = difflib.get_close_matches(str(value), options, n=3, cutoff=0.5)
        raise InvalidInput(field, "one of " + ", ".join(map(repr, options)), value, close)
    return value


def _int_expectation(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"
