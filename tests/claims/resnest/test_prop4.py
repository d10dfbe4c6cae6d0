"""densenest.prop4: the identity-slot ResNEst equals the DenseNEst and has eps = 0; the
overlapping-slots control is refuted (certified), on the smallest instance shrinking finds."""

from __future__ import annotations

import numpy as np
from hypothesis import find, given, settings

from resproof.claims import get
from resproof.claims.resnest.prop4 import dense_forward
from resproof.nn.models import DenseNEst
from resproof.profiles import get_budget
from resproof.results import Verdict
from resproof.strategies import densenest_specs

CLAIM = get("densenest.prop4")
QUICK = get_budget("quick")


@settings(max_examples=12, deadline=None, derandomize=True)
@given(densenest_specs())
def test_prop4_holds_or_is_vacuous(spec):
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict in (Verdict.HOLDS, Verdict.VACUOUS, Verdict.INCONCLUSIVE)
    assert result.verdict is not Verdict.INCONCLUSIVE or result.evidence["searches"][
        "failed_needed"] > 0


def test_prop4_holds_on_quick_trials():
    outcome = CLAIM.verify(trials=4, seed=0)
    assert outcome.verdict is Verdict.HOLDS


def test_overlapping_slots_refuted_certified_on_a_minimal_instance():
    spec = find(densenest_specs(min_blocks=2, max_blocks=3),
                lambda s: CLAIM.check(s, "overlapping-slots", QUICK).verdict is Verdict.REFUTED,
                settings=settings(max_examples=50, derandomize=True, database=None))
    assert (spec["blocks"], spec["n_in"], spec["bottleneck"], spec["n_out"]) == (2, 1, 1, 1)
    assert spec["samples"] == 16
    result = CLAIM.check(spec, "overlapping-slots", QUICK)
    assert result.certified is True
    assert result.evidence["broken_assumptions"][0]["met"] is False


def test_disjoint_slots_make_the_control_vacuous():
    # the control's dropped assumption (disjoint slots) measured met on one block: vacuous
    spec = {"n_in": 2, "bottleneck": 1, "blocks": 1, "n_out": 1, "samples": 16,
            "activation": "tanh", "loss": "squared", "seed": 3}
    assert CLAIM.check(spec, "overlapping-slots", QUICK).verdict is Verdict.VACUOUS


def test_missing_a2_is_vacuous():
    spec = {"n_in": 2, "bottleneck": 1, "blocks": 2, "n_out": 1, "samples": 16,
            "activation": "tanh", "loss": "welsch", "seed": 3}
    assert CLAIM.check(spec, None, QUICK).verdict is Verdict.VACUOUS


def test_dense_forward_is_the_concatenation():
    model = DenseNEst(2, 1, (1, 2), "tanh")
    rng = np.random.default_rng(0)
    t = rng.standard_normal(model.n_params)
    X = rng.standard_normal((5, 2))
    np.testing.assert_allclose(dense_forward(t, X, 2, (1, 2), 1, "tanh"), model.predict(t, X),
                               rtol=1e-13, atol=1e-13)


def test_missing_a3_is_vacuous():
    # realised width M = N_in + sum K = 2 < N_o = 3
    spec = {"n_in": 1, "bottleneck": 1, "blocks": 1, "n_out": 3, "samples": 16,
            "activation": "tanh", "loss": "squared", "seed": 3}
    result = CLAIM.check(spec, None, QUICK)
    assert result.verdict is Verdict.VACUOUS
    assert {a["name"]: a["met"] for a in result.evidence["assumptions"]}["A3"] is False
