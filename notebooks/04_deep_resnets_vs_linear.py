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
# # Deep ResNets vs linear predictors
#
# Yun, Sra & Jadbabaie (*Are deep ResNets provably better than linear predictors?*, seed
# `003`) study `h_0 = x`, `h_l = h_{l-1} + V_l s(U_l h_{l-1})`, `f(x) = w^T h_L(x)`, and
# compare its risk `R` with the best linear predictor's `R_lin = min_t E l(t^T x; y)`
# (`resproof.nn.yun.YunResNet`, `resproof.problems.linear.optimum`).
#
# Claims demonstrated: `yun.single-block` (in the registry, with its controls `:w-zero` and
# `:no-skip`), `yun.thm1` (the benign-landscape theorem and its two conditions),
# `yun.near-identity` and `yun.rademacher` (depth-independent bounds; these three are being
# added to the registry, so here their quantities are computed with the models directly),
# and the Sec. 3.2 example that `resnest.rem2:scalar-stream` refers to.

# %%
import matplotlib.pyplot as plt
import numpy as np

from resproof.claims import get
from resproof.problems.yun_mp import YunHighPrecision
from resproof.landscape import certify_negative_curvature, make_point
from resproof.landscape.minimize import minimize
from resproof.nn.losses import lipschitz_constant
from resproof.nn.models import LinearPredictor
from resproof.nn.yun import YunResNet
from resproof.problems.linear import optimum
from resproof.results import StopReason

# %% [markdown]
# ## 1. One block: local minima beat linear, and the `w = 0` saddle
#
# For `L = 1` (Shamir's setting) every critical point with `w != 0`, and every local minimum,
# has `R <= R_lin`.  The claim searches local minima (trust-region Newton) and critical
# points of any index (Newton on the gradient norm) from random starts.  Its controls build
# what the theorem excludes: a critical point with `w = 0` (a strict saddle above `R_lin`),
# and a network without the skip connection whose dead ReLUs make a flat bad local minimum.

# %%
claim = get("yun.single-block")
out = claim.verify(trials=2)
print(f"yun.single-block: {out.verdict.value} on {out.trials} trials,"
      f" {out.evidence['worst_trial']['points_checked']} points checked in the worst trial")
for control in claim.control_names():
    ctl = claim.verify(control=control, trials=1)
    ce = ctl.counterexample
    print(f"  :{control}: {ctl.verdict.value} (certified {ctl.certified}),"
          f" R - R_lin = {ce['risk'] - ce['R_lin']:.4f}")

# %% [markdown]
# The `w = 0` construction, by hand: take any `(U, V)`, replace the targets by their residual
# after least squares on `h(x) = x + V tanh(U x)`.  Then `dR/dw = -E[y h] = 0`, and every other
# derivative carries a factor `w`: the point is critical, with `f == 0` and
# `R = E y^2 / 2 > R_lin`.  The Hessian couples `w` to `(U, V)` and has a negative eigenvalue:
# a strict saddle, certified in 50-digit arithmetic.

# %%
rng = np.random.default_rng(4)
X = rng.standard_normal((48, 2))
y0 = np.tanh(2.0 * X @ rng.standard_normal(2)) + 0.1 * rng.standard_normal(48)
one_block = YunResNet(2, (2,), "tanh")
theta = rng.standard_normal(one_block.n_params)
theta[-2:] = 0.0                                    # w = 0
v = one_block.split(theta)
h = X + np.tanh(X @ v["U1"].T) @ v["W1"].T
y = y0 - h @ np.linalg.lstsq(h, y0, rcond=None)[0]  # residual targets: E[y h] = 0
obj = one_block.objective(X, y)
point = make_point(obj, theta, StopReason.CONVERGED)
_, r_lin = LinearPredictor.squared_optimum(X, y[:, None])
lam, vecs = np.linalg.eigh(obj.hessian(theta))
cert = certify_negative_curvature(YunHighPrecision(one_block, X, y), theta, vecs[:, 0])
print(f"w = 0: kind {point.kind.value}, ||grad|| = {point.grad_norm:.1e}, R = {point.loss:.5f}"
      f" > R_lin = {r_lin:.5f}")
print(f"lambda_min = {lam[0]:.5f}, certified negative: {cert.certified}")

