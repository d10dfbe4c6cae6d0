"""A-ResNEst and DenseNEst (pinned ResNEsts) against direct numpy implementations."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.nn.models import AResNEst, DenseNEst, LinearPredictor, TwoLayerResNEst, YunResNet
from tests import oracles


def test_aresnest_predicts_the_sum_of_weighted_features():
    rng = np.random.default_rng(0)
    m = AResNEst(3, 4, 2, (2, 3))
    t = rng.standard_normal(m.n_params)
    X = rng.standard_normal((5, 3))
    full = m.resnest.layout.views(m.full_theta(t))
    M = 4
    x = X @ full["W0"][:M].T
    y = X @ full["W0"][M:].T
    for i in (1, 2):
        v = np.tanh(x @ full[f"U{i}"][:, :M].T + full[f"b{i}"])
        y = y + v @ full[f"W{i}"][M:].T
        x = x + v @ full[f"W{i}"][:M].T
    np.testing.assert_allclose(m.predict(t, X), y, rtol=1e-13, atol=1e-14)


def test_aresnest_without_input_feature_has_no_h0():
    assert AResNEst(3, 4, 2, (2,), include_input=False).n_params == \
        AResNEst(3, 4, 2, (2,)).n_params - 2 * 3


def test_densenest_concatenates_and_its_a_phi_is_orthonormal():
    rng = np.random.default_rng(1)
    m = DenseNEst(2, 1, (3, 2))
    t = rng.standard_normal(m.n_params)
    X = rng.standard_normal((6, 2))
    full = m.resnest.layout.views(m.full_theta(t))
    h = X
    for i, _k in ((1, 3), (2, 2)):
        U = full[f"U{i}"][:, :h.shape[1]]
        h = np.hstack([h, np.tanh(h @ U.T + full[f"b{i}"])])
    np.testing.assert_allclose(m.predict(t, X), h @ full["Wout"].T, rtol=1e-13, atol=1e-14)
    A = np.hstack([full["W0"], full["W1"]])
    np.testing.assert_allclose(A.T @ A, np.eye(A.shape[1]), atol=0)


def test_overlapping_slots_change_the_function():
    rng = np.random.default_rng(2)
    t = rng.standard_normal(DenseNEst(2, 1, (2, 2)).n_params)
    X = rng.standard_normal((4, 2))
    assert not np.allclose(DenseNEst(2, 1, (2, 2)).predict(t, X),
                           DenseNEst(2, 1, (2, 2), overlap=True).predict(t, X))


@pytest.mark.parametrize("model", [AResNEst(2, 3, 2, (2,)), DenseNEst(2, 2, (2, 1)),
                                   YunResNet(2, (2,))])
def test_gradients_and_hessians_of_embedded_models(model):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 2))
    Y = rng.standard_normal((6, 1 if isinstance(model, YunResNet) else 2))
    obj = model.objective(X, Y)
    t = rng.standard_normal(obj.n_params) * 0.5
    np.testing.assert_allclose(obj.grad(t), oracles.central_gradient(obj.loss, t), rtol=1e-6,
                               atol=1e-8)
    v = rng.standard_normal(t.size)
    np.testing.assert_allclose(obj.hvp(t, v), obj.hessian(t) @ v, rtol=1e-12, atol=1e-13)


def test_linear_optimum_is_the_least_squares_solution():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    T, R = LinearPredictor.squared_optimum(X, Y)
    assert np.abs(X.T @ (X @ T.T - Y)).max() < 1e-12
    assert pytest.approx(0.5 * np.sum((X @ T.T - Y) ** 2) / 20) == R


def test_two_layer_blocks_match_a_direct_forward_pass():
    rng = np.random.default_rng(6)
    m = TwoLayerResNEst(3, 4, 2, ((3, 2), (2, 2)))
    t = rng.standard_normal(m.n_params)
    X = rng.standard_normal((5, 3))
    full = m.resnest.layout.views(m.full_theta(t))
    x = X @ full["W0"][:4].T
    slot = 4
    for i, (k, _) in enumerate(((3, 2), (2, 2))):
        a, b = 2 * i + 1, 2 * i + 2
        hidden = np.tanh(x @ full[f"U{a}"][:, :4].T + full[f"b{a}"])
        G = np.tanh(hidden @ full[f"U{b}"][:, slot:slot + k].T + full[f"b{b}"])
        x = x + G @ full[f"W{b}"][:4].T
        slot += k
    np.testing.assert_allclose(m.predict(t, X), x @ full["Wout"][:, :4].T, rtol=1e-13,
                               atol=1e-14)
    obj = m.objective(X, rng.standard_normal((5, 2)))
    np.testing.assert_allclose(obj.grad(t), oracles.central_gradient(obj.loss, t), rtol=1e-6,
                               atol=1e-8)


def test_yun_two_layer_resnet_is_the_recursion_with_exact_derivatives():
    from resproof.nn.models import YunTwoLayerResNet

    rng = np.random.default_rng(0)
    model = YunTwoLayerResNet(3, ((2, 1), (1, 2)), "tanh")
    t = rng.standard_normal(model.n_params)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    v = model.split(t)
    np.testing.assert_array_equal(model._from_views(v), t)
    h = X.copy()
    for i in (1, 2):
        h = h + np.tanh(np.tanh(h @ v[f"U{i}"].T) @ v[f"A{i}"].T) @ v[f"W{i}"].T
    np.testing.assert_allclose(model.predict(t, X)[:, 0], h @ v["Wout"][0], atol=1e-12)
    obj = model.objective(X, y, "logistic")
    eps, P = 1e-6, model.n_params
    fd = np.array([(obj.grad(t + eps * e) - obj.grad(t - eps * e)) / (2 * eps)
                   for e in np.eye(P)])
    np.testing.assert_allclose(obj.hessian(t), 0.5 * (fd + fd.T), atol=1e-7)


def test_structured_hessian_matches_finite_differences_four_thin_blocks():
    from resproof.nn.resnest import ResNEst

    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    obj = ResNEst.build(2, 4, 1, (1, 1, 1, 1)).objective(X, Y)
    t = rng.standard_normal(obj.n_params)
    eps = 1e-6
    fd = np.array([(obj.grad(t + eps * e) - obj.grad(t - eps * e)) / (2 * eps)
                   for e in np.eye(obj.n_params)])
    hv = np.array([obj.hvp(t, e) for e in np.eye(obj.n_params)])
    np.testing.assert_allclose(hv, fd, atol=1e-6)   # the HVP is right
    np.testing.assert_allclose(obj.hessian(t), fd, atol=1e-6)
