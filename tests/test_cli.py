"""The CLI's contract: exit codes, one JSON document, one-line errors without traceback."""

import json
import subprocess
import sys

import pytest

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
