"""The sinc ball parametrisation: points stay in the balls, derivatives exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from resproof.landscape.diagnostics import gradient_check, hvp_check
from resproof.nn.yun import YunResNet
from resproof.problems.ball_map import BallParametrised, sinc_coefficients
from resproof.problems.near_identity import block_groups


def _param(radius=0.5):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 2))
    y = np.sign(rng.standard_normal(16))
    model = YunResNet(2, (2, 2), "tanh")
    return model, BallParametrised(model.objective(X, y, "logistic"),
                                   block_groups(model, radius)), rng


@pytest.mark.parametrize("s", [1e-6, 0.3, 0.999999, 1.0, 1.7, 3.0])
def test_coefficients_match_their_definitions(s):
    q, p, u = sinc_coefficients(s)
    h = 1e-5
    def qf(t):
        return math.sin(t) / t
    assert q == pytest.approx(qf(s), rel=1e-14)
    if s > 1e-3:
        assert p == pytest.approx((qf(s + h) - qf(s - h)) / (2 * h) / s, rel=1e-6, abs=1e-9)
        def pf(t):
            return (sinc_coefficients(t)[1])
        assert u == pytest.approx((pf(s + h) - pf(s - h)) / (2 * h) / s, rel=1e-6, abs=1e-9)


def test_every_point_maps_into_the_balls_and_preimage_inverts():
    model, param, rng = _param()
    for scale in (0.1, 1.0, 10.0):
        theta = param.theta(rng.standard_normal(param.n_params) * scale)
        for idx, r in param.groups:
            assert np.linalg.norm(theta[idx]) <= r * (1 + 1e-15)
        assert model.is_near_identity(theta, alpha=2 * 0.25 * (1 + 1e-12))
    inside = param.theta(rng.standard_normal(param.n_params) * 0.3)
    np.testing.assert_allclose(param.theta(param.preimage(inside)), inside, atol=1e-14)


def test_gradient_hvp_and_hessian_are_exact():
    _, param, rng = _param()
    z = rng.standard_normal(param.n_params)
    assert gradient_check(param, z).verdict == "passed"
    assert hvp_check(param, z).verdict == "passed"
    v = rng.standard_normal(param.n_params)
    np.testing.assert_allclose(param.hessian(z) @ v, param.hvp(z, v), atol=1e-12)
