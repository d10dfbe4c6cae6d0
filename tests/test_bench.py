"""``resproof bench``: the reference values of bench-spec size S and the JSON fields."""

from __future__ import annotations

import pytest

from resproof.bench import run_bench


@pytest.mark.slow
def test_bench_size_s_reference_values_and_fields():
    result = run_bench("S")
    assert result["loss"] == pytest.approx(0.5668778063929794, rel=1e-12)
    assert result["grad_norm"] == pytest.approx(1.842312742683673, rel=1e-12)
    assert result["lambda_min"] == pytest.approx(-1.92500501406685, rel=1e-12)
    assert set(result["timings_ms"]) == {"loss_grad", "hvp", "hessian", "eigvalsh",
                                         "lambda_min"}
    thm1 = result["thm1"]
    assert all(thm1["converged"])
    assert max(abs(e) for e in thm1["eps"]) <= 1e-12


def test_blas_info_names_the_kernel_and_the_overrides(monkeypatch):
    from resproof.bench import blas_info

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    info = blas_info()
    assert info, "threadpoolctl sees no BLAS"
    assert all(b["kernel"] and b["api"] for b in info)
    assert all(b["overrides"] == {"OPENBLAS_CORETYPE": "Prescott"} for b in info)


def test_block_figures_compare_in_the_same_run():
    from resproof.bench import BLOCK_SIZES, LAMBDA_BLOCK_SIZES, block_figures
    from resproof.nn.instances import resnest_tanh

    inst = resnest_tanh("S", 0)
    out = block_figures(inst.objective(), inst.theta, rounds=1)
    assert set(out["hvp_block_ratio"]) == {str(b) for b in BLOCK_SIZES}
    assert all(r > 0 for r in out["hvp_block_ratio"].values())
    lams = out["lambda_min"]
    assert set(lams) == {"lanczos", *(f"block{b}" for b in LAMBDA_BLOCK_SIZES)}
    for lam in lams.values():
        assert lam["value"] == pytest.approx(-1.92500501406685, rel=1e-6)
        assert lam["true_residual"] <= 1e-6 * abs(lam["value"])
        assert lam["true_residual"] == pytest.approx(lam["residual"], rel=1e-6)
        # the solver's time against its products timed as single HVPs in the same rounds
        assert lam["over_products"] == pytest.approx(
            lam["ms"] / (lam["matvecs"] * out["hvp_ms"]))
        assert lam["over_products"] > 0
