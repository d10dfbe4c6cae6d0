"""Budgets ``quick | standard | deep``: one source for the CLI, tests and notebooks.

A budget fixes how hard every check searches: trials per claim, Hypothesis
examples, optimiser iterations and restarts.  Each budget is also registered
as a Hypothesis settings profile of the same name (plus ``ci`` for the test
suite), so ``settings.load_profile("quick")`` and ``--budget quick`` mean the
same amount of work.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, settings

from ._validation import check_choice


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much work one ``verify`` call may do.

    Attributes
    ----------
    name
        ``quick``, ``standard`` or ``deep``.
    trials
        Random instances drawn per claim (when ``--trials`` is not given).
    max_examples
        Hypothesis examples per property search.
    max_iterations
        Iterations of one local search (trust-region Newton, saddle search).
    restarts
        Random starts per instance for searches that need several.
    """

    name: str
    trials: int
    max_examples: int
    max_iterations: int
    restarts: int

    def hypothesis_settings(self) -> settings:
        return settings.get_profile(self.name)


BUDGETS: dict[str, Budget] = {
    "quick": Budget("quick", trials=4, max_examples=60, max_iterations=1000, restarts=3),
    "standard": Budget("standard", trials=20, max_examples=300, max_iterations=1000, restarts=8),
    "deep": Budget("deep", trials=100, max_examples=2000, max_iterations=5000, restarts=32),
}

_COMMON = settings(deadline=None, derandomize=True, print_blob=True,
                   suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large))
for _budget in BUDGETS.values():
    settings.register_profile(_budget.name, _COMMON, max_examples=_budget.max_examples)
settings.register_profile("ci", _COMMON, max_examples=40)


def get_budget(name: str | Budget) -> Budget:
    """The budget called ``name`` (a :class:`Budget` is returned as is)."""
    if isinstance(name, Budget):
        return name
    return BUDGETS[check_choice("budget", name, BUDGETS)]
