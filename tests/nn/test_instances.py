"""bench-spec instances rebuilt with numpy alone; npz round trip without pickles."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.nn.instances import load, load_model_instance, random_instance, resnest_tanh
from resproof.nn.models import AResNEst, DenseNEst, ResNEst, TwoLayerResNEst, YunResNet

REFERENCE = {"S": (0.5668778063929794, 1.842312742683673, -1.92500501406685),
             "M": (3.598487649723548, 7.362988560967803, -5.9684453489134)}


def numpy_rebuild(N_in, M, K, L, N_o, N, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, N_in))
    B = rng.standard_normal((N_o, N_in))
    noise = rng.standard_normal((N, N_o)) * 0.1
    parts = [rng.standard_normal((M, N_in)) * (1 / np.sqrt(N_in))]
    for _ in range(L):
        parts += [rng.standard_normal((K, M)) * (1 / np.sqrt(M)),
                  rng.standard_normal((K,)) * 0.1,
                  rng.standard_normal((M, K)) * (1 / (L * np.sqrt(K)))]
    parts.append(rng.standard_normal((N_o, M)) * (1 / np.sqrt(M)))
    return X, np.tanh(X @ B.T) + noise, np.concatenate([p.ravel() for p in parts])


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_resnest_tanh_s_matches_a_numpy_rebuild(seed):
    inst = resnest_tanh("S", seed)
    X, Y, theta = numpy_rebuild(4, 8, 4, 2, 2, 256, seed)
    np.testing.assert_allclose(inst.X, X, rtol=1e-12)
    np.testing.assert_allclose(inst.Y, Y, rtol=1e-12)
    np.testing.assert_allclose(inst.theta, theta, rtol=1e-12)
    assert inst.theta.size == 184


@pytest.mark.parametrize("size", ["S", "M"])
def test_reference_values_of_the_peers(size):
    inst = resnest_tanh(size, 0)
    obj = inst.objective()
    R, g = obj.loss_grad(inst.theta)
    loss, gnorm, lam = REFERENCE[size]
    assert pytest.approx(loss, rel=1e-12) == R
    assert np.linalg.norm(g) == pytest.approx(gnorm, rel=1e-12)
    assert np.linalg.eigvalsh(obj.hessian(inst.theta))[0] == pytest.approx(lam, rel=1e-12)


def test_npz_round_trip(tmp_path):
    inst = resnest_tanh("S", 2)
    inst.save(tmp_path / "i.npz")
    back = load(tmp_path / "i.npz")
    assert back.seed == 2
    assert back.model == inst.model
    assert np.array_equal(back.theta, inst.theta)
    assert np.array_equal(back.Y, inst.Y)


def test_bad_inputs_are_named():
    with pytest.raises(InvalidInput, match="size"):
        resnest_tanh("XL")
    with pytest.raises(InvalidInput, match="seed"):
        resnest_tanh("S", -1)


@pytest.mark.parametrize("model", [
    ResNEst.build(3, 4, 2, (2, 3), activation="softplus"), TwoLayerResNEst(2, 3, 2, ((2, 2),)),
    AResNEst(2, 3, 2, (2,)), DenseNEst(2, 2, (2, 1)), YunResNet(2, (3,), "relu", skip=False)])
def test_every_model_has_a_seeded_serialisable_instance(model, tmp_path):
    inst = random_instance(model, seed=5, samples=12)
    again = random_instance(model, seed=5, samples=12)
    assert np.array_equal(inst.theta, again.theta)
    assert np.array_equal(inst.Y, again.Y)
    inst.save(tmp_path / "m.npz")
    back = load_model_instance(tmp_path / "m.npz")
    assert back.model == model
    assert back.objective().loss(back.theta) == inst.objective().loss(inst.theta)


def test_a_corrupt_model_instance_is_a_clear_error(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(InvalidInput, match="path"):
        load_model_instance(tmp_path / "bad.npz")
