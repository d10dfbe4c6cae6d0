# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Square neurons and the price of no skip connection
#
# Holguin & Kreinovich, *Why residual neural networks* (seed `000`), argue with the simplest
# non-linear neuron there is: one hidden layer of **square neurons**
# `c_j (b_j + beta_j . x)^2`.  A *traditional* network adds only an output bias,
# `c0 + sum_j c_j (b_j + beta_j . x)^2`; a *residual* one also passes the input straight to
# the output, `c0 + d^T x + sum_j ...`.  Everything on this page is exact: SymPy over the
# rationals, no floating point until the plots.
#
# Claims demonstrated (run `python -m resproof verify ID` for any of them):
#
# * `kreinovich.square-activation`: every quadratic activation reduces to `t^2`, same count;
# * `kreinovich.identities`: one hidden layer of square neurons represents every quadratic;
# * `kreinovich.neuron-count`: exact minimum neuron counts, residual vs traditional, with
#   witnesses and certificates, and what the seed's counts become.

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy
from IPython.display import Markdown, display
from sympy import QQ

from resproof.claims import get
from resproof.symbolic.networks import (
    Neuron,
    activation_expr,
    activation_to_square,
    identity_network,
)
from resproof.symbolic.neurons import analyse
from resproof.symbolic.quadratic import default_variables, parse_quadratic

# %% [markdown]
# ## 1. Any quadratic activation is a square neuron in disguise
#
# For `s(t) = s0 + s1 t + s2 t^2` with `s2 != 0`, completing the square gives
#
# `s(t) = s2 (t + s1 / (2 s2))^2 + s0 - s1^2 / (4 s2)`,
#
# so each neuron `c_j s(b_j + beta_j . x)` becomes the square neuron
# `(c_j s2) (b_j + s1/(2 s2) + beta_j . x)^2` and the constants move into the output bias.
# Here is a two-neuron network with `s(t) = 1 + 2t + 3t^2` in two inputs:

# %%
x = default_variables(2)
s = (QQ(1), QQ(2), QQ(3))
neurons = (Neuron(QQ(2), QQ(1), (QQ(1), QQ(-1))),
           Neuron(QQ(-1, 2), QQ(0), (QQ(3), QQ(1))))
original = activation_expr(s, QQ(5), neurons, x)
square = activation_to_square(s, QQ(5), neurons, x)
print("activation network :", original)
print("square network     :", square.expr())
print("same neurons       :", square.size == len(neurons))
print("difference expanded:", sympy.expand(original - square.expr()))

# %% [markdown]
# The claim checks this on every network Hypothesis draws (up to 3 inputs and 3 neurons,
# small rationals); its control drops `s2 != 0` and must be refuted: a *linear* activation
# cannot make `x1^2`, so a linear network cannot always be matched neuron for neuron.

# %%
claim = get("kreinovich.square-activation")
print(claim.verify().verdict.value)
control = claim.verify(control="linear-activation")
print(control.verdict.value, "certified:", control.certified)
print(control.counterexample["reason"])

# %% [markdown]
# ## 2. The identities: one layer represents every quadratic
#
# `x_i x_j = ((x_i + x_j)^2 - (x_i - x_j)^2) / 4` and `x_i = ((x_i + 1)^2 - (x_i - 1)^2) / 4`
# turn every monomial of degree at most 2 into square neurons.  The construction is
# generous (two neurons per cross term and per linear term): it shows *that* one layer
# suffices, not how few neurons do.

# %%
q = parse_quadratic("x1**2 + 3*x1*x2 - x3 + 1/2")
net = identity_network(q)
print(q.text(), "=")
print("   ", net.expr())
print("neurons used:", net.size, "| exact:", net.represents(q),
      "| minimum (traditional):", analyse(q).minimum["traditional"])

# %%
claim = get("kreinovich.identities")
print(claim.verify().verdict.value)
cubic = claim.verify(control="cubic-target")
print(cubic.verdict.value, "shrunk counterexample:", cubic.counterexample["polynomial"])
print(cubic.counterexample["reason"])

# %% [markdown]
# ## 3. How many neurons, exactly?
#
# Write `f(x) = a0 + a^T x + x^T A x` with `A` symmetric and `k = rank A`.  The seed says a
# residual network needs `k` neurons and a traditional one at least `k + 1`.  resproof
# computes the **exact** minima, each with a *witness* (a network that expands to `f`) and a
# *certificate* (a determinant or kernel vector that rules out one neuron fewer):
#
# * residual: `k`;
# * traditional: `k` if `a` lies in the column space of `A` (complete the square), else `k + 2`;
# * traditional with linear neurons allowed: `k + [a not in col A]`.
#
# So the seed's `k + 1` for traditional networks is attained only with a linear neuron, or
# in the limit (section 4).  `resproof neurons "x1**2 + x2"` prints this report; in Python it
# is `analyse`:

# %%
report = analyse("x1**2 + x2")
print(report.to_text())

