"""Turn a point a search stopped at into a :class:`~resproof.results.CriticalPoint`.

The relative gradient is ``||grad f(theta)|| / gscale`` with, by default,
``gscale = max(1, min(|f(theta)|, |f(theta_0)|))``: the loss is the natural
unit of the gradient (both scale alike when ``f`` is multiplied by a
constant), the ``1`` keeps the tolerance absolute for losses near zero, and the
cap at the start's loss keeps a search from "converging" on an objective
unbounded below merely because ``|f|`` grew.  A point is critical when the
relative gradient is at most ``gtol`` (default ``1e-10``); otherwise its kind is
``NOT_CRITICAL`` whatever its spectrum, and so is every ``GRADIENT_FLAT`` point.
"""

from __future__ import annotations

import numpy as np

from ..results import CriticalPoint, PointKind, StopReason
from .classify import classify_spectrum
from .objective import Objective, loss_and_grad, symmetry_modes_at
from .spectrum import DENSE_LIMIT, extreme_eigenvalues

#: Default relative gradient tolerance.
GTOL = 1e-10


def gradient_scale(loss: float, gscale: float | None = None, cap: float = np.inf) -> float:
    """``gscale`` if given, else ``max(1, min(|loss|, cap))``."""
    if gscale is not None:
        return float(gscale)
    return max(1.0, min(abs(loss), cap)) if np.isfinite(loss) else 1.0


def stop_test(f: float, g: np.ndarray, gtol: float, gscale: float | None,
              cap: float) -> tuple[float, StopReason | None]:
    """``(||g||, reason)``: ``NONFINITE`` for a non-finite loss or gradient, ``CONVERGED``
    when ``||g|| <= gtol * gradient_scale(f, gscale, cap)``, else ``None`` (go on)."""
    gn = float(np.sqrt(g @ g))
    if not (np.isfinite(f) and np.isfinite(gn)):
        return gn, StopReason.NONFINITE
    if gn <= gtol * gradient_scale(f, gscale, cap):
        return gn, StopReason.CONVERGED
    return gn, None


def spectrum_at(objective: Objective, theta: np.ndarray, *, symmetry_modes: int = 0,
                dense: bool | None = None) -> tuple[np.ndarray, bool]:
    """Eigenvalues to classify with: ``(all, True)`` densely, or ``(some, False)`` by Lanczos.

    Lanczos returns the ``symmetry_modes + 1`` smallest and the largest, enough
    to decide the kind (:func:`~resproof.landscape.classify.classify_spectrum`).
    """
    if dense is None:
        dense = objective.n_params <= DENSE_LIMIT
    if dense:
        H = objective.hessian(theta)
        return np.linalg.eigvalsh(0.5 * (H + H.T)), True
    k = min(symmetry_modes + 1, objective.n_params)
    low = extreme_eigenvalues(objective, theta, "SA", k=k, method="lanczos")
    high = extreme_eigenvalues(objective, theta, "LA", k=1, method="lanczos")
    return np.concatenate([low.values, high.values]), False


def make_point(objective: Objective, theta: np.ndarray, stop_reason: StopReason,
               iterations: int = 0, *, loss: float | None = None, grad: np.ndarray | None = None,
               gtol: float = GTOL, gscale: float | None = None, symmetry_modes: int | None = None,
               spectrum: np.ndarray | None = None, dense: bool | None = None,
               keep_spectrum: bool = True) -> CriticalPoint:
    """Classify ``theta`` and package it with the stop reason.

    ``loss``/``grad``/``spectrum`` are reused when given (all eigenvalues).
    ``stop_reason`` is the search's statement and is kept as given; ``kind`` is
    ``NOT_CRITICAL`` (margin ``(gtol - rel) / gtol < 0``) whenever the relative
    gradient ``rel`` exceeds ``gtol`` or the stop reason is ``GRADIENT_FLAT``.
    ``symmetry_modes=None`` asks the objective (``objective.symmetry_modes(theta)``,
    0 when it has none).
    """
    symmetry_modes = symmetry_modes_at(objective, theta, symmetry_modes)
    if loss is None or grad is None:
        loss, grad = loss_and_grad(objective, theta)
    grad_norm = float(np.linalg.norm(grad))
    scale = gradient_scale(loss, gscale)
    relative = grad_norm / scale
    if not (np.isfinite(loss) and np.isfinite(grad_norm)):
        return _nonfinite_point(theta, loss, grad_norm, iterations)
    complete = True
    if spectrum is None:
        try:
            spectrum, complete = spectrum_at(objective, theta, symmetry_modes=symmetry_modes,
                                             dense=dense)
        except np.linalg.LinAlgError:
            return _nonfinite_point(theta, loss, grad_norm, iterations)
    if not np.all(np.isfinite(spectrum)):
        return _nonfinite_point(theta, loss, grad_norm, iterations)
    c = classify_spectrum(spectrum, grad_norm=grad_norm,
                          theta_norm=float(np.linalg.norm(theta)), symmetry_modes=symmetry_modes)
    kind, margin = c.kind, c.margin
    if relative > gtol or stop_reason is StopReason.GRADIENT_FLAT:
        kind, margin = PointKind.NOT_CRITICAL, (gtol - relative) / gtol
    keep = keep_spectrum and complete and spectrum.size <= DENSE_LIMIT
    return CriticalPoint(theta=np.array(theta, dtype=np.float64), loss=float(loss),
                         grad_norm=grad_norm, relative_grad_norm=relative,
                         lambda_min=c.lambda_min, lambda_max=c.lambda_max,
                         n_zero_modes=c.n_zero_modes, zero_tolerance=c.zero_tolerance, kind=kind,
                         margin=float(margin), stop_reason=stop_reason, iterations=iterations,
                         spectrum=np.array(spectrum) if keep else None)


def _nonfinite_point(theta: np.ndarray, loss: float, grad_norm: float,
                     iterations: int) -> CriticalPoint:
    nan = float("nan")
    return CriticalPoint(theta=np.array(theta, dtype=np.float64), loss=float(loss),
                         grad_norm=float(grad_norm), relative_grad_norm=nan, lambda_min=nan,
                         lambda_max=nan, n_zero_modes=-1, zero_tolerance=nan,
                         kind=PointKind.NOT_CRITICAL, margin=nan,
                         stop_reason=StopReason.NONFINITE, iterations=iterations)
