"""Quadratic polynomials over QQ and their exact linear algebra.

A quadratic in ``x = (x_1, ..., x_n)`` is

.. math:: f(x) = a_0 + a^T x + x^T A x = [1\\; x^T]\\, Q\\, [1; x],
   \\qquad Q = \\begin{pmatrix} a_0 & a^T/2 \\\\ a/2 & A \\end{pmatrix},

with ``A`` symmetric (the seed's raw coefficients ``a_ij`` are symmetrised,
``A = (a_ij + a_ji)/2``).  Everything is exact: entries are elements of
SymPy's ``QQ`` (python-flint ``fmpq`` when python-flint is installed) and the
matrix work is done by :class:`~sympy.polys.matrices.DomainMatrix` or by the
rank-one reduction kernel below.  No float enters this module.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import sympy
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from ..errors import InvalidInput
from ._parse import FIELD, parse_text, refuse

Vector = tuple[Any, ...]
Matrix = tuple[tuple[Any, ...], ...]


@dataclasses.dataclass(frozen=True)
class Quadratic:
    """``f(x) = a0 + a^T x + x^T A x`` with ``A`` symmetric, all entries in QQ.

    Attributes
    ----------
    variables
        The SymPy symbols ``x_1..x_n``, in order.
    A
        Symmetric ``n x n`` quadratic part (rows of QQ elements).
    a
        Linear part (length ``n``).
    a0
        Constant.
    conversions
        Decimal literals converted exactly while parsing (``{"literal", "exact"}``).
    raw
        The unsymmetrised coefficient array when built by :meth:`from_raw`.
    """

    variables: tuple[sympy.Symbol, ...]
    A: Matrix
    a: Vector
    a0: Any
    conversions: tuple[tuple[str, str], ...] = ()
    raw: Matrix | None = None

    @property
    def n(self) -> int:
        return len(self.variables)

    @classmethod
    def from_raw(cls, raw: Sequence[Sequence[Any]], a: Sequence[Any], a0: Any,
                 variables: Sequence[sympy.Symbol] | None = None) -> Quadratic:
        """Build from the seed's raw array ``a_ij`` (``sum_ij a_ij x_i x_j``), symmetrising it."""
        n = len(raw)
        raw_q = tuple(tuple(_qq(v) for v in row) for row in raw)
        if any(len(row) != n for row in raw_q) or len(a) != n:
            raise InvalidInput("raw", f"an {n} x {n} array and a linear part of length {n}")
        half = QQ(1, 2)
        A = tuple(tuple((raw_q[i][j] + raw_q[j][i]) * half for j in range(n)) for i in range(n))
        names = variables if variables is not None else default_variables(n)
        return cls(tuple(names), A, tuple(_qq(v) for v in a), _qq(a0), raw=raw_q)

    def A_matrix(self) -> DomainMatrix:
        return DomainMatrix([list(r) for r in self.A], (self.n, self.n), QQ)

    def Q_rows(self) -> list[list[Any]]:
        """The ``(n+1) x (n+1)`` Gram matrix ``Q`` as lists of QQ elements."""
        half = QQ(1, 2)
        rows = [[self.a0, *[v * half for v in self.a]]]
        rows += [[self.a[i] * half, *self.A[i]] for i in range(self.n)]
        return rows

    def expr(self) -> sympy.Expr:
        """The polynomial as a SymPy expression (exact rationals)."""
        x = self.variables
        terms = [_rat(self.a0)]
        terms += [_rat(self.a[i]) * x[i] for i in range(self.n) if self.a[i]]
        for i in range(self.n):
            for j in range(i, self.n):
                coeff = self.A[i][j] if i == j else 2 * self.A[i][j]
                if coeff:
                    terms.append(_rat(coeff) * x[i] * x[j])
        return sympy.Add(*terms)

    def text(self) -> str:
        return str(self.expr())

    def rank(self) -> int:
        """``k = rank(A)``, exact."""
        return self.A_matrix().rank() if self.n else 0

    def congruence(self) -> tuple[list[Any], list[list[Any]]]:
        """``A = P^T D P``: diagonal ``D = diag(d)`` (``k`` nonzero entries), ``P`` ``k x n``.

        Returns ``(d, P)`` with ``P`` of full row rank ``k`` so that
        ``A = sum_t d_t p_t p_t^T``; see :func:`rank_one_terms`.
        """
        return rank_one_terms([list(r) for r in self.A])

    def solve_half_linear(self) -> Vector | None:
        """A rational ``u`` with ``A u = a/2``, or ``None`` when ``a`` is not in ``col(A)``."""
        if self.n == 0:
            return ()
        half = QQ(1, 2)
        rows = [[*self.A[i], self.a[i] * half] for i in range(self.n)]
        reduced, pivots = DomainMatrix(rows, (self.n, self.n + 1), QQ).rref()
        if self.n in pivots:
            return None
        u = [QQ(0)] * self.n
        dense = reduced.to_list()
        for row, col in enumerate(pivots):
            u[col] = dense[row][self.n]
        return tuple(u)

    def kernel_witness(self) -> Vector | None:
        """A ``z`` with ``A z = 0`` and ``z . a != 0`` (it proves ``a`` is not in ``col(A)``)."""
        if self.n == 0:
            return None
        basis = self.A_matrix().nullspace().to_list()
        for z in basis:
            if sum((zi * ai for zi, ai in zip(z, self.a, strict=True)), QQ(0)):
                return tuple(z)
        return None

    def principal_basis(self) -> list[int]:
        """Indices ``S`` (``|S| = k``) with ``A[S, S]`` nonsingular.

        The pivot columns of ``A`` are a basis of ``col(A)``; for symmetric
        ``A`` the principal submatrix on a column basis is nonsingular
        (``A = A[:, S] C`` gives ``A[S, :] = A[S, S] C`` of rank ``k``).
        """
        if self.n == 0:
            return []
        return list(self.A_matrix().rref()[1])


