"""Value objects round-trip through strict JSON; aggregation never passes a failed search."""

import json

import numpy as np
import pytest

from resproof.claims.base import aggregate
from resproof.results import (
    CriticalPoint,
    Outcome,
    PointKind,
    StopReason,
    TrialResult,
    Verdict,
    dumps,
)


def test_critical_point_round_trip_keeps_non_finite_values():
    point = CriticalPoint(theta=np.array([1.0, -2.5]), loss=0.25, grad_norm=1e-13,
                          relative_grad_norm=1e-14, lambda_min=-np.inf, lambda_max=3.0,
                          n_zero_modes=1, zero_tolerance=1e-10, kind=PointKind.SADDLE,
                          margin=0.5, stop_reason=StopReason.CONVERGED, iterations=7,
                          spectrum=np.array([-1.0, 0.0, 3.0]))
    text = dumps(point.to_json())
    back = CriticalPoint.from_json(json.loads(text))
    np.testing.assert_array_equal(back.theta, point.theta)
    np.testing.assert_array_equal(back.spectrum, point.spectrum)
    assert back.lambda_min == -np.inf
    assert back.kind is PointKind.SADDLE
    assert back.converged


def test_outcome_round_trip_and_expectation():
    outcome = Outcome(claim="c", control="ctl", expected=Verdict.REFUTED, verdict=Verdict.HOLDS,
                      certified=None, trials=3, seed=0, margin=0.1, budget="quick",
                      statement="s", evidence={"x": np.float64(1.5)})
    data = json.loads(dumps(outcome.to_json()))
    assert data["as_expected"] is False
    back = Outcome.from_json(data)
    assert back == Outcome.from_json(json.loads(dumps(back.to_json())))
    assert back.verdict is Verdict.HOLDS


def test_trial_result_round_trip():
    trial = TrialResult(Verdict.REFUTED, margin=-0.5, evidence={"eps": 0.5}, certified=True,
                        seed=[0, 1])
    assert TrialResult.from_json(json.loads(dumps(trial.to_json()))) == trial


@pytest.mark.parametrize(("verdicts", "expected"), [
    ([Verdict.HOLDS, Verdict.VACUOUS], Verdict.HOLDS),
    ([Verdict.HOLDS, Verdict.INCONCLUSIVE], Verdict.INCONCLUSIVE),
    ([Verdict.INCONCLUSIVE, Verdict.REFUTED], Verdict.REFUTED),
    ([Verdict.VACUOUS, Verdict.VACUOUS], Verdict.VACUOUS),
    ([], Verdict.VACUOUS),
], ids=["holds-with-vacuous", "inconclusive-beats-holds", "refuted-beats-all", "all-vacuous",
        "no-trials"])
def test_aggregate(verdicts, expected):
    assert aggregate(verdicts) is expected
