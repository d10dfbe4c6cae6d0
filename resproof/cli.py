"""The ``resproof`` command: parse, call the public API, print.

Exit status (DESIGN.md): 0 every verdict as expected; 1 a claim was refuted
(a counterexample to a stated result); 2 bad input or usage; 3 anything else
unexpected (a control that survived, an inconclusive search, an internal
error).  When a claim is refuted *and* something else is unexpected, 3 wins:
a checker with a surviving control cannot be trusted to refute.

``--json`` prints exactly one JSON document on stdout.  ``replay`` exits 0 when
the counterexample is reproduced and 1 when it is not.  ``verify`` runs through
:mod:`resproof.sweep` when asked for records, resume, workers or a scheduler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .errors import InvalidInput, ResproofError
from .results import Outcome, Verdict, dumps

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own usage errors: exit 2, one line
        self.exit(EXIT_USAGE, f"resproof: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="resproof", description="Check the theory of residual networks.")
    parser.add_argument("--version", action="version", version=f"resproof {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims")
    p.add_argument("--controls", action="store_true", help="list each claim's controls too")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--markdown", action="store_true",
                      help="a Markdown table: claim, controls, statement, reading, expected "
                           "(the table in README.md)")

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
    _add_sweep_options(p)

    p = sub.add_parser("neurons", help="exact minimum square-neuron counts of a quadratic")
    p.add_argument("polynomial", help='e.g. "x1**2 + 3*x1*x2 - x3 + 1/2"')
    p.add_argument("--json", action="store_true")
    p.add_argument("--latex", action="store_true", help="print the witness networks in LaTeX")

    p = sub.add_parser("bench", help="time the bench-spec figures")
    p.add_argument("--size", default="S", help="S | M | L")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("report", help="Markdown or HTML report of a sweep directory")
    p.add_argument("directory", metavar="DIR", help="a directory written by verify --out")
    p.add_argument("--html", action="store_true", help="self-contained HTML (default Markdown)")
    p.add_argument("--out", metavar="FILE", help="default DIR/report.md or DIR/report.html")

    p = sub.add_parser("replay", help="rebuild a counterexample and rerun its check")
    p.add_argument("report_json", metavar="REPORT.json")
    p.add_argument("--json", action="store_true")
    return parser


def _add_sweep_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR",
                   help="record every trial in DIR/results.jsonl (fsynced per trial)")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep recorded in --out DIR (same arguments)")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel worker processes (Dask LocalCluster when installed)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the trials on the Dask scheduler at ADDRESS")


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
    if args.markdown:
        print(claims_markdown())
        return EXIT_OK
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


def claims_markdown() -> str:
    """The README's claims table: one row per registered claim (ids, statement, whether it
    is resproof's reading or an extension, expected verdicts)."""
    from .claims import all_claims

    lines = ["| claim | controls (each expected: refuted) | statement checked | "
             "paper or resproof | expected |", "|---|---|---|---|---|"]
    for claim in all_claims():
        controls = "<br>".join(f"`:{c.name}` {_cell(c.summary)}" for c in claim.controls)
        kind = []
        if claim.reading:
            reading = _cell(claim.reading)
            kind.append(reading if reading.startswith("resproof's reading")
                        else f"resproof's reading: {reading}")
        if claim.extension:
            kind.append("extension beyond the paper")
        lines.append(f"| `{claim.id}` | {controls or '(none)'} | {_cell(claim.statement)} | "
                     f"{'<br>'.join(kind) or 'paper'} | {claim.expected(None).value} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


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
            if args.control is not None:
                raise InvalidInput("--control", "no --control with 'all' (it runs every "
                                   "control already)", args.control)
            for claim in all_claims():
                plan.append((claim.id, None))
                plan.extend((claim.id, c.name) for c in claim.controls)
            continue
        claim_id, colon, control = name.partition(":")
        if colon and args.control is not None:
            raise InvalidInput("--control", f"no --control with {name!r}, which names its "
                               "control already", args.control)
        claim = get(claim_id)
        control = control or args.control
        if control is not None:
            claim.control(control)
        plan.append((claim.id, control))
    for claim_id, control in plan:  # validate everything before the first (slow) run
        get(claim_id).validate(control, args.trials, args.seed, budget)
    instance = None if args.instance is None else parse_instance(args.instance)
    if any(not claim_id.startswith("kreinovich.") for claim_id, _ in plan):
        from . import warmup

        warmup.start()
    if _sweeping(args):
        if instance is not None:
            raise InvalidInput("--instance", "no --instance with --out/--resume/--workers/"
                               "--scheduler (a sweep draws its own instances)", args.instance)
        return _finish_verify(args, _sweep(args, plan, budget))
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
            for line in counterexample_lines(outcome):
                print(line, flush=True)
            if instance is not None:
                print(_missed_assumptions(outcome), end="", flush=True)
    return _finish_verify(args, outcomes)


def _finish_verify(args: argparse.Namespace, outcomes: list[Outcome]) -> int:
    """Print the summary (or the JSON document) and return the exit status."""
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


def _sweeping(args: argparse.Namespace) -> bool:
    return bool(args.out or args.resume or args.scheduler or args.workers != 1)


def _sweep(args: argparse.Namespace, plan: list[tuple[str, str | None]],
           budget: Any) -> list[Outcome]:
    """verify through :mod:`resproof.sweep` (records, workers, Dask, resume)."""
    from .sweep import run

    outcomes, _ = run(plan, trials=args.trials, seed=args.seed, budget=budget, out=args.out,
                      resume=args.resume, workers=args.workers, scheduler=args.scheduler,
                      progress=not args.json)
    if not args.json:
        for outcome in outcomes:
            print(_outcome_line(outcome), flush=True)
            for line in counterexample_lines(outcome):
                print(line, flush=True)
    return outcomes


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(write_report(args.directory, html=args.html, out=args.out))
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    from .report.counterexample import replay

    result = replay(args.report_json)
    if args.json:
        print(dumps({"reproduced": result.reproduced, "claim": result.claim,
                     "control": result.control, "recorded": result.recorded,
                     "now": result.now, "reasons": list(result.reasons)}, indent=1))
    else:
        print(result.line())
    return EXIT_OK if result.reproduced else EXIT_REFUTED


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


def counterexample_lines(outcome: Outcome) -> list[str]:
    """One or two indented lines for a refuted verdict: the violated quantity with its
    certified bound, then the seed and sizes of the instance (nothing otherwise)."""
    ce = outcome.counterexample
    if outcome.verdict is not Verdict.REFUTED or not ce:
        return []
    return [f"    violated: {_violated(ce, outcome)}", f"    instance: {_instance(ce)}"]


def _violated(ce: dict[str, Any], outcome: Outcome) -> str:
    cert = "certified" if outcome.certified else "NOT certified"
    violated = ce.get("violated")
    if isinstance(violated, dict):
        text = f"{violated.get('quantity', 'quantity')} = {_num(violated.get('value'))}"
        if violated.get("threshold") is not None:
            text += f" {violated.get('relation', 'vs')} {_num(violated['threshold'])}"
        if violated.get("exact"):
            text += "; exact"
        elif violated.get("certified_bound") is not None:
            text += f"; certified bound {_num(violated['certified_bound'])}"
        return f"{text} ({cert})"
    certificate = ce.get("certificate")
    if isinstance(certificate, dict) and "margin" in certificate:
        margin, error = certificate["margin"], certificate.get("error_bound")
        side = certificate.get("refutes", "above")
        bound = _certified_bound(margin, error, side)
        quantity = certificate.get("details", {}).get("quantity")
        relation = ">" if side == "above" else "<"
        value = "" if quantity is None else f" (quantity {_num(quantity)})"
        beyond = bound is not None and (bound > 0 if side == "above" else bound < 0)
        return (f"quantity - threshold = {_num(margin)}{value}, refuting if {relation} 0; "
                f"certified bound {_num(bound)} {relation if beyond else 'not ' + relation} 0, "
                f"error {_num(error)} ({cert})")
    reason = ce.get("reason") or "; ".join(ce.get("failures", ())) or ce.get("polynomial")
    margin = "" if outcome.margin is None else f"margin {_num(outcome.margin)}; "
    return f"{margin}{reason or 'see the JSON evidence'} ({cert})"


def _certified_bound(margin: Any, error: Any, side: str) -> float | None:
    try:
        m, e = float(margin), float(error)
    except (TypeError, ValueError):
        return None
    return m - e if side == "above" else m + e


def _instance(ce: dict[str, Any]) -> str:
    parts = [f"seed {ce.get('seed')}"]
    sizes = ce.get("sizes")
    if isinstance(sizes, dict):
        parts.append("sizes " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    else:
        found = [f"{k}={ce[k]}" for k in ("polynomial", "variables", "n", "neurons", "examples")
                 if k in ce]
        if found:
            parts.append(", ".join(found))
    return "; ".join(parts)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


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


_COMMANDS = {"list": _list, "verify": _verify, "neurons": _neurons, "bench": _bench,
             "report": _report, "replay": _replay}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
