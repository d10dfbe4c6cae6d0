"""problems.yun_mp: the 50-digit losses and risks used to certify the single-block
controls agree with closed forms and with the float kernels; the linear risk of any
feasible predictor bounds R_lin from above; the jets' gradient and Hessian match finite
differences of the float risk."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from resproof.nn.yun import YunResNet
from resproof.problems.linear import optimum
from resproof.problems.yun_mp import (
    YunHighPrecision,
    linear_risk_upper_mp,
    loss_mp,
    risk_of_predictions_mp,
)

LOSSES = ("squared", "logistic", "pseudo_huber")


def test_losses_match_their_closed_forms_at_50_digits() -> None:
    with mpmath.workdps(50):
        assert loss_mp("squared", 3, 1) == 2
        assert loss_mp("logistic", 0, 1) == mpmath.log(2)
        assert loss_mp("logistic", 2, -1) == mpmath.log(1 + mpmath.e ** 2)
        assert loss_mp("pseudo_huber", 1, 0, 2) == 4 * (mpmath.sqrt(mpmath.mpf(5) / 4) - 1)


def test_risk_of_exact_predictions() -> None:
    value = risk_of_predictions_mp([Fraction(1, 3), Fraction(0)], [0.0, 1.0], "squared")
    with mpmath.workdps(50):
        assert abs(value - (mpmath.mpf(1) / 9 + 1) / 4) < mpmath.mpf(10) ** -48


@pytest.mark.parametrize("loss", LOSSES)
def test_linear_risk_upper_bounds_r_lin_and_matches_the_float_risk(loss: str) -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 2))
    y = np.tanh(X @ [1.0, -2.0]) + 0.3 * rng.standard_normal(20)
    if loss == "logistic":
        y = np.where(y >= 0, 1.0, -1.0) * np.where(rng.random(20) < 0.3, -1, 1)
    t, r_lin = optimum(X, y[:, None], loss, 1.0 if loss == "pseudo_huber" else None)
    upper = linear_risk_upper_mp(X, y, t, loss)
    assert float(upper) == pytest.approx(r_lin, rel=1e-12)
    # any other feasible t gives a larger risk: still an upper bound of R_lin
    assert linear_risk_upper_mp(X, y, t * 1.1, loss) > upper


@pytest.mark.parametrize("loss", LOSSES)
def test_jets_match_the_float_risk_and_finite_differences(loss: str) -> None:
    rng = np.random.default_rng(1)
    model = YunResNet(2, (2,), "softplus")
    X = rng.standard_normal((6, 2))
    y = np.sign(rng.standard_normal(6)) if loss == "logistic" else rng.standard_normal(6)
    theta = rng.standard_normal(model.n_params)
    param = 1.0 if loss == "pseudo_huber" else None
    obj = model.objective(X, y, loss, loss_param=param)
    hp = YunHighPrecision(model, X, y, loss, 1.0)
    with mpmath.workdps(50):
        assert float(hp.mp_loss(theta)) == pytest.approx(obj.loss(theta), rel=1e-12)
        g = np.array([float(v) for v in hp.mp_grad(theta)])
        H = np.array(hp.mp_hessian(theta).tolist(), dtype=float)
    h = 1e-6
    fd = np.array([(obj.loss(theta + h * e) - obj.loss(theta - h * e)) / (2 * h)
                   for e in np.eye(model.n_params)])
    np.testing.assert_allclose(g, fd, atol=1e-8)
    np.testing.assert_allclose(H, obj.hessian(theta), atol=1e-10)