# %% tags=["figure"]
s = np.linspace(-2, 2, 161)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.plot(s, [obj.loss(theta + t * vecs[:, 0]) for t in s], label="along v_min (escape)")
ax.plot(s, [obj.loss(theta + t * vecs[:, -1]) for t in s], label="along v_max")
ax.axhline(r_lin, color="k", ls="--", lw=0.8, label="R_lin")
ax.set_ylim(r_lin - 0.01, point.loss + 0.03)
ax.set_xlabel("step t")
ax.set_ylabel("R(theta + t v)")
ax.set_title("the w = 0 critical point is a strict saddle above R_lin")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Many blocks: the benign-landscape theorem and its two conditions
#
# At a critical point `theta*`, if (1) `E[l'' h_L h_L^T]` is full rank and (2) the rows of
# `U_2, ..., U_L` do not span `R^{d_x}`, then `R(theta*) <= R_lin` or
# `lambda_min(Hessian) < 0`.  Condition (2) always holds when `sum_{l>=2} m_l < d_x`; here
# `d_x = 3` with three blocks of one hidden unit each.  A local minimum, both conditions
# measured (squared loss: `l'' = 1`):

# %%
rng = np.random.default_rng(2)
X3 = rng.standard_normal((64, 3))
y3 = np.tanh(X3 @ rng.standard_normal(3)) ** 2 + 0.1 * rng.standard_normal(64)
deep = YunResNet(3, (1, 1, 1), "tanh")
obj3 = deep.objective(X3, y3)
found = minimize(obj3, 0.5 * rng.standard_normal(deep.n_params))
views = deep.split(found.theta)
hL = X3.copy()
for i in range(1, deep.depth + 1):
    hL = hL + np.tanh(hL @ views[f"U{i}"].T) @ views[f"W{i}"].T
cond1 = np.linalg.svd(hL.T @ hL / len(y3), compute_uv=False)
cond2 = np.linalg.matrix_rank(np.vstack([views[f"U{i}"] for i in (2, 3)]))
_, r_lin3 = LinearPredictor.squared_optimum(X3, y3[:, None])
print(f"{found.kind.value} ({found.stop_reason.value}): R = {found.loss:.5f}, R_lin = {r_lin3:.5f},"
      f" lambda_min = {found.lambda_min:.1e}")
print(f"condition 1: sigma_min/sigma_max of E[h h^T] = {cond1[-1] / cond1[0]:.3f} (full rank)")
print(f"condition 2: rank [U_2; U_3] = {cond2} < d_x = 3")
print("critical (search converged):", found.converged)
print("conclusion R <= R_lin or lambda_min < 0:", found.loss <= r_lin3 or found.lambda_min < 0)

# %% [markdown]
# ## 3. Near-identity blocks: a bound that does not grow with depth
#
# With blocks `rho_l`-Lipschitz, `rho_l <= alpha / L` and `phi_l(0) = 0`, every residual map
# stays close to the identity whatever the depth:
# `||h_L(x) - x|| <= ((1 + alpha/L)^L - 1) ||x|| <= (e^alpha - 1) ||x||`.  That is where the
# constant of `yun.near-identity` comes from (resproof's reading of the seed's unnamed `C`:
# `C = L_l ||t*|| (e^alpha - 1) E||x||`, `L_l` the loss's Lipschitz constant, `t*` the
# linear minimiser), and it does not depend on `L`.  `YunResNet.near_identity` rescales
# blocks into the set; below, the worst measured `||h_L(x) - x|| / ||x||` over random
# near-identity networks, against the bound, for growing depth, and `C` itself.  Random
# blocks point in random directions and stay far from the bound; *aligned* blocks
# (`U_l = V_l = sqrt(alpha/L) I`, inputs small enough for `tanh` to be linear) compound to
# `(1 + alpha/L)^L - 1`, which the bound must (and does) contain.

# %%
alpha = 1.0
rng = np.random.default_rng(1)
Xn = rng.standard_normal((64, 3))
yn = np.tanh(2 * Xn @ rng.standard_normal(3)) + 0.1 * rng.standard_normal(64)
t_star, r_lin_h = optimum(Xn, yn[:, None], "pseudo_huber", 1.0)
C = lipschitz_constant("pseudo_huber", 1.0) * np.linalg.norm(t_star) * (np.e ** alpha - 1) \
    * np.mean(np.linalg.norm(Xn, axis=1))
