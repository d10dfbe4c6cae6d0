"""Kreinovich claims hold; every control is refuted with the minimal counterexample."""

import pytest
import sympy
from hypothesis import given

from resproof.claims import get, verify
from resproof.claims.quadratic import ActivationNetwork, _activation_networks
from resproof.results import Verdict
from resproof.symbolic.networks import activation_to_square


@pytest.mark.parametrize("claim", ["kreinovich.square-activation", "kreinovich.identities",
                                   "kreinovich.neuron-count"])
def test_claim_holds(claim):
    outcome = verify(claim, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.as_expected
    assert outcome.trials >= 40
    assert outcome.evidence["output_bias_allowed"] is True


def test_linear_activation_minimal_counterexample():
    outcome = verify("kreinovich.square-activation:linear-activation")
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified
    ce = outcome.counterexample
    # One linear neuron computing x1 (s = t, weight 1, no bias): 2 square neurons needed.
    assert ce["activation"] == ["0", "1", "0"]
    assert ce["polynomial"] == "x1"
    assert ce["neurons"] == 1
    assert ce["square_neurons_needed"] == 2


def test_cubic_target_minimal_counterexample():
    outcome = verify("kreinovich.identities:cubic-target")
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified
    assert outcome.counterexample["polynomial"] == "x1**3"
    assert "degree" in outcome.counterexample["reason"]


def test_unsymmetrised_rank_minimal_counterexample():
    outcome = verify("kreinovich.neuron-count:unsymmetrised-rank")
    assert outcome.verdict is Verdict.REFUTED
    ce = outcome.counterexample
    assert ce["raw"] == [["0", "1"], ["0", "0"]]       # x1*x2 written as a_12 = 1, a_21 = 0
    assert (ce["raw_rank"], ce["rank"], ce["residual_minimum"]) == (1, 2, 2)


def test_residual_always_saves_minimal_counterexample():
    outcome = verify("kreinovich.neuron-count:residual-always-saves")
    assert outcome.verdict is Verdict.REFUTED
    ce = outcome.counterexample
    # minimal up to renaming the variables; which of the two Hypothesis's shrinker reaches
    # depends on its version (6.155: x1**2, 6.170: x2**2)
    assert ce["polynomial"] in {"x1**2", "x2**2"}
    assert ce["variables"] == ["x1", "x2"]
    assert ce["minimum_neurons"]["residual"] == ce["minimum_neurons"]["traditional"] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_controls_refuted_for_other_seeds(seed):
    for control in get("kreinovich.neuron-count").control_names():
        assert verify("kreinovich.neuron-count", control=control, seed=seed).verdict is \
            Verdict.REFUTED


@given(_activation_networks(linear=False))
def test_square_rewrite_expands_with_sympy(net: ActivationNetwork):
    bias, neurons, x = net.parts()
    square = activation_to_square(net.s, bias, neurons, x)
    assert sympy.expand(square.expr() - net.expr()) == 0
