"""Taylor checks must pass exact derivatives and fail wrong ones (both directions)."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape.diagnostics import gradient_check, hvp_check, hvp_linearity, hvp_symmetry
from resproof.landscape.objective import FunctionObjective
from resproof.nn.instances import resnest_tanh


def rosenbrock(wrong_grad=False, wrong_hvp=False):
    def f(x):
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    def g(x):
        out = np.zeros_like(x)
        r = x[1:] - x[:-1] ** 2
        out[:-1] = -400 * x[:-1] * r - 2 * (1 - x[:-1])
        out[1:] += 200 * r
        return out * (1.01 if wrong_grad else 1.0)

    def hvp(x, v):
        h = np.zeros_like(x)
        h[:-1] += (1200 * x[:-1] ** 2 - 400 * x[1:] + 2) * v[:-1] - 400 * x[:-1] * v[1:]
        h[1:] += -400 * x[:-1] * v[:-1] + 200 * v[1:]
        if wrong_hvp:
            h = h + np.roll(v, 1)  # an error of about 1e-3 ||H||
        return h

    return FunctionObjective(f, g, hvp=hvp, n_params=5)


X0 = np.array([0.3, -0.2, 0.9, 1.1, 0.5])


def test_exact_derivatives_pass():
    obj = rosenbrock()
    assert gradient_check(obj, X0).verdict == "passed"
    assert hvp_check(obj, X0).verdict == "passed"
    assert hvp_symmetry(obj, X0) < 1e-14
    assert hvp_linearity(obj, X0) < 1e-14


def test_a_wrong_gradient_fails_with_slope_one():
    check = gradient_check(rosenbrock(wrong_grad=True), X0)
    assert check.verdict == "failed"
    assert check.slope == pytest.approx(1.0, abs=0.1)


def test_a_wrong_hvp_fails_the_taylor_check_and_the_symmetry_check():
    obj = rosenbrock(wrong_hvp=True)
    check = hvp_check(obj, X0)
    assert check.verdict == "failed"
    assert check.slope < 2.5  # the h^2 term of the error shows below the cubic one
    assert hvp_symmetry(obj, X0) > 1e-8


def test_a_quadratic_is_exact_for_the_hvp_check():
    A = np.diag([1.0, 2.0, 3.0])
    obj = FunctionObjective(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, n_params=3,
                            hvp=lambda x, v: A @ v)
    assert hvp_check(obj, np.ones(3)).verdict == "exact"
    assert gradient_check(obj, np.ones(3)).verdict == "passed"


def test_the_network_kernels_pass_every_check():
    inst = resnest_tanh("S", 0)
    obj = inst.objective()
    assert gradient_check(obj, inst.theta, seed=1).verdict == "passed"
    assert hvp_check(obj, inst.theta, seed=2).verdict == "passed"
    assert hvp_symmetry(obj, inst.theta) < 1e-13
    assert hvp_linearity(obj, inst.theta) < 1e-13


def test_bad_arguments_name_the_field():
    with pytest.raises(InvalidInput, match="direction"):
        gradient_check(rosenbrock(), X0, direction=np.ones((2, 2)))
    with pytest.raises(InvalidInput, match="seed"):
        hvp_symmetry(rosenbrock(), X0, seed=-1)
