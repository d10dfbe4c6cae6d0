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
# # ResNEsts: epsilon = 0, and why width matters
#
# Chen et al. (*ResNEsts and DenseNEsts*, seed `002`) compare a ResNEst, whose last two
# matrices `(W_L, W_{L+1})` are trained with the features `phi` frozen (problem (P_phi)), with
# the **A-ResNEst**, which predicts `sum_i H_i v_i` from *all* the features `v_0 = x, v_1, ...,
# v_L` (problem (PA_phi)).  The gap `eps = R(local min of P_phi) - min(PA_phi)` measures what
# the bilinear parameterisation loses.  Theorem 1: under A2 (convex loss), A3 (`M >= N_o`) and
# A4 (`A_phi = [W_0 W_1 ... W_{L-1}]` of full column rank), `eps = 0`.  A4 forces the stream
# width `M >= N_in + K_1 + ... + K_{L-1}`: width must grow with depth.
#
# Claims demonstrated: `resnest.thm1` (and its controls `:narrow`, `:not-wide`),
# `densenest.prop4` (a DenseNEst is a wide ResNEst), `resnest.cor1` (adding blocks never
# hurts, and its controls `:not-nested`, `:not-wide`).  `resnest.thm1` is in the registry;
# `densenest.prop4` and `resnest.cor1` are being added, so here their math is computed with
# the models and problems directly.

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np

from resproof.claims import get
from resproof.claims.base import Assumption, decide
from resproof.claims.resnest.common import A4_TOL, a4_ratio
from resproof.landscape.minimize import minimize
from resproof.nn.instances import RESNEST_TANH_SIZES, resnest_random, resnest_tanh
from resproof.nn.models import DenseNEst, LinearPredictor, ResNEst
from resproof.problems.augmented import augmented_optimum
from resproof.problems.pphi import PphiObjective
from resproof.problems.pphi_solve import local_minimum

# %% [markdown]
# ## 1. (PA_phi) is convex; (P_phi) is not
#
# With `phi` frozen the A-ResNEst is a linear model in `H` on the stacked features
# `[v_0, ..., v_L]`, so for the squared loss (PA_phi) is least squares: convex, solved by
# QR (`augmented_optimum`).  Its Hessian is the (PSD) feature Gram matrix.  (P_phi) predicts
# `W_{L+1} [I  W_L] F`, bilinear in its parameters: at `(0, 0)` its Hessian has a zero
# `W_L` block coupled to `W_{L+1}`, hence a negative eigenvalue, and the loss curves *down*
# along that eigenvector (`resnest.prop1`: neither convex nor concave).

# %%
inst = resnest_random(np.random.default_rng(0), 4, 8, 4, 2, 2, 256)
*features, x_prev = inst.model.features(inst.theta, inst.X)
stacked = np.hstack(features)
pa = LinearPredictor.objective(stacked, inst.Y)       # (PA_phi) as a function of vec(H)
best = augmented_optimum(features, inst.Y)
H_star, r_lin = LinearPredictor.squared_optimum(stacked, inst.Y)
print(f"min (PA_phi) = {best:.6f} (least squares: {r_lin:.6f})")
lam_pa = np.linalg.eigvalsh(pa.hessian(H_star.ravel()))
print(f"Hessian eigenvalues of (PA_phi) in [{lam_pa[0]:.2e}, {lam_pa[-1]:.2e}]: convex")

p = PphiObjective(x_prev, features[-1], inst.Y)
origin = np.zeros(p.n_params)
lam, vecs = np.linalg.eigh(p.hessian(origin))
v_min = vecs[:, 0] if p.grad(origin) @ vecs[:, 0] <= 0 else -vecs[:, 0]
print(f"Hessian eigenvalues of (P_phi) at (0, 0) in [{lam[0]:.3f}, {lam[-1]:.3f}]: not convex")