# %% [markdown]
# Every witness and certificate is re-checked from scratch by `report.verify()`; the JSON
# form (`resproof neurons ... --json`) is `report.to_json()`:

# %%
doc = report.to_json()
print("verified:", doc["verified"])
print("minimum :", doc["minimum_neurons"], " limit:", doc["limit_neurons"])
print("traditional certificate:", doc["certificates"]["traditional"]["kind"])

# %% [markdown]
# and `--latex` is `report.to_latex()`, rendered here (comment lines as labels):

# %%
lines = []
for line in report.to_latex().splitlines()[1:]:
    if line.startswith("%"):
        lines.append(f"**{line.lstrip('% ')}**")
    else:
        lines.append("$$" + line.strip()[2:-2].strip() + "$$")
display(Markdown("\n\n".join(lines)))

# %% [markdown]
# The price of no skip connection depends on whether the linear part can be absorbed by
# completing the square.  A few polynomials side by side:

# %% tags=["figure"]
polys = ["x1**2", "x1**2 + x1", "x1**2 + x2", "x1*x2 + x1", "x1**2 - x2**2 + x3",
         "x1**2 + 3*x1*x2 - x3 + 1/2", "x1 + x2"]
reports = [analyse(p) for p in polys]
kinds = [("residual", "residual"), ("traditional", "traditional"),
         ("traditional_with_linear", "traditional + linear neurons")]
pos = np.arange(len(polys))
fig, ax = plt.subplots(figsize=(9, 3.6))
for j, (kind, label) in enumerate(kinds):
    ax.bar(pos + (j - 1) * 0.27, [r.minimum[kind] for r in reports], 0.27, label=label)
ax.scatter(pos, [r.rank for r in reports], color="k", marker="_", s=400, zorder=3,
           label="k = rank A")
ax.set_xticks(pos, [r.quadratic.text() for r in reports], rotation=20, ha="right")
ax.set_ylabel("minimum hidden neurons")
ax.legend(fontsize=8, ncol=2)
ax.set_title("exact minima: the skip connection saves 2 neurons when a is not in col A")
fig.tight_layout()
plt.show()

# %% [markdown]
# `kreinovich.neuron-count` searches quadratics for a disagreement between these formulas,
# the witnesses, the certificates and (for `n <= 2`) an independent Groebner-basis check.
# Its two controls are refuted with minimal counterexamples: the raw coefficient array of
# `x1*x2` written as `a_12 = 1, a_21 = 0` has rank 1, yet two neurons are needed (the rank
# of the *symmetrised* `A`); and `x1^2` in two variables costs the traditional network no
# more than the residual one, so residual networks do not *always* save.

# %%
claim = get("kreinovich.neuron-count")
print(claim.id, claim.verify().verdict.value)
for name in claim.control_names():
    out = claim.verify(control=name)
    ce = out.counterexample
    print(f"  :{name}: {out.verdict.value} (certified {out.certified}) on {ce['polynomial']}")

# %% [markdown]
# ## 4. "Representable only in the limit"
#
# For `f = x1^2 + x2` the traditional minimum is 3, but **two** traditional neurons get
# arbitrarily close:
#
# `N_t(x) = x1^2 + (t/2) (1 + x2/t)^2 - t/2 = f(x) + x2^2 / (2t)`.
#
# No finite `t` gives `f` exactly (the certificate above rules out 2 neurons), yet the error
# shrinks like `1/t` while the output weight `t/2` grows without bound.  This is what the
# report means by "limit: 2 as weights grow without bound".

# %%
family = report.limit["traditional"]
for t in (1, 10, 1000):
    print(f"t = {t:>4}:  N_t = {family.at(t).expr()}   N_t - f = {family.error(t)}")
print("error identity exact for t = 1000:", family.verify(1000))

# %% tags=["figure"]
ts = np.logspace(0, 4, 25)
grid = np.linspace(-1, 1, 41)
X1, X2 = np.meshgrid(grid, grid)
f_num = sympy.lambdify(x, report.quadratic.expr(), "numpy")
sup_error = []
for t in ts:
    member = family.at(sympy.Rational(str(round(t, 6))))  # exact rational member N_t
    n_t = sympy.lambdify(x, member.expr(), "numpy")
    sup_error.append(np.max(np.abs(n_t(X1, X2) - f_num(X1, X2))))

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(ts, sup_error, "o", label="max |N_t - f| on [-1, 1]^2, measured")
ax.loglog(ts, 1 / (2 * ts), "k--", lw=1, label="x2^2 / (2t) at |x2| = 1")
ax.set_xlabel("t  (the carrier neuron's output weight is t / 2)")
ax.set_ylabel("sup error")
ax.set_title("2 traditional neurons approach x1^2 + x2, never reach it")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The residual network needs one neuron (`x1^2`) and carries `x2` on the skip connection;
# without the skip, the linear part costs two more neurons exactly, or one more neuron with
# weights that must grow without bound.
