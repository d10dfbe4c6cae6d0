"""Reports of sweeps: the record schema (:mod:`.records`), Markdown and HTML reports
with plots, counterexample ``REPORT.json`` files and their replay.

Nothing heavy is imported here: matplotlib loads only when a plot is drawn.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_report(directory: str | os.PathLike[str], html: bool = False,
                 out: str | os.PathLike[str] | None = None, plots: bool = True) -> Path:
    """Write the Markdown (or, with ``html``, self-contained HTML) report of the sweep in
    ``directory`` to ``out`` (default ``directory/report.md`` or ``report.html``), and each
    counterexample's ``REPORT.json`` under ``directory/counterexamples/``."""
    from . import document, markdown
    from . import html as html_report

    blocks = document.build(Path(directory), plots_wanted=plots)
    target = Path(out) if out is not None else Path(directory) / (
        "report.html" if html else "report.md")
    text = html_report.render(blocks) if html else markdown.render(blocks, target)
    target.write_text(text, encoding="utf-8")
    return target
