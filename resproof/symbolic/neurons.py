"""Exact minimum numbers of hidden square neurons for a quadratic polynomial.

For ``f(x) = a0 + a^T x + x^T A x`` (``A`` symmetric, ``k = rank A``), a
hidden square neuron is ``c_j (w_j0 + w_j^T x)^2`` and the output may add a
bias in every kind of network below.

==========================  ===============================  =====================
network                     minimum hidden neurons           lower-bound certificate
==========================  ===============================  =====================
residual (skip ``d^T x``)   ``k``                            nonzero ``k x k`` minor
traditional                 ``k`` if ``a in col A``,         minor, resp. a
                            else ``k + 2``                   ``(k+2)``-pencil determinant
traditional + linear        ``k + [a not in col A]``         minor, resp. minor and
neurons                                                      ``z in ker A, z . a != 0``
==========================  ===============================  =====================

Witnesses come from the congruence ``A = sum_t d_t v_t v_t^T`` (``k``
terms): residual ``sum_t d_t (v_t . x)^2 + a^T x + a0``; traditional with
``A u = a/2``: ``sum_t d_t (v_t . u + v_t . x)^2 + a0 - u^T A u``; otherwise
the linear part is carried by ``a^T x = ((1 + a.x)^2 - (1 - a.x)^2) / 4``
(two square neurons) or by one linear neuron.  When ``a`` is not in
``col A``, ``k + 1`` traditional square neurons approach ``f`` in the limit
(and no fewer, see :class:`~resproof.symbolic.certificates.KernelWitness`):

.. math:: \\sum_t d_t (v_t \\cdot x)^2 + \\frac{t}{2}\\Big(1 + \\frac{a^T x}{t}\\Big)^2
   + a_0 - \\frac{t}{2} = f(x) + \\frac{(a^T x)^2}{2t} \\xrightarrow[t\\to\\infty]{} f(x).

The seed (Holguin & Kreinovich, Sec. 8) says: residual ``k``, traditional at
least ``k + 1`` (for ``k < n``).  Every report states whether those counts
are attained exactly.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sympy
from sympy import QQ

from ..errors import ResproofError
from .certificates import Certificate, KernelWitness, PencilDeterminant, PrincipalMinor
from .networks import KINDS, Network, Neuron
from .quadratic import Quadratic, parse_quadratic, qstr

OUTPUT_BIAS_NOTE = ("an output bias is allowed in all three network kinds (residual, "
                    "traditional, traditional with linear neurons)")
KIND_DESCRIPTIONS = {
    "residual": "c0 + d^T x + sum_j c_j (w_j0 + w_j^T x)^2 (skip connection d^T x)",
    "traditional": "c0 + sum_j c_j (w_j0 + w_j^T x)^2",
    "traditional_with_linear": "c0 + sum_j c_j (w_j0 + w_j^T x)^2 + sum_l e_l (g_l0 + g_l^T x)"
                               " (linear neurons count as hidden neurons)",
}
LIMIT_PARAMETER = sympy.Symbol("t", positive=True)


@dataclasses.dataclass(frozen=True)
class LimitFamily:
    """Networks ``N_t`` with ``N_t - f = (a^T x)^2 / (2 t)``: fewer neurons, only in the limit."""

    quadratic: Quadratic
    squares: tuple[Neuron, ...]

    @property
    def size(self) -> int:
        return len(self.squares) + 1

    def at(self, t: Any) -> Network:
        """The member ``N_t`` for a rational ``t > 0`` (exact)."""
        q, t = self.quadratic, QQ.convert(t)
        carrier = Neuron(t / 2, QQ(1), tuple(ai / t for ai in q.a))
        return Network("traditional", q.variables, q.a0 - t / 2, (*self.squares, carrier))

    def error(self, t: Any) -> sympy.Expr:
        """``N_t - f``, expanded exactly."""
        return sympy.expand(self.at(t).expand() - self.quadratic.expr())

    def verify(self, t: Any = 1000) -> bool:
        """``N_t - f`` equals ``(a^T x)^2 / (2t)`` exactly (Gram matrices)."""
        q, tq = self.quadratic, QQ.convert(t)
        G, Q = self.at(tq).gram(), q.Q_rows()
        for i in range(q.n + 1):
            for j in range(q.n + 1):
                want = Q[i][j]
                if i and j:
                    want += q.a[i - 1] * q.a[j - 1] / (2 * tq)
                if G[i][j] != want:
                    return False
        return True

    def to_json(self) -> dict[str, Any]:
        q, t = self.quadratic, LIMIT_PARAMETER
        ax = sum((QQ.to_sympy(ai) * xi for ai, xi in zip(q.a, q.variables, strict=True)),
                 sympy.Integer(0))
        return {"neurons": self.size, "parameter": "t -> oo",
                "square_neurons": [n.to_json() for n in self.squares]
                + [{"output_weight": "t/2", "bias": "1",
                    "weights": [str(QQ.to_sympy(ai) / t) for ai in q.a]}],
                "output_bias": str(QQ.to_sympy(q.a0) - t / 2),
                "error": str(ax ** 2 / (2 * t)),
                "example_t": 1000, "example": self.at(1000).to_json()}


@dataclasses.dataclass(frozen=True)
class NeuronReport:
    """Minimum neuron counts of one quadratic, with witnesses and certificates."""

    quadratic: Quadratic
    source: str | None
    rank: int
    in_range: bool
    minimum: dict[str, int]
    witnesses: dict[str, Network]
    certificates: dict[str, Certificate]
    limit: dict[str, LimitFamily]

    @property
    def seed_counts(self) -> dict[str, int]:
        return {"residual": self.rank, "traditional_at_least": self.rank + 1}

    @property
    def tight(self) -> dict[str, bool]:
        """Is the seed's count attained exactly (residual ``k``; traditional ``k + 1``)?"""
        k = self.rank
        out = {"residual": self.minimum["residual"] == k,
               "traditional": self.minimum["traditional"] == k + 1,
               "traditional_with_linear": self.minimum["traditional_with_linear"] == k + 1}
        if "traditional" in self.limit:
            out["limit_traditional"] = self.limit["traditional"].size == k + 1
        return out

    @property
    def seed_claim_holds(self) -> dict[str, bool]:
        return {"residual": self.minimum["residual"] == self.rank,
                "traditional_at_least": self.minimum["traditional"] >= self.rank + 1}

    def verify(self) -> bool:
        """Re-check every witness (exact expansion) and certificate from scratch."""
        return all(self._checks().values())

    def _checks(self) -> dict[str, bool]:
        q = self.quadratic
        checks = {}
        for kind in KINDS:
            witness, cert = self.witnesses[kind], self.certificates[kind]
            checks[f"{kind}.witness"] = witness.represents(q) and witness.size == \
                self.minimum[kind] and _kind_ok(kind, witness)
            checks[f"{kind}.certificate"] = cert.verify() and cert.bound == self.minimum[kind]
        for kind, family in self.limit.items():
            checks[f"{kind}.limit"] = family.verify() and family.size < self.minimum[kind]
        return checks

    def to_json(self) -> dict[str, Any]:
        q, k = self.quadratic, self.rank
        return {
            "polynomial": q.text(),
            "input": q.text() if self.source is None else self.source,
            "variables": [v.name for v in q.variables],
            "n": q.n,
            "rank": k,
            "linear_part_in_column_space": self.in_range,
            "output_bias_allowed": True,
            "output_bias_note": OUTPUT_BIAS_NOTE,
            "network_kinds": dict(KIND_DESCRIPTIONS),
            "conversions": [{"literal": lit, "exact": exact} for lit, exact in q.conversions],
            "minimum_neurons": dict(self.minimum),
            "limit_neurons": {kind: fam.size for kind, fam in self.limit.items()},
            "limit_families": {kind: fam.to_json() for kind, fam in self.limit.items()},
            "seed_claim": {**self.seed_counts, "condition": "k < n", "applies": k < q.n},
            "seed_claim_holds": self.seed_claim_holds,
            "tight": self.tight,
            "witnesses": {kind: net.to_json() for kind, net in self.witnesses.items()},
            "certificates": {kind: cert.to_json() for kind, cert in self.certificates.items()},
            "verified": self.verify(),
        }

    def to_text(self) -> str:
        q, k = self.quadratic, self.rank
        lines = [f"polynomial  {q.text()}",
                 f"variables   {', '.join(v.name for v in q.variables) or '(none)'}"]
        for lit, exact in q.conversions:
            lines.append(f"converted   decimal {lit} exactly to {exact}")
        lines += [f"rank k      {k}  (of the symmetrised quadratic part A)",
                  f"a in col A  {'yes' if self.in_range else 'no'}",
                  f"note        {OUTPUT_BIAS_NOTE}", "",
                  "minimum hidden square neurons (exact; witness + certificate verified):"]
        for kind in KINDS:
            limit = self.limit.get(kind)
            extra = f"   (limit: {limit.size} as weights grow without bound)" if limit else ""
            lines.append(f"  {kind:<24} {self.minimum[kind]}{extra}")
        tight = self.tight
        lines += ["", f"seed's claim (for k < n{'' if k < q.n else ', not the case here'}):"
                  f" residual {k}, traditional at least {k + 1}",
                  f"  residual = k: {_yes(tight['residual'])};  traditional >= k + 1: "
                  f"{_yes(self.seed_claim_holds['traditional_at_least'])};  traditional = k + 1:"
                  f" {_yes(tight['traditional'])};  with linear neurons = k + 1: "
                  f"{_yes(tight['traditional_with_linear'])}", "", "witnesses:"]
        for kind in KINDS:
            lines.append(f"  {kind}: {self.witnesses[kind].expr()}")
        for kind, family in self.limit.items():
            lines.append(f"  {kind} (limit, t -> oo): {family.to_json()['error']} is the error"
                         f" of {family.size} neurons")
        lines += ["", "certificates (lower bounds):"]
        for kind in KINDS:
            cert = self.certificates[kind]
            lines.append(f"  {kind}: >= {cert.bound} [{cert.kind}] {cert.argument()}")
        return "\n".join(lines)

    def to_latex(self) -> str:
        lines = [f"% {self.quadratic.text()}: witness networks ({OUTPUT_BIAS_NOTE})"]
        for kind in KINDS:
            net = self.witnesses[kind]
            lines.append(f"% {kind}: {self.minimum[kind]} hidden neurons")
            lines.append(f"\\[ f(x) = {net.to_latex()} \\]")
        return "\n".join(lines)


