"""Holguin & Kreinovich, "Why residual neural networks" (seed 000): claims and controls.

All three claims are decided exactly (SymPy over QQ) by a Hypothesis search:
the checker looks for an instance violating the statement; none found in the
budget's number of examples -> ``holds``; one found -> ``refuted``, with the
counterexample shrunk by Hypothesis to a minimal one and re-checked exactly
(so every refutation here is certified).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from hypothesis import Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from ..profiles import Budget
from ..results import Outcome, TrialResult, Verdict
from .base import Claim, Control

SOURCE = "000_753f352ef6f6c63b.txt"
# Rationals p/q, |p| <= 6, 1 <= q <= 3: shrinks to 0, then to small integers.
_SMALL = st.builds(Fraction, st.integers(-6, 6), st.integers(1, 3))


@dataclasses.dataclass(frozen=True)
class _Search:
    strategy: st.SearchStrategy[Any]
    violates: Callable[[Any], bool]
    describe: Callable[[Any], dict[str, Any]]
    space: str


class _SearchClaim(Claim):
    """A claim decided by a Hypothesis search for a violating instance."""

    def search(self, control: str | None) -> _Search:
        raise NotImplementedError

    def verify(self, control: str | None = None, trials: int | None = None, seed: int = 0,
               budget: str | Budget = "quick") -> Outcome:
        """Search ``trials`` examples (default: the budget's ``max_examples``)."""
        control, _, seed, plan = self.validate(control, trials, seed, budget)
        examples = plan.max_examples if trials is None else trials
        search = self.search(control)
        count = [0]

        def condition(instance: Any) -> bool:
            count[0] += 1
            return search.violates(instance)

        # No explain phase: it re-runs the shrunk example many times to annotate it.
        config = settings(plan.hypothesis_settings(), max_examples=examples, database=None,
                          derandomize=False, phases=(Phase.generate, Phase.shrink))
        try:
            found = find(search.strategy, condition, settings=config,
                         random=random.Random(seed))
        except NoSuchExample:
            result = TrialResult(Verdict.HOLDS, evidence={"examples": count[0]},
                                 seed=[seed])
        else:
            if not search.violates(found):  # re-check the shrunk example from scratch
                raise AssertionError(f"{self.id}: shrunk counterexample does not reproduce")
            result = TrialResult(Verdict.REFUTED, margin=-1.0, certified=True, seed=[seed],
                                 evidence={"examples": count[0], **search.describe(found)})
        outcome = self.outcome(control, [result], seed, plan,
                               evidence={"search_space": search.space, "examples": count[0],
                                         "exact": True, "output_bias_allowed": True})
        return dataclasses.replace(outcome, trials=count[0])


# -- kreinovich.square-activation ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ActivationNetwork:
    """``c0 + sum_j c_j s(b_j + beta_j . x)`` with ``s(t) = s0 + s1 t + s2 t^2``."""

    s: tuple[Fraction, Fraction, Fraction]
    output_bias: Fraction
    neurons: tuple[tuple[Fraction, Fraction, tuple[Fraction, ...]], ...]

    @property
    def n(self) -> int:
        return len(self.neurons[0][2])

    def parts(self) -> tuple[Any, Any, Any]:
        from sympy import QQ

        from ..symbolic.networks import Neuron
        from ..symbolic.quadratic import default_variables

        neurons = tuple(Neuron(QQ.convert(c), QQ.convert(b), tuple(map(QQ.convert, beta)))
                        for c, b, beta in self.neurons)
        return QQ.convert(self.output_bias), neurons, default_variables(self.n)

    def expr(self) -> Any:
        from ..symbolic.networks import activation_expr

        bias, neurons, x = self.parts()
        return activation_expr(self.s, bias, neurons, x)


@st.composite
def _activation_networks(draw: Any, linear: bool) -> ActivationNetwork:
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 3))
    s0, s1 = draw(_SMALL), draw(_SMALL)
    s2 = Fraction(0) if linear else draw(_SMALL.filter(bool))
    neurons = tuple((draw(_SMALL), draw(_SMALL), tuple(draw(_SMALL) for _ in range(n)))
                    for _ in range(m))
    return ActivationNetwork((s0, s1, s2), draw(_SMALL), neurons)


