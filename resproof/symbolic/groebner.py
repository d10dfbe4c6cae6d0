"""Independent cross-check of the minimum neuron counts by Groebner bases.

For a quadratic ``f`` and a candidate network with ``s`` square neurons
``c_j (w_j0 + w_j^T x)^2`` (and, for ``traditional_with_linear``, ``l``
linear neurons ``e_l (g_l0 + g_l^T x)``), matching the coefficients of every
monomial gives polynomial equations in the weights.  The output bias (and,
for residual networks, the skip weights ``d``) enter only the constant (and
linear) equations, each in a single equation with coefficient 1, so they are
eliminated by solving those equations for them; the remaining equations are

- ``x_a x_b`` (``1 <= a <= b <= n``): ``sum_j c_j w_ja w_jb = A_ab``;
- ``x_b`` (traditional kinds): ``2 sum_j c_j w_j0 w_jb + sum_l e_l g_lb = a_b``;
- ``c_j d_j = 1`` and ``e_l h_l = 1``, so that no neuron is switched off.

The system has a solution over ``C`` iff its reduced Groebner basis is not
``[1]`` (weak Nullstellensatz).  The minimum over ``C`` equals the minimum
over ``Q``: the lower-bound arguments (ranks) hold over every field and the
witnesses are rational.  Consistency is monotone in the number of neurons
(a neuron with ``w_j = 0``, ``c_j = 1`` adds nothing), so the minimum is
``m`` iff the system for ``m`` is consistent and the one for ``m - 1`` is not.

Two exact shortcuts keep this fast, both sound:

- *absorbed weights* (default): over ``C``, ``c_j gamma gamma^T =
  (sqrt(c_j) gamma)(sqrt(c_j) gamma)^T`` and ``e_l g = (e_l g)``, so the
  weighted system (with ``c_j``, ``d_j``) is consistent iff the one with
  every ``c_j = e_l = 1`` is (``weighted=True`` builds the former; the tests
  check that both agree where the weighted one is cheap);
- *gauge fixing for consistency*: adding equations can only remove solutions,
  so if the system with extra linear constraints ``gamma_j . r_p = 0``
  (``p < j``, fixed integer vectors ``r_p``: a triangular form of
  ``R^T T R``) is consistent, so is the original.  A proof of
  *inconsistency* always uses the full system.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import sympy
from sympy import QQ

from .networks import KINDS
from .quadratic import Quadratic


@dataclasses.dataclass(frozen=True)
class System:
    """Coefficient-matching equations for one network shape."""

    kind: str
    squares: int
    linear: int
    equations: tuple[sympy.Expr, ...]
    unknowns: tuple[sympy.Symbol, ...]
    gammas: tuple[tuple[Any, ...], ...]   # per square neuron, its unknown coefficient vector


def build_system(q: Quadratic, kind: str, squares: int, linear: int = 0,
                 weighted: bool = False) -> System:
    """The equations of ``f = network`` for ``squares`` square and ``linear`` linear neurons."""
    n = q.n
    first = 1 if kind == "residual" else 0
    unknowns: list[sympy.Symbol] = []
    weights: list[Any] = []
    gammas = []
    equations: list[sympy.Expr] = []
    for j in range(squares):
        w = [sympy.Symbol(f"w{j}_{p}") for p in range(n + 1)]
        if weighted:
            c, d = sympy.Symbol(f"c{j}"), sympy.Symbol(f"d{j}")
            unknowns += [c, d]
            equations.append(c * d - 1)
            weights.append(c)
        else:
            weights.append(sympy.Integer(1))
        unknowns += w[first:]
        gammas.append(tuple(w))
    lin_vectors = []
    for ell in range(linear):
        g = [sympy.Symbol(f"g{ell}_{p}") for p in range(1, n + 1)]
        if weighted:
            e, h = sympy.Symbol(f"e{ell}"), sympy.Symbol(f"h{ell}")
            unknowns += [e, h]
            equations.append(e * h - 1)
            lin_vectors.append([e * v for v in g])
        else:
            lin_vectors.append(g)
        unknowns += g
    A = [[QQ.to_sympy(v) for v in row] for row in q.A]
    for a in range(1, n + 1):
        for b in range(a, n + 1):
            lhs = sum((weights[j] * gammas[j][a] * gammas[j][b] for j in range(squares)),
                      sympy.Integer(0))
            equations.append(sympy.expand(lhs - A[a - 1][b - 1]))
    if kind != "residual":
        for b in range(1, n + 1):
            lhs = sum((2 * weights[j] * gammas[j][0] * gammas[j][b] for j in range(squares)),
                      sympy.Integer(0))
            lhs += sum((vec[b - 1] for vec in lin_vectors), sympy.Integer(0))
            equations.append(sympy.expand(lhs - QQ.to_sympy(q.a[b - 1])))
    return System(kind, squares, linear, tuple(equations), tuple(unknowns), tuple(gammas))


def is_consistent(system: System, extra: tuple[sympy.Expr, ...] = ()) -> bool:
    """``True`` iff the equations (plus ``extra``) have a common zero over ``C``."""
    equations = [e for e in (*system.equations, *extra) if e != 0]
    if not equations:
        return True
    if any(e.is_number for e in equations):
        return False
    basis = sympy.groebner(equations, *system.unknowns, order="grevlex", domain=QQ)
    return not (len(basis.exprs) == 1 and basis.exprs[0].is_number)


def _gauge(system: System) -> tuple[sympy.Expr, ...]:
    first = 1 if system.kind == "residual" else 0
    out = []
    for j, gamma in enumerate(system.gammas):
        coords = gamma[first:]
        for p in range(j):
            r = [sympy.Integer((p + 2) ** i + (1 if i == p else 0)) for i in range(len(coords))]
            out.append(sum((ri * gi for ri, gi in zip(r, coords, strict=True)),
                           sympy.Integer(0)))
    return tuple(out)


def shapes(kind: str, neurons: int) -> list[tuple[int, int]]:
    """``(squares, linear)`` splits of ``neurons`` hidden neurons allowed for ``kind``."""
    if kind == "traditional_with_linear":
        # One linear neuron first: it is the likeliest consistent split, and the
        # all-square split (the slowest to refute) is then often not needed.
        order = sorted(range(neurons + 1), key=lambda ell: (ell != 1, ell))
        return [(neurons - ell, ell) for ell in order]
    return [(neurons, 0)]


def representable(q: Quadratic, kind: str, neurons: int, weighted: bool = False) -> bool:
    """Is ``q`` a network of ``kind`` with exactly ``neurons`` hidden neurons (over C)?"""
    for squares, linear in shapes(kind, neurons):
        system = build_system(q, kind, squares, linear, weighted)
        gauge = _gauge(system)
        if gauge and is_consistent(system, gauge):
            return True
        if is_consistent(system):
            return True
    return False


def groebner_minimum(q: Quadratic, kind: str, max_neurons: int = 3,
                     weighted: bool = False) -> int | None:
    """Smallest ``m <= max_neurons`` with a consistent system, else ``None``."""
    for m in range(max_neurons + 1):
        if representable(q, kind, m, weighted):
            return m
    return None


@dataclasses.dataclass(frozen=True)
class CrossCheck:
    """The Groebner verdict on one claimed minimum."""

    kind: str
    claimed: int
    consistent_at_claimed: bool | None     # None: claimed > max_neurons, not computed
    inconsistent_below: bool | None        # None: claimed == 0
    seconds: float

    @property
    def agrees(self) -> bool:
        return self.consistent_at_claimed is not False and self.inconsistent_below is not False


def cross_check(q: Quadratic, minimum: dict[str, int], max_neurons: int = 3,
                weighted: bool = False) -> dict[str, CrossCheck]:
    """Check claimed minima: consistent at the minimum, ``[1]`` one neuron fewer.

    Minima above ``max_neurons`` are checked on the lower side only, at
    ``max_neurons`` (by monotonicity every smaller count is then inconsistent).
    """
    out = {}
    for kind in KINDS:
        start = time.perf_counter()
        claimed = minimum[kind]
        at = None if claimed > max_neurons else representable(q, kind, claimed, weighted)
        below = None
        if claimed > 0:
            below = not representable(q, kind, min(claimed - 1, max_neurons), weighted)
        out[kind] = CrossCheck(kind, claimed, at, below, time.perf_counter() - start)
    return out
