"""Time ``resproof neurons`` (``analyse``) on random dense rational quadratics.

``analyse`` parses nothing here (the polynomial is built from its coefficient
arrays) but does everything else: exact rank, congruence, witnesses for the
three network kinds, certificates, and the re-verification of all of them.
A second family has ``rank A = n - 2`` and a linear part outside ``col A``,
so the pencil and kernel certificates are exercised too.

Run: ``python benchmarks/bench_neurons.py [--repeat R] [--sizes 5 10 20 40]``.
"""

from __future__ import annotations

import argparse
import random
import time
from fractions import Fraction

from sympy.external.gmpy import GROUND_TYPES

from resproof.symbolic.neurons import analyse
from resproof.symbolic.quadratic import Quadratic


def _rational(rng: random.Random) -> Fraction:
    return Fraction(rng.randint(-9, 9), rng.randint(1, 9))


def dense(n: int, rng: random.Random) -> Quadratic:
    raw = [[_rational(rng) for _ in range(n)] for _ in range(n)]
    return Quadratic.from_raw(raw, [_rational(rng) for _ in range(n)], _rational(rng))


def deficient(n: int, rng: random.Random) -> Quadratic:
    """``A = B^T D B`` with ``B`` of size ``(n-2) x n``, ``a`` with a kernel component."""
    k = n - 2
    B = [[_rational(rng) for _ in range(n)] for _ in range(k)]
    D = [Fraction(rng.choice([-3, -2, -1, 1, 2, 3])) for _ in range(k)]
    A = [[sum(B[t][i] * D[t] * B[t][j] for t in range(k)) for j in range(n)] for i in range(n)]
    a = [_rational(rng) for _ in range(n)]
    return Quadratic.from_raw(A, a, _rational(rng))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20240601)
    print(f"sympy ground types: {GROUND_TYPES}")
    print(f"{'n':>4} {'family':>10} {'rank':>5} {'min res/trad/lin':>18} {'best s':>8} "
          f"{'mean s':>8}")
    for n in args.sizes:
        for family in (dense, deficient):
            times = []
            for _ in range(args.repeat):
                q = family(n, rng)
                start = time.perf_counter()
                report = analyse(q)
                times.append(time.perf_counter() - start)
            m = report.minimum
            counts = f"{m['residual']}/{m['traditional']}/{m['traditional_with_linear']}"
            print(f"{n:>4} {family.__name__:>10} {report.rank:>5} {counts:>18} "
                  f"{min(times):>8.3f} {sum(times) / len(times):>8.3f}")


if __name__ == "__main__":
    main()
