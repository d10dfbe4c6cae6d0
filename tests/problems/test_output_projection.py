"""Variable projection of the output layer of a whole network ((P), (PD)): the reduced
gradient and Schur-complement Hessian against finite differences, and a minimum found
where trust-region Newton on (P) drifts off."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.claims.resnest._cases import NetSpec, build
from resproof.landscape.minimize import minimize
from resproof.nn.models import DenseNEst
from resproof.problems.full import full_objective, stream_symmetry_modes, streams
from resproof.problems.output_projection import ProjectedOutput, projected_minimum


def resnest_problem(spec: NetSpec):
    case = build(spec)
    obj = full_objective(case.model, case.X, case.Y, spec.loss)
    sl = case.model.layout.slices["Wout"]
    return case, obj, np.arange(sl.start, sl.stop), (
        lambda t: streams(case.model, t, case.X)[-1])


@pytest.mark.parametrize("loss", ["squared", "logistic", "softmax_ce"])
def test_projected_gradient_and_hessian_match_finite_differences(loss):
    case, obj, out, features = resnest_problem(NetSpec(2, 3, 1, 2, 2, 24, "tanh", loss, 1))
    reduced = ProjectedOutput(obj, out, features, case.Y, loss, case.theta)
    w = case.theta[reduced.rest]
    g, H = reduced.grad(w), reduced.hessian(w)
    h = 1e-5
    eye = np.eye(w.size)
    fd_g = np.array([(reduced.loss(w + h * e) - reduced.loss(w - h * e)) / (2 * h) for e in eye])
    fd_H = np.array([(reduced.grad(w + h * e) - reduced.grad(w - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(g, fd_g, atol=1e-8)
    np.testing.assert_allclose(H, 0.5 * (fd_H + fd_H.T), atol=1e-6 * max(1.0, np.abs(H).max()))
    assert reduced.loss(w) <= obj.loss(case.theta) + 1e-15


def test_projected_search_finds_a_minimum_where_newton_on_p_drifts():
    # resnest.rem1 trial 26 of seed 0: trust-region Newton on (P) runs out of iterations
    # with W_1, W_2, W_{L+1} growing together; the projected search converges, lower
    spec = NetSpec(2, 4, 1, 2, 2, 28, "quadratic", "pseudo_huber", 18313827)
    case, obj, out, features = resnest_problem(spec)
    modes = stream_symmetry_modes(case.model)
    newton = minimize(obj, case.theta, max_iterations=300, symmetry_modes=modes, method="cg")
    point = projected_minimum(obj, out, features, case.Y, spec.loss, case.theta,
                              max_iterations=200, symmetry_modes=modes)
    assert not newton.converged
    assert point.converged
    assert point.loss < newton.loss
    assert np.linalg.norm(obj.grad(point.theta)) <= 1e-10 * max(1.0, point.loss)


def test_projection_of_a_densenest_concatenation():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 2))
    Y = np.tanh(X @ rng.standard_normal((2, 1))) + 0.1 * rng.standard_normal((20, 1))
    model = DenseNEst(2, 1, (1, 1), "tanh")
    obj = model.objective(X, Y, "squared")
    n = model.n_params
    out = np.arange(n - 4, n)   # W_{L+1}: 1 x (2 + 1 + 1)
    t0 = rng.standard_normal(n) * 0.7
    point = projected_minimum(obj, out, lambda t: streams(model.resnest, model.full_theta(t),
                                                          X)[-1], Y, "squared", t0,
                              max_iterations=200)
    assert point.converged
    # at the optimum W_{L+1} is least squares on [x, v_1, v_2]: the risk is at most R_lin
    lin, *_ = np.linalg.lstsq(X, Y, rcond=None)
    assert point.loss <= 0.5 * np.sum((X @ lin - Y) ** 2) / 20 + 1e-12
