"""``hvp_block``: the Hessian on a block of vectors equals the single HVPs, row by row."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.nn.models import ResNEst
from tests import oracles

#: (activation, loss, skip, block widths, N_o, N)
CASES = [
    ("tanh", "squared", True, (3, 2), 2, 7),
    ("softplus", "logistic", True, (2, 3, 4), 3, 11),
    ("sigmoid", "pseudo_huber", False, (4,), 1, 5),
    ("square", "softmax_ce", True, (1, 2), 3, 9),
    ("tanh", "welsch", False, (2, 2, 2), 2, 6),
    ("identity", "squared", True, (), 2, 8),
]


def problem(activation, loss, skip, widths, n_out, N, seed=0, n_in=3, width=4):
    rng = np.random.default_rng(seed)
    model = ResNEst.build(n_in, width, n_out, widths, activation=activation, skip=skip)
    X = rng.standard_normal((N, n_in))
    if loss == "logistic":
        Y = rng.choice([-1.0, 1.0], size=(N, n_out))
    elif loss == "softmax_ce":
        Y = rng.dirichlet(np.ones(n_out), size=N)
    else:
        Y = rng.standard_normal((N, n_out))
    theta = rng.standard_normal(model.n_params) * 0.5
    return model, X, Y, theta


def single_rows(obj, theta, V):
    return np.stack([obj.hvp(theta, v) for v in V])


def assert_rows_match(block, single, rtol=1e-12):
    """Each row equal to its single HVP relative to that row's norm (summation order only)."""
    assert block.shape == single.shape
    for got, want in zip(block, single, strict=True):
        assert np.linalg.norm(got - want) <= rtol * max(np.linalg.norm(want), 1e-300)


@pytest.mark.parametrize(("activation", "loss", "skip", "widths", "n_out", "N"), CASES)
@pytest.mark.parametrize("b", [1, 3, 8])
def test_rows_equal_single_hvps(activation, loss, skip, widths, n_out, N, b):
    model, X, Y, theta = problem(activation, loss, skip, widths, n_out, N)
    obj = model.objective(X, Y, loss)
    V = np.random.default_rng(b).standard_normal((b, theta.size))
    assert_rows_match(obj.hvp_block(theta, V), single_rows(obj, theta, V))


@pytest.mark.parametrize(("activation", "loss", "skip", "widths", "n_out", "N"), CASES[:3])
def test_rows_equal_the_hessian_and_differences_of_the_gradient(activation, loss, skip, widths,
                                                                 n_out, N):
    model, X, Y, theta = problem(activation, loss, skip, widths, n_out, N)
    obj = model.objective(X, Y, loss)
    V = np.random.default_rng(4).standard_normal((4, theta.size))
    HV = obj.hvp_block(theta, V)
    H = obj.hessian(theta)
    scale = max(1.0, np.abs(H).max())
    np.testing.assert_allclose(HV, V @ H.T, rtol=1e-11, atol=1e-12 * scale)
    fd = np.stack([oracles.central_hvp(obj.grad, theta, v) for v in V])
    np.testing.assert_allclose(HV, fd, rtol=1e-5, atol=1e-7 * scale)


def test_block_is_linear_and_row_order_free():
    model, X, Y, theta = problem(*CASES[1])
    obj = model.objective(X, Y, "logistic")
    rng = np.random.default_rng(5)
    V = rng.standard_normal((5, theta.size))
    HV = obj.hvp_block(theta, V)
    perm = np.array([3, 0, 4, 1, 2])
    assert_rows_match(obj.hvp_block(theta, V[perm]), HV[perm])
    mix = rng.standard_normal((2, 5))
    np.testing.assert_allclose(obj.hvp_block(theta, mix @ V), mix @ HV, rtol=1e-11,
                               atol=1e-12 * np.abs(HV).max())


@pytest.mark.parametrize("subset", ["P_phi", "PD_phi", ["W0", "U1"]])
def test_restricted_network_objective(subset):
    model, X, Y, theta = problem(*CASES[0])
    obj = model.objective(X, Y, subset=subset, theta=theta)
    t = theta[obj.indices]
    V = np.random.default_rng(6).standard_normal((3, t.size))
    assert_rows_match(obj.hvp_block(t, V), single_rows(obj, t, V))


def chunked_problem():
    """Several chunks, sub-chunks inside them, and the threaded path."""
    from resproof.nn.kernels.block import _block_threaded, _subchunks
    from resproof.nn.kernels.chunks import CHUNK, _bounds, _chunks

    rng = np.random.default_rng(7)
    N = 1300
    model = ResNEst.build(5, 24, 3, (16, 12, 16), activation="tanh")
    lay = model.layout.offsets
    assert _chunks(N) >= 3
    assert N > 2 * CHUNK
    a, e = _bounds(N, _chunks(N), 0)
    assert _subchunks(e - a, 6) > 1
    assert _block_threaded(lay, N, 6)
    X = rng.standard_normal((N, 5))
    Y = rng.standard_normal((N, 3))
    theta = 0.4 * rng.standard_normal(model.n_params) / np.sqrt(10)
    return model, X, Y, theta


def test_chunked_rows_equal_single_hvps():
    model, X, Y, theta = chunked_problem()
    obj = model.objective(X, Y)
    V = np.random.default_rng(8).standard_normal((6, theta.size))
    assert_rows_match(obj.hvp_block(theta, V), single_rows(obj, theta, V))


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    import numba
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from resproof.nn.kernels import threads

    model, X, Y, theta = chunked_problem()
    V = np.random.default_rng(9).standard_normal((6, theta.size))
    runs = []
    before = numba.get_num_threads()
    # never busy: the numba thread count set here is the one the kernel uses
    monkeypatch.setattr(threads, "machine_busy", lambda: False)
    try:
        for n in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(n)
            with threadpoolctl.threadpool_limits(n):
                runs.append(model.objective(X, Y).hvp_block(theta, V))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(runs[0], runs[1])
    monkeypatch.setattr(threads, "machine_busy", lambda: True)
    assert np.array_equal(model.objective(X, Y).hvp_block(theta, V), runs[0])


def test_blocks_beyond_the_largest_pass_are_applied_in_slices():
    from resproof.nn.kernels.block import MAX_BLOCK

    model, X, Y, theta = problem(*CASES[1])
    obj = model.objective(X, Y, "logistic")
    V = np.random.default_rng(11).standard_normal((2 * MAX_BLOCK + 3, theta.size))
    assert_rows_match(obj.hvp_block(theta, V), single_rows(obj, theta, V))


def test_bench_instance_rows():
    from resproof.nn.instances import resnest_tanh

    inst = resnest_tanh("S", 0)
    obj = inst.objective()
    V = np.random.default_rng(10).standard_normal((4, inst.theta.size))
    assert_rows_match(obj.hvp_block(inst.theta, V), single_rows(obj, inst.theta, V))


def test_bad_block_shape_is_invalid_input():
    model, X, Y, theta = problem(*CASES[0])
    obj = model.objective(X, Y)
    with pytest.raises(InvalidInput):
        obj.hvp_block(theta, np.ones(theta.size))
    with pytest.raises(InvalidInput):
        obj.hvp_block(theta, np.ones((2, theta.size + 1)))
    assert obj.hvp_block(theta, np.ones((0, theta.size))).shape == (0, theta.size)
