"""The ResNEst instance specs and their public strategies: bad arguments raise
InvalidInput naming the field; specs rebuild the same arrays."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.claims.resnest._cases import NetSpec, a4, build
from resproof.errors import InvalidInput
from resproof.strategies import densenest_specs, full_problem_specs


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"min_blocks": 0}, "min_blocks"), ({"min_blocks": 3, "max_blocks": 2}, "max_blocks"),
    ({"max_n_in": 0}, "max_n_in"), ({"min_samples": 10, "max_samples": 5}, "max_samples"),
    ({"activations": ("tanhh",)}, "activations"), ({"losses": ("hinge",)}, "losses")])
def test_resnest_specs_rejects_bad_arguments(kwargs, field):
    with pytest.raises(InvalidInput, match=field):
        full_problem_specs(**kwargs)


def test_densenest_specs_rejects_bad_arguments():
    with pytest.raises(InvalidInput, match="max_blocks"):
        densenest_specs(min_blocks=3, max_blocks=2)


def test_build_is_reproducible_and_wide_specs_meet_a4():
    spec = NetSpec(2, 3, 1, 2, 1, 20, "tanh", "squared", 7)
    a, b = build(spec), build(spec)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a4(a.model, a.theta).met
