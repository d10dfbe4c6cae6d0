"""resproof vs the JAX / PyTorch peers of ../shared/peers, measured in the same run.

    python benchmarks/compare_peers.py --sizes S M --peer-python ~/peer-venv/bin/python

Runs ``jax_peer.py bench`` (or ``torch_peer.py``) and ``resproof bench`` for each
size, alternating ``--rounds`` times, and prints the per-round ratios peer /
resproof (> 1: resproof faster) as median [min-max] with each side's median time
over the rounds: on a shared virtual machine speed drifts between runs (2x seen
within minutes), so one pair of runs can mislead either way.  The peer venv is set
up as ../shared/peers/run_all.sh says; nothing of it is installed by resproof.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
OPS = {"loss_grad": "loss+grad", "hvp": "HVP", "hessian": "full Hessian",
       "eigvalsh": "eigvalsh", "lambda_min": "lambda_min (Lanczos, HVPs)"}


#: Set on some machines to work around old OpenBLAS builds, never on a user's: both the
#: peer and resproof run with them unset (in these subprocesses only).
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def user_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in BLAS_OVERRIDES}


def peer_times(python: str, peer: str, size: str, reps: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peer.json"
        subprocess.run([python, str(PEERS / f"{peer}_peer.py"), "bench", "--sizes", size,
                        "--reps", str(reps), "--out", str(out)], check=True, cwd=PEERS,
                       env=user_environment())
        return json.loads(out.read_text())


def blas_kernel(python: str) -> str:
    """The BLAS kernel threadpoolctl reports for ``python`` under the user environment."""
    code = ("import json, numpy; from threadpoolctl import threadpool_info; "
            "print(json.dumps([(d.get('internal_api'), d.get('version'), d.get('architecture'))"
            " for d in threadpool_info() if d.get('user_api') == 'blas']))")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True,
                          env=user_environment())
    return done.stdout.strip() if done.returncode == 0 else f"unknown ({done.stderr.strip()[-80:]})"


def resproof_times(size: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "resproof", "bench", "--size", size, "--json"],
                          check=True, capture_output=True, text=True, env=user_environment())
    return json.loads(done.stdout)


PEER_KEYS = {"loss_grad": "t_loss_grad", "hvp": "t_hvp", "hessian": "t_hessian",
             "eigvalsh": "t_eigvalsh", "lambda_min": "t_lanczos"}
#: Issue 14's targets, peer / resproof on the median over rounds.
TARGETS = {("S", "hessian"): 15, ("M", "hessian"): 30, ("M", "loss_grad"): 2,
           ("L", "loss_grad"): 2, ("L", "hvp"): 2.5, ("L", "lambda_min"): 4}
THM1_TARGET = 1000
#: lambda_min within 10 % of what its products cost as single HVPs.
OVERHEAD_TARGET = 1.1


def ratio_rows(size: str, rounds: list[tuple[dict, dict]]) -> list[str]:
    """One line per operation over the rounds: peer ms, resproof ms (medians), the
    per-round ratios peer / resproof as median [min-max], and the target's verdict
    (on the median ratio)."""
    rows = []
    for op, key in PEER_KEYS.items():
        pairs = [((peer["sizes"][size].get(key) or {}).get("median"), ours["timings_ms"].get(op))
                 for peer, ours in rounds]
        pairs = [(1e3 * theirs, mine) for theirs, mine in pairs
                 if theirs is not None and mine is not None]
        if not pairs:
            continue
        ratios = [theirs / mine for theirs, mine in pairs]
        ratio = statistics.median(ratios)
        target = TARGETS.get((size, op))
        verdict = "" if target is None else (f"target {target}x " +
                                             ("met" if ratio >= target else "NOT met"))
        rows.append(f"| {size} | {OPS[op]} | {statistics.median(t for t, _ in pairs):.4g} | "
                    f"{statistics.median(m for _, m in pairs):.4g} | {ratio:.2f}x "
                    f"[{min(ratios):.2f}-{max(ratios):.2f}] | {verdict} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["S"])
    ap.add_argument("--peer", default="jax", choices=["jax", "torch"])
    ap.add_argument("--peer-python", default=str(Path.home() / "peer-venv/bin/python"))
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--raw", action="store_true", help="also print the peer's whole output")
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        rounds = []
        for _ in range(args.rounds):
            peer = peer_times(args.peer_python, args.peer, size, args.reps)
            rounds.append((peer, resproof_times(size)))
            if args.raw:
                print(json.dumps(peer, indent=1))
        rows += ratio_rows(size, rounds)
        busy = sum(bool((ours.get("threads") or {}).get("busy")) for _, ours in rounds)
        rows.append(f"| {size} | resproof threads | - | "
                    f"{(rounds[0][1].get('threads') or {}).get('numba')} | - | "
                    f"{f'machine busy in {busy} rounds: ran on one' if busy else ''} |")
        over = [ours["block"]["lambda_min"]["lanczos"]["over_products"] for _, ours in rounds
                if (ours.get("block") or {}).get("lambda_min", {}).get("lanczos")]
        if over:
            met = "met" if statistics.median(over) <= OVERHEAD_TARGET else "NOT met"
            rows.append(f"| {size} | resproof lambda_min / (products x HVP), same rounds | - | "
                        f"{statistics.median(over):.3f} [{min(over):.3f}-{max(over):.3f}] | - | "
                        f"target {OVERHEAD_TARGET} {met} |")
        per_s = [ours["thm1"]["instances_per_s"] for _, ours in rounds if ours.get("thm1")]
        if per_s:
            met = "met" if statistics.median(per_s) >= THM1_TARGET else "NOT met"
            rows.append(f"| {size} | Theorem-1 sweep, instances/s | - | "
                        f"{statistics.median(per_s):.4g} [{min(per_s):.4g}-{max(per_s):.4g}] "
                        f"| - | target {THM1_TARGET}/s {met} |")
    print(f"BLAS ({', '.join(BLAS_OVERRIDES)} unset for both): {args.peer} "
          f"{blas_kernel(args.peer_python)}; resproof {blas_kernel(sys.executable)}")
    print(f"| size | operation | {args.peer} ms | resproof ms | ratio median [min-max] | |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
