"""The ResNEst strategies: ranges, shrinking targets, reproducible numpy draws, loss-shaped
targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings

from resproof.errors import InvalidInput
from resproof.strategies import (
    A2_LOSSES,
    draw_resnest_spec,
    resnest_instance,
    resnest_specs,
)


@settings(max_examples=30)
@given(resnest_specs(width="wide"))
def test_wide_specs_meet_a3_and_the_a4_count(spec):
    assert spec.width >= spec.n_out
    assert spec.width >= spec.n_in + (spec.blocks - 1) * spec.bottleneck
    assert spec.samples >= 6 * (spec.n_in + spec.blocks * spec.bottleneck) + 12


@settings(max_examples=30)
@given(resnest_specs(width="narrow"))
def test_narrow_specs_break_a3_and_only_a3(spec):
    assert 1 <= spec.width < spec.n_out
    # A4's count met exactly: A_phi can have full column rank, and M < N_in + L K
    assert spec.width == spec.n_in + (spec.blocks - 1) * spec.bottleneck


def test_narrow_instances_meet_a4_as_measured():
    from resproof.claims.resnest.common import a4_ratio

    rng = np.random.default_rng(0)
    specs = [draw_resnest_spec(rng, width="narrow", losses=("squared",), max_blocks=2,
                               max_n_in=2) for _ in range(40)]
    ratios = [a4_ratio(resnest_instance(spec)) for spec in specs]
    assert sum(r > 1e-8 for r in ratios) >= 38


@settings(max_examples=30)
@given(resnest_specs(width="not-wide"))
def test_not_wide_specs_cannot_meet_a4_but_meet_a3(spec):
    assert spec.n_out <= spec.width < spec.n_in + (spec.blocks - 1) * spec.bottleneck


def test_specs_shrink_to_the_smallest_network_and_sample():
    spec = find(resnest_specs(), lambda s: True)
    assert (spec.n_in, spec.width, spec.bottleneck, spec.blocks, spec.n_out) == (1, 1, 1, 1, 1)
    assert spec.samples == 24
    assert (spec.loss, spec.activation) == ("squared", "tanh")


def test_every_a2_loss_and_activation_is_drawn():
    rng = np.random.default_rng(0)
    specs = [draw_resnest_spec(rng) for _ in range(200)]
    assert {s.loss for s in specs} == set(A2_LOSSES)
    assert {s.activation for s in specs} == {"tanh", "softplus", "quadratic", "relu"}


def test_numpy_draw_is_reproducible_and_targets_fit_the_loss():
    a = draw_resnest_spec(np.random.default_rng(5))
    assert a == draw_resnest_spec(np.random.default_rng(5))
    for loss in A2_LOSSES:
        spec = draw_resnest_spec(np.random.default_rng(1), losses=(loss,))
        inst = resnest_instance(spec)
        assert inst.Y.shape == (spec.samples, spec.n_out)
        if loss == "logistic":
            assert set(np.unique(inst.Y)) <= {-1.0, 1.0}
        if loss == "softmax_ce":
            np.testing.assert_array_equal(inst.Y.sum(axis=1), 1.0)
        np.testing.assert_array_equal(inst.theta, resnest_instance(spec).theta)


def test_bad_arguments_are_named():
    with pytest.raises(InvalidInput, match="width"):
        resnest_specs(width="huge")
    with pytest.raises(InvalidInput, match="loss"):
        draw_resnest_spec(np.random.default_rng(0), losses=("nope",))
