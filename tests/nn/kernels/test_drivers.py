"""The entry points' choices: transposed weights, the state cache's knowledge of private
data, and the switch to the BLAS-free small path."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.nn.kernels import buffers, drivers, small
from resproof.nn.models import ResNEst
from tests.nn.kernels.test_kernels import chunked_problem


def _args(model, X, Y):
    return model.objective(X, Y)._args


def test_transposed_stores_every_weight_transposed_and_every_bias_as_is():
    model = ResNEst.build(3, 5, 2, (4, 2, 3))
    theta = np.random.default_rng(0).standard_normal(model.n_params)
    out = buffers.transposed(model.layout.offsets, theta, np.full(theta.size, np.nan))
    for name, sl in model.layout.slices.items():
        shape = model.layout.shapes[name]
        want = theta[sl].reshape(shape)
        got = out[sl]
        if len(shape) == 2:
            np.testing.assert_array_equal(got.reshape(shape[::-1]), want.T)
        else:
            np.testing.assert_array_equal(got, want)


def test_model_data_is_a_private_copy_known_by_identity():
    model, X, Y, theta = chunked_problem()
    obj = model.objective(X, Y)
    Xp, Yp = obj._args[1], obj._args[2]
    assert Xp is not X
    assert Yp is not Y
    assert drivers._PRIVATE.get(id(Xp)) is Xp
    assert drivers._remembered(Xp) is Xp
    plain = X.copy()
    assert drivers._remembered(plain) is not plain
    v = np.random.default_rng(5).standard_normal(theta.size)
    before = obj.hvp(theta, v)
    X[:] = 0.0  # the caller's array: the objective holds its own copy
    assert np.array_equal(obj.hvp(theta, v), before)


def test_the_state_cache_compares_plain_arrays_by_value():
    model, X, Y, theta = chunked_problem()
    lay, _, _, acode, ap, lcode, lp, skip = _args(model, X, Y)
    X, Y = X.copy(), Y.copy()
    v = np.random.default_rng(6).standard_normal(theta.size)
    first = drivers.hvp(theta, lay, X, Y, acode, ap, lcode, lp, skip, v)
    X[0, 0] += 1.0
    changed = drivers.hvp(theta, lay, X, Y, acode, ap, lcode, lp, skip, v)
    fresh = model.objective(X, Y).hvp(theta, v)
    assert not np.array_equal(first, changed)
    assert np.array_equal(changed, fresh)


@pytest.mark.parametrize(("sizes", "expected"), [
    ((4, 8, 4, 2, 2, 1024), True),    # 8 wide, N M K = 32768
    ((8, 16, 8, 4, 4, 64), True),     # 16 wide, 8192
    ((8, 16, 8, 2, 4, 128), False),   # 16 wide, 16384: BLAS as fast (0.94-1.08)
    ((4, 8, 4, 2, 2, 2048), False),   # 8 wide, 65536
    ((4, 32, 4, 2, 2, 16), False),    # wider than 16
])
def test_small_path_switch(sizes, expected):
    n_in, width, k, blocks, n_out, N = sizes
    model = ResNEst.build(n_in, width, n_out, (k,) * blocks)
    assert bool(small._small(model.layout.offsets, N)) is expected
