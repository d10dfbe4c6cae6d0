"""One-hidden-layer networks of square (and linear) neurons, exactly.

A network computes

.. math:: N(x) = c_0 + d^T x + \\sum_j c_j (b_j + \\beta_j^T x)^2
   + \\sum_l e_l (g_l + \\eta_l^T x),

with output bias ``c0`` always allowed, ``d`` only in residual networks and the
linear neurons ``e_l (g_l + eta_l^T x)`` only where a report says so.  Its
polynomial has Gram matrix ``G = c0 E00 + sum_j c_j gamma_j gamma_j^T +``
(the linear terms in row and column 0), ``gamma_j = (b_j, beta_j)``; two
quadratics are equal iff their Gram matrices are, so :meth:`Network.gram`
compared with ``Q`` *is* exact expansion.  :meth:`Network.expand` does the
same with :func:`sympy.expand` for small cases and tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sympy
from sympy import QQ

from ..errors import InvalidInput
from .quadratic import Quadratic, qstr

KINDS = ("residual", "traditional", "traditional_with_linear")


@dataclasses.dataclass(frozen=True)
class Neuron:
    """``weight * (bias + beta . x)^2`` (square) or ``weight * (bias + beta . x)`` (linear)."""

    weight: Any
    bias: Any
    beta: tuple[Any, ...]

    def gamma(self) -> list[Any]:
        return [self.bias, *self.beta]

    def to_json(self) -> dict[str, Any]:
        return {"output_weight": qstr(self.weight), "bias": qstr(self.bias),
                "weights": [qstr(v) for v in self.beta]}


@dataclasses.dataclass(frozen=True)
class Network:
    """A one-hidden-layer network; see the module docstring for the formula."""

    kind: str
    variables: tuple[sympy.Symbol, ...]
    output_bias: Any
    neurons: tuple[Neuron, ...]
    skip: tuple[Any, ...] | None = None
    linear: tuple[Neuron, ...] = ()

    @property
    def size(self) -> int:
        """Hidden neurons: square plus linear."""
        return len(self.neurons) + len(self.linear)

    def gram(self) -> list[list[Any]]:
        """The ``(n+1) x (n+1)`` Gram matrix of the network's polynomial, exact."""
        n = len(self.variables)
        G = [[QQ(0)] * (n + 1) for _ in range(n + 1)]
        G[0][0] += self.output_bias
        for neuron in self.neurons:
            g = neuron.gamma()
            for r in range(n + 1):
                if g[r]:
                    cg = neuron.weight * g[r]
                    row = G[r]
                    for c in range(n + 1):
                        if g[c]:
                            row[c] += cg * g[c]
        half = QQ(1, 2)
        linear = [QQ(0)] * n
        if self.skip is not None:
            linear = [li + di for li, di in zip(linear, self.skip, strict=True)]
        for neuron in self.linear:
            G[0][0] += neuron.weight * neuron.bias
            linear = [li + neuron.weight * bi for li, bi in zip(linear, neuron.beta, strict=True)]
        for i in range(n):
            G[0][i + 1] += linear[i] * half
            G[i + 1][0] += linear[i] * half
        return G

    def represents(self, q: Quadratic) -> bool:
        """Exact equality of the network's polynomial with ``q`` (Gram matrices)."""
        return tuple(self.variables) == tuple(q.variables) and self.gram() == q.Q_rows()

    def expr(self) -> sympy.Expr:
        """The network as an unexpanded SymPy expression."""
        x = self.variables
        out: list[sympy.Expr] = []
        for neuron in self.neurons:
            out.append(_r(neuron.weight) * _affine(neuron, x) ** 2)
        out += [_r(neuron.weight) * _affine(neuron, x) for neuron in self.linear]
        if self.skip is not None:
            out += [_r(d) * xi for d, xi in zip(self.skip, x, strict=True) if d]
        if self.output_bias or not out:
            out.append(_r(self.output_bias))
        return out[0] if len(out) == 1 else sympy.Add(*out, evaluate=False)

    def expand(self) -> sympy.Expr:
        return sympy.expand(self.expr())

    def to_json(self) -> dict[str, Any]:
        """Exact rationals as strings: each square neuron ``(bias, weights)`` with its
        output weight, the output bias, the skip weights (residual) and the linear
        neurons (``traditional_with_linear``)."""
        return {"kind": self.kind, "size": self.size,
                "square_neurons": [n.to_json() for n in self.neurons],
                "output_weights": [qstr(n.weight) for n in self.neurons],
                "output_bias": qstr(self.output_bias),
                "skip": None if self.skip is None else [qstr(v) for v in self.skip],
                "linear_neurons": [n.to_json() for n in self.linear],
                "formula": str(self.expr())}

    def to_latex(self) -> str:
        """The network as a LaTeX formula, neurons unexpanded."""
        x = self.variables
        parts: list[tuple[Any, str]] = []
        for neuron in self.neurons:
            parts.append((neuron.weight,
                          f"\\left({sympy.latex(_affine(neuron, x))}\\right)^{{2}}"))
        for neuron in self.linear:
            parts.append((neuron.weight, f"\\left({sympy.latex(_affine(neuron, x))}\\right)"))
        if self.skip is not None:
            parts += [(d, sympy.latex(xi)) for d, xi in zip(self.skip, x, strict=True) if d]
        if self.output_bias or not parts:
            parts.append((self.output_bias, ""))
        out = ""
        for index, (weight, body) in enumerate(parts):
            value = _r(weight)
            sign = "-" if value < 0 else "+"
            magnitude = abs(value)
            if body and magnitude == 1:
                term = body
            elif body:
                term = f"{sympy.latex(magnitude)} {body}"
            else:
                term = sympy.latex(magnitude)
            if index == 0:
                out = ("-" if sign == "-" else "") + term
            else:
                out += f" {sign} {term}"
        return out


