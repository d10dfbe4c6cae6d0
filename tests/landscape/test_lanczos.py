"""Lanczos kernel: dense agreement, the residual rule, breakdowns, restarts, counting, seeds."""

import numpy as np
import pytest

from resproof.landscape.lanczos import LanczosStop, lanczos


class Counted:
    """``v -> A v`` for a dense symmetric or diagonal ``A``, counting products."""

    def __init__(self, A):
        self.A = np.asarray(A, float)
        self.calls = 0

    def __call__(self, v):
        self.calls += 1
        return self.A * v if self.A.ndim == 1 else self.A @ v


def run(A, which="SA", k=1, tol=1e-10, max_basis=None, max_restarts=50, seed=0):
    op = Counted(A)
    P = op.A.shape[0]
    rng = np.random.default_rng(seed)
    out = lanczos(op, rng.standard_normal(P), which, k, tol,
                  P if max_basis is None else max_basis, max_restarts, rng)
    return out, op


def random_symmetric(P, seed):
    B = np.random.default_rng(seed).standard_normal((P, P))
    return (B + B.T) / 2


def wanted(w, which, k):
    return w[:k] if which == "SA" else w[::-1][:k]


@pytest.mark.parametrize("which", ["SA", "LA"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_agrees_with_eigvalsh(which, k):
    A = random_symmetric(80, seed=k)
    out, _ = run(A, which, k)
    w = np.linalg.eigvalsh(A)
    assert out.stop is LanczosStop.CONVERGED
    np.testing.assert_allclose(out.values, wanted(w, which, k), rtol=0, atol=1e-10)


@pytest.mark.parametrize("which", ["SA", "LA"])
def test_vectors_are_unit_eigenvectors_with_true_residuals(which):
    A = random_symmetric(60, seed=7)
    out, _ = run(A, which, k=2, tol=1e-8)
    Y = out.vectors
    np.testing.assert_allclose(Y.T @ Y, np.eye(2), atol=1e-8)
    true = np.linalg.norm(A @ Y - Y * out.values, axis=0)
    np.testing.assert_allclose(out.residuals, true, rtol=1e-6, atol=1e-13)


@pytest.mark.parametrize("tol", [1e-3, 1e-6, 1e-9])
def test_residual_rule_is_arpacks(tol):
    rng = np.random.default_rng(3)
    d = np.concatenate([[-3.0, -2.9], rng.uniform(-2.5, 40.0, 3000)])
    out, _ = run(d, "SA", k=2, tol=tol, max_basis=300)
    bound = tol * np.maximum(np.finfo(float).eps ** (2 / 3), np.abs(out.values))
    assert np.all(out.residuals <= bound)
    np.testing.assert_allclose(out.values, [-3.0, -2.9], atol=np.max(out.residuals))


def test_stops_at_the_first_step_that_meets_the_rule():
    """One Krylov step fewer and the Ritz residual estimate would still be above ``tol``."""
    rng = np.random.default_rng(4)
    d = np.concatenate([[-1.0], rng.uniform(0.0, 10.0, 2000)])
    out, _ = run(d, "SA", tol=1e-6, max_basis=300)
    rng = np.random.default_rng(0)
    shorter = lanczos(Counted(d), rng.standard_normal(d.size), "SA", 1, 1e-6,
                      out.steps - 1, 0, rng)
    assert shorter.stop is LanczosStop.MAX_RESTARTS
    assert shorter.residuals[0] > 1e-6 * abs(shorter.values[0])


@pytest.mark.parametrize(("which", "k", "expected"), [
    pytest.param("SA", 1, [-2.0], id="SA-1"),
    pytest.param("SA", 2, [-2.0, -2.0], id="SA-double"),
    pytest.param("SA", 3, [-2.0, -2.0, -1.0], id="SA-3"),
    pytest.param("LA", 2, [3.0, 3.0], id="LA-repeated"),
    pytest.param("LA", 4, [3.0, 3.0, 3.0, 3.0], id="LA-four-copies"),
])
def test_breakdown_finds_repeated_eigenvalues(which, k, expected):
    d = np.repeat([-2.0, -1.0, 0.5, 3.0], [2, 1, 3, 40])
    out, op = run(d, which, k, tol=1e-10)
    np.testing.assert_allclose(out.values, expected, atol=1e-12)
    assert out.breakdowns >= 1
    assert out.matvecs == op.calls
    assert out.steps < 4 * (len(expected) + 1)


def test_breakdown_with_fewer_distinct_values_than_k():
    d = np.repeat([1.0, 5.0], [30, 30])
    out, _ = run(d, "SA", k=4)
    np.testing.assert_allclose(out.values, [1.0] * 4, atol=1e-12)


def test_zero_operator():
    out, _ = run(np.zeros(30), "SA", k=2)
    assert out.stop is LanczosStop.CONVERGED
    np.testing.assert_array_equal(out.values, [0.0, 0.0])


def test_whole_space_of_a_small_matrix():
    A = random_symmetric(5, seed=1)
    out, _ = run(A, "LA", k=5, tol=0.0)
    np.testing.assert_allclose(out.values, np.linalg.eigvalsh(A)[::-1], atol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_thick_restart_converges_with_a_small_basis(k):
    rng = np.random.default_rng(5)
    d = np.concatenate([[-4.0, -3.5, -3.4], rng.uniform(-3.0, 20.0, 1500)])
    out, op = run(d, "SA", k, tol=1e-8, max_basis=k + 8, max_restarts=500)
    assert out.restarts > 0
    assert out.stop is LanczosStop.CONVERGED
    np.testing.assert_allclose(out.values, np.sort(d)[:k], atol=1e-7)
    assert out.matvecs == op.calls


def test_max_restarts_reported():
    d = np.linspace(-1.0, 1.0, 2000)
    out, op = run(d, "SA", tol=1e-12, max_basis=6, max_restarts=2)
    assert out.stop is LanczosStop.MAX_RESTARTS
    assert out.restarts == 2
    assert out.matvecs == op.calls


def test_counts_every_product():
    """Steps plus ``k`` confirming products when the first confirmation succeeds."""
    A = random_symmetric(200, seed=2)
    out, op = run(A, "SA", k=2, tol=1e-6)
    assert out.matvecs == op.calls == out.steps + 2


def test_failed_confirmations_are_counted_and_not_convergence():
    """``|beta_j s_j|`` assumes symmetry; a 1e-6 skew part makes it pass while the true
    residual cannot."""
    A = random_symmetric(300, seed=5)
    A += 1e-6 * np.random.default_rng(1).standard_normal((300, 300))
    out, op = run(A, "SA", tol=1e-9, max_basis=60, max_restarts=3)
    assert out.stop is LanczosStop.MAX_RESTARTS
    assert out.residuals[0] > 1e-9 * abs(out.values[0])
    assert out.matvecs == op.calls > out.steps + 1


def test_same_seed_same_bits_other_seed_same_values():
    A = random_symmetric(150, seed=9)
    a, _ = run(A, "LA", k=2, tol=1e-9, seed=11)
    b, _ = run(A, "LA", k=2, tol=1e-9, seed=11)
    c, _ = run(A, "LA", k=2, tol=1e-9, seed=12)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert a.matvecs == b.matvecs
    np.testing.assert_allclose(c.values, a.values, atol=1e-8)


def test_non_finite_product_raises():
    def matvec(v):
        return np.full_like(v, np.nan)

    rng = np.random.default_rng(0)
    with pytest.raises(FloatingPointError):
        lanczos(matvec, rng.standard_normal(10), "SA", 1, 1e-8, 10, 1, rng)


def test_a_kept_basis_gives_the_same_bits_and_nested_calls_their_own():
    A = random_symmetric(40, 7)
    first, _ = run(A, k=2, max_basis=30)
    again, _ = run(A, k=2, max_basis=30)
    assert np.array_equal(first.values, again.values)
    assert np.array_equal(first.vectors, again.vectors)
    inner = []

    def nesting(v):
        if not inner:
            inner.append(run(A, k=1, max_basis=30)[0])
        return A @ v

    rng = np.random.default_rng(0)
    nested = lanczos(nesting, rng.standard_normal(40), "SA", 2, 1e-10, 30, 50, rng)
    assert np.array_equal(nested.values, first.values)
    assert inner[0].values[0] == pytest.approx(np.linalg.eigvalsh(A)[0], abs=1e-8)
