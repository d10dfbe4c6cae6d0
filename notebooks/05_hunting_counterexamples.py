# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Hunting counterexamples
#
# Every registered claim is built from the same pieces, all public:
#
# * `resproof.claims.base`: `Claim` (id, statement, controls, `trial`), `Control`, and the
#   one decision rule `decide(margin, assumptions=..., broken=..., searches=..., certified=...)`
#   with `Assumption(name, margin)` (met iff `margin > 0`, measured on the instance) and
#   `SearchLog` (every search, converged or not; a failed needed search can never hold);
# * `resproof.strategies`: Hypothesis strategies for instances (`quadratics(...)`);
# * `resproof.landscape`: searches (`minimize`, `find_saddle`) on any `Objective`.
#
# This notebook writes two small claims of its own, watches their controls get refuted,
# shrinks the counterexamples to minimal ones with Hypothesis, and certifies them exactly.
# Claims used for comparison: `kreinovich.neuron-count` (the registered version of the
# first one) and, for the landscape pattern, `resnest.thm1` / `yun.single-block`.

# %%
import random
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from resproof.claims.base import Assumption, Claim, Control, SearchLog, decide
from resproof.landscape import FunctionObjective, find_saddle
from resproof.landscape.minimize import minimize
from resproof.profiles import get_budget
from resproof.strategies import quadratics
from resproof.symbolic.neurons import analyse

# %% [markdown]
# ## 1. An exact claim over a public strategy
#
# *Claim:* if the linear part `a` of `f = a0 + a^T x + x^T A x` lies in the column space of
# `A`, a traditional network (no skip connection) needs exactly `k = rank A` square neurons:
# completing the square absorbs `a`.  *Control `any-linear-part`:* the same asserted for
# every quadratic.  Hypothesis searches `quadratics(...)` for a violation; the answer is
# exact, so a violation found is a certified counterexample once its certificate (the
# lower-bound determinant of `analyse`) re-verifies.

# %%
def traditional_excess(q):
    """minimum traditional neurons - rank A, exactly (0 is the claim)."""
    return analyse(q).minimum["traditional"] - q.rank()


def search(strategy, seed, examples=60):
    """(shrunk violation or None, whether every example drawn had a in col A), seeded,
    with no example database."""
    config = settings(max_examples=examples, database=None, deadline=None)
    inside = []

    def violates(q):
        inside.append(analyse(q).in_range)      # the assumption, measured on every example
        return traditional_excess(q) != 0

    try:
        return find(strategy, violates, settings=config, random=random.Random(seed)), all(inside)
    except NoSuchExample:
        return None, all(inside)


class CompleteTheSquare(Claim):
    id = "notebook.complete-the-square"
    title = "a in col A: a traditional network needs exactly rank A square neurons"
    source = "000_753f352ef6f6c63b.txt"
    statement = "If a is in col A, the minimum traditional square-neuron count is rank A."
    controls = (Control("any-linear-part", "the same asserted for every quadratic"),)

    def trial(self, seed, control, budget):
        rng = np.random.default_rng(seed)
        linear = "inside" if control is None else "any"
        found, all_inside = search(quadratics(max_variables=3, linear=linear),
                                   int(rng.integers(2**31)), budget.max_examples)
        if found is None:
            measured = Assumption("a in col A", 1.0 if all_inside else -1.0,
                                  detail="on every example drawn")
            return decide(1.0, assumptions=[measured],
                          evidence={"examples": budget.max_examples, "linear": linear})
        report = analyse(found)
        in_col = Assumption("a in col A", 1.0 if report.in_range else -1.0,
                            detail="solve A u = a/2 over QQ")
        cert = report.certificates["traditional"]
        return decide(-float(traditional_excess(found)),
                      assumptions=[in_col] if control is None else [],
                      broken=[in_col] if control else [],
                      certified=cert.verify() and cert.bound > report.rank,
                      evidence={"polynomial": found.text(), "n": found.n, "rank": report.rank,
                                "minimum": report.minimum, "certificate": cert.argument()})


mine = CompleteTheSquare()
print(mine.verify().verdict.value, "| control:", end=" ")
ctl = mine.verify(control="any-linear-part")
print(ctl.verdict.value, "certified:", ctl.certified)
print("shrunk counterexample:", ctl.counterexample["polynomial"],
      f"(n = {ctl.counterexample['n']}, rank {ctl.counterexample['rank']},"
      f" minimum {ctl.counterexample['minimum']['traditional']})")
print("certificate:", ctl.counterexample["certificate"])

# %% [markdown]
# Hypothesis shrinks towards few variables, low rank and small coefficients, so the
# counterexample is minimal: `x1` alone (`n = 1`, `k = 0`) needs two traditional neurons,
# `((1 + x1)^2 - (1 - x1)^2) / 4`.  That is exactly the `k + 2` of `kreinovich.neuron-count`.
# The shrunk size is what a test asserts:

