"""The Yun ResNet and its near-identity and Rademacher variants."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.nn.instances import load_model_instance, random_instance
from resproof.nn.yun import YunResNet


def numpy_forward(model: YunResNet, t: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``w^T h_L(x)`` by a plain loop over blocks (activation tanh or relu)."""
    s = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[model.activation]
    v = model.split(t)
    h = X.copy()
    for i in range(1, model.depth + 1):
        z = h @ v[f"U{i}"].T + (v[f"b{i}"] if model.bias else 0.0)
        h = (h if model.skip else 0.0) + s(z) @ v[f"W{i}"].T
    return h @ v["Wout"].T


@pytest.mark.parametrize("model", [YunResNet(3, (4, 2)), YunResNet(3, (4, 2), bias=True),
                                   YunResNet(3, (2, 2, 2), "relu"),
                                   YunResNet(3, (2,), "relu", skip=False)])
def test_the_network_is_the_residual_recursion(model):
    inst = random_instance(model, seed=3, samples=9)
    yhat = model.resnest.predict(model.full_theta(inst.theta), inst.X)
    np.testing.assert_allclose(yhat, numpy_forward(model, inst.theta, inst.X), rtol=1e-13,
                               atol=1e-14)


def test_biases_are_trainable_only_when_asked():
    assert YunResNet(3, (4,), bias=True).n_params == YunResNet(3, (4,)).n_params + 4


def test_block_lipschitz_bounds_the_block_slope():
    model = YunResNet(3, (5, 4), "tanh")
    t = random_instance(model, seed=1).theta
    rho = model.block_lipschitz(t)
    views = model.split(t)
    rng = np.random.default_rng(0)
    for i in (1, 2):
        U, V = views[f"U{i}"], views[f"W{i}"]
        a, b = rng.standard_normal((2, 2000, 3))
        change = np.tanh(a @ U.T) @ V.T - np.tanh(b @ U.T) @ V.T
        slopes = np.linalg.norm(change, axis=1) / np.linalg.norm(a - b, axis=1)
        assert slopes.max() <= rho[i - 1]


def test_near_identity_scales_blocks_onto_the_bound_and_leaves_the_rest():
    model = YunResNet(3, (4, 4, 4), "tanh")
    t = random_instance(model, seed=2).theta
    alpha = 0.3
    assert not model.is_near_identity(t, alpha)
    s = model.near_identity(t, alpha)
    assert model.is_near_identity(s, alpha)
    np.testing.assert_allclose(model.block_lipschitz(s), alpha / 3, rtol=1e-12)
    np.testing.assert_array_equal(model.split(s)["Wout"], model.split(t)["Wout"])
    assert np.array_equal(model.near_identity(s, alpha), s)


def test_near_identity_needs_anchored_blocks():
    t = random_instance(YunResNet(3, (4,), bias=True), seed=0).theta
    assert not YunResNet(3, (4,), bias=True).is_near_identity(t * 1e-6, 1.0)
    assert not YunResNet(3, (4,), "softplus").anchored
    assert YunResNet(3, (4,), "relu").anchored
    with pytest.raises(InvalidInput, match="activation"):
        YunResNet(3, (4,), "square").near_identity(np.zeros(YunResNet(3, (4,)).n_params), 1.0)


def test_frobenius_ball_is_the_projection_onto_the_product_of_balls():
    model = YunResNet(3, (4, 4, 4, 4), "relu")
    t = random_instance(model, seed=4).theta
    p = model.frobenius_ball(t)
    assert not model.in_frobenius_ball(t)
    assert model.in_frobenius_ball(p)
    before = model.split(t)
    for name, value in model.split(p).items():
        radius = 1.0 if name == "Wout" else 0.5
        if np.linalg.norm(before[name]) > radius:
            assert np.linalg.norm(value) == pytest.approx(radius, rel=1e-14)
        else:
            np.testing.assert_array_equal(value, before[name])
    inside = model.frobenius_ball(0.01 * t)
    np.testing.assert_array_equal(inside, 0.01 * t)
    assert model.in_frobenius_ball(model.frobenius_ball(t, block_radius=1.0), block_radius=1.0)


def test_variant_arguments_are_checked():
    model = YunResNet(2, (2,))
    with pytest.raises(InvalidInput, match="alpha"):
        model.near_identity(np.zeros(model.n_params), -1.0)
    with pytest.raises(InvalidInput, match="theta"):
        model.block_lipschitz(np.zeros(model.n_params + 1))
    with pytest.raises(InvalidInput, match="block_radius"):
        model.frobenius_ball(np.zeros(model.n_params), block_radius=0.0)


def test_yun_instances_with_biases_round_trip(tmp_path):
    inst = random_instance(YunResNet(2, (3,), "tanh", bias=True), seed=5, samples=6)
    inst.save(tmp_path / "yun.npz")
    back = load_model_instance(tmp_path / "yun.npz")
    assert back.model == inst.model
    assert back.objective().loss(back.theta) == inst.objective().loss(inst.theta)


@pytest.mark.parametrize(("d", "k"), [(2, 2), (4, 8)])
def test_near_identity_output_is_always_accepted_at_depth_32(d, k):
    """Rounding in the rescaled 2-norms once left blocks 1-2 ulps above alpha / L (seeds
    4 and 3, 8 here, measured before the fix)."""
    model = YunResNet(d, (k,) * 32, "tanh")
    rng = np.random.default_rng(0)
    for _ in range(10):
        t = model.near_identity(rng.standard_normal(model.n_params), 1.0)
        assert model.is_near_identity(t, 1.0)
