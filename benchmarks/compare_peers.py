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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["S"])
    ap.add_argument("--peer", default="jax", choices=["jax", "torch"])
    ap.add_argument("--peer-python", default=str(Path.home() / "peer-venv/bin/python"))
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    for size in args.sizes:
        peer = peer_times(args.peer_python, args.peer, size, args.reps)
        ours = resproof_times(size)
        print(f"## size {size}: raw peer output")
        print(json.dumps(peer, indent=1)[:4000])
        print(f"## size {size}: resproof")
        print(json.dumps(ours["timings_ms"], indent=1), "thm1 inst/s:",
              (ours.get("thm1") or {}).get("instances_per_s"))


if __name__ == "__main__":
    main()
