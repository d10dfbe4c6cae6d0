"""What numba compiles on a claim's first run: per function, how many specialisations,
the compile time (callees included) and who asked for it, from numba's
``numba:compile`` events.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_report.py resnest.thm1

Run it with an empty cache directory (as above) to see a fresh install's first run.
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
    ap.add_argument("claim")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    from resproof.claims import verify

    wall, cpu = time.perf_counter(), time.process_time()
    with event.install_recorder("numba:compile") as recorder:
        outcome = verify(args.claim, budget="quick")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
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
            per[name][1] += ts - starts.pop(key)
    print(f"{args.claim}: {outcome.verdict.value} in {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"functions compiled: {len(per)}, specialisations: {sum(n for n, _ in per.values())}")
    for name, (n, seconds) in sorted(per.items(), key=lambda kv: -kv[1][1])[:args.top]:
        asked = ", ".join(sorted(p.rsplit(".", 1)[-1] for p in parents[name])) or "-"
        print(f"{int(n):3d} sig {seconds:7.2f} s  {name}  <- {asked}")


if __name__ == "__main__":
    main()