# %% tags=["figure"]
s = np.linspace(-0.5, 1.5, 101)
h1 = H_star.ravel()
h2 = h1 + np.random.default_rng(1).standard_normal(h1.size)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(s, [pa.loss((1 - t) * h1 + t * h2) for t in s])
ax1.set_title("(PA_phi) along a line: convex")
ax1.set_xlabel("t")
ax2.plot(s, [p.loss(t * v_min) for t in s])
ax2.axhline(best, color="k", ls="--", lw=0.8, label="min (PA_phi)")
ax2.set_title("(P_phi) along v_min from (0, 0): not convex")
ax2.set_xlabel("t")
ax2.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Theorem 1 on a wide instance, and the certified counterexamples
#
# `resnest.thm1` draws instances of size `N_in=4, M=8, K=4, L=2, N_o=2` (A4 holds: `A_phi` is
# `8 x 8`), minimises (P_phi) to a relative gradient of `1e-10`, confirms second-order
# optimality and compares `eps` with `1e-12`.  Its controls break one assumption each and
# must be refuted with `eps > 0` certified in 50-digit arithmetic (one trial of `:not-wide`
# here, to keep the notebook fast).

# %%
thm1 = get("resnest.thm1")
holds = thm1.verify()
print(f"resnest.thm1: {holds.verdict.value}, {holds.trials} trials, worst slack {holds.margin:.1e}")
worst = holds.evidence["worst_trial"]


def margins(evidence):
    """Each measured assumption's margin (> 0 met), the dropped ones included."""
    rows = evidence.get("assumptions", []) + evidence.get("broken_assumptions", [])
    return {a["name"]: round(a["margin"], 3) for a in rows}


print(f"  worst trial: eps = {worst.get('eps', float('nan')):.1e}, margins {margins(worst)}")
for control, trials in (("narrow", None), ("not-wide", 1)):
    out = thm1.verify(control=control, trials=trials)
    ce = out.counterexample
    cert = ce["certificate"]
    print(f"resnest.thm1:{control}: {out.verdict.value} (certified {out.certified})"
          f"  eps = {ce['eps']:.6f}, 50-digit interval {cert['interval']} (refutes"
          f" {cert['refutes']} 0);  margins {margins(ce)}")

# %% [markdown]
# ## 3. Why width matters: eps against the stream width M
#
# Fix `N_in = 3`, blocks of width `K = 3`, `L = 3` blocks: A4 needs
# `M >= N_in + K_1 + K_2 = 9`.  For each width, two random instances, (P_phi) minimised from
# the drawn weights.  Below 9 the local minima leave a positive gap; from 9 on, `eps = 0`
# to rounding.  (Variable projection, `local_minimum`, needs `x_{L-1}` of full column rank,
# i.e. `M <= 9` here; above, `x_{L-1}` lives in a 9-dimensional subspace and the general
# trust-region `minimize` is used.  Either way only converged minima are plotted.)

# %%
def pphi_local_min(model, theta, X, Y):
    """(risk, min (PA_phi), CriticalPoint) of (P_phi) minimised from theta's (W_L, W_{L+1})."""
    *feats, xp = model.features(theta, X)
    prob = PphiObjective(xp, feats[-1], Y)
    lay = model.layout
    start = theta[-prob.n_params:]
    if np.linalg.matrix_rank(xp) == lay.width:
        point = local_minimum(prob, start)
    else:
        modes = max(lay.width - lay.n_out, 0) * lay.block_widths[-1]
        point = minimize(prob, start, symmetry_modes=modes, max_iterations=300)
    return prob.residual_risk(point.theta), augmented_optimum(feats, Y), point


widths, gaps, margins = [], [], []
for M in [3, 4, 5, 6, 7, 8, 9, 11]:
    for s_ in range(2 if M <= 9 else 1):
        draw = resnest_random(np.random.default_rng([M, s_]), 3, M, 3, 3, 2, 200)
        risk, opt, point = pphi_local_min(draw.model, draw.theta, draw.X, draw.Y)
        if point.converged:
            widths.append(M)
            gaps.append(risk - opt)
            margins.append(a4_ratio(draw))
print("eps per width:", [(w, f"{g:.1e}") for w, g in zip(widths, gaps, strict=True)])

