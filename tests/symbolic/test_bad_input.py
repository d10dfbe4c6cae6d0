"""Bad polynomials for ``resproof neurons``: CLI exit 2 with one line, API InvalidInput."""

import pytest
import sympy

from resproof.cli import main
from resproof.errors import InvalidInput
from resproof.symbolic.neurons import analyse

BAD = [
    ("empty", "", "empty"),
    ("blank", "   ", "empty"),
    ("cubic", "x1**3", "degree is 3"),
    ("cubic-product", "x1*x2*x3", "degree is 3"),
    ("quartic", "(x1 + 1)**4", "degree is 4"),
    ("negative-power", "x1**-1", "exponent"),
    ("division-by-variable", "1/x1", "not a polynomial"),
    ("sqrt-call", "sqrt(2)*x1", "function calls"),
    ("sin-call", "sin(x1)", "function calls"),
    ("pi", "pi*x1**2", "not a rational"),
    ("imaginary-unit", "I*x1", "not a rational"),
    ("complex-literal", "2j*x1", "imaginary"),
    ("unbalanced", "(x1 + 2", "unbalanced"),
    ("trailing-operator", "x1 +", "parse"),
    ("equation", "x1 = 2", "operator"),
    ("comparison", "x1 < 2", "operator"),
    ("attribute", "x1.real", "operator '.'"),
    ("huge-exponent", "x1**999999", "exponent"),
    ("chained-exponent", "2**3**4", "chained"),
    ("keyword", "lambda + x1", "not a variable"),
    ("private-name", "__import__", "not a variable"),
    ("division-by-zero", "x1/0", "divides by zero"),
]


@pytest.mark.parametrize(("text", "needle"), [(t, n) for _, t, n in BAD],
                         ids=[i for i, _, _ in BAD])
def test_cli_bad_polynomial(text, needle, capsys):
    assert main(["neurons", text]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "Traceback" not in captured.err
    assert lines[0].startswith("resproof: error: polynomial=")


@pytest.mark.parametrize(("text", "needle"), [(t, n) for _, t, n in BAD],
                         ids=[i for i, _, _ in BAD])
def test_api_bad_polynomial(text, needle):
    with pytest.raises(InvalidInput) as info:
        analyse(text)
    assert info.value.field == "polynomial"
    assert needle in str(info.value)


@pytest.mark.parametrize("value", [3.5, None, ["x1"], sympy.Float(0.5) * sympy.Symbol("x1")],
                         ids=["float", "none", "list", "sympy-float"])
def test_api_bad_types(value):
    with pytest.raises(InvalidInput) as info:
        analyse(value)
    assert info.value.field == "polynomial"


def test_decimal_literal_converted_and_reported():
    report = analyse("0.5*x1**2 + 1e-1")
    assert report.quadratic.conversions == (("0.5", "1/2"), ("1e-1", "1/10"))
    assert "converted   decimal 0.5 exactly to 1/2" in report.to_text()
