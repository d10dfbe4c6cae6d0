"""densenest.prop3: local minima of (PD) are no worse than R_lin; the input-dropped
control is refuted (certified exactly / at 50 digits) on the smallest instance found."""

from __future__ import annotations

from hypothesis import find, given, settings

from resproof.claims import get
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import densenest_specs

CLAIM = get("densenest.prop3")
QUICK = get_budget("quick")


@settings(max_examples=10, deadline=None, derandomize=True)
@given(densenest_specs(max_blocks=1))
def test_prop3_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is not Verdict.REFUTED
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0


def test_input_dropped_refuted_certified_on_a_minimal_instance():
    spec = find(densenest_specs(activations=("relu",), losses=("squared", "pseudo_huber")),
                lambda s: CLAIM.check(s, "input-dropped", QUICK).verdict is Verdict.REFUTED,
                settings=settings(max_examples=50, derandomize=True, database=None))
    assert (spec["blocks"], spec["n_in"], spec["bottleneck"], spec["n_out"]) == (1, 1, 1, 1)
    assert spec["samples"] == 16
    result = CLAIM.check(spec, "input-dropped", QUICK)
    assert result.certified is True
    assert result.evidence["dead_margin"] > 0
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_input_dropped_control_is_refuted_on_quick_trials():
    outcome = CLAIM.verify(control="input-dropped", trials=4, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True


def test_missing_a2_is_vacuous():
    spec = {"n_in": 2, "bottleneck": 1, "blocks": 1, "n_out": 1, "samples": 16,
            "activation": "tanh", "loss": "welsch", "seed": 3}
    assert CLAIM.check(spec, None, QUICK).verdict is Verdict.VACUOUS
