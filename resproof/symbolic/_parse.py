"""Safe, exact parsing of polynomial text for :func:`~resproof.symbolic.quadratic.parse_quadratic`.

The text is tokenised first and only numbers, identifiers and the operators
``+ - * / ** ^ ( )`` are let through, so the string handed to SymPy's parser
can do nothing but arithmetic on symbols.  Every identifier becomes a
:class:`sympy.Symbol`, except the names of SymPy's irrational or complex
constants (refused) and identifiers followed by ``(`` (function calls,
refused).  Decimal literals are converted exactly from their spelling
(``0.1 -> 1/10``) and each conversion is recorded.
"""

from __future__ import annotations

import io
import keyword
import tokenize

import sympy
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from ..errors import InvalidInput

FIELD = "polynomial"
EXPECTED = ("a polynomial of degree <= 2 with rational coefficients, "
            "e.g. 'x1**2 + 3*x1*x2 - x3 + 1/2'")

_OPERATORS = {"+", "-", "*", "/", "**", "^", "(", ")"}
_CONSTANTS = {"pi", "E", "I", "oo", "zoo", "nan", "EulerGamma", "GoldenRatio", "Catalan",
              "TribonacciConstant", "inf", "infinity"}


def refuse(got: object, why: str) -> InvalidInput:
    """The one error of this path: field ``polynomial``, what went wrong, what is expected."""
    return InvalidInput(FIELD, f"{EXPECTED}; {why}", got)


def parse_text(text: str) -> tuple[sympy.Expr, list[dict[str, str]]]:
    """Parse ``text`` exactly; return the expression and the decimal conversions made."""
    if not text.strip():
        raise refuse(text, "got empty text")
    tokens = _tokens(text)
    conversions: list[dict[str, str]] = []
    names: dict[str, sympy.Symbol] = {}
    pieces: list[str] = []
    for index, token in enumerate(tokens):
        kind, string = token.type, token.string
        if kind == tokenize.NUMBER:
            pieces.append(_number(text, string, conversions))
        elif kind == tokenize.NAME:
            nxt = tokens[index + 1].string if index + 1 < len(tokens) else ""
            if keyword.iskeyword(string) or string.startswith("_"):
                raise refuse(text, f"{string!r} is not a variable name")
            if nxt == "(":
                raise refuse(text, f"function calls such as {string}(...) are not allowed")
            if string in _CONSTANTS:
                raise refuse(text, f"{string} is not a rational number")
            names.setdefault(string, sympy.Symbol(string))
            pieces.append(string)
        elif kind == tokenize.OP:
            if string not in _OPERATORS:
                raise refuse(text, f"operator {string!r} is not allowed")
            if string in ("**", "^"):
                _check_exponent(text, tokens[index + 1:index + 3])
            pieces.append(string)
        elif kind in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                      tokenize.DEDENT):
            continue
        else:
            raise refuse(text, f"unexpected {token.string!r}")
    source = " ".join(pieces)
    try:
        expr = parse_expr(source, local_dict=dict(names), global_dict={"Integer": sympy.Integer,
                          "Rational": sympy.Rational, "Symbol": sympy.Symbol,
                          "Float": sympy.Float},
                          transformations=(*standard_transformations, convert_xor))
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, TokenError) as error:
        raise refuse(text, f"could not parse it ({type(error).__name__})") from None
    return expr, conversions


TokenError = tokenize.TokenError


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text.strip()).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        raise refuse(text, "could not tokenise it (unbalanced parentheses?)") from None


def _check_exponent(text: str, following: list[tokenize.TokenInfo]) -> None:
    # A bare small integer exponent only: ``2**2**99999`` must not run SymPy for hours.
    token = following[0] if following else None
    if token is None or token.type != tokenize.NUMBER or not token.string.isdigit() \
            or int(token.string) > _MAX_EXPONENT:
        raise refuse(text, f"exponents must be integer literals 0..{_MAX_EXPONENT}")
    if len(following) > 1 and following[1].string in ("**", "^"):
        raise refuse(text, "chained exponents such as 2**3**4 are not allowed")


_MAX_EXPONENT = 64


def _number(text: str, string: str, conversions: list[dict[str, str]]) -> str:
    lowered = string.lower().replace("_", "")
    if lowered.endswith("j"):
        raise refuse(text, f"{string} is imaginary")
    if lowered.startswith(("0x", "0o", "0b")):
        return str(int(lowered, 0))
    if "." in lowered or "e" in lowered:
        value = sympy.Rational(lowered)
        conversions.append({"literal": string, "exact": str(value)})
        return f"({value.p}/{value.q})" if value.q != 1 else f"({value.p})"
    return str(int(lowered))
