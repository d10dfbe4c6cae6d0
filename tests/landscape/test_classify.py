"""Classification from spectra: relative thresholds, zero modes counted, margins."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resproof.landscape.classify import RTOL_ZERO, classify_spectrum, zero_tolerance
from resproof.results import PointKind


def test_kinds():
    assert classify_spectrum([-1.0, 2.0]).kind is PointKind.SADDLE
    assert classify_spectrum([-3.0, -1.0]).kind is PointKind.MAXIMUM
    assert classify_spectrum([1.0, 2.0]).kind is PointKind.MINIMUM
    assert classify_spectrum([0.0, 2.0]).kind is PointKind.DEGENERATE
    assert classify_spectrum([0.0, 2.0], symmetry_modes=1).kind is PointKind.MINIMUM


def test_thresholds_are_relative_to_the_hessian_scale():
    w = np.array([-1e-10, 0.0, 1e-3, 1.0])
    for scale in (1e-8, 1.0, 1e8):
        c = classify_spectrum(scale * w, symmetry_modes=2)
        assert c.kind is PointKind.MINIMUM
        assert c.n_zero_modes == 2
        assert c.zero_tolerance == pytest.approx(RTOL_ZERO * scale)


def test_margin_is_the_deciding_eigenvalue_over_the_threshold():
    c = classify_spectrum([-0.5, 0.0, 2.0])
    assert c.kind is PointKind.SADDLE
    assert c.margin == pytest.approx((0.5 - c.zero_tolerance) / 2.0)
    m = classify_spectrum([0.25, 1.0])
    assert m.margin == pytest.approx((0.25 + m.zero_tolerance) / 1.0)


def test_gradient_term_widens_the_threshold():
    w = np.array([1e-6, 0.5, 1.0])
    assert classify_spectrum(w).kind is PointKind.MINIMUM
    near = classify_spectrum(w, grad_norm=1e-6)
    assert near.zero_tolerance > 1e-6
    assert near.kind is PointKind.DEGENERATE
    assert zero_tolerance(w, grad_norm=1e-6) == near.zero_tolerance


def test_a_slightly_negative_zero_mode_is_not_a_saddle():
    c = classify_spectrum([-1e-12, 1.0, 3.0], symmetry_modes=1)
    assert c.kind is PointKind.MINIMUM


def test_zero_spectrum_is_degenerate():
    assert classify_spectrum(np.zeros(3)).kind is PointKind.DEGENERATE


@given(st.integers(0, 5), st.integers(1, 6), st.integers(0, 4), st.floats(-6, 6),
       st.integers(0, 2**32 - 1))
def test_planted_zero_modes_are_counted_exactly(n_zero, n_pos, n_neg, log_scale, seed):
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    w = np.concatenate([rng.uniform(1e-3, 1, n_pos), -rng.uniform(1e-3, 1, n_neg),
                        rng.uniform(-1, 1, n_zero) * 1e-14])
    c = classify_spectrum(scale * rng.permutation(w), symmetry_modes=n_zero)
    assert c.n_zero_modes == n_zero
    assert c.kind is (PointKind.SADDLE if n_neg else PointKind.MINIMUM)
    assert c.margin > 0
