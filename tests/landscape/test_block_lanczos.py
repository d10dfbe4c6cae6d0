"""Block Lanczos (``method="block"``) and the block-product helpers of the objective module."""

from __future__ import annotations

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape import spectrum
from resproof.landscape.block_lanczos import block_lanczos
from resproof.landscape.lanczos import LanczosStop
from resproof.landscape.objective import (
    FunctionObjective,
    Restricted,
    counted,
    has_block_hvp,
    hvp_block,
)


def quadratic(H: np.ndarray) -> FunctionObjective:
    return FunctionObjective(lambda x: 0.5 * x @ H @ x, lambda x: H @ x, hessian=lambda x: H,
                             n_params=H.shape[0])


def with_spectrum(values: np.ndarray, seed: int) -> np.ndarray:
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((values.size,) * 2))
    return (Q * values) @ Q.T


def matrices():
    """(name, symmetric H): negative, near-degenerate and repeated smallest eigenvalues."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 60))
    yield "random", 0.5 * (A + A.T)
    near = np.concatenate([[-3.0, -3.0 + 1e-9, -2.5], rng.uniform(-2.0, 5.0, 77)])
    yield "near-degenerate", with_spectrum(near, 1)
    repeated = np.concatenate([[-1.0, -1.0, -1.0], rng.uniform(0.0, 2.0, 97)])
    yield "repeated", with_spectrum(repeated, 2)
    yield "definite", with_spectrum(np.geomspace(1e-3, 1e2, 120), 3)
    B = rng.standard_normal((150, 40))
    yield "low-rank", B @ B.T - 0.5 * np.eye(150)


CASES = list(matrices())


def run(H, which="SA", k=1, b=3, tol=1e-10, max_basis=None, seed=0):
    P = H.shape[0]
    rng = np.random.default_rng(seed)
    return block_lanczos(lambda V: V @ H, rng.standard_normal((b, P)), which, k, tol,
                         max_basis or P, P, rng)


@pytest.mark.parametrize(("name", "H"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(("which", "k", "b"), [("SA", 1, 1), ("SA", 1, 4), ("SA", 3, 2),
                                               ("LA", 2, 3)])
def test_agrees_with_eigh(name, H, which, k, b):
    w = np.linalg.eigvalsh(H)
    want = w[:k] if which == "SA" else w[::-1][:k]
    out = run(H, which, k, b)
    assert out.stop in (LanczosStop.CONVERGED, LanczosStop.INVARIANT)
    scale = np.abs(w).max()
    np.testing.assert_allclose(out.values, want, rtol=0, atol=1e-8 * scale)
    Y = out.vectors
    true = np.linalg.norm(H @ Y - Y * out.values, axis=0)
    np.testing.assert_allclose(out.residuals, true, rtol=1e-6, atol=1e-14 * scale)
    if out.stop is LanczosStop.CONVERGED:
        assert np.all(out.residuals <= 1e-10 * np.maximum(np.abs(out.values), 1e-16 ** (2 / 3)))
    np.testing.assert_allclose(Y.T @ Y, np.eye(k), atol=1e-10)


def test_thick_restart_keeps_converging():
    _, H = CASES[0]
    out = run(H, "SA", 2, 2, tol=1e-8, max_basis=16)
    assert out.restarts > 0
    assert out.stop is LanczosStop.CONVERGED
    np.testing.assert_allclose(out.values, np.linalg.eigvalsh(H)[:2], rtol=1e-7)


def test_repeated_eigenvalue_beyond_the_block_size_is_found():
    _, H = CASES[2]  # -1 three times; a block of 2 sees two copies, the third comes later
    out = run(H, "SA", 3, 2)
    np.testing.assert_allclose(out.values, [-1.0, -1.0, -1.0], atol=1e-9)


def test_breakdown_replaces_cancelled_columns():
    """Three distinct eigenvalues: a block of 2 spans an invariant space of dimension 6,
    then its columns cancel; random replacements find the third copy of -2."""
    H = with_spectrum(np.repeat([-2.0, 1.0, 3.0], [3, 50, 47]), 4)
    out = run(H, "SA", 3, 2)
    assert out.replaced > 0
    np.testing.assert_allclose(out.values, [-2.0, -2.0, -2.0], atol=1e-9)
    assert np.all(out.residuals <= 1e-9)


def test_deterministic_from_the_seed():
    _, H = CASES[0]
    a, b = run(H, seed=5), run(H, seed=5)
    assert np.array_equal(a.values, b.values)
    assert np.array_equal(a.vectors, b.vectors)
    assert a.matvecs == b.matvecs


def test_counts_every_vector_and_block():
    _, H = CASES[0]
    out = run(H, "SA", 1, 4, tol=1e-8)
    assert out.matvecs == 4 * (out.blocks - 1) + 1  # Krylov blocks, then one residual check


@pytest.mark.parametrize(("name", "H"), CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_extreme_eigenvalues_block_method(name, H):
    obj = counted(quadratic(H))
    got = spectrum.smallest_eigenvalue(obj, np.zeros(H.shape[0]), method="block", tol=1e-10,
                                       block_size=3)
    ref = spectrum.smallest_eigenvalue(quadratic(H), np.zeros(H.shape[0]), method="lanczos",
                                       tol=1e-10)
    w = np.linalg.eigvalsh(H)
    assert got.value == pytest.approx(w[0], abs=1e-9 * np.abs(w).max())
    assert got.value == pytest.approx(ref.value, abs=1e-9 * np.abs(w).max())
    assert obj.counts.hvp == got.matvecs


def network():
    from resproof.nn.instances import resnest_tanh

    inst = resnest_tanh("S", 0)
    return inst.objective(), inst.theta


@pytest.mark.parametrize("b", [2, 4, 8])
def test_network_hessian_smallest_eigenvalue(b):
    obj, theta = network()
    w = np.linalg.eigvalsh(spectrum.symmetric_hessian(obj, theta))
    got = spectrum.smallest_eigenvalue(obj, theta, method="block", tol=1e-6, block_size=b)
    old = spectrum.smallest_eigenvalue(obj, theta, method="lanczos", tol=1e-6)
    y = got.vectors[:, 0]
    true = np.linalg.norm(obj.hvp(theta, y) - got.value * y)
    assert true == pytest.approx(got.residuals[0], rel=1e-6)
    assert true <= 1e-6 * abs(got.value)
    # Weyl: an eigenvalue lies within the residual; the smallest is the one found
    assert abs(got.value - w[0]) <= got.residuals[0]
    assert abs(got.value - old.value) <= got.residuals[0] + old.residuals[0]


@pytest.mark.parametrize(("activation", "loss", "seed"), [("tanh", "squared", 1),
                                                         ("softplus", "logistic", 2),
                                                         ("square", "pseudo_huber", 3)])
def test_small_network_hessians(activation, loss, seed):
    from resproof.nn.models import ResNEst

    rng = np.random.default_rng(seed)
    model = ResNEst.build(3, 5, 2, (3, 4), activation=activation)
    X = rng.standard_normal((25, 3))
    Y = rng.choice([-1.0, 1.0], (25, 2)) if loss == "logistic" else rng.standard_normal((25, 2))
    obj = model.objective(X, Y, loss)
    theta = rng.standard_normal(model.n_params)
    w = np.linalg.eigvalsh(spectrum.symmetric_hessian(obj, theta))
    assert w[0] < 0
    for b in (2, 3):
        got = spectrum.extreme_eigenvalues(obj, theta, "SA", k=2, method="block", tol=1e-10,
                                           block_size=b)
        np.testing.assert_allclose(got.values, w[:2], rtol=0, atol=1e-9 * np.abs(w).max())
        old = spectrum.smallest_eigenvalue(obj, theta, method="lanczos", tol=1e-10)
        assert got.value == pytest.approx(old.value, abs=1e-9 * np.abs(w).max())


def test_network_several_smallest_eigenvalues():
    obj, theta = network()
    w = np.linalg.eigvalsh(spectrum.symmetric_hessian(obj, theta))
    got = spectrum.extreme_eigenvalues(obj, theta, "SA", k=4, method="block", tol=1e-9,
                                       block_size=4)
    np.testing.assert_allclose(got.values, w[:4], rtol=0, atol=1e-8 * np.abs(w).max())


def test_auto_uses_the_block_method_only_when_switched_on(monkeypatch):
    calls = []
    real = spectrum.block_lanczos

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    obj, theta = network()
    monkeypatch.setattr(spectrum, "block_lanczos", spy)
    monkeypatch.setattr(spectrum, "DENSE_LIMIT", 100)
    spectrum.smallest_eigenvalue(obj, theta, tol=1e-6)
    assert calls == [1] if spectrum.AUTO_BLOCK else calls == []
    monkeypatch.setattr(spectrum, "AUTO_BLOCK", True)
    got = spectrum.smallest_eigenvalue(obj, theta, tol=1e-6)
    assert calls[-1:] == [1]
    before = len(calls)
    spectrum.smallest_eigenvalue(quadratic(np.eye(184) - 2.0), np.zeros(184), tol=1e-6)
    assert len(calls) == before  # no native hvp_block: single-vector Lanczos
    spectrum.smallest_eigenvalue(obj, theta, tol=1e-6, method="lanczos")
    assert len(calls) == before
    assert got.residuals[0] <= 1e-6 * abs(got.value)


def test_block_size_is_capped_at_the_dimension():
    H = np.diag([3.0, -1.0])
    for method in ("auto", "lanczos", "block"):
        got = spectrum.smallest_eigenvalue(quadratic(H), np.zeros(2), method=method)
        assert got.value == pytest.approx(-1.0)
    with pytest.raises(InvalidInput):
        spectrum.smallest_eigenvalue(quadratic(H), np.zeros(2), block_size=0)


# -- the objective helpers ---------------------------------------------------------------


def test_hvp_block_stacks_single_products_without_a_native_one():
    _, H = CASES[0]
    obj = quadratic(H)
    V = np.random.default_rng(1).standard_normal((3, H.shape[0]))
    assert not has_block_hvp(obj)
    np.testing.assert_allclose(hvp_block(obj, np.zeros(H.shape[0]), V), V @ H, rtol=1e-13,
                               atol=1e-13)
    with pytest.raises(InvalidInput):
        hvp_block(obj, np.zeros(H.shape[0]), V[0])


def test_counted_and_restricted_pass_block_products_through():
    obj, theta = network()
    V = np.random.default_rng(2).standard_normal((3, theta.size))
    c = counted(obj)
    assert has_block_hvp(c)
    np.testing.assert_array_equal(c.hvp_block(theta, V), obj.hvp_block(theta, V))
    assert (c.counts.hvp, c.counts.hvp_blocks) == (3, 1)
    idx = np.arange(0, theta.size, 3)
    r = Restricted(c, idx, theta)
    assert has_block_hvp(r)
    U = V[:, idx]
    got = r.hvp_block(theta[idx], U)
    want = np.stack([r.hvp(theta[idx], u) for u in U])
    assert np.linalg.norm(got - want) <= 1e-12 * np.linalg.norm(want)
    assert (c.counts.hvp, c.counts.hvp_blocks) == (9, 2)