# %% tags=["figure"]
fig, ax = plt.subplots(figsize=(7, 3.6))
gaps_arr = np.array(gaps)
ok = np.array(margins) > A4_TOL
ax.semilogy(np.array(widths)[~ok], np.maximum(gaps_arr[~ok], 1e-17), "rv", label="A4 broken")
ax.semilogy(np.array(widths)[ok], np.maximum(np.abs(gaps_arr[ok]), 1e-17), "go",
            label="A4 holds (|eps|, rounding)")
ax.axvline(8.5, color="k", ls="--", lw=0.8)
ax.text(8.6, 1e-6, "M = N_in + K_1 + K_2", fontsize=8)
ax.set_xlabel("stream width M")
ax.set_ylabel("eps = R(local min P_phi) - min PA_phi")
ax.set_title("eps = 0 exactly when the stream is wide enough (Theorem 1)")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. The bench sizes are too narrow: Theorem 1 is vacuous there
#
# The bench-spec `resnest-tanh` sizes keep `M` fixed while `L` grows, so `A_phi` has more
# columns than rows from size `M` on and A4 cannot hold: the theorem says nothing about
# those instances.  resproof then reports **vacuous**, never "holds": the decision rule
# `decide` returns vacuous as soon as a measured assumption margin is not positive.  (With
# the assumptions met and nothing compared yet, `decide(None, ...)` says inconclusive: a
# trial would now have to run its search.)

# %%
for size, (n_in, M, K, L, n_o, _n) in RESNEST_TANH_SIZES.items():
    bench = resnest_tanh(size, 0)
    columns = n_in + (L - 1) * K
    margin = a4_ratio(bench)
    verdict = decide(None, assumptions=[
        Assumption("A3", (M - n_o + 0.5) / n_o, M - n_o, "M - N_o"),
        Assumption("A4", margin - A4_TOL, margin, f"sigma_min/sigma_max of {M}x{columns} A_phi")])
    print(f"size {size}: A_phi is {M} x {columns}, A4 margin {margin:.3f}"
          f" -> {verdict.verdict.value}")

# %% tags=["figure"]
depth = np.arange(1, 9)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (size, (n_in, M, K, L, _n_o, _n)), c in zip(RESNEST_TANH_SIZES.items(), "bgr", strict=True):
    ax.plot(depth, n_in + (depth - 1) * K, c + "-", label=f"needed, N_in={n_in}, K={K}")
    ax.plot(L, M, c + "*", ms=14, label=f"size {size}: M = {M} at L = {L}")
ax.set_xlabel("blocks L")
ax.set_ylabel("stream width")
ax.set_title("A4 needs M >= N_in + (L - 1) K; bench sizes S, M, L")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. A DenseNEst is a wide ResNEst (Prop. 4)
#
# A DenseNEst concatenates instead of adding: `x_0 = x`, `x_i = [x_{i-1}; s(U_i x_{i-1} + b_i)]`,
# `yhat = W_{L+1} x_L`.  resproof realises it as a ResNEst of width `N_in + sum K_i` whose
# `W_0 = [I; 0]` and `W_i = [0; I; 0]` write each block into its own slot, so `A_phi` has
# orthonormal columns: A4 with margin exactly 1.  Check the outputs against a direct
# concatenating forward pass, then Theorem 1 on the realised ResNEst.

# %%
dense = DenseNEst(n_in=3, n_out=2, block_widths=(2, 2, 2))
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 3))
Y = np.sin(X @ rng.standard_normal((3, 2)))
t = 0.5 * rng.standard_normal(dense.n_params)


def dense_forward(t, X):
    """The DenseNEst by concatenation, from its free parameters (U_i, b_i per block, W_{L+1})."""
    h, pos = X, 0
    for k in dense.block_widths:
        d = h.shape[1]
        U = t[pos:pos + k * d].reshape(k, d)
        b = t[pos + k * d:pos + k * d + k]
        pos += k * d + k
        h = np.hstack([h, np.tanh(h @ U.T + b)])
    return h @ t[pos:].reshape(dense.n_out, h.shape[1]).T


