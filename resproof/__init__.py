"""resproof: check the theory of residual networks, exactly where algebra can and
numerically where it must.

The public surface is re-exported here; importing resproof does no work (the
claim registry, SymPy and the numba kernels load on first use).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .claims import get as get
from .claims import verify as verify
from .errors import CertificationError as CertificationError
from .errors import InvalidInput as InvalidInput
from .errors import ResproofError as ResproofError
from .errors import SearchFailed as SearchFailed
from .profiles import BUDGETS as BUDGETS
from .profiles import Budget as Budget
from .results import CriticalPoint as CriticalPoint
from .results import Outcome as Outcome
from .results import PointKind as PointKind
from .results import StopReason as StopReason
from .results import TrialResult as TrialResult
from .results import Verdict as Verdict

__all__ = [
    "BUDGETS",
    "Budget",
    "CertificationError",
    "CriticalPoint",
    "InvalidInput",
    "Outcome",
    "PointKind",
    "ResproofError",
    "SearchFailed",
    "StopReason",
    "TrialResult",
    "Verdict",
    "__version__",
    "get",
    "verify",
]