def analyse(source: Any, variables: Any = None) -> NeuronReport:
    """Exact minimum hidden-neuron counts of a quadratic, with witnesses and certificates.

    Parameters
    ----------
    source
        Polynomial text (``"x1**2 + 3*x1*x2 - x3 + 1/2"``), a SymPy expression,
        or a :class:`~resproof.symbolic.quadratic.Quadratic`.
    variables
        Optional variable order (SymPy symbols).

    Returns
    -------
    NeuronReport
        Verified: every witness expands to the polynomial and every
        certificate re-checks, else :class:`~resproof.errors.ResproofError`.

    Raises
    ------
    InvalidInput
        The polynomial is unparsable, not quadratic, or not rational.

    Examples
    --------
    >>> r = analyse("x1**2 + x2")
    >>> r.rank, r.minimum
    (1, {'residual': 1, 'traditional': 3, 'traditional_with_linear': 2})
    >>> r.limit["traditional"].size
    2
    """
    q = source if isinstance(source, Quadratic) else parse_quadratic(source, variables)
    text = source if isinstance(source, str) else None
    d, P = q.congruence()
    k = len(d)
    rows = tuple(q.principal_basis())
    if len(rows) != k:
        raise ResproofError(f"rank mismatch: congruence {k}, pivots {len(rows)}")
    squares = tuple(Neuron(dt, QQ(0), tuple(v)) for dt, v in zip(d, P, strict=True))
    u = q.solve_half_linear()
    witnesses: dict[str, Network] = {
        "residual": Network("residual", q.variables, q.a0, squares, skip=tuple(q.a))}
    certificates: dict[str, Certificate] = {"residual": PrincipalMinor(q, rows)}
    limit: dict[str, LimitFamily] = {}
    if u is not None:
        shifted = tuple(Neuron(n.weight, _dot(n.beta, u), n.beta) for n in squares)
        bias = q.a0 - sum((dt * _dot(v, u) ** 2 for dt, v in zip(d, P, strict=True)), QQ(0))
        witnesses["traditional"] = Network("traditional", q.variables, bias, shifted)
        witnesses["traditional_with_linear"] = Network("traditional_with_linear", q.variables,
                                                       bias, shifted)
        certificates["traditional"] = PrincipalMinor(q, rows)
        certificates["traditional_with_linear"] = PrincipalMinor(q, rows)
    else:
        z = q.kernel_witness()
        if z is None:
            raise ResproofError("a is outside col A but no kernel vector z with z . a != 0")
        quarter = QQ(1, 4)
        carriers = (Neuron(quarter, QQ(1), tuple(q.a)), Neuron(-quarter, QQ(-1), tuple(q.a)))
        witnesses["traditional"] = Network("traditional", q.variables, q.a0,
                                           squares + carriers)
        witnesses["traditional_with_linear"] = Network(
            "traditional_with_linear", q.variables, q.a0, squares,
            linear=(Neuron(QQ(1), QQ(0), tuple(q.a)),))
        certificates["traditional"] = PencilDeterminant(q, _pencil_columns(q.n, rows, z))
        certificates["traditional_with_linear"] = KernelWitness(q, rows, z)
        limit["traditional"] = LimitFamily(q, squares)
    minimum = {kind: witnesses[kind].size for kind in KINDS}
    report = NeuronReport(q, text, k, u is not None, minimum, witnesses, certificates, limit)
    failed = [name for name, ok in report._checks().items() if not ok]
    if failed:
        raise ResproofError(f"internal check failed for {q.text()!r}: {', '.join(failed)}")
    if not minimum["residual"] <= minimum["traditional_with_linear"] <= minimum["traditional"]:
        raise ResproofError(f"inconsistent minima {minimum} for {q.text()!r}")
    return report


def _pencil_columns(n: int, rows: tuple[int, ...],
                    z: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
    """``T = [e0, (0, z), e_{s+1} for s in S]``.

    ``det T^T (Q - c E00) T = -(z.a/2)^2 det A[S,S]``, whatever ``c``.
    """
    zero, one = QQ(0), QQ(1)
    e0 = (one, *([zero] * n))
    zcol = (zero, *(QQ.convert(v) for v in z))
    units = tuple(tuple(one if r == s + 1 else zero for r in range(n + 1)) for s in rows)
    return (e0, zcol, *units)


def _dot(v: Any, w: Any) -> Any:
    return sum((vi * wi for vi, wi in zip(v, w, strict=True)), QQ(0))


def _kind_ok(kind: str, net: Network) -> bool:
    if kind == "residual":
        return not net.linear
    if kind == "traditional":
        return net.skip is None and not net.linear
    return net.skip is None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


__all__ = ["KIND_DESCRIPTIONS", "OUTPUT_BIAS_NOTE", "LimitFamily", "NeuronReport", "analyse",
           "qstr"]
