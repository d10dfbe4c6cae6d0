"""What numba compiles on a claim's first run: per function, how many specialisations,
the compile time (callees included) and who asked for it, from numba's
``numba:compile`` events.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_report.py resnest.thm1
    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_report.py all

Run it with an empty cache directory (as above) to see a fresh install's first run.
``all`` runs every claim and control as ``verify all`` does, and also prints the
compile seconds each of them paid (the compiles it was the first to need).
"""

from __future__ import annotations

import argparse
import collections
import time

from numba.core import event


def _name(ev: event.Event) -> str:
    func = ev.data["dispatcher"].py_func
    return f"{func.__module__}.{func.__qualname__}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("claims", nargs="+", help="claim ids, CLAIM:CONTROL, or all")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--signatures", action="store_true",
                    help="list the argument types of every function compiled more than once")
    args = ap.parse_args()
    from resproof.claims import all_claims, verify

    if args.claims == ["all"]:
        labels = [(c.id, ctl) for c in all_claims()
                  for ctl in (None, *(k.name for k in c.controls))]
    else:
        labels = [(lab.split(":", 1)[0], lab.split(":", 1)[1] if ":" in lab else None)
                  for lab in args.claims]
    wall, cpu = time.perf_counter(), time.process_time()
    verdicts, paid = [], {}
    with event.install_recorder("numba:compile") as recorder:
        for claim, control in labels:
            before = len(recorder.buffer)
            outcome = verify(claim, control=control, budget="quick")
            verdicts.append(f"{outcome.label}: {outcome.verdict.value}")
            paid[outcome.label] = _top_level_seconds(recorder.buffer[before:])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    signatures: dict[str, list[str]] = collections.defaultdict(list)
    parents: dict[str, set[str]] = collections.defaultdict(set)
    starts: dict[tuple[str, str], float] = {}
    stack: list[str] = []
    for ts, ev in recorder.buffer:
        name = _name(ev)
        key = (name, str(ev.data["args"]))
        if ev.is_start:
            starts[key] = ts
            if stack:
                parents[name].add(stack[-1])
            stack.append(name)
        else:
            stack.pop()
            per[name][0] += 1
            signatures[name].append(key[1])
            per[name][1] += ts - starts.pop(key)
    print(f"{'; '.join(verdicts)}\nin {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"functions compiled: {len(per)}, specialisations: {sum(n for n, _ in per.values())}")
    for name, (n, seconds) in sorted(per.items(), key=lambda kv: -kv[1][1])[:args.top]:
        asked = ", ".join(sorted(p.rsplit(".", 1)[-1] for p in parents[name])) or "-"
        print(f"{int(n):3d} sig {seconds:7.2f} s  {name}  <- {asked}")
    if args.signatures:
        print("functions compiled more than once, with their argument types:")
        for name, sigs in sorted(signatures.items()):
            if len(sigs) > 1:
                print(f"  {name}")
                for sig in sigs:
                    print(f"      {sig}")
    if len(labels) > 1:
        print("compile seconds first paid by each claim / control:")
        for lab, seconds in sorted(paid.items(), key=lambda kv: -kv[1]):
            if seconds > 0.05:
                print(f"  {seconds:7.2f} s  {lab}")


def _top_level_seconds(buffer: list) -> float:
    """Seconds spent in outermost compiles (callees are inside their caller's)."""
    total, depth, start = 0.0, 0, 0.0
    for ts, ev in buffer:
        if ev.is_start:
            if depth == 0:
                start = ts
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                total += ts - start
    return total


if __name__ == "__main__":
    main()
