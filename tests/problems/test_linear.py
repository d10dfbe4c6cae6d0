"""R_lin, the best linear predictor's risk, for every convex loss."""

import numpy as np
import pytest

from resproof.nn.models import LinearPredictor
from resproof.problems import linear
from tests import oracles


@pytest.mark.parametrize("loss", ["logistic", "pseudo_huber", "softmax_ce"])
def test_linear_optimum_for_convex_losses_is_stationary(loss):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 3))
    if loss == "logistic":
        Y = np.where(X @ [1.0, -1.0, 0.5] + rng.standard_normal(40) > 0, 1.0, -1.0)[:, None]
    elif loss == "softmax_ce":
        Y = rng.dirichlet(np.ones(2), size=40)
    else:
        Y = rng.standard_normal((40, 2))
    T, R = linear.optimum(X, Y, loss)
    obj = LinearPredictor.objective(X, Y, loss)
    assert np.linalg.norm(obj.grad(T.ravel())) < 1e-10
    t = T.ravel()
    np.testing.assert_allclose(obj.hessian(t) @ np.ones_like(t),
                               oracles.central_hvp(obj.grad, t, np.ones_like(t)), rtol=1e-6,
                               atol=1e-9)
    assert obj.loss(t + 1e-3 * rng.standard_normal(t.size)) >= R


def test_linear_optimum_refuses_a_non_convex_loss():
    from resproof.errors import InvalidInput

    with pytest.raises(InvalidInput, match="loss"):
        linear.optimum(np.ones((3, 1)), np.ones((3, 1)), "welsch")
