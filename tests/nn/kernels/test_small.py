"""The BLAS-free feature-major path (nn/small.py) against the BLAS path, and its
building blocks (fixed-order SIMD dot products, fused row products) against plain code."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numba import njit

from resproof.nn.instances import resnest_tanh
from resproof.nn.kernels import chunks, fastmath, small
from resproof.nn.kernels import drivers as kernels
from resproof.nn.kernels.buffers import _need
from resproof.nn.models import ResNEst

ACTIVATIONS = ["identity", "tanh", "softplus", "sigmoid", "relu", "square"]
LOSSES = ["squared", "logistic", "pseudo_huber", "softmax_ce", "welsch"]


def _targets(rng, loss, N, N_o):
    if loss == "logistic":
        return rng.choice([-1.0, 1.0], size=(N, N_o))
    if loss == "softmax_ce":
        return rng.dirichlet(np.ones(N_o), size=N)
    return rng.standard_normal((N, N_o))


def _args(model, X, Y, loss):
    """The kernel arguments of ``model.objective(X, Y, loss)``."""
    return model.objective(X, Y, loss)._args


def _both_paths(th, args):
    """``(R, g)`` by the small path and by the chunked BLAS path on the same arguments."""
    lay, X, Y, acode, ap, lcode, lp, skip = args
    assert small._small(lay, X.shape[0])
    W = np.empty(int(_need(lay, X.shape[0])))
    R_s, g_s = kernels._loss_grad_narrow(th, lay, X, Y, acode, ap, lcode, lp, skip, W, True)
    R_b, g_b, _ = chunks._loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, np.empty(0), True)
    return (R_s, g_s), (R_b, g_b)


def _assert_close(small_result, blas_result):
    (R_s, g_s), (R_b, g_b) = small_result, blas_result
    assert R_s == pytest.approx(R_b, rel=1e-13, abs=1e-300)
    np.testing.assert_allclose(g_s, g_b, rtol=1e-13, atol=1e-13 * np.abs(g_b).max())


@pytest.mark.parametrize(("activation", "loss", "skip"), [
    (a, lo, sk) for a, lo in itertools.product(ACTIVATIONS, LOSSES) for sk in (True, False)])
def test_small_path_equals_blas_path(activation, loss, skip):
    rng = np.random.default_rng(11)
    # odd widths and N: every remainder loop of the row products and dot products
    model = ResNEst.build(3, 5, 3, (4, 1, 3), activation=activation, skip=skip)
    X = rng.standard_normal((37, 3))
    Y = _targets(rng, loss, 37, 3)
    theta = 0.5 * rng.standard_normal(model.n_params)
    _assert_close(*_both_paths(theta, _args(model, X, Y, loss)))


@pytest.mark.parametrize(("widths", "skip"), [((), True), ((1,), True), ((1,), False),
                                               ((2, 5), False)])
def test_small_path_equals_blas_path_without_blocks_and_with_one_output(widths, skip):
    rng = np.random.default_rng(12)
    model = ResNEst.build(2, 3, 1, widths, activation="tanh", skip=skip)
    X, Y = rng.standard_normal((13, 2)), rng.standard_normal((13, 1))
    theta = 0.5 * rng.standard_normal(model.n_params)
    _assert_close(*_both_paths(theta, _args(model, X, Y, "squared")))


@pytest.mark.parametrize("seed", [0, 1])
def test_small_path_equals_blas_path_on_the_bench_instance(seed):
    inst = resnest_tanh("S", seed)
    _assert_close(*_both_paths(inst.theta, inst.objective()._args))


def test_bench_s_reference_values():
    inst = resnest_tanh("S", 0)
    R, g = inst.objective().loss_grad(inst.theta)
    R_ref, g_ref = 0.5668778063929794, 1.842312742683673
    assert abs(R - R_ref) <= 1e-12 * R_ref
    assert abs(np.linalg.norm(g) - g_ref) <= 1e-12 * g_ref


def test_loss_alone_equals_loss_of_loss_grad():
    inst = resnest_tanh("S", 0)
    obj = inst.objective()
    assert obj.loss(inst.theta) == obj.loss_grad(inst.theta)[0]


def test_repeated_calls_give_the_same_bits():
    inst = resnest_tanh("S", 0)
    obj = inst.objective()
    R1, g1 = obj.loss_grad(inst.theta)
    R2, g2 = obj.loss_grad(inst.theta.copy())
    assert R1 == R2
    assert np.array_equal(g1, g2)


def test_nan_in_theta_gives_nan_loss_and_gradient():
    inst = resnest_tanh("S", 0)
    theta = inst.theta.copy()
    theta[0] = np.nan
    R, g = inst.objective().loss_grad(theta)
    assert np.isnan(R)
    assert np.isnan(g).any()


def test_infinite_preactivation_saturates_tanh_without_nan():
    """An infinite bias drives tanh to +-1 exactly (``s' = 0``), as libm's tanh does."""
    inst = resnest_tanh("S", 0)
    theta = inst.theta.copy()
    lay = inst.objective()._args[0]
    ob = small._block(lay, 0)[2]
    theta[ob] = np.inf
    R, g = inst.objective().loss_grad(theta)
    assert np.isfinite(R)
    assert np.isfinite(g).all()


# ---- fixed-order dot products ----------------------------------------------------


@njit(cache=True)
def _dot(a, b, oa, ob, n):
    return fastmath.dot(a, b, oa, ob, n)


@njit(cache=True)
def _dot_2x2(A, B, oa, ob, sa, sb, n):
    return fastmath.dot_2x2(A, B, oa, ob, sa, sb, n)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 255, 256, 257])
def test_simd_dot_equals_its_plain_definition_bitwise(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n + 11)
    b = rng.standard_normal(n + 13) * 1e3
    for oa, ob in [(0, 0), (3, 5), (11, 13)]:
        assert _dot(a, b, oa, ob, n) == fastmath.dot_order(a, b, oa, ob, n)


@pytest.mark.parametrize("n", [0, 5, 8, 29, 256])
def test_simd_dot_2x2_equals_four_single_dots_bitwise(n):
    rng = np.random.default_rng(100 + n)
    A = rng.standard_normal((3, n + 2))
    B = rng.standard_normal((4, n + 2))
    got = _dot_2x2(A, B, 1, 2, 2 * (n + 2), n + 2, n)
    want = tuple(fastmath.dot_order(A.ravel(), B.ravel(), oa, ob, n)
                 for oa in (1, 1 + 2 * (n + 2)) for ob in (2, 2 + n + 2))
    assert got == want


def test_simd_dot_propagates_nan_and_inf():
    a = np.ones(20)
    b = np.ones(20)
    b[13] = np.inf
    assert _dot(a, b, 0, 0, 20) == np.inf
    b[3] = np.nan
    assert np.isnan(_dot(a, b, 0, 0, 20))


@pytest.mark.parametrize(("p", "q"), [(1, 1), (2, 3), (3, 2), (4, 5), (5, 8)])
def test_dot_rows_against_numpy(p, q):
    rng = np.random.default_rng(p * 10 + q)
    A, B = rng.standard_normal((p, 33)), rng.standard_normal((q, 33))
    g = np.full(p * q + 3, np.nan)
    small._dot_rows(A, B, g, 2)
    np.testing.assert_allclose(g[2:2 + p * q], (A @ B.T).ravel(), rtol=1e-13, atol=1e-13)
    assert np.isnan(g[:2]).all()
    assert np.isnan(g[-1])


# ---- fused row products ------------------------------------------------------------


@pytest.mark.parametrize(("p", "q", "trans", "start", "factor"), [
    (p, q, t, s, f) for p, q in [(1, 1), (3, 2), (4, 3), (5, 4), (2, 5), (6, 8), (3, 9)]
    for t in (False, True) for s in (small._FRESH, small._CONST, small._SCALED)
    for f in (False, True)])
def test_acc_rows_against_numpy(p, q, trans, start, factor):
    rng = np.random.default_rng(7)
    N = 19
    C = rng.standard_normal((q, p) if trans else (p, q))
    B = rng.standard_normal((q, N))
    P = rng.standard_normal((p, N))
    S = rng.standard_normal((p, N)) if factor else np.empty((0, N))
    a = rng.standard_normal(p) if start == small._CONST else np.array([0.7])
    out = np.full((p, N), np.nan)
    small._acc_rows(out, C, B, trans, start, a, P, S)
    base = {small._FRESH: 0.0, small._CONST: a[:, None], small._SCALED: a[0] * P}[start]
    want = base + (C.T if trans else C) @ B
    if factor:
        want = want * S
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-13)


def test_acc_rows_skip_start_is_exact_for_sigma_one():
    """``sigma = 1`` adds the terms onto ``P`` itself: the same bits as copying first."""
    rng = np.random.default_rng(8)
    C = rng.standard_normal((4, 4))
    B, P = rng.standard_normal((4, 21)), rng.standard_normal((4, 21))
    none = np.empty((0, 21))
    got = np.empty((4, 21))
    small._acc_rows(got, C, B, False, small._SCALED, np.array([1.0]), P, none)
    want = P.copy()
    for j in range(4):
        want = want + C[:, j:j + 1] * B[j]
    assert np.array_equal(got, want)


# ---- the staged tanh -----------------------------------------------------------------


def test_tanh_pair_equals_scalar_tanh_bitwise():
    x = np.concatenate([np.linspace(-25.0, 25.0, 20_001), np.geomspace(1e-300, 1.0, 1001),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 0.625, -0.625, 5e-324]])
    S, S1 = np.empty_like(x), np.empty_like(x)
    fastmath.tanh_pair(x, S, S1)
    want = np.array([fastmath.tanh(t) for t in x])
    assert np.array_equal(S.view(np.int64), want.view(np.int64))
    assert np.array_equal(S1, 1.0 - want * want, equal_nan=True)


def test_small_path_is_used_for_the_bench_instance_only_up_to_size_s():
    for size, expected in [("S", True), ("M", False)]:
        inst = resnest_tanh(size, 0)
        lay, X = inst.objective()._args[:2]
        assert bool(small._small(lay, X.shape[0])) is expected
