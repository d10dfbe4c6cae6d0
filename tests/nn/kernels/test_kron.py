"""The Kronecker Hessian assembly: thread-count independence and several sample chunks."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resproof.nn.kernels.kron import assemble as hessian
from resproof.nn.layout import ParamLayout
from resproof.nn.models import ResNEst


def hessians_by_thread_count(obj, theta):
    """``obj.hessian(theta)`` with numba on one thread and on all of them."""
    before = numba.get_num_threads()
    runs = []
    try:
        for n in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(n)
            runs.append(obj.hessian(theta))
    finally:
        numba.set_num_threads(before)
    return runs


def test_hessian_is_bitwise_the_same_on_one_and_on_all_threads():
    from resproof.nn.instances import resnest_tanh

    inst = resnest_tanh("S", 0)
    one, all_ = hessians_by_thread_count(inst.objective(), inst.theta)
    assert np.array_equal(one, all_)


@pytest.mark.parametrize(("size", "chunk"), [("S", 256), ("S", 64), ("M", 512)])
def test_serial_and_threaded_assembly_give_the_same_bits(size, chunk):
    from resproof.nn.instances import resnest_tanh
    from resproof.nn.kernels.drivers import _states

    inst = resnest_tanh(size, 0)
    obj = inst.objective()
    th = obj.full(inst.theta)
    lay, X, skip = obj._args[0], obj._args[1], obj._args[-1]
    st = _states(th, *obj._args)
    serial, _ = hessian.assemble(th, lay, X, skip, chunk, *st, np.empty(0))
    threaded, _ = hessian.assemble_threaded(th, lay, X, skip, chunk, *st, np.empty(0))
    assert np.array_equal(serial, threaded)
    assert np.array_equal(serial, serial.T)


@pytest.mark.parametrize("chunk", [256, 64])
@pytest.mark.parametrize("skip", [True, False])
def test_hessian_over_several_chunks_matches_hvp_and_threads(skip, chunk):
    """Unequal block widths (``w_2, w_3`` through their bases, ``z_1`` against
    ``[x; 1]``), N over chunks (the last one short); chunks of 256 form ``G_n``
    per node pair, chunks of 64 once for all pairs (:data:`hessian.GE_MAX`)."""
    rng = np.random.default_rng(7)
    model = ResNEst.build(5, 9, 3, (6, 2, 4), activation="tanh", skip=skip)
    X = rng.standard_normal((900, 5))
    Y = rng.standard_normal((900, 3))
    theta = 0.4 * rng.standard_normal(model.n_params)
    obj = model.objective(X, Y)
    obj.chunk = chunk
    n_rows = 33   # rows of the nodes that are their own basis
    assert (n_rows * (n_rows + 1) // 2 * chunk <= hessian.GE_MAX) == (chunk == 64)
    one, all_ = hessians_by_thread_count(obj, theta)
    assert np.array_equal(one, all_)
    assert np.array_equal(one, one.T)
    scale = np.abs(one).max()
    for v in np.random.default_rng(8).standard_normal((3, theta.size)):
        np.testing.assert_allclose(obj.hvp(theta, v), one @ v, rtol=1e-12, atol=1e-13 * scale)


@st.composite
def _small_networks(draw):
    n_in = draw(st.integers(1, 4), label="N_in")
    width = draw(st.integers(1, 6), label="M")
    n_out = draw(st.integers(1, 3), label="N_o")
    blocks = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=5), label="K"))
    activation = draw(st.sampled_from(["tanh", "softplus", "square"]), label="activation")
    loss = draw(st.sampled_from(["squared", "logistic", "pseudo_huber"]), label="loss")
    skip = draw(st.booleans(), label="skip")
    seed = draw(st.integers(0, 2**16), label="seed")
    return n_in, width, n_out, blocks, activation, loss, skip, seed


@settings(max_examples=60, deadline=None)
@given(_small_networks())
def test_the_assembled_hessian_equals_the_hvp_columns(net):
    """Every block of the Kronecker assembly against ``H e_j`` by the R-operator (an
    independent pass), over small layouts of every shape: thin blocks, many blocks,
    ``N_in`` below and above ``M``, no blocks, no skip."""
    n_in, width, n_out, blocks, activation, loss, skip, seed = net
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, n_in))
    Y = rng.standard_normal((5, n_out))
    if loss == "logistic":
        Y = np.sign(Y) + (Y == 0)
    model = ResNEst(ParamLayout(n_in, width, n_out, blocks), activation, skip=skip)
    obj = model.objective(X, Y, loss)
    t = rng.standard_normal(obj.n_params) * 0.7
    columns = np.array([obj.hvp(t, e) for e in np.eye(obj.n_params)]).T
    H = obj.hessian(t)
    assert np.all(np.isfinite(H))
    scale = max(1.0, float(np.max(np.abs(columns))))
    np.testing.assert_allclose(H, columns, rtol=0, atol=1e-10 * scale)


def test_the_layout_that_exposed_the_w_row_bases_bug():
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    obj = ResNEst.build(2, 4, 1, (1, 1, 1, 1)).objective(X, Y)
    t = rng.standard_normal(obj.n_params)
    columns = np.array([obj.hvp(t, e) for e in np.eye(obj.n_params)]).T
    np.testing.assert_allclose(obj.hessian(t), columns, rtol=0, atol=1e-12)