def rank_one_terms(M: list[list[Any]]) -> tuple[list[Any], list[list[Any]]]:
    """Congruence diagonalisation of a symmetric QQ matrix by rank-one reduction.

    Repeatedly pick ``w`` with ``w^T M w != 0`` (a nonzero diagonal entry
    ``e_i``, else ``e_i + e_j`` for a nonzero off-diagonal ``M_ij`` with
    ``M_ii = M_jj = 0``, where ``w^T M w = 2 M_ij``) and subtract

    .. math:: M \\leftarrow M - \\frac{(M w)(M w)^T}{w^T M w},

    which lowers the rank by exactly one (Wedderburn).  After ``r = rank(M)``
    steps ``M = sum_t d_t v_t v_t^T`` with ``d_t = w^T M w`` and
    ``v_t = M w / d_t``: ``r`` rational rank-one terms, the fewest possible.
    ``M`` is overwritten.
    """
    n = len(M)
    zero = QQ(0)
    d: list[Any] = []
    P: list[list[Any]] = []
    while True:
        w = _pivot(M, n)
        if w is None:
            return d, P
        i, j = w
        if j is None:
            u = list(M[i])
            dt = M[i][i]
        else:
            u = [M[i][c] + M[j][c] for c in range(n)]
            dt = u[i] + u[j]
        inv = 1 / dt
        v = [ui * inv for ui in u]
        for r in range(n):
            if u[r] != zero:
                ur = u[r] * inv
                row = M[r]
                for c in range(n):
                    if u[c] != zero:
                        row[c] -= ur * u[c]
        d.append(dt)
        P.append(v)


def _pivot(M: list[list[Any]], n: int) -> tuple[int, int | None] | None:
    for i in range(n):
        if M[i][i]:
            return i, None
    for i in range(n):
        for j in range(i + 1, n):
            if M[i][j]:
                return i, j
    return None


