"""Spectra: dense eigenvalues, Lanczos and ARPACK extremes on HVPs with residuals, the shift."""

import time

import numpy as np
import pytest

from resproof.errors import InvalidInput
from resproof.landscape.lanczos import LanczosNoConvergence
from resproof.landscape.spectrum import (
    DENSE_LIMIT,
    eigenvalues,
    extreme_eigenvalues,
    largest_eigenvalue,
    smallest_eigenvalue,
)

from .problems import Quadratic, random_two_layer


class DiagonalHVP:
    """``f = 1/2 x^T diag(d) x`` known only through HVPs (no Hessian method is used)."""

    def __init__(self, d):
        self.d = np.asarray(d, float)
        self.n_params = self.d.size
        self.hvps = 0

    def loss(self, x):
        return float(0.5 * x @ (self.d * x))

    def grad(self, x):
        return self.d * x

    def hvp(self, x, v):
        self.hvps += 1
        return self.d * v

    def hessian(self, x):
        raise AssertionError("Lanczos must not form the Hessian")


def test_dense_eigenvalues_match_numpy():
    rng = np.random.default_rng(0)
    B = rng.standard_normal((6, 6))
    A = B + B.T
    q = Quadratic(A, np.zeros(6))
    np.testing.assert_allclose(eigenvalues(q, np.zeros(6)), np.linalg.eigvalsh(A), atol=1e-12)


@pytest.mark.parametrize("method", ["lanczos", "arpack", "shift"])
def test_lanczos_smallest_on_a_large_operator(method):
    rng = np.random.default_rng(1)
    d = rng.uniform(0.5, 10.0, 5000)
    d[123] = -2.0
    d[77] = -1.5
    obj = DiagonalHVP(d)
    ritz = smallest_eigenvalue(obj, np.zeros(d.size), k=2, method=method)
    np.testing.assert_allclose(ritz.values, [-2.0, -1.5], atol=1e-8)
    assert np.all(ritz.residuals < 1e-6)
    assert abs(ritz.vectors[123, 0]) == pytest.approx(1.0, abs=1e-6)
    assert ritz.matvecs == obj.hvps


@pytest.mark.parametrize("method", ["lanczos", "arpack"])
def test_lanczos_largest_reports_its_residual(method):
    d = np.linspace(-1.0, 3.0, 3000)
    ritz = largest_eigenvalue(DiagonalHVP(d), np.zeros(d.size), method=method)
    assert ritz.value == pytest.approx(3.0, abs=1e-8)
    assert ritz.residuals[0] <= 1e-10 * 3.0


@pytest.mark.parametrize("which", ["SA", "LA"])
def test_lanczos_needs_fewer_hvps_than_arpack(which):
    rng = np.random.default_rng(3)
    d = np.concatenate([[-6.5, -6.3], rng.uniform(-6.0, 20.0, 3000)])
    counts = {}
    for method in ("lanczos", "arpack"):
        obj = DiagonalHVP(d if which == "SA" else -d)
        ritz = extreme_eigenvalues(obj, np.zeros(d.size), which, tol=1e-6, method=method)
        assert ritz.value == pytest.approx(-6.5 if which == "SA" else 6.5, rel=1e-9)
        assert ritz.residuals[0] <= 1e-6 * 6.5
        counts[method] = obj.hvps
    assert counts["lanczos"] < counts["arpack"]


def test_lanczos_failure_raises_above_the_dense_limit():
    d = np.linspace(-1.0, 1.0, DENSE_LIMIT + 1)
    with pytest.raises(LanczosNoConvergence) as info:
        smallest_eigenvalue(DiagonalHVP(d), np.zeros(d.size), ncv=4, maxiter=1)
    assert info.value.best_point.restarts == 1


def test_lanczos_failure_falls_back_to_dense_below_it():
    rng = np.random.default_rng(4)
    prob = random_two_layer(rng, 10, 5, 4, 30)
    theta = rng.standard_normal(prob.n_params)
    ritz = smallest_eigenvalue(prob, theta, method="lanczos", ncv=3, maxiter=0)
    assert ritz.matvecs == 0
    assert ritz.value == pytest.approx(eigenvalues(prob, theta)[0], rel=1e-12)


def test_lanczos_agrees_with_dense_on_a_two_layer_network():
    rng = np.random.default_rng(2)
    prob = random_two_layer(rng, 12, 6, 4, 30)
    theta = rng.standard_normal(prob.n_params)
    w = eigenvalues(prob, theta)
    for method in ("lanczos", "arpack"):
        low = extreme_eigenvalues(prob, theta, "SA", k=3, method=method)
        high = extreme_eigenvalues(prob, theta, "LA", method=method)
        np.testing.assert_allclose(low.values, w[:3], rtol=1e-8, atol=1e-8)
        assert high.value == pytest.approx(w[-1], rel=1e-9)
    dense = extreme_eigenvalues(prob, theta, "SA", k=3, method="dense")
    np.testing.assert_allclose(dense.values, w[:3])


@pytest.mark.parametrize(("kwargs", "field"), [
    pytest.param({"which": "SM"}, "which", id="which"),
    pytest.param({"method": "arnoldi"}, "method", id="method"),
    pytest.param({"k": 0}, "k", id="k-zero"),
    pytest.param({"k": 7}, "k", id="k-too-big"),
    pytest.param({"tol": -1.0}, "tol", id="tol"),
    pytest.param({"ncv": 2}, "ncv", id="ncv-below-k-plus-2"),
    pytest.param({"maxiter": -1}, "maxiter", id="maxiter"),
])
def test_bad_spectrum_options(kwargs, field):
    q = Quadratic(np.eye(6), np.zeros(6))
    with pytest.raises(InvalidInput) as info:
        extreme_eigenvalues(q, np.zeros(6), **kwargs)
    assert info.value.field == field


#: (label, method, ncv) compared by :func:`measure_shift_vs_sa`.
MEASURED = [("lanczos", "lanczos", None), ("shift", "shift", None),
            ("arpack20", "arpack", 20), ("arpack40", "arpack", 40), ("arpack80", "arpack", 80)]


def measure_shift_vs_sa(repeats: int = 3) -> dict[str, float]:
    """HVPs and best wall time of each :data:`MEASURED` method on a 10,000-parameter
    two-layer network (``tol=1e-10``)."""
    rng = np.random.default_rng(0)
    prob = random_two_layer(rng, 100, 25, 80, 400)
    assert prob.n_params == 10_000
    theta = 0.3 * rng.standard_normal(prob.n_params)
    out = {}
    for label, method, ncv in MEASURED:
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            ritz = smallest_eigenvalue(prob, theta, method=method, tol=1e-10, ncv=ncv)
            best = min(best, time.perf_counter() - start)
        out[label] = best
        out[label + "_hvps"] = ritz.matvecs
        out[label + "_value"] = ritz.value
    return out


@pytest.mark.slow
def test_measure_shift_vs_sa():
    result = measure_shift_vs_sa()
    print(result)
    for label, _, _ in MEASURED:
        assert result[label + "_value"] == pytest.approx(result["lanczos_value"], rel=1e-9)
    assert result["lanczos_hvps"] < min(result[label + "_hvps"] for label in
                                        ("shift", "arpack20", "arpack40", "arpack80"))