def _activation_polynomial(net: ActivationNetwork) -> Any:
    """The network's polynomial as a Quadratic, by exact Gram-matrix arithmetic.

    ``c s(g . (1, x)) = c s0 + c s1 g . (1, x) + c s2 (g . (1, x))^2``, so the Gram
    matrix gains ``c s0 E00``, ``c s1 (e0 g^T + g e0^T)/2`` and ``c s2 g g^T``.
    """
    from sympy import QQ

    from ..symbolic.quadratic import Quadratic

    bias, neurons, x = net.parts()
    s0, s1, s2 = (QQ.convert(v) for v in net.s)
    n = net.n
    G = [[QQ(0)] * (n + 1) for _ in range(n + 1)]
    G[0][0] = bias
    for neuron in neurons:
        g, c = neuron.gamma(), neuron.weight
        G[0][0] += c * s0
        for r in range(n + 1):
            G[0][r] += c * s1 * g[r] / 2
            G[r][0] += c * s1 * g[r] / 2
            for col in range(n + 1):
                G[r][col] += c * s2 * g[r] * g[col]
    A = tuple(tuple(G[i + 1][j + 1] for j in range(n)) for i in range(n))
    return Quadratic(x, A, tuple(2 * G[0][i + 1] for i in range(n)), G[0][0])


def _square_rewrite_fails(net: ActivationNetwork) -> bool:
    # Exact expansion, as Gram matrices: the square network's (Network.gram) against
    # the activation network's, computed by the independent formula above.
    # (tests/claims/test_quadratic.py also compares SymPy expansions.)
    from ..symbolic.networks import activation_to_square

    bias, neurons, x = net.parts()
    square = activation_to_square(net.s, bias, neurons, x)
    return square.size != len(neurons) or not square.represents(_activation_polynomial(net))


def _square_count_exceeds(net: ActivationNetwork) -> bool:
    from ..symbolic.neurons import analyse

    return analyse(_activation_polynomial(net)).minimum["traditional"] > len(net.neurons)


def _describe_activation(net: ActivationNetwork) -> dict[str, Any]:
    import sympy

    from ..symbolic.neurons import analyse

    q = _activation_polynomial(net)
    need = analyse(q).minimum["traditional"]
    poly = q.text()
    if sympy.expand(net.expr() - q.expr()) != 0:
        raise AssertionError("Gram arithmetic disagrees with expansion")
    return {"activation": [str(v) for v in net.s], "network": str(net.expr()),
            "polynomial": poly, "neurons": len(net.neurons),
            "square_neurons_needed": need,
            "reason": f"{len(net.neurons)} neuron(s) with s2 = 0 compute {poly}, which needs "
                      f"{need} square neurons (and no linear neuron yields x1**2)"}


class SquareActivation(_SearchClaim):
    id = "kreinovich.square-activation"
    title = "quadratic activations reduce to square neurons, same count"
    source = SOURCE
    statement = ("Every network c0 + sum_j c_j s(b_j + beta_j . x) with s(t) = s0 + s1 t + s2 t^2,"
                 " s2 != 0, equals for all x a network of the same number of square neurons "
                 "(bias shifted by s1/(2 s2), weights scaled by s2, constants to the output "
                 "bias); checked by exact expansion.")
    controls = (Control("linear-activation",
                        "s2 = 0: a linear-activation network is claimed to equal a square network"
                        " with the same number of neurons"),)

    def search(self, control: str | None) -> _Search:
        if control is None:
            return _Search(_activation_networks(linear=False), _square_rewrite_fails,
                           lambda net: {"network": str(net.expr())},
                           "n <= 3 inputs, 1..3 neurons, rationals p/q, |p| <= 6, q <= 3")
        return _Search(_activation_networks(linear=True), _square_count_exceeds,
                       _describe_activation, "s2 = 0, n <= 3, 1..3 neurons")


# -- kreinovich.identities ---------------------------------------------------------------

