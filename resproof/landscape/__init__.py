"""Landscape engine: minimisers, saddle finders, spectra, classification, certification.

Everything here works on any :class:`~resproof.landscape.objective.Objective`
(``n_params``, ``loss``, ``grad``, ``hvp``, ``hessian`` on a flat vector).
Submodules load SciPy and mpmath only where needed; importing :mod:`resproof`
does not import this package.

The minimiser is :func:`resproof.landscape.minimize.minimize`; it is not
re-exported here, where its name would shadow its module.
"""

from __future__ import annotations

from .certify import Certificate as Certificate
from .certify import HighPrecisionObjective as HighPrecisionObjective
from .certify import certify_critical_point as certify_critical_point
from .certify import certify_negative_curvature as certify_negative_curvature
from .classify import Classification as Classification
from .classify import classify_spectrum as classify_spectrum
from .objective import FunctionObjective as FunctionObjective
from .objective import Objective as Objective
from .objective import Restricted as Restricted
from .objective import counted as counted
from .points import make_point as make_point
from .saddles import escape_saddle as escape_saddle
from .saddles import find_critical_point as find_critical_point
from .saddles import find_saddle as find_saddle
from .saddles import find_saddles as find_saddles
from .saddles import refine as refine
from .spectrum import eigenvalues as eigenvalues
from .spectrum import extreme_eigenvalues as extreme_eigenvalues

__all__ = [
    "Certificate",
    "Classification",
    "FunctionObjective",
    "HighPrecisionObjective",
    "Objective",
    "Restricted",
    "certify_critical_point",
    "certify_negative_curvature",
    "classify_spectrum",
    "counted",
    "eigenvalues",
    "escape_saddle",
    "extreme_eigenvalues",
    "find_critical_point",
    "find_saddle",
    "find_saddles",
    "make_point",
    "refine",
]