def activation_to_square(s: Sequence[Any], output_bias: Any,
                         neurons: Sequence[Neuron],
                         variables: tuple[sympy.Symbol, ...]) -> Network:
    """Rewrite ``c0 + sum_j c_j s(b_j + beta_j . x)`` with square neurons, same count.

    For ``s(t) = s0 + s1 t + s2 t^2`` with ``s2 != 0``,

    .. math:: s(t) = s_2 \\left(t + \\frac{s_1}{2 s_2}\\right)^2 + s_0 - \\frac{s_1^2}{4 s_2},

    so neuron ``j`` becomes ``(c_j s2) (b_j + s1/(2 s2) + beta_j . x)^2`` and the
    constants ``c_j (s0 - s1^2/(4 s2))`` join the output bias.
    """
    s0, s1, s2 = (QQ.convert(v) for v in s)
    if not s2:
        raise InvalidInput("s", "a quadratic activation s0 + s1 t + s2 t^2 with s2 != 0", s)
    shift = s1 / (2 * s2)
    constant = s0 - s1 * s1 / (4 * s2)
    bias = output_bias + sum((n.weight * constant for n in neurons), QQ(0))
    squares = tuple(Neuron(n.weight * s2, n.bias + shift, tuple(n.beta)) for n in neurons)
    return Network("traditional", variables, bias, squares)