# %%
assert ctl.counterexample["n"] == 1
assert ctl.counterexample["rank"] == 0

# %% [markdown]
# ## 2. A landscape claim: `decide`, `Assumption` and `SearchLog`
#
# A two-layer scalar linear network `f(x) = w2 w1 x` on data `(x_n, y_n)`, squared loss:
#
# `R(w1, w2) = 1/(2N) sum_n (w2 w1 x_n - y_n)^2`, `R_lin = min_t 1/(2N) sum_n (t x_n - y_n)^2`.
#
# *Claim:* every local minimum has `R = R_lin` (deep linear networks have no bad local
# minima); assumption `E[x^2] > 0`.  *Control `every-critical-point`:* every critical point
# has `R = R_lin`.  It must be refuted at `(0, 0)`, which is critical for any data, with
# `R = E[y^2]/2 > R_lin` whenever `E[xy] != 0`, and Hessian `[[0, -E xy], [-E xy, 0]]`: a
# saddle.  The control drops "local minimum", so the trial measures that this is broken
# (`lambda_min < 0`), and certifies everything in exact rationals.

# %%
def deep_linear(x, y):
    sxx, sxy, syy = np.mean(x * x), np.mean(x * y), np.mean(y * y)

    def loss(w):
        p = w[0] * w[1]
        return 0.5 * (p * p * sxx - 2 * p * sxy + syy)

    def grad(w):
        e = w[0] * w[1] * sxx - sxy
        return np.array([e * w[1], e * w[0]])

    def hessian(w):
        p = w[0] * w[1]
        off = 2 * p * sxx - sxy
        return np.array([[w[1] ** 2 * sxx, off], [off, w[0] ** 2 * sxx]])

    return FunctionObjective(loss, grad, hessian=hessian, n_params=2)


def exact_gap_at_zero(x, y):
    """R(0, 0) - R_lin = (E xy)^2 / (2 E x^2), and lambda_min(H(0)) = -|E xy|, in Fractions."""
    fx, fy = [Fraction(float(v)) for v in x], [Fraction(float(v)) for v in y]
    n = len(fx)
    sxx = sum(a * a for a in fx) / n
    sxy = sum(a * b for a, b in zip(fx, fy, strict=True)) / n
    syy = sum(b * b for b in fy) / n
    r_lin = (syy - sxy * sxy / sxx) / 2
    return syy / 2 - r_lin, -abs(sxy)


class DeepLinearMinima(Claim):
    id = "notebook.deep-linear-minima"
    title = "two-layer scalar linear network: local minima are global"
    statement = "Every local minimum of R(w1, w2) has R = R_lin (E x^2 > 0)."
    controls = (Control("every-critical-point", "every critical point asserted to have "
                                                "R = R_lin"),)

    def trial(self, seed, control, budget):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(3, 12))
        x = rng.standard_normal(n)
        y = 1.5 * x + 0.3 * rng.standard_normal(n)
        obj = deep_linear(x, y)
        sxx = float(np.mean(x * x))
        r_lin = float(np.mean(y * y)) / 2 - float(np.mean(x * y)) ** 2 / (2 * sxx)
        data = Assumption("E[x^2] > 0", sxx / (sxx + float(np.mean(y * y))), sxx)
        log = SearchLog()
        evidence = {"N": n, "R_lin": r_lin}
        if control is None:
            gaps = []
            for _ in range(budget.restarts):
                point = log.add("local minimum", minimize(obj, rng.standard_normal(2)))
                if point.converged:
                    gaps.append(point.loss - r_lin)
            tol = 1e-10 * max(1.0, r_lin)
            margin = tol - max(gaps) if gaps else None
            return decide(margin, assumptions=[data], searches=log, evidence=evidence)
        point = log.add("critical point", find_saddle(obj, 1e-3 * rng.standard_normal(2)))
        minimum = Assumption("local minimum", point.lambda_min / max(1.0, abs(point.lambda_max)),
                             point.lambda_min, "lambda_min / max(1, |lambda_max|)")
        gap, lam = exact_gap_at_zero(x, y)
        near_zero = float(np.linalg.norm(point.theta)) < 1e-6
        evidence.update(point=point.theta.tolist(), exact_gap=str(gap), exact_lambda_min=str(lam))
        return decide(-(point.loss - r_lin) if point.converged else None, assumptions=[data],
                      broken=[minimum], searches=log, certified=near_zero and gap > 0 and lam < 0,
                      evidence=evidence)