def _cubic_monomials(n: int) -> list[tuple[int, ...]]:
    from itertools import combinations_with_replacement

    return [m for d in range(4) for m in combinations_with_replacement(range(n), d)]


@st.composite
def _cubics(draw: Any) -> tuple[int, tuple[tuple[tuple[int, ...], Fraction], ...]]:
    n = draw(st.integers(1, 2))
    terms = tuple((m, draw(_SMALL)) for m in _cubic_monomials(n))
    return n, terms


def _cubic_expr(instance: Any) -> Any:
    import sympy

    from ..symbolic.quadratic import default_variables

    n, terms = instance
    x = default_variables(n)
    return sympy.Add(*(sympy.Rational(c.numerator, c.denominator)
                       * sympy.Mul(*(x[i] for i in m)) for m, c in terms))


def _identity_fails(q: Any) -> bool:
    import sympy

    from ..symbolic.networks import identity_network

    net = identity_network(q)
    return not net.represents(q) or sympy.expand(net.expr() - q.expr()) != 0


def _cubic_identity_fails(instance: Any) -> bool:
    from sympy import QQ

    from ..symbolic.networks import identity_network
    from ..symbolic.quadratic import Quadratic, default_variables

    n, terms = instance
    if not any(c for m, c in terms if len(m) == 3):
        return False   # not a cubic: outside the extended claim
    A = [[QQ(0)] * n for _ in range(n)]
    a, a0 = [QQ(0)] * n, QQ(0)
    for m, c in terms:
        value = QQ.convert(c)
        if len(m) == 0:
            a0 = value
        elif len(m) == 1:
            a[m[0]] = value
        elif len(m) == 2 and m[0] == m[1]:
            A[m[0]][m[0]] = value
        elif len(m) == 2:
            A[m[0]][m[1]] = A[m[1]][m[0]] = value / 2
    low = Quadratic(default_variables(n), tuple(map(tuple, A)), tuple(a), a0)
    net = identity_network(low)
    # The network equals the degree <= 2 part exactly (Gram matrices) and has no
    # monomial of degree 3, while the target has one: they differ.
    return net.represents(low)


def _describe_cubic(instance: Any) -> dict[str, Any]:
    import sympy

    expr = sympy.expand(_cubic_expr(instance))
    return {"polynomial": str(expr), "degree": int(sympy.Poly(expr).total_degree()),
            "reason": "a one-hidden-layer network of square neurons is a polynomial of degree "
                      f"<= 2; {expr} has degree 3"}


class Identities(_SearchClaim):
    id = "kreinovich.identities"
    title = "one hidden layer of square neurons represents every quadratic"
    source = SOURCE
    statement = ("x_i x_j = ((x_i + x_j)^2 - (x_i - x_j)^2)/4 and x_i = ((x_i + 1)^2 - "
                 "(x_i - 1)^2)/4, so the seed's one-layer network of square neurons equals "
                 "every quadratic polynomial (output bias = constant term); checked by exact "
                 "expansion.")
    controls = (Control("cubic-target",
                        "the one-layer construction is claimed for cubic polynomials too"),)

    def search(self, control: str | None) -> _Search:
        if control is None:
            from ..strategies import quadratics

            return _Search(quadratics(max_variables=4), _identity_fails,
                           lambda q: {"polynomial": q.text()},
                           "quadratics, n <= 4, any rank, linear part inside or outside col A")
        return _Search(_cubics(), _cubic_identity_fails, _describe_cubic,
                       "polynomials of degree 3 in n <= 2 variables")


# -- kreinovich.neuron-count -------------------------------------------------------------

def _count_fails(q: Any) -> bool:
    from ..symbolic.groebner import cross_check
    from ..symbolic.neurons import analyse

    report = analyse(q)
    m = report.minimum
    k = report.rank
    expected_trad = k if report.in_range else k + 2
    if not report.verify() or m["residual"] != k or m["traditional"] != expected_trad:
        return True
    if not m["residual"] <= m["traditional_with_linear"] <= m["traditional"]:
        return True
    if q.n <= 2:  # independent Groebner cross-check where it is cheap
        return not all(c.agrees for c in cross_check(q, m).values())
    return False


