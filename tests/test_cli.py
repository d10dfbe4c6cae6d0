"""The CLI's contract: exit codes, one JSON document, one-line errors without traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resproof.claims.base import Claim, Control, decide, violation
from resproof.cli import exit_status, main
from resproof.results import Outcome, Verdict


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "resproof", *args], capture_output=True,
                          text=True, timeout=600)


def _outcome(control, verdict):
    return Outcome(claim="c", control=control,
                   expected=Verdict.HOLDS if control is None else Verdict.REFUTED,
                   verdict=verdict, certified=None, trials=1, seed=0, margin=None,
                   budget="quick", statement="s")


@pytest.mark.parametrize(("outcomes", "status"), [
    ([_outcome(None, Verdict.HOLDS), _outcome("x", Verdict.REFUTED)], 0),
    ([_outcome(None, Verdict.VACUOUS)], 0),
    ([_outcome(None, Verdict.REFUTED), _outcome("x", Verdict.REFUTED)], 1),
    ([_outcome(None, Verdict.HOLDS), _outcome("x", Verdict.HOLDS)], 3),
    ([_outcome(None, Verdict.INCONCLUSIVE)], 3),
    ([_outcome(None, Verdict.REFUTED), _outcome("x", Verdict.INCONCLUSIVE)], 3),
], ids=["as-expected", "vacuous-claim", "claim-refuted", "control-survived",
        "inconclusive", "surprise-beats-refutation"])
def test_exit_status(outcomes, status):
    assert exit_status(outcomes) == status


@pytest.mark.parametrize("argv", [
    ["verify", "no.such.claim"],
    ["verify", "all", "--budget", "quik"],
    ["verify", "all", "--trials", "0"],
    ["verify", "all", "--seed", "-1"],
    ["bench", "--size", "XL"],
], ids=["unknown-claim", "unknown-budget", "zero-trials", "negative-seed", "unknown-size"])
def test_bad_input_exits_2_without_traceback(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("resproof: error:")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_usage_error_exits_2_in_a_subprocess():
    result = run_cli("verify")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_list_json_is_one_document():
    result = run_cli("list", "--controls", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    ids = [c["id"] for c in data["claims"]]
    assert len(ids) == len(set(ids))
    for claim in data["claims"]:
        assert claim["controls"], f"{claim['id']} ships without a control"


# -- verify: --control conflicts, counterexample lines, the JSON verdict ------------------

@pytest.mark.parametrize("argv", [
    ["verify", "kreinovich.identities:cubic-target", "--control", "other"],
    ["verify", "kreinovich.identities:cubic-target", "--control", "cubic-target"],
    ["verify", "all", "--control", "cubic-target"],
], ids=["control-twice", "control-twice-same", "all-with-control"])
def test_control_given_twice_is_a_one_line_error(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""                      # nothing ran
    err = captured.err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("resproof: error: --control=")


def test_control_option_alone_still_selects_the_control(capsys):
    assert main(["verify", "kreinovich.identities", "--control", "cubic-target"]) == 0
    assert "kreinovich.identities:cubic-target: refuted (certified)" in capsys.readouterr().out


class _Fixed(Claim):
    """A claim whose trials are fixed results (registered only inside a test)."""

    statement = "fixed"
    controls = (Control("strong", "a stronger conclusion"),)

    def __init__(self, claim_id, results):
        self.id = claim_id
        self.results = results

    def trial(self, seed, control, budget):
        return self.results[int(seed.spawn_key[-1]) % len(self.results)]


@pytest.fixture
def fake_claims(monkeypatch):
    from resproof.claims import _REGISTRY, registry

    registry()
    cert = {"certified": True, "margin": 3e-3, "error_bound": 1e-40, "refutes": "above",
            "details": {"quantity": 3e-3}}
    refuted = decide(-3e-3, certified=True, evidence={
        "sizes": {"L": 2, "M": 8, "N": 16}, "certificate": cert,
        "violated": violation("eps = R - min(PA_phi)", 3e-3, ">", 0, certified_bound=3e-3)})
    uncertified = decide(-1e-9, certified=False, evidence={"sizes": {"L": 1, "N": 4},
                                                           "certificate": {**cert,
                                                                           "margin": 1e-9}})
    monkeypatch.setitem(_REGISTRY, "test.refuted", _Fixed("test.refuted", [refuted]))
    monkeypatch.setitem(_REGISTRY, "test.uncertified", _Fixed("test.uncertified", [uncertified]))
    monkeypatch.setitem(_REGISTRY, "test.holds", _Fixed("test.holds", [decide(0.5)]))


def test_refuted_claim_prints_its_counterexample_and_exits_1(fake_claims, capsys):
    assert main(["verify", "test.refuted", "--trials", "2"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL test.refuted: refuted (certified)")
    assert out[1] == ("    violated: eps = R - min(PA_phi) = 0.003 > 0; certified bound 0.003 "
                      "(certified)")
    assert out[2] == "    instance: seed [0, 0]; sizes L=2, M=8, N=16"


def test_uncertified_counterexample_falls_back_to_the_certificate(fake_claims, capsys):
    assert main(["verify", "test.uncertified", "--trials", "1"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "refuted (uncertified)" in out[0]
    assert out[1] == ("    violated: quantity - threshold = 1e-09 (quantity 0.003), refuting if "
                      "> 0; certified bound 1e-09 > 0, error 1e-40 (NOT certified)")
    assert out[2] == "    instance: seed [0, 0]; sizes L=1, N=4"


def test_certificate_on_the_wrong_side_is_shown_as_such():
    from resproof.cli import counterexample_lines

    outcome = Outcome(claim="c", control=None, expected=Verdict.HOLDS, verdict=Verdict.REFUTED,
                      certified=False, trials=1, seed=0, margin=-1e-3, budget="quick",
                      statement="s", counterexample={"seed": [0, 1], "certificate": {
                          "margin": -1e-3, "error_bound": 1e-40, "refutes": "above"}})
    violated, instance = counterexample_lines(outcome)
    assert "certified bound -0.001 not > 0" in violated
    assert violated.endswith("(NOT certified)")
    assert instance == "    instance: seed [0, 1]"


def test_holding_claim_and_refuted_control(fake_claims, capsys):
    assert main(["verify", "test.holds", "--trials", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2                            # no counterexample lines
    assert main(["verify", "test.holds:strong", "--trials", "1"]) == 3   # control survived
    assert main(["verify", "test.refuted:strong", "--trials", "1"]) == 0  # control refuted


def test_json_verdict_fields(fake_claims, capsys):
    assert main(["verify", "test.refuted", "--trials", "3", "--seed", "4", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_status"] == 1
    (verdict,) = data["outcomes"]
    for key in ("claim", "control", "expected", "verdict", "certified", "trials", "seed",
                "margin", "evidence", "counterexample"):
        assert key in verdict
    assert (verdict["claim"], verdict["control"], verdict["expected"], verdict["verdict"]) == \
        ("test.refuted", None, "holds", "refuted")
    assert (verdict["certified"], verdict["trials"], verdict["seed"]) == (True, 3, 4)
    assert verdict["margin"] == -3e-3
    assert verdict["evidence"]["counts"]["refuted"] == 3
    assert verdict["evidence"]["counterexample_choice"]["certified_refutations"] == 3


def test_json_verdict_in_a_subprocess():
    result = run_cli("verify", "kreinovich.identities:cubic-target", "--json")
    assert result.returncode == 0, result.stderr
    (verdict,) = json.loads(result.stdout)["outcomes"]
    assert (verdict["claim"], verdict["control"], verdict["verdict"], verdict["certified"]) == \
        ("kreinovich.identities", "cubic-target", "refuted", True)
    assert verdict["counterexample"]["differing_monomial"] == "x1**3"


def test_human_output_of_an_exact_refutation(capsys):
    assert main(["verify", "kreinovich.identities:cubic-target"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "    violated: coefficient of x1**3, network - target = -1 != 0; exact " \
                     "(certified)"
    assert out[2].startswith("    instance: seed [0]; polynomial=x1**3")


# -- list --markdown and the README table -------------------------------------------------

def test_list_markdown_has_a_row_per_claim(capsys):
    from resproof.claims import all_claims

    assert main(["list", "--markdown"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| claim | controls")
    rows = lines[2:]
    assert len(rows) == len(all_claims())
    for claim, row in zip(all_claims(), rows, strict=True):
        assert row.startswith(f"| `{claim.id}` |")
        for control in claim.controls:
            assert f"`:{control.name}`" in row
        assert row.count(" | ") == 4                 # five cells: no unescaped "|" inside
        assert row.endswith(f"| {claim.expected(None).value} |")
    reading = next(r for r in rows if "kreinovich.neuron-count" in r)
    assert "resproof's reading" in reading


def test_readme_claims_table_is_current(capsys):
    """Regenerate with: python -m resproof list --markdown (paste between the markers)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start, end = "<!-- claims-table -->\n", "<!-- /claims-table -->"
    assert start in readme
    assert end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert main(["list", "--markdown"]) == 0
    assert table == capsys.readouterr().out.strip(), \
        "README claims table is stale: regenerate with `python -m resproof list --markdown`"


