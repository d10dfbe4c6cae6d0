"""Report plots as PNG bytes: margin distributions, Hessian spectra, loss slices.

matplotlib is imported on the first plot, with the non-interactive Agg backend.
The slices are ``t -> R(theta* + t v)`` and ``(s, t) -> R(theta* + s v_1 + t v_2)``
through the critical point ``theta*``; ``v_1`` is the eigenvector of the
smallest Hessian eigenvalue (the negative-curvature direction at a saddle) or
the claim's own direction that moves the compared quantity, ``v_2`` that of the
largest.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Dense Hessians above this many parameters are not drawn (time, memory).
MAX_PARAMS = 2000


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def margin_histogram(margins: Sequence[float | None], verdicts: Sequence[str],
                     title: str) -> bytes:
    """Histogram of the trials' signed margins (``< 0``: conclusion violated), coloured by
    verdict; trials without a margin are counted in the title."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 2.6))
    colours = {"holds": "tab:green", "refuted": "tab:red", "vacuous": "tab:gray",
               "inconclusive": "tab:orange"}
    values = [(float(m), v) for m, v in zip(margins, verdicts, strict=True) if m is not None]
    if values:
        data = np.array([m for m, _ in values])
        low, high = float(data.min()), float(data.max())
        if high - low <= 1e-9 * max(abs(low), abs(high)):  # one value: a visible bin around it
            half = 0.5 * max(abs(high), 1e-300)
            edges = np.linspace(high - half, high + half, 6)
        else:
            edges = np.histogram_bin_edges(data, bins=min(30, max(5, len(data))))
        for verdict, colour in colours.items():
            chosen = [m for m, v in values if v == verdict]
            if chosen:
                ax.hist(chosen, bins=edges, color=colour, alpha=0.8, label=verdict)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.legend(fontsize=7)
    missing = len(margins) - len(values)
    ax.set_title(title + (f" ({missing} trials without margin)" if missing else ""), fontsize=9)
    ax.set_xlabel("margin (relative; < 0: conclusion violated)", fontsize=8)
    ax.set_ylabel("trials", fontsize=8)
    ax.tick_params(labelsize=7)
    return _png(fig)


def curvature(objective: Any, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors of the Hessian at ``theta`` (dense)."""
    H = np.asarray(objective.hessian(theta), dtype=np.float64)
    return np.linalg.eigh((H + H.T) / 2)


def spectrum(eigenvalues: np.ndarray, title: str) -> bytes:
    """Sorted Hessian eigenvalues on a symmetric-log axis (negative ones in red)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 2.6))
    index = np.arange(len(eigenvalues))
    negative = eigenvalues < 0
    if np.any(~negative):
        ax.scatter(index[~negative], eigenvalues[~negative], s=8, color="tab:blue",
                   label=">= 0")
    if np.any(negative):
        ax.scatter(index[negative], eigenvalues[negative], s=12, color="tab:red", label="< 0")
    scale = float(np.max(np.abs(eigenvalues))) if len(eigenvalues) else 0.0
    if scale > 0:  # symlog: linear within 1e-8 of the largest |eigenvalue|
        ax.set_yscale("symlog", linthresh=scale * 1e-8)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("index", fontsize=8)
    ax.set_ylabel("eigenvalue", fontsize=8)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    return _png(fig)


def slice_radius(theta: np.ndarray) -> float:
    return 0.5 * max(1.0, float(np.linalg.norm(theta)) / np.sqrt(max(len(theta), 1)))


def slice_1d(objective: Any, theta: np.ndarray, direction: np.ndarray, title: str,
             points: int = 81) -> bytes:
    """``t -> R(theta + t v)`` for ``|t| <= r``, ``v`` a unit vector."""
    plt = _pyplot()
    v = direction / np.linalg.norm(direction)
    r = slice_radius(theta)
    ts = np.linspace(-r, r, points)
    values = np.array([objective.loss(theta + t * v) for t in ts])
    fig, ax = plt.subplots(figsize=(5.5, 2.6))
    ax.plot(ts, values, color="tab:blue")
    ax.scatter([0.0], [objective.loss(theta)], color="tab:red", zorder=3, s=14,
               label="critical point")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("t", fontsize=8)
    ax.set_ylabel("R(theta* + t v)", fontsize=8)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    return _png(fig)


def slice_2d(objective: Any, theta: np.ndarray, d1: np.ndarray, d2: np.ndarray, title: str,
             points: int = 31) -> bytes:
    """Contours of ``(s, t) -> R(theta + s v_1 + t v_2) - R(theta)``."""
    plt = _pyplot()
    v1 = d1 / np.linalg.norm(d1)
    v2 = d2 - (d2 @ v1) * v1
    v2 = v2 / np.linalg.norm(v2)
    r = slice_radius(theta)
    grid = np.linspace(-r, r, points)
    base = objective.loss(theta)
    Z = np.array([[objective.loss(theta + s * v1 + t * v2) - base for s in grid] for t in grid])
    fig, ax = plt.subplots(figsize=(4.6, 3.6))
    limit = float(np.max(np.abs(Z))) or 1.0
    image = ax.contourf(grid, grid, Z, levels=21, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.contour(grid, grid, Z, levels=[0.0], colors="black", linewidths=0.8)
    fig.colorbar(image, ax=ax, shrink=0.85).ax.tick_params(labelsize=7)
    ax.scatter([0.0], [0.0], color="black", s=14)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("s (along v_1)", fontsize=8)
    ax.set_ylabel("t (along v_2)", fontsize=8)
    ax.tick_params(labelsize=7)
    return _png(fig)
