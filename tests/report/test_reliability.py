from resproof.report import reliability
from resproof.results import Verdict


def record(claim, control, trial, verdict, expected="holds", certified=None, searches=None):
    evidence = {} if searches is None else {"searches": searches}
    return {"claim": claim, "control": control, "trial": trial, "verdict": verdict,
            "expected": expected, "certified": certified, "evidence": evidence}


def failed_log(reason):
    return {"run": 2, "converged": 1, "failed_needed": 1,
            "records": [{"needed": True, "converged": True, "stop_reason": "converged"},
                        {"needed": True, "converged": False, "stop_reason": reason},
                        {"needed": False, "converged": False, "stop_reason": "diverged"}]}


RECORDS = [
    record("c.one", None, 0, "holds", searches={"run": 3, "converged": 3, "records": []}),
    record("c.one", None, 1, "inconclusive", searches=failed_log("max_iterations")),
    record("c.one", None, 2, "vacuous"),
    record("c.one", None, 3, "refuted", certified=False),
    record("c.one", "ctl", 0, "refuted", expected="refuted", certified=True),
    record("c.one", "ctl", 1, "vacuous", expected="refuted"),
]


def test_counts_rates_and_failed_stop_reasons_per_label():
    claim, control = reliability.summarise(RECORDS)
    assert claim.label == "c.one"
    assert control.label == "c.one:ctl"
    assert claim.counts == {"holds": 1, "refuted": 1, "vacuous": 1, "inconclusive": 1}
    assert claim.rate(Verdict.INCONCLUSIVE) == 0.25
    assert (claim.searches_run, claim.searches_converged) == (5, 4)
    assert claim.failed_stop_reasons == {"max_iterations": 1}  # not-needed ones left out
    assert claim.false_refutations == 1
    assert claim.certified_refutations == 0
    assert control.false_refutations == 0
    assert control.certified_refutations == 1


def test_totals_sum_the_labels_of_one_expectation():
    rows = reliability.summarise([*RECORDS, record("c.two", None, 0, "holds")])
    held = reliability.totals(rows, "holds")
    assert held.trials == 5
    assert held.counts["holds"] == 2
    assert held.false_refutations == 1
    assert reliability.totals(rows, "refuted").trials == 2


def test_markdown_states_the_false_refutations():
    text = reliability.markdown(RECORDS)
    assert "| c.one | holds | 4 | 1 | 1 (0) = 25.0 % |" in text
    assert "False refutations (refuted trials of claims expected to hold): 1 of 4" in text