def activation_expr(s: Sequence[Any], output_bias: Any, neurons: Sequence[Neuron],
                    variables: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    """``c0 + sum_j c_j s(b_j + beta_j . x)`` for ``s(t) = s0 + s1 t + s2 t^2``, unexpanded."""
    s0, s1, s2 = (_r(QQ.convert(v)) for v in s)
    terms = [_r(output_bias)]
    for neuron in neurons:
        t = _affine(neuron, variables)
        terms.append(_r(neuron.weight) * (s0 + s1 * t + s2 * t ** 2))
    return sympy.Add(*terms)


def identity_network(q: Quadratic) -> Network:
    """The seed's one-layer network: ``x_i^2`` neurons and the two identities

    .. math:: x_i x_j = \\frac{(x_i + x_j)^2 - (x_i - x_j)^2}{4}, \\qquad
       x_i = \\frac{(x_i + 1)^2 - (x_i - 1)^2}{4}.
    """
    n = q.n
    quarter = QQ(1, 4)
    neurons: list[Neuron] = []

    def unit(i: int, sign: int = 0, j: int | None = None) -> tuple[Any, ...]:
        beta = [QQ(0)] * n
        beta[i] = QQ(1)
        if j is not None:
            beta[j] = QQ(sign)
        return tuple(beta)

    for i in range(n):
        if q.A[i][i]:
            neurons.append(Neuron(q.A[i][i], QQ(0), unit(i)))
        for j in range(i + 1, n):
            if q.A[i][j]:
                w = 2 * q.A[i][j] * quarter
                neurons.append(Neuron(w, QQ(0), unit(i, 1, j)))
                neurons.append(Neuron(-w, QQ(0), unit(i, -1, j)))
    for i in range(n):
        if q.a[i]:
            w = q.a[i] * quarter
            neurons.append(Neuron(w, QQ(1), unit(i)))
            neurons.append(Neuron(-w, QQ(-1), unit(i)))
    return Network("traditional", q.variables, q.a0, tuple(neurons))


def monomial_identity_network(target: sympy.Expr, variables: tuple[sympy.Symbol, ...]
                              ) -> tuple[Network, list[tuple[int, ...]]]:
    """The identities construction applied monomial by monomial to any polynomial.

    Each term ``c m`` of ``target`` (expanded over QQ in ``variables``) gets the
    neurons the seed's identities prescribe: the constant goes to the output
    bias, ``c x_i = c/4 (x_i + 1)^2 - c/4 (x_i - 1)^2``, ``c x_i^2`` is one neuron
    ``c (x_i)^2`` and ``c x_i x_j = c/4 (x_i + x_j)^2 - c/4 (x_i - x_j)^2``.  The
    identities give no square neuron for a monomial of degree >= 3; such
    monomials are returned (as exponent tuples) and contribute nothing.  Built
    from the target's own monomials, independently of :func:`identity_network`
    (which reads a :class:`Quadratic`'s symmetric ``A``).
    """
    n = len(variables)
    poly = sympy.Poly(sympy.expand(target), *variables, domain=QQ)
    bias = QQ(0)
    neurons: list[Neuron] = []
    unmatched: list[tuple[int, ...]] = []

    def beta(i: int, j: int | None = None, sign: int = 1) -> tuple[Any, ...]:
        out = [QQ(0)] * n
        out[i] = QQ(1)
        if j is not None:
            out[j] = QQ(sign)
        return tuple(out)

    for exponents, coefficient in poly.terms():
        c = QQ.convert(coefficient)
        used = [i for i, e in enumerate(exponents) if e]
        degree = sum(exponents)
        if degree == 0:
            bias += c
        elif degree == 1:
            neurons += [Neuron(c / 4, QQ(1), beta(used[0])), Neuron(-c / 4, QQ(-1), beta(used[0]))]
        elif degree == 2 and len(used) == 1:
            neurons.append(Neuron(c, QQ(0), beta(used[0])))
        elif degree == 2:
            i, j = used
            neurons += [Neuron(c / 4, QQ(0), beta(i, j, 1)), Neuron(-c / 4, QQ(0), beta(i, j, -1))]
        else:
            unmatched.append(tuple(exponents))
    return Network("traditional", tuple(variables), bias, tuple(neurons)), unmatched


def expansion_difference(network: Network, target: sympy.Expr
                         ) -> list[tuple[tuple[int, ...], Any, Any]]:
    """Monomials where the expanded network and ``target`` differ, exactly over QQ:
    ``(exponents, target coefficient, network coefficient)``, highest degree first."""
    x = network.variables
    net = sympy.Poly(network.expand(), *x, domain=QQ).as_dict()
    goal = sympy.Poly(sympy.expand(target), *x, domain=QQ).as_dict()
    rows = [(m, _r(goal.get(m, QQ(0))), _r(net.get(m, QQ(0)))) for m in set(net) | set(goal)]
    return sorted((row for row in rows if row[1] != row[2]),
                  key=lambda row: (-sum(row[0]), row[0]))


def _affine(neuron: Neuron, x: Sequence[sympy.Symbol]) -> sympy.Expr:
    return _r(neuron.bias) + sum((_r(b) * xi for b, xi in zip(neuron.beta, x, strict=True)),
                                 sympy.Integer(0))


def _r(value: Any) -> sympy.Rational:
    return QQ.to_sympy(QQ.convert(value))
