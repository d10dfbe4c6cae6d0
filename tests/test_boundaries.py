"""The import boundaries of DESIGN.md, read from the sources with ``ast``.

``nn/`` (the models and their kernels) imports nothing of ``landscape``,
``problems`` or ``claims``; ``landscape/`` (which sees only the Objective
protocol) imports nothing of ``nn``, ``problems`` or ``claims``; ``problems/``
imports no ``claims``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import resproof

PACKAGE = Path(resproof.__file__).parent

FORBIDDEN = {
    "nn": {"landscape", "problems", "claims", "sweep", "report", "cli"},
    "landscape": {"nn", "problems", "claims", "sweep", "report", "cli"},
    "problems": {"claims", "sweep", "report", "cli"},
    "claims": {"sweep", "report", "cli"},
    "symbolic": {"nn", "landscape", "problems", "claims", "sweep", "report", "cli"},
}


def imported_subpackages(path: Path) -> set[str]:
    """The top-level resproof sub-packages a module imports (relative or absolute)."""
    rel = path.relative_to(PACKAGE).parent.parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[: len(rel) - (node.level - 1)]) if node.level > 1 else list(rel)
                if node.level - 1 > len(rel):
                    raise AssertionError(f"{path}: import beyond the package")
                module = [*base, *(node.module.split(".") if node.module else [])]
                targets = [module] if node.module else [[*base, a.name] for a in node.names]
                out.update(t[0] for t in targets if t)
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "resproof" and len(parts) > 1:
                out.add(parts[1])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    bad = {}
    for path in sorted((PACKAGE / package).rglob("*.py")):
        crossed = imported_subpackages(path) & FORBIDDEN[package]
        if crossed:
            bad[str(path.relative_to(PACKAGE))] = sorted(crossed)
    assert not bad


def test_the_checker_sees_a_crossing(tmp_path: Path) -> None:
    """Negative control: a module of nn importing the landscape is caught."""
    probe = PACKAGE / "nn" / "kernels" / "_probe_boundary.py"
    probe.write_text("from ...landscape import minimize\nfrom resproof.claims import get\n")
    try:
        assert imported_subpackages(probe) == {"landscape", "claims"}
    finally:
        probe.unlink()
