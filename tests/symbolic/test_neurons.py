"""Minimum neuron counts: a table of known answers, properties over quadratics(), reports."""

import json

import pytest
import sympy
from hypothesis import given

from resproof.cli import main
from resproof.results import dumps
from resproof.strategies import quadratics
from resproof.symbolic.neurons import analyse

# text, k, residual, traditional, traditional_with_linear
TABLE = [
    ("7", 0, 0, 0, 0),
    ("x1", 0, 0, 2, 1),
    ("x1 - 2*x2 + 3", 0, 0, 2, 1),
    ("x1**2", 1, 1, 1, 1),
    ("-3*x1**2 + 2*x1 - 1/2", 1, 1, 1, 1),
    ("x1**2 + x2", 1, 1, 3, 2),
    ("(x1 + x2)**2 + x1 + x2", 1, 1, 1, 1),
    ("(x1 + x2)**2 + x1 - x2", 1, 1, 3, 2),
    ("x1*x2", 2, 2, 2, 2),
    ("x1*x2 + x3", 2, 2, 4, 3),
    ("x1*x2 + x1*x3 + x2 + x3", 2, 2, 2, 2),
    ("(x1 - x2)**2 + (x2 - x3)**2 + x1 + x2 + x3", 2, 2, 4, 3),
    ("x1*x2 + x2*x3 + x1*x3", 3, 3, 3, 3),
]


@pytest.mark.parametrize(("text", "k", "res", "trad", "lin"), TABLE, ids=[t[0] for t in TABLE])
def test_known_minima(text, k, res, trad, lin):
    report = analyse(text)
    assert report.rank == k
    assert report.minimum == {"residual": res, "traditional": trad,
                              "traditional_with_linear": lin}
    assert report.verify()
    if trad == k + 2:
        assert report.limit["traditional"].size == k + 1
    else:
        assert report.limit == {}


def test_seed_counts_and_tightness():
    inside = analyse("x1**2 + 0*x2", [sympy.Symbol("x1"), sympy.Symbol("x2")])
    assert inside.tight == {"residual": True, "traditional": False,
                            "traditional_with_linear": False}
    assert inside.seed_claim_holds == {"residual": True, "traditional_at_least": False}
    outside = analyse("x1**2 + x2")
    assert outside.tight == {"residual": True, "traditional": False,
                             "traditional_with_linear": True, "limit_traditional": True}
    assert outside.seed_claim_holds["traditional_at_least"]


def test_limit_family_is_exact_for_every_t():
    report = analyse("x1*x2 + x3 - 1")
    family = report.limit["traditional"]
    x3 = sympy.Symbol("x3")
    for t in (1, 7, sympy.Rational(10**6)):
        assert family.at(t).size == 3
        assert family.verify(t)
        assert family.error(t) == x3 ** 2 / (2 * t)


def test_witnesses_expand_with_sympy():
    report = analyse("x1**2 - 2*x1*x2 + x1 - 3 + x3")
    for kind, net in report.witnesses.items():
        assert sympy.expand(net.expr() - report.quadratic.expr()) == 0, kind


@given(quadratics(max_variables=4))
def test_witness_certificate_consistency(q):
    report = analyse(q)
    for kind, net in report.witnesses.items():
        assert net.represents(q), kind
        assert report.certificates[kind].verify(), kind
        assert report.certificates[kind].bound == net.size == report.minimum[kind]
    m = report.minimum
    assert m["residual"] <= m["traditional_with_linear"] <= m["traditional"]


@given(quadratics(min_variables=1, max_variables=4, linear="inside"))
def test_inside_range_traditional_equals_rank(q):
    report = analyse(q)
    assert report.in_range
    assert report.minimum["traditional"] == q.rank()


@given(quadratics(min_variables=1, max_variables=4, linear="outside"))
def test_outside_range_needs_two_more(q):
    report = analyse(q)
    k = q.rank()
    assert not report.in_range
    assert report.minimum == {"residual": k, "traditional": k + 2,
                              "traditional_with_linear": k + 1}
    assert report.limit["traditional"].verify()


def test_json_document(capsys):
    assert main(["neurons", "x1*x2 + 0.5*x3 + 2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("polynomial", "variables", "rank", "minimum_neurons", "limit_neurons",
                "seed_claim", "tight", "witnesses", "certificates"):
        assert key in doc
    assert doc["output_bias_allowed"] is True
    assert doc["conversions"] == [{"literal": "0.5", "exact": "1/2"}]
    assert doc["minimum_neurons"] == {"residual": 2, "traditional": 4,
                                      "traditional_with_linear": 3}
    assert doc["limit_neurons"] == {"traditional": 3}
    assert doc["seed_claim"]["residual"] == 2
    assert doc["seed_claim"]["traditional_at_least"] == 3
    witness = doc["witnesses"]["traditional"]
    assert len(witness["output_weights"]) == 4
    assert witness["output_bias"] == "2"
    assert doc["certificates"]["traditional"]["kind"] == "pencil-determinant"
    assert doc["verified"] is True


def test_text_and_latex_say_output_bias(capsys):
    assert main(["neurons", "x1**2 + x2"]) == 0
    text = capsys.readouterr().out
    assert "output bias is allowed in all three" in text
    assert main(["neurons", "x1**2 + x2", "--latex"]) == 0
    latex = capsys.readouterr().out
    assert "output bias" in latex
    assert "\\left(" in latex


def test_report_json_is_strict():
    dumps(analyse("1/3*x1**2 - x2").to_json())
