"""resproof vs the JAX / PyTorch peers of ../shared/peers, measured in the same run.

    python benchmarks/compare_peers.py --sizes S M --peer-python ~/peer-venv/bin/python

Runs ``jax_peer.py bench`` (and optionally ``torch_peer.py``) then ``resproof bench``
for each size, alternating, and prints time ratios peer / resproof (> 1: resproof
faster).  The peer venv is set up as ../shared/peers/run_all.sh says; nothing of
it is installed by resproof.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
OPS = {"loss_grad": "loss+grad", "hvp": "HVP", "hessian": "full Hessian",
       "eigvalsh": "eigvalsh", "lambda_min": "lambda_min (Lanczos, HVPs)"}


def peer_times(python: str, peer: str, size: str, reps: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peer.json"
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        subprocess.run([python, str(PEERS / f"{peer}_peer.py"), "bench", "--sizes", size,
                        "--reps", str(reps), "--out", str(out)], check=True, cwd=PEERS, env=env)
        return json.loads(out.read_text())


def resproof_times(size: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "resproof", "bench", "--size", size, "--json"],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


PEER_KEYS = {"loss_grad": "t_loss_grad", "hvp": "t_hvp", "hessian": "t_hessian",
             "eigvalsh": "t_eigvalsh", "lambda_min": "t_lanczos"}
TARGETS = {("S", "loss_grad"): 4, ("S", "hessian"): 20, ("M", "hessian"): 12,
           ("L", "hvp"): 4, ("L", "lambda_min"): 4}


def ratio_rows(size: str, peer: dict, ours: dict) -> list[str]:
    """One line per operation: peer ms, resproof ms, peer / resproof, target."""
    timed = peer["sizes"][size]
    rows = []
    for op, key in PEER_KEYS.items():
        theirs = (timed.get(key) or {}).get("median")
        mine = ours["timings_ms"].get(op)
        if theirs is None or mine is None:
            continue
        ratio = 1e3 * theirs / mine
        target = TARGETS.get((size, op))
        verdict = "" if target is None else (f"target {target}x " +
                                             ("met" if ratio >= target else "NOT met"))
        rows.append(f"| {size} | {OPS[op]} | {1e3 * theirs:.4g} | {mine:.4g} | {ratio:.2f}x | "
                    f"{verdict} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["S"])
    ap.add_argument("--peer", default="jax", choices=["jax", "torch"])
    ap.add_argument("--peer-python", default=str(Path.home() / "peer-venv/bin/python"))
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--raw", action="store_true", help="also print the peer's whole output")
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        peer = peer_times(args.peer_python, args.peer, size, args.reps)
        ours = resproof_times(size)
        if args.raw:
            print(json.dumps(peer, indent=1))
        rows += ratio_rows(size, peer, ours)
        threads = ours.get("threads") or {}
        rows.append(f"| {size} | resproof threads | - | {threads.get('numba')} | - | "
                    f"{'machine busy: ran on one' if threads.get('busy') else ''} |")
        thm1 = ours.get("thm1")
        if thm1:
            rows.append(f"| {size} | Theorem-1 sweep, instances/s | - | "
                        f"{thm1['instances_per_s']:.4g} | - | |")
    print(f"| size | operation | {args.peer} ms | resproof ms | ratio | |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
