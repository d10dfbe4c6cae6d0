"""The full problem (P): the stream-balanced size is the least ||theta|| over the GL(M)
orbit of the stream symmetry, invariant along it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

from resproof.claims.resnest._cases import NetSpec, build
from resproof.problems.full import full_objective, stream_balanced_size


def transformed(model, theta, G):
    """``theta`` moved along the stream symmetry: ``W -> G W`` for the weights writing into
    the stream, ``U -> U G^{-1}`` for those reading it."""
    lay = model.layout
    out = theta.copy()
    w = lay.views(out)
    Gi = np.linalg.inv(G)
    w["W0"][...] = G @ w["W0"]
    for i in range(1, lay.n_blocks + 1):
        w[f"W{i}"][...] = G @ w[f"W{i}"]
        w[f"U{i}"][...] = w[f"U{i}"] @ Gi
    w["Wout"][...] = w["Wout"] @ Gi
    return out


@pytest.fixture
def case():
    return build(NetSpec(2, 3, 1, 2, 2, 20, "tanh", "squared", 5))


def test_the_symmetry_leaves_the_risk_and_the_balanced_size_unchanged(case):
    rng = np.random.default_rng(0)
    G = np.eye(3) + 0.8 * rng.standard_normal((3, 3))
    moved = transformed(case.model, case.theta, G)
    obj = full_objective(case.model, case.X, case.Y)
    assert obj.loss(moved) == pytest.approx(obj.loss(case.theta), rel=1e-12)
    size = stream_balanced_size(case.model)
    assert size(moved) == pytest.approx(size(case.theta), rel=1e-10)
    assert np.linalg.norm(moved) != pytest.approx(np.linalg.norm(case.theta), rel=1e-3)


def test_the_balanced_size_is_the_least_norm_over_the_orbit(case):
    size = stream_balanced_size(case.model)

    def orbit_norm(g):
        return float(np.linalg.norm(transformed(case.model, case.theta, g.reshape(3, 3))))

    found = scipy_minimize(orbit_norm, np.eye(3).ravel(), method="BFGS", options={"gtol": 1e-10})
    assert size(case.theta) <= np.linalg.norm(case.theta) + 1e-12
    assert found.fun == pytest.approx(size(case.theta), rel=1e-6)


def test_prediction_jacobian_matches_finite_differences(case):
    from resproof.problems.full import prediction_jacobian, streams

    evaluate = prediction_jacobian(case.model, case.X, 2)
    yhat, J = evaluate(case.theta)
    w = case.model.layout.views(case.theta)
    np.testing.assert_allclose(yhat, (streams(case.model, case.theta, case.X)[-1]
                                      @ w["Wout"].T).ravel(), rtol=1e-12, atol=1e-14)
    h = 1e-6
    fd = np.column_stack([(evaluate(case.theta + h * e)[0] - evaluate(case.theta - h * e)[0])
                          / (2 * h) for e in np.eye(case.theta.size)])
    np.testing.assert_allclose(J, fd, atol=1e-7)


def test_levenberg_marquardt_reaches_an_exact_interpolant():
    from resproof.claims.resnest._cases import random_theta
    from resproof.problems.full import interpolating_minimum

    # the width-1 stream of rem2:scalar-stream: 8 parameters, 4 samples
    case = build(NetSpec(1, 1, 1, 2, 1, 4, "tanh", "squared", 3))
    rng = np.random.default_rng(0)
    points = [interpolating_minimum(case.model, case.X, case.Y, random_theta(rng, case.model)
                                    * 2.0) for _ in range(4)]
    done = [p for p in points if p.converged]
    assert done
    for p in done:
        assert p.loss <= 1e-20 * float(np.mean(case.Y ** 2))
        assert p.relative_grad_norm <= 1e-14
