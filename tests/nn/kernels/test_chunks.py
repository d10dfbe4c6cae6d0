"""The passes over sample chunks: serial and threaded kernels give the same bits, on any
number of lanes."""

from __future__ import annotations

import numpy as np

from resproof.nn.kernels import chunks
from tests.nn.kernels.test_kernels import chunked_problem


def _args(model, X, Y):
    return model.objective(X, Y)._args


def test_serial_and_threaded_kernels_agree_bitwise():
    model, X, Y, theta = chunked_problem()
    lay, X, Y, acode, ap, lcode, lp, skip = _args(model, X, Y)
    v = np.random.default_rng(4).standard_normal(theta.size)
    assert chunks._threaded(lay, X.shape[0])
    args = (theta, lay, X, Y, acode, ap, lcode, lp, skip)
    R_s, g_s, _ = chunks._loss_grad(*args, np.empty(0), True)
    for lanes in (1, 2, 3):
        R_t, g_t, _ = chunks._loss_grad_threaded(*args, np.empty(0), True, np.int64(lanes))
        assert R_s == R_t
        assert np.array_equal(g_s, g_t)
    st_s, _ = chunks._backward(*args, np.empty(0))
    st_t, _ = chunks._backward_threaded(*args, np.empty(0))
    for a, b in zip(st_s, st_t, strict=True):
        assert np.array_equal(a, b)
    Hv_s, _ = chunks._hvp(theta, lay, X, skip, acode, lcode, v, *st_s, np.empty(0))
    for lanes in (1, 2, 3):
        Hv_t, _ = chunks._hvp_threaded(theta, lay, X, skip, acode, lcode, v, *st_s, np.empty(0),
                                       np.int64(lanes))
        assert np.array_equal(Hv_s, Hv_t)