def parse_quadratic(source: Any, variables: Sequence[sympy.Symbol] | None = None) -> Quadratic:
    """Parse a quadratic from text or a SymPy expression, exactly.

    Parameters
    ----------
    source
        Text such as ``"x1**2 + 3*x1*x2 - x3 + 1/2"`` (decimal literals such as
        ``0.5`` are converted exactly from their spelling, ``0.1 -> 1/10``, and
        recorded in ``conversions``) or a SymPy expression with rational
        coefficients (SymPy ``Float`` objects are refused).
    variables
        The variable order; by default the free symbols in natural order
        (``x2`` before ``x10``).

    Returns
    -------
    Quadratic

    Raises
    ------
    InvalidInput
        Field ``polynomial``: empty or unparsable text, a function call, a
        non-rational coefficient (``sqrt(2)``, ``pi``, ``I``), a float, a
        non-polynomial expression, degree above 2, or a wrong type.

    Examples
    --------
    >>> q = parse_quadratic("x1*x2 + 0.5")
    >>> q.rank(), q.a0, q.conversions
    (2, 1/2, (('0.5', '1/2'),))
    """
    conversions: list[dict[str, str]] = []
    if isinstance(source, str):
        expr, conversions = parse_text(source)
    elif isinstance(source, sympy.Expr):
        expr = source
        if expr.has(sympy.Float):
            raise refuse(source, "SymPy Float coefficients are refused; use Rational")
    else:
        raise refuse(source, f"got {type(source).__name__}, not str or sympy.Expr")
    if not isinstance(expr, sympy.Expr):
        raise refuse(source, f"it parsed to {type(expr).__name__}, not an expression")
    if expr.has(sympy.zoo, sympy.oo, sympy.nan, -sympy.oo):
        raise refuse(source, "it divides by zero or is infinite")
    symbols = sorted(expr.free_symbols, key=_natural_key)
    if variables is not None:
        if not all(isinstance(v, sympy.Symbol) for v in variables) \
                or not set(symbols) <= set(variables):
            raise InvalidInput("variables", "SymPy symbols including every free symbol",
                               variables)
        symbols = list(variables)
    if not expr.is_polynomial(*symbols):
        raise refuse(source, "it is not a polynomial")
    try:
        poly = sympy.Poly(expr, *symbols) if symbols else None
    except sympy.PolynomialError:
        raise refuse(source, "it is not a polynomial") from None
    if poly is None:
        if not expr.is_Rational:
            raise refuse(source, "the constant is not a rational number")
        return Quadratic((), (), (), QQ.from_sympy(expr),
                         tuple((c["literal"], c["exact"]) for c in conversions))
    if poly.domain not in (sympy.ZZ, sympy.QQ):
        raise refuse(source, f"its coefficients lie in {poly.domain}, not the rationals")
    if poly.total_degree() > 2:
        raise refuse(source, f"its degree is {poly.total_degree()}, above 2")
    return _from_poly(poly, tuple(symbols),
                      tuple((c["literal"], c["exact"]) for c in conversions))


def _from_poly(poly: sympy.Poly, symbols: tuple[sympy.Symbol, ...],
               conversions: tuple[tuple[str, str], ...]) -> Quadratic:
    n = len(symbols)
    A = [[QQ(0)] * n for _ in range(n)]
    a = [QQ(0)] * n
    a0 = QQ(0)
    half = QQ(1, 2)
    for monom, coeff in poly.terms():
        c = QQ.from_sympy(coeff)
        idx = [i for i, e in enumerate(monom) for _ in range(e)]
        if not idx:
            a0 = c
        elif len(idx) == 1:
            a[idx[0]] = c
        elif idx[0] == idx[1]:
            A[idx[0]][idx[0]] = c
        else:
            A[idx[0]][idx[1]] = A[idx[1]][idx[0]] = c * half
    return Quadratic(symbols, tuple(map(tuple, A)), tuple(a), a0, conversions)


def default_variables(n: int) -> tuple[sympy.Symbol, ...]:
    return tuple(sympy.Symbol(f"x{i + 1}") for i in range(n))


def qstr(value: Any) -> str:
    """An exact rational as ``"p/q"`` (``"p"`` for integers)."""
    return str(QQ.to_sympy(QQ.convert(value)))


def _qq(value: Any) -> Any:
    if isinstance(value, (float, sympy.Float)):
        raise InvalidInput(FIELD, "exact rationals (int, Fraction, sympy.Rational)", value)
    if isinstance(value, bool):
        raise InvalidInput(FIELD, "exact rationals (int, Fraction, sympy.Rational)", value)
    try:
        return QQ.from_sympy(sympy.Rational(str(value)))
    except (TypeError, ValueError):
        raise InvalidInput(FIELD, "exact rationals (int, Fraction, sympy.Rational)",
                           value) from None


def _rat(value: Any) -> sympy.Rational:
    return QQ.to_sympy(value)


def _natural_key(symbol: sympy.Symbol) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", symbol.name)]