print(f"pseudo-Huber (delta = 1): R_lin = {r_lin_h:.4f}, C = {C:.4f} for every depth")


def residual_map(model, t, X):
    v = model.split(t)
    h = X.copy()
    for i in range(1, model.depth + 1):
        h = h + np.tanh(h @ v[f"U{i}"].T) @ v[f"W{i}"].T
    return h


depths = [1, 2, 4, 8, 16, 32]
worst, rejected = [], 0
for L in depths:
    model = YunResNet(3, (3,) * L, "tanh")
    ratios = []
    for _ in range(10):
        t = model.near_identity(rng.standard_normal(model.n_params), alpha)
        if not model.is_near_identity(t, alpha):  # measured, never assumed
            rejected += 1
            continue
        ratios.append(np.max(np.linalg.norm(residual_map(model, t, Xn) - Xn, axis=1)
                            / np.linalg.norm(Xn, axis=1)))
    worst.append(max(ratios))
aligned = []
x_small = 1e-4 * Xn
for L in depths:
    model = YunResNet(3, (3,) * L, "tanh")
    root = np.sqrt(alpha / L) * np.eye(3).ravel()
    # trainable order: (U_l, V_l) for each block, then w
    t = np.concatenate([root, root] * L + [np.ones(3)])
    aligned.append(np.max(np.linalg.norm(residual_map(model, t, x_small) - x_small, axis=1)
                          / np.linalg.norm(x_small, axis=1)))
print("worst ||h_L(x) - x|| / ||x|| per depth:", np.round(worst, 3))
print("aligned blocks                        :", np.round(aligned, 4))
print("rescaled draws the near-identity check rejected (rho_l a few ulps over alpha/L):",
      rejected)

# %% tags=["figure"]
Ls = np.array(depths)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.semilogx(Ls, worst, "o-", base=2, label="measured, random near-identity nets")
ax.semilogx(Ls, aligned, "s", base=2, label="measured, aligned blocks")
ax.semilogx(Ls, (1 + alpha / Ls) ** Ls - 1, "k--", base=2, label="(1 + alpha/L)^L - 1")
ax.axhline(np.e ** alpha - 1, color="r", lw=0.8, label="e^alpha - 1 (depth-free)")
ax.set_xlabel("depth L")
ax.set_ylabel("max ||h_L(x) - x|| / ||x||")
ax.set_title(f"near-identity ResNets stay near the identity (alpha = {alpha})")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Rademacher complexity: the bound against a lower estimate
#
# `F_L = {x -> w^T h_L(x)}` with ReLU blocks, `||w|| <= 1`, `||V_l||_F, ||U_l||_F <= 1/sqrt(L)`:
# the empirical Rademacher complexity `E_sigma sup_f (1/n) sum_i sigma_i f(x_i)` is at most
# `e^2 max_i ||x_i|| / sqrt(n)`, whatever `L`.  The sup is estimated from below by projected
# gradient ascent (`YunResNet.frobenius_ball` is the projection); the gradient of
# `(1/n) sum_i sigma_i f(x_i)` is the difference of two squared-loss gradients,
# `grad R(theta; y = 0) - grad R(theta; y = sigma)`.  A lower estimate can only *refute* a
# bound: it does so for the `:no-depth-scaling` control (norms `<= 1` instead of
# `1/sqrt(L)`), whose complexity grows with depth.

# %%
rng = np.random.default_rng(0)
n = 20
Xr = rng.standard_normal((n, 3))
bound = np.e ** 2 * np.max(np.linalg.norm(Xr, axis=1)) / np.sqrt(n)


def sup_correlation(model, sigma, block_radius, rng, steps=40, lr=0.5):
    """A lower estimate of sup_f (1/n) sum_i sigma_i f(x_i) over the Frobenius balls."""
    at_zero, at_sigma = model.objective(Xr, np.zeros(n)), model.objective(Xr, sigma)
    t = model.frobenius_ball(rng.standard_normal(model.n_params), block_radius=block_radius)
    for _ in range(steps):
        t = model.frobenius_ball(t + lr * (at_zero.grad(t) - at_sigma.grad(t)),
                                 block_radius=block_radius)
    return float(sigma @ model.resnest.predict(model.full_theta(t), Xr).ravel()) / n