full = dense.full_theta(t)
realised = dense.resnest
print("realised as", realised.layout)
difference = np.max(np.abs(dense.predict(t, X) - dense_forward(t, X)))
print(f"max |DenseNEst - concatenation| = {difference:.1e}")
views = realised.layout.views(full)
A_phi = np.hstack([views["W0"]] + [views[f"W{i}"] for i in (1, 2)])
sv = np.linalg.svd(A_phi, compute_uv=False)
print(f"A_phi {A_phi.shape}: singular values {np.round(sv, 12)} -> A4 margin {sv[-1] / sv[0]}")
risk, opt, point = pphi_local_min(realised, full, X, Y)
print(f"(P_phi) on the realised ResNEst: {point.kind.value}, eps = {risk - opt:.1e}")

# %% [markdown]
# ## 6. Adding blocks never hurts (Cor. 1), and when it does
#
# Nested models: `alpha` keeps `beta`'s first blocks and `W_0 .. W_{L_beta}` frozen and adds
# blocks.  Its features contain `beta`'s, so `min(PA_alpha) <= min(PA_beta)`, and with
# `eps = 0` for both (A4) every local minimum of (P_alpha) is at most every local minimum of
# (P_beta).  Two ways to lose the guarantee:
#
# * `:not-nested`: each depth draws its own first blocks, so deeper features need not
#   contain shallower ones;
# * `:not-wide`: nested, but the stream is too narrow for A4 (`M = 3`), so `eps > 0` can
#   eat the gain.

# %%
def random_resnest(n_in, M, K, n_o, L, rng):
    model = ResNEst.build(n_in, M, n_o, (K,) * L)
    theta = np.zeros(model.n_params)
    v = model.layout.views(theta)
    v["W0"][...] = rng.standard_normal((M, n_in)) / np.sqrt(n_in)
    for i in range(1, L + 1):
        v[f"U{i}"][...] = 1.5 * rng.standard_normal((K, M)) / np.sqrt(M)
        v[f"b{i}"][...] = 0.1 * rng.standard_normal(K)
        v[f"W{i}"][...] = rng.standard_normal((M, K)) / np.sqrt(K)
    v["Wout"][...] = rng.standard_normal((n_o, M)) / np.sqrt(M)
    return model, theta


def first_blocks(model, theta, L):
    """The ResNEst of the first L blocks of ``model`` (same W_0, blocks and W_out)."""
    lay = model.layout
    small = ResNEst.build(lay.n_in, lay.width, lay.n_out, lay.block_widths[:L])
    t_small = np.zeros(small.n_params)
    big_views = lay.views(theta)
    for name, view in small.layout.views(t_small).items():
        view[...] = big_views[name]
    return small, t_small


rng = np.random.default_rng(3)
depths = [1, 2, 3, 4]
curves = {}
for label, M in (("nested, wide (M = 8)", 8), ("nested, not wide (M = 3)", 3)):
    X = rng.standard_normal((200, 2))
    Y = np.sin(2 * X @ rng.standard_normal((2, 2))) + 0.1 * rng.standard_normal((200, 2))
    deepest, theta_deep = random_resnest(2, M, 2, 2, max(depths), np.random.default_rng(10))
    curves[label] = [pphi_local_min(*first_blocks(deepest, theta_deep, L), X, Y)[0]
                     for L in depths]
    if M == 8:
        curves["not nested, wide (M = 8)"] = [
            pphi_local_min(*random_resnest(2, M, 2, 2, L, np.random.default_rng(100 + L)), X, Y)[0]
            for L in depths]
for label, risks in curves.items():
    monotone = all(b <= a + 1e-12 for a, b in itertools.pairwise(risks))
    print(f"{label:<26} risks {np.round(risks, 4)}  non-increasing: {monotone}")

# %% tags=["figure"]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (label, risks), style in zip(curves.items(), ("go-", "rv--", "bs:"), strict=True):
    ax.plot(depths, risks, style, label=label)
ax.set_xticks(depths)
ax.set_xlabel("blocks L")
ax.set_ylabel("risk at the local minimum of (P_phi)")
ax.set_title("Cor. 1: deeper nested wide ResNEsts are never worse")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
