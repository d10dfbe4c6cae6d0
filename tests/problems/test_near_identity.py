"""The near-identity constant, zero-slope targets and the exact/one-sided pieces."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from resproof.nn.models import LinearPredictor
from resproof.nn.yun import YunResNet
from resproof.problems import linear
from resproof.problems.near_identity import (
    MultiOutputYunResNet,
    depth_constant,
    identity_gap_factor,
    last_features,
    linear_norm,
    logistic_minimiser_norm_upper,
    logistic_risk_upper,
    near_identity_constant,
    null_targets,
    relu_features_exact,
    zero_slope_targets,
)


def test_depth_constant_increases_to_c():
    C = near_identity_constant(1.0, 2.0, 1.0, 1.5)
    values = [depth_constant(1.0, 2.0, 1.0, L, 1.5) for L in (1, 2, 4, 8, 16, 32, 10**6)]
    assert values == sorted(values)
    assert values[-1] <= C
    assert values[-1] == pytest.approx(C, rel=1e-5)
    assert identity_gap_factor([0.5, 0.5]) == pytest.approx(1.25)


def test_gap_of_features_is_within_the_identity_factor():
    rng = np.random.default_rng(1)
    model = YunResNet(3, (2, 2, 2), "tanh")
    t = model.near_identity(rng.standard_normal(model.n_params), alpha=0.9)
    X = rng.standard_normal((30, 3))
    H = last_features(model, t, X)
    ratio = np.linalg.norm(H - X, axis=1) / np.linalg.norm(X, axis=1)
    assert ratio.max() <= identity_gap_factor(model.block_lipschitz(t)) * (1 + 1e-12)
    np.testing.assert_allclose(H @ model.split(t)["Wout"].ravel(),
                               model.resnest.predict(model.full_theta(t), X).ravel(), atol=1e-12)


@pytest.mark.parametrize("loss", ["logistic", "pseudo_huber", "softmax_ce"])
def test_zero_slope_targets_make_w_zero_critical(loss):
    rng = np.random.default_rng(2)
    K = 3 if loss == "softmax_ce" else 1
    model = MultiOutputYunResNet(2, (2,), "tanh", outputs=K) if K > 1 else \
        YunResNet(2, (2,), "tanh")
    t = rng.standard_normal(model.n_params) * 0.5
    t[-2 * K:] = 0.0
    X = rng.standard_normal((20, 2))
    y0 = rng.standard_normal((20, K) if K > 1 else 20) + 1
    y = zero_slope_targets(loss, None, last_features(model, t, X), y0)
    if K > 1:
        assert np.all(y > 0)
        np.testing.assert_allclose(y.sum(axis=1), 1.0)
    assert np.linalg.norm(model.objective(X, y, loss).grad(t)) < 1e-14


def test_linear_norm_of_softmax_minimiser_is_shift_free():
    T = np.array([[1.0, 2.0], [3.0, 0.0], [2.0, 1.0]])
    shifted = T + np.array([5.0, -1.0])
    assert linear_norm("softmax_ce", T) == pytest.approx(linear_norm("softmax_ce", shifted))
    assert linear_norm("logistic", np.array([[3.0, 4.0]])) == pytest.approx(5.0)


def test_null_targets_are_exact_and_representable():
    rng = np.random.default_rng(3)
    X = rng.integers(-8, 9, (7, 2)) / 4.0
    U, V = rng.integers(-4, 5, (2, 2)) / 16.0, rng.integers(-4, 5, (2, 2)) / 16.0
    rows, _ = relu_features_exact(X, [(U, V, None)])
    y = null_targets(rows, [1, -2, 0, 1, 0, 0, 2])
    assert y is not None
    assert max(abs(v) for v in y) <= 1
    assert all(Fraction(float(v)) == v for v in y)
    assert all(sum(y[n] * rows[n][i] for n in range(7)) == 0 for i in range(2))


def test_logistic_upper_bounds_bracket_the_float_solve():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 2))
    y = np.where(X @ [1.0, -0.5] + rng.standard_normal(30) > 0, 1.0, -1.0)
    T, r_lin = linear.optimum(X, y[:, None], "logistic")
    assert float(logistic_risk_upper(X, y, T.ravel())) >= r_lin - 1e-15
    bound = logistic_minimiser_norm_upper(X, y, T.ravel())
    assert bound is not None
    assert np.linalg.norm(T) <= float(bound) <= np.linalg.norm(T) * (1 + 1e-9)
    assert LinearPredictor.objective(X, y[:, None], "logistic").loss(T.ravel()) == r_lin
