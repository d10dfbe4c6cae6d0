"""Objective adapters (FunctionObjective, Restricted, counted); exact test-problem derivatives."""

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape.objective import (
    FunctionObjective,
    Objective,
    Restricted,
    check_theta,
    counted,
    loss_and_grad,
)

from .problems import DoubleWell, GradientFlat, Quadratic, Rosenbrock, random_two_layer


def taylor_errors(objective, theta, direction, t=1e-4):
    """Second-order Taylor remainders of the gradient and the HVP (should be ~t^2 and ~t)."""
    f0 = objective.loss(theta)
    g0 = objective.grad(theta)
    H0v = objective.hvp(theta, direction)
    f1 = objective.loss(theta + t * direction)
    g1 = objective.grad(theta + t * direction)
    loss_rem = abs(f1 - f0 - t * g0 @ direction - 0.5 * t * t * direction @ H0v)
    grad_rem = np.linalg.norm(g1 - g0 - t * H0v)
    return loss_rem, grad_rem


PROBLEMS = {
    "quadratic": lambda rng: Quadratic(np.diag([1.0, 2.0, 0.0]), np.array([1.0, 0.0, 0.0])),
    "rosenbrock": lambda rng: Rosenbrock(5),
    "two_layer": lambda rng: random_two_layer(rng, 4, 3, 2, 7),
    "double_well": lambda rng: DoubleWell(),
    "gradient_flat": lambda rng: GradientFlat(),
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_problem_derivatives_are_exact(name):
    rng = np.random.default_rng(0)
    objective = PROBLEMS[name](rng)
    assert isinstance(objective, Objective)
    theta = rng.standard_normal(objective.n_params)
    v = rng.standard_normal(objective.n_params)
    loss_rem, grad_rem = taylor_errors(objective, theta, v)
    assert loss_rem < 1e-8 * max(1.0, abs(objective.loss(theta)))
    assert grad_rem < 1e-5 * max(1.0, np.linalg.norm(objective.grad(theta)))
    H = objective.hessian(theta)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H @ v, objective.hvp(theta, v), rtol=1e-10, atol=1e-10)


def test_function_objective_defaults_hvp_from_hessian_and_back():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    with_hessian = FunctionObjective(lambda x: 0.5 * x @ A @ x, lambda x: A @ x,
                                     hessian=lambda x: A, n_params=2)
    with_hvp = FunctionObjective(lambda x: 0.5 * x @ A @ x, lambda x: A @ x,
                                 hvp=lambda x, v: A @ v, n_params=2)
    x, v = np.array([1.0, -1.0]), np.array([0.5, 2.0])
    np.testing.assert_allclose(with_hessian.hvp(x, v), A @ v)
    np.testing.assert_allclose(with_hvp.hessian(x), A)
    assert isinstance(with_hvp, Objective)


def test_function_objective_hessian_columns_come_in_block_products():
    from resproof.landscape.objective import HESSIAN_BLOCK, has_block_hvp

    P = HESSIAN_BLOCK + 5
    B = np.random.default_rng(3).standard_normal((P, P))
    A = B + B.T
    calls = []

    def block(x, V):
        calls.append(V.shape[0])
        return V @ A

    plain = FunctionObjective(lambda x: 0.5 * x @ A @ x, lambda x: A @ x,
                              hvp=lambda x, v: A @ v, n_params=P)
    blocked = FunctionObjective(lambda x: 0.5 * x @ A @ x, lambda x: A @ x,
                                hvp=lambda x, v: A @ v, n_params=P, hvp_block=block)
    assert not has_block_hvp(plain)
    assert has_block_hvp(blocked)
    x = np.zeros(P)
    np.testing.assert_allclose(blocked.hessian(x), A, rtol=1e-14)
    np.testing.assert_allclose(blocked.hessian(x), plain.hessian(x), rtol=1e-14)
    assert calls == [HESSIAN_BLOCK, 5, HESSIAN_BLOCK, 5]
    with pytest.raises(InvalidInput, match="hvp_block"):
        FunctionObjective(lambda x: 0.0, lambda x: x, hvp=lambda x, v: v, n_params=1,
                          hvp_block=3)


def test_function_objective_needs_second_derivatives():
    with pytest.raises(InvalidInput, match="hvp"):
        FunctionObjective(lambda x: 0.0, lambda x: x, n_params=1)


def test_restricted_is_the_slice_of_the_full_objective():
    rng = np.random.default_rng(1)
    full = random_two_layer(rng, 3, 2, 2, 5)
    base = rng.standard_normal(full.n_params)
    indices = np.array([7, 0, 3, 9])
    sub = Restricted(full, indices, base)
    z = rng.standard_normal(4)
    theta = base.copy()
    theta[indices] = z
    assert sub.n_params == 4
    assert sub.loss(z) == full.loss(theta)
    np.testing.assert_allclose(sub.grad(z), full.grad(theta)[indices])
    np.testing.assert_allclose(sub.hessian(z), full.hessian(theta)[np.ix_(indices, indices)])
    u = rng.standard_normal(4)
    np.testing.assert_allclose(sub.hvp(z, u), sub.hessian(z) @ u, atol=1e-12)
    f, g = loss_and_grad(sub, z)
    assert f == sub.loss(z)
    np.testing.assert_allclose(g, sub.grad(z))
    np.testing.assert_array_equal(sub.restrict(sub.embed(z)), z)


def test_restricted_accepts_a_boolean_mask():
    full = Rosenbrock(4)
    mask = np.array([True, False, True, False])
    sub = Restricted(full, mask, np.ones(4))
    np.testing.assert_array_equal(sub.indices, [0, 2])


@pytest.mark.parametrize(("indices", "field"), [
    pytest.param(np.array([0, 0]), "indices", id="repeated"),
    pytest.param(np.array([5]), "indices", id="out-of-range"),
    pytest.param(np.array([], dtype=int), "indices", id="empty"),
    pytest.param(np.array([0.5]), "indices", id="float"),
    pytest.param(np.array([True, False]), "indices", id="short-mask"),
])
def test_restricted_bad_indices(indices, field):
    with pytest.raises(InvalidInput) as info:
        Restricted(Rosenbrock(4), indices, np.ones(4))
    assert info.value.field == field


def test_check_theta_names_the_shape():
    with pytest.raises(InvalidInput, match=r"shape \(4,\)"):
        check_theta(Rosenbrock(4), np.ones(3))
    with pytest.raises(InvalidInput, match="finite"):
        check_theta(Rosenbrock(2), np.array([np.nan, 1.0]))


def test_counted_counts_every_call():
    obj = counted(Rosenbrock(3))
    x = np.zeros(3)
    obj.loss(x)
    obj.grad(x)
    obj.hvp(x, x)
    obj.hessian(x)
    loss_and_grad(obj, x)
    assert (obj.counts.loss, obj.counts.grad, obj.counts.hvp, obj.counts.hessian) == (2, 2, 1, 1)


def test_counted_refuses_non_objectives():
    with pytest.raises(InvalidInput, match="objective"):
        counted(object())
