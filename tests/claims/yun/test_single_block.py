"""yun.single-block holds from random starts; both controls refuted and certified."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.claims import get
from resproof.claims.yun.single_block import YunSingleBlockHighPrecision, draw_data
from resproof.nn.models import YunResNet
from resproof.results import Verdict


def test_single_block_holds():
    outcome = get("yun.single-block").verify(trials=2, seed=0, budget="quick")
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.evidence["worst_trial"]["points_checked"] > 0


@pytest.mark.parametrize("control", ["w-zero", "no-skip"])
def test_controls_refuted_and_certified(control):
    outcome = get("yun.single-block").verify(control=control, trials=1, seed=0)
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certified is True


def test_w_zero_point_is_classified_a_strict_saddle():
    outcome = get("yun.single-block").verify(control="w-zero", trials=1, seed=3)
    example = outcome.counterexample
    assert example["kind"] == "saddle"
    assert example["lambda_min"] < 0
    assert example["negative_curvature"]["certified"]


def test_high_precision_objective_agrees_with_the_kernels():
    rng = np.random.default_rng(5)
    X, y = draw_data(rng)
    model = YunResNet(2, (2,), "tanh")
    obj = model.objective(X, y)
    theta = rng.standard_normal(model.n_params)
    hp = YunSingleBlockHighPrecision(X, y)
    assert float(hp.mp_loss(theta)) == pytest.approx(obj.loss(theta), rel=1e-13)
    np.testing.assert_allclose(np.array(hp.mp_grad(theta).tolist(), dtype=float).ravel(),
                               obj.grad(theta), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.array(hp.mp_hessian(theta).tolist(), dtype=float),
                               obj.hessian(theta), rtol=1e-11, atol=1e-14)
