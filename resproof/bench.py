"""The five figures of bench-spec.md on seed 0, timed (``resproof bench``).

Every operation is run once to compile (reported as ``compile_s``, never
mixed into the timings), then repeated: the median wall time in milliseconds
is reported.  Reference values (``loss``, ``grad_norm``, ``lambda_min``) are
printed beside them so a run is also a cross-check against the peers
(``benchmarks/compare_peers.py`` runs a peer in the same run).
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_choice

SIZES = ("S", "M", "L")

#: bench-spec: the smallest eigenvalue by HVPs to relative accuracy 1e-6.
LANCZOS_TOL = 1e-6


def timed(fn: Callable[[], Any], *, warm: bool = True, min_reps: int = 5,
          min_time: float = 0.5, max_reps: int = 2000) -> tuple[float, Any]:
    """Median wall time of ``fn()`` in milliseconds, and the value of the untimed warm-up
    call (``None`` with ``warm=False``, for operations already run once)."""
    value = fn() if warm else None
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time
                                    and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), value


def run_bench(size: str = "S") -> dict[str, Any]:
    """Time the five bench-spec figures on seed 0 of ``size``; figure 5 (the Theorem-1
    sweep over seeds 0-19) on size S only."""
    check_choice("--size", size, SIZES)
    from .landscape.spectrum import extreme_eigenvalues
    from .nn.instances import resnest_tanh

    t0 = time.perf_counter()
    inst = resnest_tanh(size, 0)
    obj = inst.objective()
    theta = inst.theta
    v = np.random.default_rng(1).standard_normal(theta.size)
    loss, grad = obj.loss_grad(theta)
    obj.hvp(theta, v)
    dense = size in ("S", "M")
    H = obj.hessian(theta) if dense else None
    compile_s = time.perf_counter() - t0
    timings: dict[str, float | None] = {
        "loss_grad": timed(lambda: obj.loss_grad(theta), warm=False)[0],
        "hvp": timed(lambda: obj.hvp(theta, v), warm=False)[0],
        "hessian": None, "eigvalsh": None,
    }
    lam_dense = None
    if dense:
        timings["hessian"] = timed(lambda: obj.hessian(theta), warm=False, min_reps=3)[0]
        assert H is not None
        timings["eigvalsh"], spectrum = timed(lambda: np.linalg.eigvalsh(H), min_reps=3)
        lam_dense = float(spectrum[0])
    timings["lambda_min"], ritz = timed(
        lambda: extreme_eigenvalues(obj, theta, "SA", tol=LANCZOS_TOL, method="lanczos"),
        min_reps=3, min_time=0.2)
    block = block_figures(obj, theta)
    result: dict[str, Any] = {
        "size": size, "P": int(theta.size), "seed": 0, "loss": float(loss),
        "grad_norm": float(np.linalg.norm(grad)),
        "lambda_min": lam_dense if lam_dense is not None else float(ritz.values[0]),
        "lambda_min_lanczos": float(ritz.values[0]),
        "lanczos_residual": float(ritz.residuals[0]),
        "timings_ms": timings, "block": block, "compile_s": compile_s, "thm1": None,
        "threads": _threads(),
        "blas": blas_info(),
    }
    if size == "S":
        from .claims.resnest.thm1_sweep import sweep

        result["thm1"] = sweep(range(20))
    return result


#: Block sizes of the ``hvp_block`` figures and of the block Lanczos ``lambda_min``.
BLOCK_SIZES = (1, 4, 8)
LAMBDA_BLOCK_SIZES = (2, 4)


def block_figures(obj: Any, theta: np.ndarray, rounds: int = 3) -> dict[str, Any]:
    """Block products against single HVPs, measured in the same run: per round, one
    HVP then ``hvp_block`` for each of :data:`BLOCK_SIZES` (median wall time each), so
    every ratio compares timings of the same minute; the ratio reported is the median
    over rounds of (block time / b) / HVP time.  Then ``lambda_min`` by single-vector
    Lanczos and by block Lanczos (:data:`LAMBDA_BLOCK_SIZES`), with products and the
    true residual ``||H y - theta y||`` recomputed here with one more HVP."""
    from .landscape.spectrum import extreme_eigenvalues

    rng = np.random.default_rng(2)
    V = rng.standard_normal((max(BLOCK_SIZES), theta.size))
    for b in BLOCK_SIZES:
        obj.hvp_block(theta, V[:b])
    single: list[float] = []
    per_vector: dict[int, list[float]] = {b: [] for b in BLOCK_SIZES}
    for _ in range(rounds):
        single.append(timed(lambda: obj.hvp(theta, V[0]), warm=False, min_time=0.2)[0])
        for b in BLOCK_SIZES:
            ms = timed(functools.partial(obj.hvp_block, theta, V[:b]), warm=False,
                       min_time=0.2)[0]
            per_vector[b].append(ms / b)
    out: dict[str, Any] = {
        "hvp_ms": statistics.median(single),
        "hvp_block_per_vector_ms": {str(b): statistics.median(t) for b, t in per_vector.items()},
        "hvp_block_ratio": {str(b): statistics.median(t / s for t, s in zip(ts, single,
                                                                            strict=True))
                            for b, ts in per_vector.items()},
        "lambda_min": {},
    }
    runs = [("lanczos", 1)] + [("block", b) for b in LAMBDA_BLOCK_SIZES]
    for method, b in runs:
        def solve(method: str = method, b: int = b) -> Any:
            return extreme_eigenvalues(obj, theta, "SA", tol=LANCZOS_TOL, method=method,
                                       block_size=b)

        ms, ritz = timed(solve, min_reps=2, min_time=0.0)
        y = ritz.vectors[:, 0]
        out["lambda_min"][method if method == "lanczos" else f"block{b}"] = {
            "value": float(ritz.values[0]), "matvecs": int(ritz.matvecs), "ms": ms,
            "residual": float(ritz.residuals[0]),
            "true_residual": float(np.linalg.norm(obj.hvp(theta, y) - ritz.values[0] * y)),
            # the solver's time over what its products cost as single HVPs (same rounds)
            "over_products": ms / (int(ritz.matvecs) * out["hvp_ms"]),
        }
    return out


def _threads() -> dict[str, Any]:
    """numba's thread count and whether other processes kept the machine busy at the end
    of the timings (the kernels then run on one thread: see resproof.nn.kernels)."""
    import numba

    from .nn.kernels.threads import machine_busy

    return {"numba": numba.get_num_threads(), "busy": machine_busy()}


#: Variables some machines set to work around old OpenBLAS builds; a user's machine sets
#: neither, and they select a slower kernel (benchmarks unset them in their subprocesses).
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_info() -> list[dict[str, Any]]:
    """The BLAS libraries threadpoolctl sees (numpy's and scipy's): API, version, the
    kernel (``architecture``) they selected, threads, and the override variables set."""
    import os

    import scipy.linalg.cython_blas  # noqa: F401  (loads scipy's BLAS, the one the kernels bind)
    from threadpoolctl import threadpool_info

    overrides = {k: os.environ[k] for k in BLAS_OVERRIDES if k in os.environ}
    return [{"api": d.get("internal_api"), "version": d.get("version"),
             "kernel": d.get("architecture"), "threads": d.get("num_threads"),
             "library": os.path.basename(d.get("filepath") or ""), "overrides": overrides}
            for d in threadpool_info() if d.get("user_api") == "blas"]


def format_bench(result: dict[str, Any]) -> str:
    lines = [f"resnest-tanh size {result['size']} (P = {result['P']}, seed {result['seed']})",
             f"  loss       {result['loss']:.16g}",
             f"  ||grad||   {result['grad_norm']:.16g}",
             f"  lambda_min {result['lambda_min']:.15g}"
             f" (Lanczos {result['lambda_min_lanczos']:.15g},"
             f" residual {result['lanczos_residual']:.1e})",
             f"  compile    {result['compile_s']:.2f} s (not in the timings)",
             f"  threads    {result['threads']['numba']}"
             + (" (machine busy: kernels ran on one)" if result["threads"]["busy"] else ""),
             *(f"  BLAS       {b['api']} {b['version']} ({b['library']}): {b['kernel']} kernel, "
               f"{b['threads']} threads"
               + (f", overridden by {b['overrides']}" if b["overrides"] else "")
               for b in result.get("blas", [])),
             "  median wall time, ms:"]
    for name, value in result["timings_ms"].items():
        lines.append(f"    {name:<11} " + ("-" if value is None else f"{value:.4g}"))
    block = result.get("block")
    if block:
        lines.append(f"  hvp_block   per vector / HVP ({block['hvp_ms']:.4g} ms, same rounds): "
                     + ", ".join(f"b={b} {ms:.4g} ms ({block['hvp_block_ratio'][b]:.2f})"
                                 for b, ms in block["hvp_block_per_vector_ms"].items()))
        for name, lam in block["lambda_min"].items():
            lines.append(f"  lambda_min  {name:<8} {lam['value']:.15g}: {lam['matvecs']} products,"
                         f" {lam['ms']:.4g} ms ({lam['over_products']:.3f} x their HVPs),"
                         f" true residual {lam['true_residual']:.1e}")
    thm1 = result.get("thm1")
    if thm1:
        lines.append(f"  Theorem 1 on seeds {thm1['seeds'][0]}..{thm1['seeds'][-1]}: "
                     f"{thm1['instances_per_s']:.3g} instances/s, "
                     f"{sum(thm1['converged'])}/{len(thm1['seeds'])} converged, "
                     f"max |eps| {max(abs(e) for e in thm1['eps'] if e is not None):.1e}")
    return "\n".join(lines)
