"""Timings of the bench-spec figures for ``resproof bench``."""

from __future__ import annotations

from typing import Any

from ._validation import check_choice

SIZES = ("S", "M", "L")


def run_bench(size: str = "S") -> dict[str, Any]:
    """Time the five bench-spec figures on seed 0 of ``size``."""
    check_choice("--size", size, SIZES)
    from .nn.benchmark import measure

    return measure(size)


def format_bench(result: dict[str, Any]) -> str:
    from .nn.benchmark import format_measurement

    return format_measurement(result)
