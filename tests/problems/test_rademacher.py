"""Rademacher lower estimates: features match the model, feasibility is exact, the
explicit constructions and the ascent reach what they should, both estimate paths."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from resproof.problems.near_identity import pack
from resproof.problems.rademacher import (
    FrobeniusClass,
    all_signs,
    ascend,
    constructions,
    estimate,
    feasible,
    features,
    project,
)


def test_features_match_the_yun_model():
    rng = np.random.default_rng(0)
    cls = FrobeniusClass(2, 3, 2)
    U, V = project(rng.standard_normal((1, 3, 2, 2)), rng.standard_normal((1, 3, 2, 2)),
                   cls.radii[1])
    X = rng.standard_normal((5, 2))
    w = rng.standard_normal(2)
    model = cls.model
    views = {"Wout": w[None, :]}
    for i in range(3):
        views[f"U{i + 1}"], views[f"W{i + 1}"] = U[0, i], V[0, i]
    t = pack(model, views)
    np.testing.assert_allclose(features(U, V, X)[0] @ w,
                               model.resnest.predict(model.full_theta(t), X).ravel(), atol=1e-12)


def test_feasible_projects_as_frobenius_ball_does():
    rng = np.random.default_rng(5)
    cls = FrobeniusClass(2, 3, 2)
    U, V = rng.standard_normal((3, 2, 2)) * 2, rng.standard_normal((3, 2, 2)) * 0.1
    model = cls.model
    views = {"Wout": np.zeros((1, 2))}
    for i in range(3):
        views[f"U{i + 1}"], views[f"W{i + 1}"] = U[i], V[i]
    split = model.split(model.frobenius_ball(pack(model, views)))
    Uf, Vf = feasible(cls, U, V)
    for i in range(3):
        scale = 1.0 - 2.0**-40
        assert np.all((Uf[i] == split[f"U{i + 1}"]) | (Uf[i] == split[f"U{i + 1}"] * scale))
        np.testing.assert_array_equal(Vf[i], split[f"W{i + 1}"])


def test_feasible_holds_exactly():
    rng = np.random.default_rng(1)
    cls = FrobeniusClass(2, 4, 2)
    U, V = feasible(cls, rng.standard_normal((4, 2, 2)) * 3, rng.standard_normal((4, 2, 2)))
    for M in (U, V):
        for block in M:
            assert sum(Fraction(float(v)) ** 2 for v in block.ravel()) <= Fraction(1, 4)


@pytest.mark.parametrize(("radius", "factor"), [(None, (1 + 1 / 4) ** 4), (1.0, 2.0**4)])
def test_one_point_construction_reaches_the_growth_factor(radius, factor):
    cls = FrobeniusClass(1, 4, 1, block_radius=radius)
    X = np.array([[0.75]])
    est = estimate(cls, X, np.random.default_rng(0), train_signs=2, restarts=1, iterations=5)
    assert est.method == "enumeration"
    assert est.value == pytest.approx(factor * 0.75, rel=1e-12)
    assert est.lower <= est.value


def test_ascent_never_loses_the_start():
    rng = np.random.default_rng(2)
    cls = FrobeniusClass(2, 2, 2)
    X = rng.standard_normal((6, 2))
    Uc, Vc = constructions(cls, X, rng)
    signs = all_signs(6)[:4]
    start = np.linalg.norm(np.einsum("sn,snd->sd", signs, features(Uc[:4], Vc[:4], X)),
                           axis=1) / 6
    _, _, best = ascend(cls, X, signs, Uc[:4].copy(), Vc[:4].copy(), iterations=30)
    assert np.all(best >= start - 1e-15)


def test_monte_carlo_lower_bound_is_below_the_mean():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 2))
    est = estimate(FrobeniusClass(2, 2, 2), X, rng, train_signs=4, restarts=1, iterations=20,
                   mc_signs=2000)
    assert est.method == "monte-carlo"
    assert est.delta == 1e-9
    assert 0 < est.lower < est.value
