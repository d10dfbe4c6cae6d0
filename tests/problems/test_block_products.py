"""``hvp_block`` of the objectives whose HVP is ``hessian @ v``: one Hessian for the block."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.nn.models import LinearObjective
from resproof.problems.pphi import PphiObjective
from resproof.problems.pphi_loss import PphiLossObjective
from resproof.problems.pphi_reduced import ReducedPphi
from resproof.strategies import ResnestSpec, resnest_instance


def objectives():
    spec = ResnestSpec(2, 3, 2, 2, 2, 40, "softplus", "squared", 3)
    inst = resnest_instance(spec)
    *features, x_prev = inst.model.features(inst.theta, inst.X)
    joint = PphiLossObjective(x_prev, features[-1], inst.Y, "squared")
    t = inst.theta[-joint.n_params:].copy()
    reduced = ReducedPphi(joint, warm=t[joint.M * joint.K:])
    return [
        ("linear", LinearObjective(inst.X, inst.Y, "squared", None), None),
        ("pphi", PphiObjective(x_prev, features[-1], inst.Y), t),
        ("pphi_loss", joint, t),
        ("reduced", reduced, t[:joint.M * joint.K]),
    ]


@pytest.mark.parametrize("index", range(4))
def test_rows_equal_single_hvps(index):
    _, obj, t = objectives()[index]
    rng = np.random.default_rng(index)
    t = rng.standard_normal(obj.n_params) if t is None else t
    V = rng.standard_normal((3, obj.n_params))
    got = obj.hvp_block(t, V)
    want = np.stack([obj.hvp(t, v) for v in V])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
