"""Shared by the resnest.* claim tests: run a claim's check on a spec, find a shrunk
counterexample."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, find, settings

from resproof.profiles import get_budget
from resproof.results import Verdict

QUICK = get_budget("quick")

#: For find(): enough examples to meet a counterexample, derandomised, no database.
FIND = settings(max_examples=5, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def refuted_and_certified(result) -> bool:
    return result.verdict is Verdict.REFUTED and result.certified is True


def shrunk(strategy, decide):
    """The smallest spec of ``strategy`` whose result ``decide(spec)`` is refuted and
    certified (Hypothesis shrinking)."""
    return find(strategy, lambda spec: refuted_and_certified(decide(spec)), settings=FIND)


def missed(result_or_evidence) -> set[str]:
    """Names of the assumptions not met, from a TrialResult or an evidence dict."""
    evidence = getattr(result_or_evidence, "evidence", result_or_evidence)
    return {a["name"] for a in evidence.get("assumptions", []) if not a["met"]}
