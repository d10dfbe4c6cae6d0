"""Reliability run: many trials of one document's claims and controls, with the table.

    python benchmarks/reliability.py --document 002 --claim-trials 910 \\
        --control-trials 100 --out runs/reliability-002 --workers 2

Two resumable sweeps (``resproof.sweep.run``): every claim of the document (its
``source`` starts with ``--document``) with ``--claim-trials`` trials each in
``OUT/claims``, every control with ``--control-trials`` in ``OUT/controls``.  Rerun
the same command to resume a killed run.  Prints, in Markdown, the reliability table
of each (:mod:`resproof.report.reliability`): trials, holds, refuted (certified),
vacuous and inconclusive with rates, searches converged, and the stop reasons of
the failed needed searches; and the count of false refutations (refuted trials of
claims expected to hold, which must be 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from resproof import sweep
from resproof.claims import all_claims
from resproof.report import reliability


def labels_of(document: str) -> tuple[list[tuple[str, None]], list[tuple[str, str]]]:
    claims = [c for c in all_claims() if c.source.startswith(document)]
    if not claims:
        sys.exit(f"no claim has a source starting with {document!r}")
    return ([(c.id, None) for c in claims],
            [(c.id, control.name) for c in claims for control in c.controls])


def run_part(labels: list, trials: int, out: Path, args: argparse.Namespace) -> str:
    start = time.perf_counter()
    _, records = sweep.run(labels, trials=trials, seed=args.seed, budget=args.budget,
                           out=out, resume=(out / "results.jsonl").exists(),
                           workers=args.workers, progress=True)
    seconds = time.perf_counter() - start
    return (f"{len(records)} trials in {out} (this run: {seconds:.0f} s, "
            f"{args.workers} worker(s))\n\n" + reliability.markdown(records))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", required=True,
                        help="prefix of the claims' source file, e.g. 002 or 003")
    parser.add_argument("--claim-trials", type=int, default=910)
    parser.add_argument("--control-trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", default="quick")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    claims, controls = labels_of(args.document)
    print(f"## Claims of {args.document} ({len(claims)}), {args.claim_trials} trials each\n")
    print(run_part(claims, args.claim_trials, args.out / "claims", args))
    if args.control_trials:
        print(f"## Controls ({len(controls)}), {args.control_trials} trials each\n")
        print(run_part(controls, args.control_trials, args.out / "controls", args))


if __name__ == "__main__":
    main()