deep_claim = DeepLinearMinima()
holds = deep_claim.verify(trials=6)
refuted = deep_claim.verify(control="every-critical-point", trials=6)
print(f"{deep_claim.id}: {holds.verdict.value}  counts {holds.evidence['counts']}")
print(f"  :every-critical-point: {refuted.verdict.value} (certified {refuted.certified})"
      f"  counts {refuted.evidence['counts']}")
gap = Fraction(refuted.counterexample["exact_gap"])
print(f"  exact R(0,0) - R_lin = {float(gap):.6f} > 0 (a Fraction with a"
      f" {len(str(gap.denominator))}-digit denominator)")

# %% [markdown]
# ### Shrinking the control's counterexample
#
# The trial draws its data from a seed; Hypothesis can instead *search* data sets for one
# where the control fails and shrink it.  Over small integer data, the minimal one is a
# single sample `(x, y) = (1, 1)`: `R(0, 0) = 1/2 > R_lin = 0`.

# %%
samples = st.lists(st.tuples(st.integers(-3, 3).filter(bool), st.integers(-3, 3)),
                   min_size=1, max_size=6)


def control_fails(data):
    x = np.array([d[0] for d in data], dtype=float)
    y = np.array([d[1] for d in data], dtype=float)
    gap, lam = exact_gap_at_zero(x, y)
    return gap > 0 and lam < 0


smallest = find(samples, control_fails,
                settings=settings(max_examples=200, database=None, deadline=None),
                random=random.Random(0))
print("shrunk data set:", smallest, " exact (gap, lambda_min):",
      exact_gap_at_zero(np.array([smallest[0][0]], float), np.array([smallest[0][1]], float)))
assert len(smallest) == 1

# %% [markdown]
# ## 3. Several trials, and what each one recorded
#
# `verify(trials=..., seed=...)` spawns one independent `SeedSequence` per trial, so every
# trial replays from `(seed, spawn_key)`; `trial` itself is public.  Each `TrialResult`
# carries its `SearchLog`: every search with its stop reason, kind and loss.  Below, the
# risk gap `R - R_lin` of every local minimum the claim's searches found (rounding level)
# and of every critical point the control's search found (the saddle at `(0, 0)`), over
# 3 seeds x 6 trials.

# %% tags=["figure"]
budget = get_budget("quick")
minima_gaps, saddle_gaps = [], []
for seed in range(3):
    for seq in np.random.SeedSequence(seed).spawn(6):
        for control, bucket in ((None, minima_gaps), ("every-critical-point", saddle_gaps)):
            result = deep_claim.trial(seq, control, budget)
            r_lin = result.evidence["R_lin"]
            bucket += [rec["loss"] - r_lin for rec in result.evidence["searches"]["records"]
                       if rec["converged"]]
fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.semilogy(np.maximum(np.abs(minima_gaps), 1e-18), "go",
            label="local minima (claim): |R - R_lin|")
ax.semilogy(saddle_gaps, "rv", label="critical point (0, 0) (control): R - R_lin")
ax.axhline(1e-10, color="k", ls="--", lw=0.8, label="tolerance 1e-10")
ax.set_xlabel("search (in trial order)")
ax.set_ylabel("risk gap")
ax.set_title("what the SearchLogs of 18 trials recorded")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"{len(minima_gaps)} minima, largest gap {max(minima_gaps):.1e};"
      f" {len(saddle_gaps)} saddles, smallest gap {min(saddle_gaps):.3f}")

# %% [markdown]
# ## 4. Sweeping and reading the report
#
# A notebook's own claims live only in this kernel; registered claims (and claims of other
# installed packages, through the `resproof.claims` entry-point group) can be swept with
# `resproof.sweep.run` — the same path as `resproof verify ... --out DIR`.  Every trial is
# appended to `DIR/results.jsonl` as it ends (a killed sweep resumes with `resume=True`),
# and `resproof.report.write_report` turns the directory into the Markdown (or HTML) report
# with a `REPORT.json` per counterexample that `resproof replay` re-checks.

# %%
import json
import tempfile
from pathlib import Path

from resproof.report import write_report
from resproof.sweep import run

sweep_dir = Path(tempfile.mkdtemp()) / "sweep"
outcomes, records = run([("resnest.thm1", "all-critical-global")], trials=2, seed=0,
                        budget="quick", out=sweep_dir)
for outcome in outcomes:
    print(f"{outcome.label}: {outcome.verdict.value}, certified {outcome.certified},"
          f" {outcome.trials} trials")
print(len((sweep_dir / "results.jsonl").read_text().splitlines()), "records in results.jsonl")
report = write_report(sweep_dir)
text = report.read_text()
print(text[:1200])
reports = sorted((sweep_dir / "counterexamples").rglob("REPORT.json"))
print(sorted(json.loads(reports[0].read_text())) if reports else "no counterexample written")
