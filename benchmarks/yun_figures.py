"""The figures of the deep-ResNet document (003, claims ``yun.*``), in Markdown.

    python benchmarks/yun_figures.py --trials 200 --workers 1 [--out runs/yun-figures]

Three sections:

1. ``yun.near-identity``: per depth ``L = 1, 2, 4, 8, 16, 32`` on the same data, the
   constant ``C = L_l ||t*|| (e^alpha - 1) E||x||`` (resproof's reading: the same for
   every ``L``), the depth-dependent constant ``C_L`` of the derivation (``<= C``), the
   worst ``R - R_lin`` over the critical points found, their number, the slack
   ``R_lin + C - R`` and the largest measured ``rho_l / (alpha / L)``
   (:meth:`~resproof.claims.yun.near_identity.NearIdentity.check`), for a few instances.
2. ``yun.rademacher``: the lower estimates of the empirical Rademacher complexity for
   several ``L`` and ``n``, against ``e^2 max||x|| / sqrt(n)`` (the claim) and
   ``max||x|| / sqrt(n)`` (``:constant-one``), for the claim's class
   (``||V_l||_F, ||U_l||_F <= 1/sqrt(L)``) and the ``:no-depth-scaling`` class (norms
   ``<= 1``).  Lower estimates only: a ratio below 1 is "no violation found".
3. Reliability: every ``yun.*`` claim and control over ``--trials`` trials (one
   resumable sweep, :func:`resproof.sweep.run`), the table of
   :mod:`resproof.report.reliability` (verdict counts, refuted fraction, inconclusive
   rate, searches converged, the stop reasons of failed needed searches) and the false
   refutations (must be 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# run as a script, sys.path[0] is benchmarks/: put this checkout's resproof first (not an
# installed one from another tree)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from resproof import sweep
from resproof.claims import all_claims, get
from resproof.claims.yun.near_identity import NearIdentityInstance
from resproof.claims.yun.rademacher import RademacherInstance
from resproof.profiles import get_budget
from resproof.report import reliability

DEPTHS = (1, 2, 4, 8, 16, 32)
RADEMACHER_DEPTHS = (1, 2, 4, 8, 16, 32)
RADEMACHER_SAMPLES = (4, 8, 32)


def _num(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """A Markdown table (``|`` inside a cell escaped, as in ``||x||``)."""
    def cell(value: object) -> str:
        return _num(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def near_identity(instances: int, budget_name: str) -> str:
    claim = get("yun.near-identity")
    budget = get_budget(budget_name)
    rng = np.random.default_rng(2026)
    out = []
    for k in range(instances):
        inst = NearIdentityInstance(depths=DEPTHS, loss=("logistic", "pseudo_huber",
                                                         "softmax_ce")[k % 3],
                                    alpha=(0.5, 1.0, 2.0)[k % 3],
                                    seed=int(rng.integers(2**31)))
        start = time.perf_counter()
        result = claim.check(inst, budget)
        seconds = time.perf_counter() - start
        ev = result.evidence
        rows = []
        for row in ev.get("per_depth", []):
            worst = row.get("worst") or {}
            rows.append((row["L"], row["C"], row["C_L"], row["worst_gap"],
                         row["critical_points"],
                         None if row["worst_gap"] is None else row["C"] - row["worst_gap"],
                         None if not worst else worst["max_rho"] / row["budget_alpha_over_L"]))
        constants = {r[1] for r in rows}
        out.append(
            f"Instance {k + 1}: loss {inst.loss}, alpha = {inst.alpha}, d_x = {inst.d_x}, "
            f"width {inst.width}, N = {inst.samples}, data seed {inst.seed}; verdict "
            f"**{result.verdict.value}**, margin {_num(result.margin)}; R_lin = "
            f"{_num(ev.get('R_lin'))}, ||t*|| = {_num(ev.get('t_star_norm'))}, E||x|| = "
            f"{_num(ev.get('mean_x_norm'))}; C the same at every depth: "
            f"{len(constants) == 1 and not ev.get('C_grows_with_L')} ({seconds:.1f} s, "
            f"budget {budget.name}).\n\n"
            + table(("L", "C", "C_L (derivation, <= C)", "worst R - R_lin", "critical points",
                     "C - worst gap", "max rho_l / (alpha/L) at the worst"), rows))
    return "\n".join(out)


def rademacher(budget_name: str) -> str:
    claim = get("yun.rademacher")
    budget = get_budget(budget_name)
    rows = []
    for n in RADEMACHER_SAMPLES:
        seed = 1000 + n
        claimed = claim.check(RademacherInstance(depths=RADEMACHER_DEPTHS, samples=n,
                                                 seed=seed), None, budget)
        wide = claim.check(RademacherInstance(depths=RADEMACHER_DEPTHS, samples=n,
                                              block_radius=1.0, seed=seed),
                           "no-depth-scaling", budget)
        for a, b in zip(claimed.evidence["per_depth"], wide.evidence["per_depth"],
                        strict=True):
            rows.append((n, a["L"], a["lower_estimate"], b["lower_estimate"], a["bound_e2"],
                         a["bound_one"], a["ratio_to_e2_bound"], b["ratio_to_e2_bound"],
                         a["ratio_to_one_bound"], a["method"]))
    return ("Lower estimates (feasible networks, exactly checked) of the empirical "
            "Rademacher complexity on one sample per n (d_x = 2, width 2); "
            f"budget {budget.name}.\n\n"
            + table(("n", "L", "LB, ||.||_F <= 1/sqrt(L)", "LB, ||.||_F <= 1 (no-depth-scaling)",
                     "e^2 max||x||/sqrt(n)", "max||x||/sqrt(n) (constant-one)",
                     "LB / e^2 bound", "LB no-depth-scaling / e^2 bound", "LB / 1 bound",
                     "expectation over signs"), rows))


def reliability_section(trials: int, budget: str, workers: int, out: Path) -> str:
    claims = [c for c in all_claims() if c.id.startswith("yun.")]
    labels = [(c.id, None) for c in claims] + [(c.id, k.name) for c in claims
                                               for k in c.controls]
    start = time.perf_counter()
    _, records = sweep.run(labels, trials=trials, seed=0, budget=budget, out=out,
                           resume=(out / "results.jsonl").exists(), workers=workers,
                           progress=True)
    seconds = time.perf_counter() - start
    return (f"{trials} trials per claim and control, budget {budget}, seed 0 "
            f"({len(records)} records in {out}; this run {seconds:.0f} s, {workers} "
            "worker(s)).\n\n" + reliability.markdown(records))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200,
                        help="trials per yun claim and control (reliability section)")
    parser.add_argument("--budget", default="quick")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--near-identity-instances", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None,
                        help="sweep directory (resumable); a temporary one by default")
    parser.add_argument("--skip", choices=("near-identity", "rademacher", "reliability"),
                        action="append", default=[])
    args = parser.parse_args(argv)
    print("# Figures of the deep-ResNet document (003, yun.*)\n")
    if "near-identity" not in args.skip:
        print("## yun.near-identity: C and the worst R - R_lin per depth\n")
        print(near_identity(args.near_identity_instances, args.budget))
    if "rademacher" not in args.skip:
        print("## yun.rademacher: lower estimates against both bounds\n")
        print(rademacher(args.budget))
    if "reliability" not in args.skip:
        print("## Reliability of the yun claims and controls\n")
        out = args.out or Path(tempfile.mkdtemp(prefix="yun-figures-"))
        print(reliability_section(args.trials, args.budget, args.workers, out))


if __name__ == "__main__":
    main()
