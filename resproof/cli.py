"""The ``resproof`` command: parse, call the public API, print.

Exit status (DESIGN.md): 0 every verdict as expected; 1 a claim was refuted
(a counterexample to a stated result); 2 bad input or usage; 3 anything else
unexpected (a control that survived, an inconclusive search, an internal
error).  When a claim is refuted *and* something else is unexpected, 3 wins:
a checker with a surviving control cannot be trusted to refute.

``--json`` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import InvalidInput, ResproofError
from .results import Outcome, Verdict, dumps

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: exit 2, one line
        self.exit(EXIT_USAGE, f"resproof: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="resproof", description="Check the theory of residual networks.")
    parser.add_argument("--version", action="version", version=f"resproof {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims")
    p.add_argument("--controls", action="store_true", help="list each claim's controls too")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("verify", help="verify claims (and their controls)")
    p.add_argument("claims", nargs="+", metavar="CLAIM",
                   help="claim ids, CLAIM:CONTROL, or 'all' (claims and every control)")
    p.add_argument("--control", help="run this control of each named claim")
    p.add_argument("--trials", type=int, help="trials per claim (default: the budget's)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--budget", default="quick", help="quick | standard | deep")
    p.add_argument("--instance", metavar="FAMILY:SIZE:SEED",
                   help="decide each claim on this one bench-spec instance "
                        "(e.g. resnest-tanh:S:0)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("neurons", help="exact minimum square-neuron counts of a quadratic")
    p.add_argument("polynomial", help='e.g. "x1**2 + 3*x1*x2 - x3 + 1/2"')
    p.add_argument("--json", action="store_true")
    p.add_argument("--latex", action="store_true", help="print the witness networks in LaTeX")

    p = sub.add_parser("bench", help="time the bench-spec figures")
    p.add_argument("--size", default="S", help="S | M | L")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except InvalidInput as error:
        print(f"resproof: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ResproofError as error:
        print(f"resproof: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_UNEXPECTED
    except KeyboardInterrupt:
        print("resproof: interrupted", file=sys.stderr)
        return EXIT_UNEXPECTED


def _list(args: argparse.Namespace) -> int:
    from .claims import all_claims

    rows = []
    for claim in all_claims():
        row: dict[str, Any] = {"id": claim.id, "title": claim.title, "source": claim.source,
                               "statement": claim.statement, "reading": claim.reading,
                               "extension": claim.extension}
        if args.controls:
            row["controls"] = [{"id": f"{claim.id}:{c.name}", "summary": c.summary}
                               for c in claim.controls]
        rows.append(row)
    if args.json:
        print(dumps({"claims": rows}, indent=1))
        return EXIT_OK
    width = max((len(r["id"]) for r in rows), default=0)
    for row in rows:
        tag = " (extension)" if row["extension"] else ""
        print(f"{row['id']:<{width}}  {row['title']}{tag}")
        for control in row.get("controls", ()):
            print(f"  {control['id']}: {control['summary']}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from ._validation import check_positive_int, check_seed
    from .claims import all_claims, get
    from .profiles import get_budget

    budget = get_budget(args.budget)
    if args.trials is not None:
        check_positive_int("--trials", args.trials)
    check_seed("--seed", args.seed)
    plan: list[tuple[str, str | None]] = []
    for name in args.claims:
        if name == "all":
            for claim in all_claims():
                plan.append((claim.id, None))
                plan.extend((claim.id, c.name) for c in claim.controls)
            continue
        claim_id, _, control = name.partition(":")
        claim = get(claim_id)
        control = control or args.control
        if control is not None:
            claim.control(control)
        plan.append((claim.id, control))
    for claim_id, control in plan:  # validate everything before the first (slow) run
        get(claim_id).validate(control, args.trials, args.seed, budget)
    instance = None if args.instance is None else parse_instance(args.instance)
    outcomes = []
    for claim_id, control in plan:
        if instance is not None:
            outcome = get(claim_id).verify_on(instance, control=control, budget=budget)
        else:
            outcome = get(claim_id).verify(control=control, trials=args.trials,
                                           seed=args.seed, budget=budget)
        outcomes.append(outcome)
        if not args.json:
            print(_outcome_line(outcome), flush=True)
            if instance is not None:
                print(_missed_assumptions(outcome), end="", flush=True)
    status = exit_status(outcomes)
    if args.json:
        print(dumps({"outcomes": [o.to_json() for o in outcomes], "exit_status": status},
                    indent=1))
    else:
        unexpected = [o for o in outcomes if not o.as_expected]
        print(f"{len(outcomes)} verdicts, {len(outcomes) - len(unexpected)} as expected,"
              f" {len(unexpected)} not" + (": " + ", ".join(o.label for o in unexpected)
                                            if unexpected else ""))
    return status


def parse_instance(spec: str) -> Any:
    """``FAMILY:SIZE:SEED`` -> the bench-spec instance (``resnest-tanh:S:0``)."""
    from .nn.instances import RESNEST_TANH_SIZES, resnest_tanh

    families = {"resnest-tanh": resnest_tanh}
    parts = spec.split(":")
    expected = (f"FAMILY:SIZE:SEED with FAMILY in {sorted(families)}, SIZE in "
                f"{sorted(RESNEST_TANH_SIZES)}, SEED an integer >= 0")
    if len(parts) != 3 or parts[0] not in families or parts[1] not in RESNEST_TANH_SIZES \
            or not parts[2].isdigit():
        raise InvalidInput("--instance", expected, spec)
    return families[parts[0]](parts[1], int(parts[2]))


def _missed_assumptions(outcome: Outcome) -> str:
    """For a vacuous verdict on one instance: which assumption failed, with its margin."""
    if outcome.verdict is not Verdict.VACUOUS:
        return ""
    trial = outcome.evidence.get("worst_trial", {})
    lines = [f"     assumption {a['name']} not met: margin {a['margin']:.3g} ({a['detail']})"
             for a in trial.get("assumptions", []) if not a.get("met")]
    lines += [f"     dropped assumption {a['name']} holds here: margin {a['margin']:.3g} "
              f"({a['detail']})" for a in trial.get("broken_assumptions", []) if a.get("met")]
    return "".join(line + "\n" for line in lines)


def exit_status(outcomes: Sequence[Outcome]) -> int:
    """0 all as expected; 1 a claim refuted; 3 any other surprise (takes precedence)."""
    refuted_claim = any(o.control is None and o.verdict is Verdict.REFUTED for o in outcomes)
    other = any(not o.as_expected and not (o.control is None and o.verdict is Verdict.REFUTED)
                for o in outcomes)
    if other:
        return EXIT_UNEXPECTED
    return EXIT_REFUTED if refuted_claim else EXIT_OK


def _outcome_line(outcome: Outcome) -> str:
    mark = "ok  " if outcome.as_expected else "FAIL"
    cert = ""
    if outcome.verdict is Verdict.REFUTED:
        cert = " (certified)" if outcome.certified else " (uncertified)"
    margin = "" if outcome.margin is None else f", margin {outcome.margin:.3g}"
    return (f"{mark} {outcome.label}: {outcome.verdict.value}{cert}"
            f" [expected {outcome.expected.value}; {outcome.trials} trials, seed {outcome.seed}"
            f"{margin}]")


def _neurons(args: argparse.Namespace) -> int:
    from .symbolic.neurons import analyse

    report = analyse(args.polynomial)
    if args.json:
        print(dumps(report.to_json(), indent=1))
    elif args.latex:
        print(report.to_latex())
    else:
        print(report.to_text())
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from .bench import format_bench, run_bench

    result = run_bench(args.size)
    print(dumps(result, indent=1) if args.json else format_bench(result))
    return EXIT_OK


_COMMANDS = {"list": _list, "verify": _verify, "neurons": _neurons, "bench": _bench}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
