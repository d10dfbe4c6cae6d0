"""Second-order classification of a critical point, aware of exact zero modes.

The losses resproof studies are invariant under continuous symmetries (for
(P_phi): ``W_L -> W_L + n k^T`` with ``W_{L+1} n = 0``; rescalings between
consecutive linear maps), so their Hessians have exact zero eigenvalues at
every critical point.  Zero modes are counted against a threshold relative to
the Hessian's scale ``s = max_i |lambda_i|``:

.. math::

    \\tau = \\sqrt{\\varepsilon}\\, s
          + c_g \\frac{s\\, \\|g\\|}{\\gamma\\, \\max(1, \\|\\theta\\|)}

The first term covers rounding in the Hessian and its eigensolver (errors are
``O(eps s)``, so ``sqrt(eps) s`` leaves eight digits of room).  The second
covers the distance to the true critical point: if ``theta*`` is critical,
``||theta - theta*|| <~ ||g|| / gamma`` with ``gamma`` the smallest eigenvalue
magnitude above the first term, and Hessian eigenvalues move by at most
``L_H ||theta - theta*||`` (Weyl) with the Hessian's Lipschitz constant
estimated as ``L_H ~ s / max(1, ||theta||)`` (exact in scaling for polynomial
losses, an estimate otherwise); ``c_g = 10`` is a safety factor.

Kinds (``m`` = zero modes the caller's symmetries explain, default 0):

* ``lambda_min < -tau``, ``lambda_max > tau``   -> ``SADDLE`` (strict saddle);
* ``lambda_max < -tau``                         -> ``MAXIMUM``;
* ``lambda_min >= -tau`` and at most ``m`` zero modes -> ``MINIMUM``;
* ``lambda_min >= -tau`` and more than ``m`` zero modes -> ``DEGENERATE``
  (minimum-like, undecided at second order);
* the gradient above its tolerance -> ``NOT_CRITICAL`` (whatever the spectrum).

``margin`` is the distance of the deciding eigenvalue from its threshold, in
units of ``s``: for a saddle ``(-lambda_min - tau) / s``; for a minimum
``min(lambda_min + tau, gamma_+ - tau) / s`` (``gamma_+`` the smallest
eigenvalue above ``tau``); for a degenerate point ``(tau - |lambda_z|) / s``
with ``lambda_z`` the smallest-magnitude unexplained zero mode.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..results import PointKind

_EPS = float(np.finfo(np.float64).eps)

#: Relative rounding term of the zero threshold: ``sqrt(eps)``.
RTOL_ZERO = float(np.sqrt(_EPS))

#: Safety factor ``c_g`` of the gradient term of the zero threshold.
GRADIENT_FACTOR = 10.0


@dataclasses.dataclass(frozen=True)
class Classification:
    """What :func:`classify_spectrum` decided, with the numbers it used.

    ``n_zero_modes`` counts ``|lambda| <= zero_tolerance`` among the eigenvalues given.
    """

    kind: PointKind
    margin: float
    lambda_min: float
    lambda_max: float
    n_zero_modes: int
    zero_tolerance: float
    scale: float


def zero_tolerance(eigenvalues: np.ndarray, *, grad_norm: float = 0.0, theta_norm: float = 0.0,
                   rtol_zero: float = RTOL_ZERO, scale: float | None = None) -> float:
    """The threshold ``tau`` below which ``|lambda|`` counts as a zero mode (module docstring)."""
    w = np.abs(np.asarray(eigenvalues, dtype=np.float64))
    s = float(np.max(w)) if scale is None else float(scale)
    if s == 0.0 or not np.isfinite(s):
        return 0.0 if s == 0.0 else np.inf
    base = rtol_zero * s
    above = w[w > base]
    if grad_norm == 0.0:
        return base
    if above.size == 0:
        return np.inf
    gamma = float(np.min(above))
    return base + GRADIENT_FACTOR * s * grad_norm / (gamma * max(1.0, theta_norm))


def classify_spectrum(eigenvalues: np.ndarray, *, grad_norm: float = 0.0,
                      theta_norm: float = 0.0, symmetry_modes: int = 0,
                      rtol_zero: float = RTOL_ZERO, scale: float | None = None) -> Classification:
    """Classify a critical point from Hessian eigenvalues.

    Parameters
    ----------
    eigenvalues
        All eigenvalues, or the ``symmetry_modes + 1`` (or more) smallest and
        the largest (zero modes are then counted among those given, which
        decides the kind correctly but may undercount).
    grad_norm, theta_norm
        ``||grad f||`` and ``||theta||`` at the point, for the gradient term of
        the threshold.
    symmetry_modes
        How many zero modes the problem's continuous symmetries explain here.
    rtol_zero
        Relative rounding term of the threshold.
    scale
        ``max|lambda|`` when ``eigenvalues`` is incomplete and lacks it.

    Returns
    -------
    Classification

    Examples
    --------
    >>> classify_spectrum([-1.0, 0.0, 2.0]).kind.value
    'saddle'
    >>> c = classify_spectrum([0.0, 0.0, 1.0, 2.0], symmetry_modes=2)
    >>> c.kind.value, c.n_zero_modes
    ('minimum', 2)
    >>> classify_spectrum([0.0, 0.0, 1.0, 2.0]).kind.value
    'degenerate'
    """
    w = np.sort(np.asarray(eigenvalues, dtype=np.float64).reshape(-1))
    s = float(np.max(np.abs(w))) if scale is None else float(scale)
    if not np.isfinite(s) or w.size == 0:
        return Classification(PointKind.DEGENERATE, -np.inf, float(w[0]) if w.size else np.nan,
                              float(w[-1]) if w.size else np.nan, -1, np.inf, s)
    lo, hi = float(w[0]), float(w[-1])
    if s == 0.0:
        return Classification(PointKind.DEGENERATE, 0.0, lo, hi, int(w.size), 0.0, 0.0)
    tau = zero_tolerance(w, grad_norm=grad_norm, theta_norm=theta_norm, rtol_zero=rtol_zero,
                         scale=s)
    zero = np.abs(w) <= tau
    n_zero = int(np.sum(zero))
    if lo < -tau:
        if hi < -tau:
            return Classification(PointKind.MAXIMUM, (-hi - tau) / s, lo, hi, n_zero, tau, s)
        return Classification(PointKind.SADDLE, (-lo - tau) / s, lo, hi, n_zero, tau, s)
    if n_zero > symmetry_modes:
        magnitudes = np.sort(np.abs(w[zero]))
        deciding = float(magnitudes[symmetry_modes])
        return Classification(PointKind.DEGENERATE, (tau - deciding) / s, lo, hi, n_zero, tau, s)
    positive = w[w > tau]
    gamma_plus = float(positive[0]) if positive.size else np.inf
    margin = min(lo + tau, gamma_plus - tau) / s
    return Classification(PointKind.MINIMUM, margin, lo, hi, n_zero, tau, s)
