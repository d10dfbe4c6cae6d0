"""Kreinovich claims hold; every control is refuted with the minimal counterexample."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given

from resproof.claims import get, verify
from resproof.claims.quadratic import ActivationNetwork, _activation_networks, _cubics
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


# -- kreinovich.identities:cubic-target: the construction applied to the whole target ------

def test_cubic_target_counterexample_names_the_differing_monomial():
    ce = verify("kreinovich.identities:cubic-target").counterexample
    assert ce["differing_monomial"] == "x1**3"
    assert ce["differing_monomials"] == [{"monomial": "x1**3", "degree": 3, "target": "1",
                                          "network": "0"}]
    assert ce["monomials_without_rule"] == ["x1**3"]


def test_prescribed_network_matches_every_monomial_but_the_cubic_one():
    from resproof.claims.quadratic import _cubic_identity_fails, _prescribed_for_cubic

    terms = (((0, 0, 0), Fraction(1)), ((0, 1), Fraction(3)), ((1,), Fraction(-1, 2)),
             ((), Fraction(2)), ((1, 1), Fraction(1)))
    target, net, unmatched, difference = _prescribed_for_cubic((2, terms))
    x1 = sympy.Symbol("x1")
    assert sympy.expand(net.expr() - (target - x1**3)) == 0   # the quadratic part exactly
    assert unmatched == [(3, 0)]
    assert difference == [((3, 0), 1, 0)]
    assert _cubic_identity_fails((2, terms))
    assert net.size == 1 + 2 + 2   # x2**2; x1*x2 (two); x2 (two)


@given(_cubics())
def test_prescribed_network_equals_every_quadratic_target(instance):
    """Other direction: without a cubic term the construction equals the target exactly."""
    from resproof.claims.quadratic import _cubic_identity_fails, _prescribed_for_cubic

    n, terms = instance
    quadratic = (n, tuple((m, c) for m, c in terms if len(m) < 3))
    assert not _cubic_identity_fails(quadratic)
    target, net, _, difference = _prescribed_for_cubic(quadratic)
    assert difference == []
    assert sympy.expand(net.expr() - target) == 0
    has_cubic = any(c for m, c in terms if len(m) == 3)
    assert _cubic_identity_fails(instance) is has_cubic


# -- kreinovich.neuron-count decided by the independent checks ----------------------------

def test_neuron_count_holds_by_independent_checks():
    checks = verify("kreinovich.neuron-count").evidence["checks"]
    assert checks["failures"] == 0
    assert checks["witnesses_expanded"] == checks["certificates_verified"] == \
        3 * checks["polynomials"]
    assert checks["groebner_polynomials"] > 0
    assert checks["groebner_sides_agree"] > 0
    assert checks["groebner_sides_disagree"] == 0


def test_count_checker_refutes_a_wrong_statement(monkeypatch):
    """A statement with traditional = k + 1 (the seed's) fails every independent check."""
    import resproof.claims.quadratic as module
    from resproof.symbolic.neurons import parse_quadratic

    stated = module._stated_minima

    def seeds_count(q):
        k, inside, minima = stated(q)
        return k, inside, {**minima, "traditional": k + 1}

    monkeypatch.setattr(module, "_stated_minima", seeds_count)
    checker = module._CountChecker(max_groebner_variables=2)
    result = checker.check(parse_quadratic("x1**2 + x2"))   # k = 1, a outside col A: 3 needed
    failures = " | ".join(result["failures"])
    assert "traditional: no verified witness with 2 neurons" in failures
    assert "traditional: no verified lower bound 2" in failures
    assert "traditional: Groebner disagrees" in failures
    assert result["kinds"]["traditional"]["groebner"] == {
        "at_minimum": "disagrees", "one_fewer_inconsistent": "agrees"}   # 2 neurons: [1]
    assert checker(parse_quadratic("x1**2 + x2"))
    assert checker.tally["groebner_sides_disagree"] >= 1


def test_count_checker_accepts_the_true_counts():
    from resproof.claims.quadratic import _CountChecker
    from resproof.symbolic.neurons import parse_quadratic

    checker = _CountChecker(max_groebner_variables=2)
    result = checker.check(parse_quadratic("x1**2 + x2"))
    assert result["failures"] == []
    assert result["stated_minimum"] == {"residual": 1, "traditional": 3,
                                        "traditional_with_linear": 2}
    assert result["kinds"]["traditional"]["groebner"] == {
        "at_minimum": "agrees", "one_fewer_inconsistent": "agrees"}


def test_groebner_side_not_computed_is_not_checked_never_agreement():
    from resproof.claims.quadratic import _CountChecker
    from resproof.symbolic.neurons import parse_quadratic

    checker = _CountChecker(max_groebner_variables=2, max_groebner_neurons=2)
    assert not checker(parse_quadratic("x1**2 + x2"))      # traditional 3 > 2 neurons
    row = checker.check(parse_quadratic("x1**2 + x2"))["kinds"]["traditional"]["groebner"]
    assert row["at_minimum"] == "not checked"
    assert checker.tally["groebner_sides_not_checked"] == 1
    assert row["one_fewer_inconsistent"] == "agrees"       # [1] with 2 neurons: computed
    assert checker.tally["groebner_sides_agree"] == 5     # 2 residual, 2 with-linear, 1
    big = _CountChecker(max_groebner_variables=2)
    result = big.check(parse_quadratic("x1*x2 + x3"))
    assert result["groebner"] == "not checked (n = 3 > 2)"
    assert big(parse_quadratic("x1*x2 + x3")) is False
    assert big.tally["groebner_not_checked_polynomials"] == 1
    assert big.tally["groebner_sides_agree"] == 0


def test_groebner_n3_budget_cap_reports_not_checked():
    from resproof.claims.quadratic import _CountChecker
    from resproof.symbolic.neurons import parse_quadratic

    checker = _CountChecker(max_groebner_variables=3, max_groebner_n3=0)
    result = checker.check(parse_quadratic("x1*x2 + x3"))
    assert result["failures"] == []
    assert result["groebner"].startswith("not checked (budget")
    assert "groebner" not in result["kinds"]["residual"]
