"""Lower-bound certificates for neuron counts, each with an independent ``verify()``.

A certificate is the data of an argument instantiated on one polynomial; its
:meth:`verify` recomputes every number the argument needs from the
polynomial's own coefficients (never from a stored rank), exactly over QQ.

Write ``f(x) = a0 + a^T x + x^T A x`` with Gram matrix
``Q = [[a0, a^T/2], [a/2, A]]``.  A network with square neurons
``c_j (w_j0 + w_j^T x)^2`` and output bias ``b`` has quadratic part
``sum_j c_j w_j w_j^T`` and, when it is traditional,
``Q - b E00 = sum_j c_j gamma_j gamma_j^T`` with ``gamma_j = (w_j0, w_j)``.

- :class:`PrincipalMinor`: ``det A[S, S] != 0`` gives ``rank A >= |S|``, and
  a sum of ``m`` rank-one terms has rank ``<= m``: every network (residual,
  traditional, with or without linear neurons, which add nothing to ``A``)
  needs ``>= |S|`` square neurons.
- :class:`KernelWitness`: a nonzero minor of size ``k = rank A`` and ``z``
  with ``A z = 0``, ``z . a != 0`` (so ``a`` is not in ``col A``).  A
  traditional network (linear neurons allowed) needs ``>= k + 1`` hidden
  neurons: ``>= k`` are square; with exactly ``k`` square neurons and no
  linear one, ``rank A = k`` forces ``span(w_j) = col A``, which is
  orthogonal to ``z`` (``A`` symmetric), so ``z . a = 2 sum_j c_j w_j0
  (z . w_j) = 0``, a contradiction.  The same argument bounds limits: for
  networks of ``k`` square neurons converging coefficientwise to ``f``,
  ``rank A_t = k`` eventually, ``col A_t -> col A`` and ``a_t in col A_t``,
  so ``a in col A``.
- :class:`PencilDeterminant`: columns ``T`` of size ``(n+1) x r`` with
  ``det T^T (Q - c E00) T`` a nonzero constant in ``c``.  Then
  ``rank(Q - c E00) >= r`` for every output bias ``c``, and a traditional
  network with ``m`` square neurons has ``rank(Q - b E00) <= m``, so
  ``m >= r``.  The determinant is affine in ``c`` (a rank-one update,
  matrix determinant lemma), so it is constant iff it agrees at ``c = 0``
  and ``c = 1``; :meth:`PencilDeterminant.verify` checks exactly that.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sympy import QQ, ZZ
from sympy.polys.matrices import DomainMatrix

from .quadratic import Quadratic, qstr


def _integer_rows(rows: list[list[Any]]) -> DomainMatrix:
    """Each row times the lcm of its denominators, as a matrix over ZZ."""
    out = []
    for row in rows:
        lcm = math.lcm(*(int(QQ.denom(v)) for v in row)) if row else 1
        out.append([ZZ(int(QQ.numer(v)) * (lcm // int(QQ.denom(v)))) for v in row])
    return DomainMatrix(out, (len(rows), len(rows[0]) if rows else 0), ZZ)


def _det(rows: list[list[Any]]) -> Any:
    """Exact determinant; fraction-free (Bareiss over ZZ) after clearing denominators row-wise."""
    size = len(rows)
    if size == 0:
        return QQ(1)
    scale = 1
    for row in rows:
        scale *= math.lcm(*(int(QQ.denom(v)) for v in row))
    return QQ(int(_integer_rows(rows).det()), scale)


def _rank(rows: list[list[Any]]) -> int:
    """Exact rank, by elimination over ZZ (denominators cleared row-wise)."""
    if not rows or not rows[0]:
        return 0
    return _integer_rows(rows).rank()


def _gram(q: Quadratic) -> list[list[Any]]:
    # Recomputed here from the coefficients, independently of Quadratic.Q_rows.
    half = QQ(1, 2)
    n = q.n
    rows = [[QQ.convert(q.a0)] + [QQ.convert(q.a[i]) * half for i in range(n)]]
    for i in range(n):
        rows.append([QQ.convert(q.a[i]) * half] + [QQ.convert(q.A[i][j]) for j in range(n)])
    for i in range(n):  # the A of a Quadratic is symmetric; a certificate does not assume it
        for j in range(n):
            if rows[i + 1][j + 1] != rows[j + 1][i + 1]:
                raise ValueError("the quadratic part is not symmetric")
    return rows


@dataclasses.dataclass(frozen=True)
class PrincipalMinor:
    """``det A[S, S] != 0``: at least ``|S|`` square neurons in any network."""

    quadratic: Quadratic
    rows: tuple[int, ...]
    kind: str = "principal-minor"

    @property
    def bound(self) -> int:
        return len(self.rows)

    def determinant(self) -> Any:
        A = [r[1:] for r in _gram(self.quadratic)[1:]]
        return _det([[A[i][j] for j in self.rows] for i in self.rows])

    def verify(self) -> bool:
        """Recompute ``det A[S, S]`` from the coefficients; ``True`` iff nonzero."""
        n = self.quadratic.n
        if len(set(self.rows)) != len(self.rows) or not all(0 <= i < n for i in self.rows):
            return False
        return bool(self.determinant())

    def argument(self) -> str:
        return (f"det A[S,S] = {qstr(self.determinant())} != 0 for S = "
                f"{[i + 1 for i in self.rows]}, so rank A >= {self.bound}; the quadratic part "
                f"of a network with m square neurons, sum_j c_j w_j w_j^T, has rank <= m.")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "bound": self.bound,
                "data": {"rows": [i + 1 for i in self.rows],
                         "determinant": qstr(self.determinant())},
                "argument": self.argument()}


@dataclasses.dataclass(frozen=True)
class KernelWitness:
    """A nonzero ``k x k`` minor and ``z`` in ``ker A`` with ``z . a != 0``: ``>= k + 1``."""

    quadratic: Quadratic
    rows: tuple[int, ...]
    z: tuple[Any, ...]
    kind: str = "minor-and-kernel-vector"

    @property
    def bound(self) -> int:
        return len(self.rows) + 1

    def verify(self) -> bool:
        """Recompute the minor, ``A z`` and ``z . a`` from the coefficients.

        The minor must have size ``rank A`` (the argument needs ``rank A = k``
        exactly), so the rank is recomputed here by a fraction-free
        elimination of its own over ZZ.
        """
        q = self.quadratic
        G = _gram(q)
        A = [r[1:] for r in G[1:]]
        a = [2 * v for v in G[0][1:]]
        minor = PrincipalMinor(q, self.rows)
        if not minor.verify() or len(self.z) != q.n:
            return False
        if _rank(A) != len(self.rows):
            return False
        z = [QQ.convert(v) for v in self.z]
        if any(sum((A[i][j] * z[j] for j in range(q.n)), QQ(0)) for i in range(q.n)):
            return False
        return bool(sum((ai * zi for ai, zi in zip(a, z, strict=True)), QQ(0)))

    def argument(self) -> str:
        z = "(" + ", ".join(qstr(v) for v in self.z) + ")"
        k = len(self.rows)
        return (f"rank A = {k} (nonzero minor on rows {[i + 1 for i in self.rows]}) and "
                f"z = {z} has A z = 0, z . a != 0: a is not in col A. With {k} square "
                f"neurons and no linear one, span(w_j) = col A is orthogonal to z, so "
                f"z . a = 0; hence >= {k + 1} hidden neurons, also in the limit.")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "bound": self.bound,
                "data": {"rows": [i + 1 for i in self.rows], "z": [qstr(v) for v in self.z]},
                "argument": self.argument()}


@dataclasses.dataclass(frozen=True)
class PencilDeterminant:
    """``det T^T (Q - c E00) T`` is a nonzero constant: ``>= r`` traditional neurons."""

    quadratic: Quadratic
    columns: tuple[tuple[Any, ...], ...]
    kind: str = "pencil-determinant"

    @property
    def bound(self) -> int:
        return len(self.columns)

    def determinants(self) -> tuple[Any, Any]:
        """``det T^T (Q - c E00) T`` at ``c = 0`` and ``c = 1``."""
        G = _gram(self.quadratic)
        T = [[QQ.convert(v) for v in col] for col in self.columns]
        size = len(G)
        GT = [[sum((G[r][s] * col[s] for s in range(size) if col[s]), QQ(0))
               for r in range(size)] for col in T]
        M0 = [[sum((ti[r] * gj[r] for r in range(size)), QQ(0)) for gj in GT] for ti in T]
        M1 = [[M0[i][j] - T[i][0] * T[j][0] for j in range(len(T))] for i in range(len(T))]
        return _det(M0), _det(M1)

    def verify(self) -> bool:
        """Recompute both determinants from the coefficients; equal and nonzero."""
        size = self.quadratic.n + 1
        if any(len(col) != size for col in self.columns):
            return False
        d0, d1 = self.determinants()
        return bool(d0) and d0 == d1

    def argument(self) -> str:
        d0, _ = self.determinants()
        return (f"det T^T (Q - c E00) T = {qstr(d0)} for every output bias c (affine in c, "
                f"equal at c = 0 and 1), so rank(Q - c E00) >= {self.bound}; a traditional "
                f"network with m square neurons has Q - b E00 = sum_j c_j g_j g_j^T of "
                f"rank <= m.")

    def to_json(self) -> dict[str, Any]:
        d0, _ = self.determinants()
        return {"kind": self.kind, "bound": self.bound,
                "data": {"columns": [[qstr(v) for v in col] for col in self.columns],
                         "determinant": qstr(d0)},
                "argument": self.argument()}


Certificate = PrincipalMinor | KernelWitness | PencilDeterminant