@st.composite
def _raw_quadratics(draw: Any) -> Any:
    from ..symbolic.quadratic import Quadratic

    n = draw(st.integers(1, 3))
    ints = st.integers(-2, 2)
    raw = [[0] * n for _ in range(n)]
    # Below-diagonal entries are drawn (and so shrunk to zero) first: a minimal
    # unsymmetric array keeps its entry above the diagonal, the seed's a_12.
    for i in range(n):
        for j in range(i):
            raw[i][j] = draw(ints)
    for i in range(n):
        for j in range(i, n):
            raw[i][j] = draw(ints)
    return Quadratic.from_raw(raw, [draw(ints) for _ in range(n)], draw(ints))


def _raw_rank(q: Any) -> int:
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    return DomainMatrix([list(r) for r in q.raw], (q.n, q.n), QQ).rank()


def _unsymmetrised_fails(q: Any) -> bool:
    from ..symbolic.neurons import analyse

    return analyse(q).minimum["residual"] != _raw_rank(q)


def _describe_raw(q: Any) -> dict[str, Any]:
    from ..symbolic.neurons import analyse
    from ..symbolic.quadratic import qstr

    return {"polynomial": q.text(), "raw": [[qstr(v) for v in row] for row in q.raw],
            "raw_rank": _raw_rank(q), "rank": q.rank(),
            "residual_minimum": analyse(q).minimum["residual"]}


def _never_saves(q: Any) -> bool:
    from ..symbolic.neurons import analyse

    k = q.rank()
    if not 1 <= k < q.n:
        return False
    m = analyse(q).minimum
    return not m["residual"] < m["traditional"]


def _describe_saves(q: Any) -> dict[str, Any]:
    from ..symbolic.neurons import analyse

    report = analyse(q)
    return {"polynomial": q.text(), "variables": [v.name for v in q.variables],
            "rank": report.rank, "minimum_neurons": report.minimum,
            "reason": "the linear part lies in col A, so completing the square gives a "
                      "traditional network with k neurons"}


class NeuronCount(_SearchClaim):
    id = "kreinovich.neuron-count"
    title = "exact minimum square neurons: residual, traditional, with linear neurons"
    source = SOURCE
    statement = ("For every quadratic f = a0 + a^T x + x^T A x (A symmetrised, k = rank A): "
                 "residual networks need exactly k square neurons, traditional ones k if a is in "
                 "col A and k + 2 otherwise (k + 1 only in the limit of unbounded weights), "
                 "traditional ones with linear neurons k + [a not in col A]; output bias "
                 "allowed in all three.  Each minimum has a witness (exact expansion) and a "
                 "lower-bound certificate (re-verified), and for n <= 2 a Groebner cross-check.")
    reading = ("resproof's reading: the seed's counts (residual k, traditional >= k + 1 for "
               "k < n) are replaced by exact minima; the seed's traditional count is attained "
               "by neither minimum (k or k + 2), only by the limit and the linear-neuron count.")
    controls = (
        Control("unsymmetrised-rank",
                "k taken as the rank of the raw coefficient array a_ij (not symmetrised)"),
        Control("residual-always-saves",
                "residual networks always need fewer square neurons than traditional ones "
                "(the seed's k vs k + 1, on quadratics with 1 <= k < n)"),
    )

    def search(self, control: str | None) -> _Search:
        from ..strategies import quadratics

        if control is None:
            return _Search(quadratics(max_variables=3), _count_fails,
                           lambda q: {"polynomial": q.text()},
                           "quadratics, n <= 3, any rank, linear part inside or outside col A")
        if control == "unsymmetrised-rank":
            return _Search(_raw_quadratics(), _unsymmetrised_fails, _describe_raw,
                           "raw integer arrays a_ij in [-2, 2], n <= 3")
        return _Search(quadratics(max_variables=3), _never_saves, _describe_saves,
                       "quadratics with 1 <= k < n <= 3")


CLAIMS = [SquareActivation(), Identities(), NeuronCount()]
