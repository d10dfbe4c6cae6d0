"""The Markdown report: images written as PNG files beside it (``report_files/``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .document import Block, Code, Heading, Image, Paragraph, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(blocks: Sequence[Block], target: Path) -> str:
    """Markdown text of ``blocks``; images go to ``<target stem>_files/`` beside ``target``."""
    folder = target.parent / f"{target.stem}_files"
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * block.level} {block.text}", ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(map(_cell, block.header)) + " |")
            lines.append("|" + "---|" * len(block.header))
            lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Image):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{block.name}.png").write_bytes(block.png)
            lines += [f"![{block.alt}]({folder.name}/{block.name}.png)", ""]
        elif isinstance(block, Code):
            lines += ["```", block.text, "```", ""]
    return "\n".join(lines)
