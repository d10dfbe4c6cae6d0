"""Hypothesis strategies of quadratic polynomials (the ``kreinovich.*`` claims)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .._validation import check_choice, check_int
from ..errors import InvalidInput

LINEAR_PARTS = ("inside", "outside", "any")


def quadratics(*, min_variables: int = 0, max_variables: int = 3, rank: int | None = None,
               linear: str = "any", max_coefficient: int = 3) -> st.SearchStrategy[Any]:
    """Quadratics ``f = a0 + a^T x + x^T A x`` over QQ with a prescribed structure.

    ``A = B^T D B`` with ``B`` (``k x n``) in row echelon form with unit pivots
    (full row rank) and ``D`` a nonzero integer diagonal, so ``rank A = k``
    exactly; the linear part is ``a = 2 A u + r`` with ``r`` in ``ker A``:
    ``r = 0`` for ``linear="inside"`` (``a`` in ``col A``), ``r != 0`` for
    ``"outside"`` (which needs ``k < n``).  Shrinks towards few variables,
    low rank and small coefficients.

    Parameters
    ----------
    min_variables, max_variables
        Range of ``n`` (``0 <= min <= max <= 8``).
    rank
        ``k`` exactly, or ``None`` for any ``0 <= k <= n``.
    linear
        ``"inside"``, ``"outside"`` or ``"any"``.
    max_coefficient
        Bound on the integers drawn (``>= 1``).

    Returns
    -------
    SearchStrategy[Quadratic]
    """
    lo = check_int("min_variables", min_variables, minimum=0, maximum=8)
    hi = check_int("max_variables", max_variables, minimum=0, maximum=8)
    if hi < lo:
        raise InvalidInput("max_variables", f"an integer >= min_variables={lo}", hi)
    if rank is not None:
        rank = check_int("rank", rank, minimum=0, maximum=hi)
    check_choice("linear", linear, LINEAR_PARTS)
    bound = check_int("max_coefficient", max_coefficient, minimum=1, maximum=10**6)
    if linear == "outside":
        top = hi - 1 if rank is None else rank
        if rank is not None and rank >= hi:
            raise InvalidInput("rank", f"rank < max_variables={hi} for linear='outside'", rank)
        if top < 0:
            raise InvalidInput("max_variables", "an integer >= 1 for linear='outside'", hi)
        lo = max(lo, (0 if rank is None else rank) + 1)
    elif rank is not None:
        lo = max(lo, rank)
    return _quadratics(lo, hi, rank, linear, bound)


@st.composite
def _quadratics(draw: Any, lo: int, hi: int, rank: int | None, linear: str,
                bound: int) -> Any:
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    from ..symbolic.quadratic import Quadratic, default_variables

    n = draw(st.integers(lo, hi), label="n")
    top = n - 1 if linear == "outside" else n
    k = draw(st.integers(0, top), label="rank") if rank is None else rank
    ints = st.integers(-bound, bound)
    nonzero = ints.filter(bool)
    pivots = sorted(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True),
                         label="pivots")) if k else []
    B = [[QQ(0)] * n for _ in range(k)]
    for t, p in enumerate(pivots):
        B[t][p] = QQ(1)
        for c in range(p + 1, n):
            if c not in pivots:
                B[t][c] = QQ(draw(ints))
    D = [QQ(draw(nonzero)) for _ in range(k)]
    A = [[sum((B[t][i] * D[t] * B[t][j] for t in range(k)), QQ(0)) for j in range(n)]
         for i in range(n)]
    u = [QQ(draw(ints)) for _ in range(n)]
    a = [2 * sum((A[i][j] * u[j] for j in range(n)), QQ(0)) for i in range(n)]
    outside = linear == "outside" or (linear == "any" and k < n and draw(st.booleans()))
    if outside:
        kernel = DomainMatrix(B, (k, n), QQ).nullspace().to_list() if k else \
            [[QQ(int(i == j)) for j in range(n)] for i in range(n)]
        coeffs = [QQ(draw(ints)) for _ in kernel]
        if not any(coeffs):
            coeffs[0] = QQ(1)
        r = [sum((c * v[i] for c, v in zip(coeffs, kernel, strict=True)), QQ(0))
             for i in range(n)]
        a = [ai + ri for ai, ri in zip(a, r, strict=True)]
    a0 = QQ(draw(ints))
    return Quadratic(default_variables(n), tuple(map(tuple, A)), tuple(a), a0)