def test_markdown_cells_escape_pipes_and_newlines():
    from resproof.cli import _cell

    assert _cell("|x|  <= 1\n and more") == "\\|x\\| <= 1 and more"


def test_verify_instance_holds_on_size_s_and_is_vacuous_on_size_m_naming_a4():
    done = run_cli("verify", "resnest.thm1", "--instance", "resnest-tanh:S:0")
    assert done.returncode == 0, done.stderr
    assert "resnest.thm1: holds" in done.stdout
    done = run_cli("verify", "resnest.thm1", "--instance", "resnest-tanh:M:0")
    assert done.returncode == 0, done.stderr
    assert "vacuous" in done.stdout
    assert "A4 not met: margin" in done.stdout


@pytest.mark.parametrize("spec", ["resnest-tanh:X:0", "foo", "resnest-tanh:S:-1", "a:S:0"])
def test_verify_bad_instance_is_one_line_exit_2(spec):
    done = run_cli("verify", "resnest.thm1", "--instance", spec)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--instance" in done.stderr


def test_verify_instance_on_a_claim_that_draws_its_own_is_exit_2():
    done = run_cli("verify", "kreinovich.neuron-count", "--instance", "resnest-tanh:S:0")
    assert done.returncode == 2
    assert "--instance" in done.stderr
