"""Contract tests: every activation x loss x subset x skip through the kernels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resproof.nn.models import ResNEst
from tests import oracles

SMOOTH = ["identity", "tanh", "softplus", "sigmoid", "square"]
LOSSES = ["squared", "logistic", "pseudo_huber", "softmax_ce", "welsch"]
SUBSETS = [None, "P_phi", "PD_phi", ["W0", "U1"]]


def problem(activation="tanh", loss="squared", skip=True, seed=0, widths=(3, 2)):
    rng = np.random.default_rng(seed)
    model = ResNEst.build(3, 4, 2, widths, activation=activation, skip=skip)
    N = 7
    X = rng.standard_normal((N, 3))
    if loss == "logistic":
        Y = rng.choice([-1.0, 1.0], size=(N, 2))
    elif loss == "softmax_ce":
        Y = rng.dirichlet(np.ones(2), size=N)
    else:
        Y = rng.standard_normal((N, 2))
    theta = rng.standard_normal(model.n_params) * 0.5
    return model, X, Y, theta


@pytest.mark.parametrize(("activation", "loss"), list(itertools.product(SMOOTH, LOSSES)))
def test_loss_matches_numpy_loop_and_gradient_matches_differences(activation, loss):
    model, X, Y, theta = problem(activation, loss)
    obj = model.objective(X, Y, loss)
    assert obj.loss(theta) == pytest.approx(
        oracles.numpy_loss(model.layout, theta, X, Y, activation, loss), rel=1e-13)
    g = obj.grad(theta)
    fd = oracles.central_gradient(obj.loss, theta)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    v = np.random.default_rng(1).standard_normal(theta.size)
    assert oracles.taylor_slope(obj.loss, g, theta, v) > 1.9


@pytest.mark.parametrize(("activation", "loss", "subset", "skip"), [
    (a, lo, s, sk) for a, lo in itertools.product(SMOOTH, LOSSES)
    for s, sk in [(None, True), ("P_phi", True), ("PD_phi", False), (["W0", "U1"], True)]])
def test_hessian_contract(activation, loss, subset, skip):
    model, X, Y, theta = problem(activation, loss, skip)
    obj = model.objective(X, Y, loss, subset=subset, theta=theta)
    t = theta[obj.indices]
    H = obj.hessian(t)
    rng = np.random.default_rng(2)
    v, w = rng.standard_normal(t.size), rng.standard_normal(t.size)
    scale = max(1.0, np.abs(H).max())
    assert np.abs(H - H.T).max() <= 1e-14 * scale
    np.testing.assert_allclose(obj.hvp(t, v), H @ v, rtol=1e-12, atol=1e-13 * scale)
    np.testing.assert_allclose(obj.hvp(t, 2 * v - 3 * w), 2 * obj.hvp(t, v) - 3 * obj.hvp(t, w),
                               rtol=1e-11, atol=1e-12 * scale)
    np.testing.assert_allclose(obj.hvp(t, v), oracles.central_hvp(obj.grad, t, v),
                               rtol=1e-5, atol=1e-7 * scale)


def test_relu_gradient_away_from_kinks():
    model, X, Y, theta = problem("relu")
    obj = model.objective(X, Y)
    np.testing.assert_allclose(obj.grad(theta), oracles.central_gradient(obj.loss, theta),
                               rtol=1e-6, atol=1e-8)


def test_exact_against_sympy_on_a_tiny_network():
    model = ResNEst.build(2, 2, 1, (1,), activation="tanh")
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((2, 2)), rng.standard_normal((2, 1))
    theta = rng.standard_normal(model.n_params)
    obj = model.objective(X, Y)
    g, H = oracles.sympy_derivatives(model.layout, theta, X, Y)
    np.testing.assert_allclose(obj.grad(theta), g, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(obj.hessian(theta), H, rtol=1e-12, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), widths=st.lists(st.integers(1, 3), min_size=0,
                                                       max_size=3))
def test_hvp_equals_hessian_times_v_on_random_architectures(seed, widths):
    model, X, Y, theta = problem("tanh", "squared", seed=seed, widths=tuple(widths))
    obj = model.objective(X, Y)
    v = np.random.default_rng(seed).standard_normal(theta.size)
    H = obj.hessian(theta)
    np.testing.assert_allclose(obj.hvp(theta, v), H @ v, rtol=1e-11,
                               atol=1e-12 * max(1.0, np.abs(H).max()))


@pytest.mark.parametrize(("activation", "loss"), [("tanh", "squared"), ("softplus", "welsch")])
def test_hvp_on_one_sample_through_a_block_wider_than_the_residual_width(activation, loss):
    """A work area sized by the samples alone would be too small here: the HVP's
    ``M x K`` scratch exceeds everything else of a one-sample chunk."""
    rng = np.random.default_rng(5)
    model = ResNEst.build(2, 20, 2, (40,), activation=activation)
    X, Y = rng.standard_normal((1, 2)), rng.standard_normal((1, 2))
    theta = rng.standard_normal(model.n_params) * 0.3
    obj = model.objective(X, Y)
    v = rng.standard_normal(theta.size)
    np.testing.assert_allclose(obj.hvp(theta, v), oracles.central_hvp(obj.grad, theta, v),
                               rtol=1e-6, atol=1e-8)


def test_results_do_not_depend_on_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from resproof.nn.instances import resnest_tanh

    inst = resnest_tanh("S", 0)
    obj = inst.objective()
    v = np.random.default_rng(0).standard_normal(inst.theta.size)
    runs = []
    for n in (1, 2):
        with threadpoolctl.threadpool_limits(n):
            runs.append((obj.loss_grad(inst.theta)[1], obj.hvp(inst.theta, v),
                         obj.hessian(inst.theta)))
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a, b)


def chunked_problem(loss="squared"):
    """More samples than one chunk, and enough work per pass for the threaded path."""
    from resproof.nn.kernels.chunks import CHUNK, _threaded

    rng = np.random.default_rng(5)
    N = 1300
    model = ResNEst.build(5, 48, 3, (40, 40), activation="tanh")
    assert N > 2 * CHUNK
    assert _threaded(model.layout.offsets, N)
    X = rng.standard_normal((N, 5))
    Y = rng.standard_normal((N, 3)) if loss != "logistic" else rng.choice([-1.0, 1.0], (N, 3))
    return model, X, Y, 0.4 * rng.standard_normal(model.n_params) / np.sqrt(10)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_chunked_kernels_are_the_sample_weighted_sum_of_their_parts(loss):
    """R, dR and H v over N samples = sum over sub-batches (each one chunk) weighted n_c/N."""
    model, X, Y, theta = chunked_problem(loss=loss)
    N = X.shape[0]
    v = np.random.default_rng(1).standard_normal(theta.size)
    whole = model.objective(X, Y, loss)
    R, g = whole.loss_grad(theta)
    Hv = whole.hvp(theta, v)
    parts = [slice(0, 300), slice(300, 800), slice(800, N)]  # one chunk each: serial
    R_sum, g_sum, Hv_sum = 0.0, np.zeros_like(g), np.zeros_like(Hv)
    for s in parts:
        w = (s.stop - s.start) / N
        sub = model.objective(X[s], Y[s], loss)
        r, gg = sub.loss_grad(theta)
        R_sum, g_sum, Hv_sum = R_sum + w * r, g_sum + w * gg, Hv_sum + w * sub.hvp(theta, v)
    assert abs(R - R_sum) <= 1e-13 * abs(R_sum)
    assert whole.loss(theta) == R
    np.testing.assert_allclose(g, g_sum, rtol=1e-12, atol=1e-14 * np.abs(g).max())
    np.testing.assert_allclose(Hv, Hv_sum, rtol=1e-12, atol=1e-13 * np.abs(Hv).max())


def test_chunked_kernels_do_not_depend_on_the_thread_count():
    import numba
    threadpoolctl = pytest.importorskip("threadpoolctl")

    model, X, Y, theta = chunked_problem()
    v = np.random.default_rng(2).standard_normal(theta.size)
    runs = []
    before = numba.get_num_threads()
    try:
        for n in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(n)
            with threadpoolctl.threadpool_limits(n):
                obj = model.objective(X, Y)
                runs.append((obj.loss_grad(theta)[1], obj.hvp(theta, v)))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a, b)


def test_a_busy_machine_changes_the_threads_not_the_bits(monkeypatch):
    from resproof.nn.kernels import threads

    model, X, Y, theta = chunked_problem()
    v = np.random.default_rng(3).standard_normal(theta.size)
    runs = []
    for busy in (False, True):
        monkeypatch.setattr(threads, "machine_busy", lambda busy=busy: busy)
        obj = model.objective(X, Y)
        runs.append((obj.loss_grad(theta)[1], obj.hvp(theta, v)))
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a, b)
    assert isinstance(threads._LOAD[3], bool)
