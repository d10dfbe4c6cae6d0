"""Square-neuron networks: exact Gram matrices agree with SymPy expansion."""

import pytest
import sympy
from hypothesis import given
from sympy import QQ

from resproof.errors import InvalidInput
from resproof.strategies import quadratics
from resproof.symbolic.networks import (
    Network,
    Neuron,
    activation_expr,
    activation_to_square,
    expansion_difference,
    identity_network,
    monomial_identity_network,
)
from resproof.symbolic.quadratic import default_variables, parse_quadratic


@given(quadratics(max_variables=3))
def test_identity_network_expands_to_the_polynomial(q):
    net = identity_network(q)
    assert net.represents(q)
    assert sympy.expand(net.expr() - q.expr()) == 0


def test_identity_network_uses_the_seed_identities():
    q = parse_quadratic("x1*x2 + x1")
    net = identity_network(q)
    assert net.size == 4
    assert {(n.weight, n.bias) for n in net.neurons} == {(QQ(1, 4), QQ(0)), (QQ(-1, 4), QQ(0)),
                                                        (QQ(1, 4), QQ(1)), (QQ(-1, 4), QQ(-1))}


def test_activation_rewrite_same_count_exact():
    x = default_variables(2)
    neurons = (Neuron(QQ(2), QQ(1), (QQ(1), QQ(-3))), Neuron(QQ(-1, 3), QQ(0), (QQ(1, 2), QQ(1))))
    s = (QQ(5), QQ(-2), QQ(3, 2))
    square = activation_to_square(s, QQ(7), neurons, x)
    assert square.size == 2
    assert sympy.expand(square.expr() - activation_expr(s, QQ(7), neurons, x)) == 0


def test_linear_activation_refused():
    with pytest.raises(InvalidInput, match="s2 != 0"):
        activation_to_square((1, 1, 0), 0, (), default_variables(1))


def test_gram_counts_skip_and_linear_neurons():
    x = default_variables(2)
    net = Network("traditional_with_linear", x, QQ(1), (Neuron(QQ(1), QQ(1), (QQ(1), QQ(0))),),
                  skip=(QQ(0), QQ(2)), linear=(Neuron(QQ(3), QQ(1), (QQ(0), QQ(1))),))
    expected = sympy.expand(1 + (1 + x[0]) ** 2 + 2 * x[1] + 3 * (1 + x[1]))
    assert net.represents(parse_quadratic(expected, x))
    assert sympy.expand(net.expr()) == expected
    assert net.size == 2


def test_latex_signs():
    x = default_variables(1)
    net = Network("traditional", x, QQ(-3), (Neuron(QQ(-1, 2), QQ(1), (QQ(1),)),))
    assert net.to_latex() == "-\\frac{1}{2} \\left(x_{1} + 1\\right)^{2} - 3"


def test_monomial_identity_network_is_exact_on_quadratics_and_blind_to_cubics():
    x1, x2 = sympy.symbols("x1 x2")
    quadratic = 3 * x1 * x2 - sympy.Rational(1, 2) * x2 + 2 + x2**2 - x1**2
    net, unmatched = monomial_identity_network(quadratic, (x1, x2))
    assert unmatched == []
    assert expansion_difference(net, quadratic) == []
    assert net.size == 2 + 2 + 1 + 1
    cubic = quadratic - sympy.Rational(2, 3) * x1 * x2**2 + x1**3
    net, unmatched = monomial_identity_network(cubic, (x1, x2))
    assert sorted(unmatched) == [(1, 2), (3, 0)]
    assert expansion_difference(net, cubic) == [((1, 2), sympy.Rational(-2, 3), 0),
                                                ((3, 0), 1, 0)]