depths_r = [1, 2, 3, 4, 6]
scaled, unscaled = [], []
for L in depths_r:
    model = YunResNet(3, (3,) * L, "relu")
    signs = [rng.choice([-1.0, 1.0], n) for _ in range(3)]
    scaled.append(np.mean([sup_correlation(model, s_, None, rng) for s_ in signs]))
    unscaled.append(np.mean([sup_correlation(model, s_, 1.0, rng) for s_ in signs]))
print(f"bound e^2 max||x|| / sqrt(n) = {bound:.3f}")
print("lower estimates, 1/sqrt(L) balls:", np.round(scaled, 3))
print("lower estimates, unit balls     :", np.round(unscaled, 3))

# %% tags=["figure"]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.semilogy(depths_r, scaled, "go-", label="||V_l||_F, ||U_l||_F <= 1/sqrt(L) (the claim)")
ax.semilogy(depths_r, unscaled, "rv--", label="norms <= 1 (:no-depth-scaling control)")
ax.axhline(bound, color="k", lw=0.8, label="e^2 max ||x_i|| / sqrt(n)")
ax.set_xlabel("depth L")
ax.set_ylabel("Rademacher complexity (lower estimate)")
ax.set_title("depth-scaled norms keep the complexity flat")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. The Sec. 3.2 data: block outputs need not improve monotonically
#
# `claims.md` cites the document's Sec. 3.2 example: `X = [1, 2.5, 3]`, `Y = [1, 3, 2]`, a
# two-block scalar ResNet at its global minimum whose block outputs are not monotone in how
# well they predict `Y` linearly.  The seed in `shared/seeds/` is the poster and does not
# pin the model down, so this is one precise reading: `d_x = 1`,
# `h_l = h_{l-1} + V_l relu(U_l h_{l-1} + b_l)` with two hidden units per block and biases,
# `f = w h_2`, squared loss.  From 30 random starts, each converged point with `R = 0` (a
# global minimum: the network interpolates) is checked: is `x -> h_1` worse for a linear
# predictor than `x` itself, while `h_2` is perfect?

# %%
Xs = np.array([[1.0], [2.5], [3.0]])
Ys = np.array([1.0, 3.0, 2.0])
scalar = YunResNet(1, (2, 2), "relu", bias=True)
obj_s = scalar.objective(Xs, Ys)
r_x = LinearPredictor.squared_optimum(Xs, Ys[:, None])[1]
rng = np.random.default_rng(0)
paths = []
for _ in range(30):
    pt = minimize(obj_s, rng.standard_normal(scalar.n_params), max_iterations=300)
    if not (pt.converged and pt.loss < 1e-20):
        continue
    v = scalar.split(pt.theta)
    h1 = Xs + np.maximum(Xs @ v["U1"].T + v["b1"], 0) @ v["W1"].T
    h2 = h1 + np.maximum(h1 @ v["U2"].T + v["b2"], 0) @ v["W2"].T
    paths.append([r_x] + [LinearPredictor.squared_optimum(h, Ys[:, None])[1] for h in (h1, h2)])
paths = np.array(paths)
worse = paths[:, 1] > paths[:, 0] * (1 + 1e-9)
print(f"R_lin(x) = {r_x:.4f}; global minima found: {len(paths)};"
      f" with R_lin(h_1) > R_lin(x) (non-monotone): {int(worse.sum())}")

# %% tags=["figure"]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for row, bad in zip(paths, worse, strict=True):
    ax.plot([0, 1, 2], row, "r.-" if bad else "g.-", alpha=0.7)
ax.plot([], [], "r.-", label="non-monotone: h_1 worse than x")
ax.plot([], [], "g.-", label="monotone")
ax.set_xticks([0, 1, 2], ["x", "h_1", "h_2"])
ax.set_ylabel("best linear risk from the representation")
ax.set_title("X = [1, 2.5, 3], Y = [1, 3, 2]: global minima of a 2-block scalar ResNet")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
