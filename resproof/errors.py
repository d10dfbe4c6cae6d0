"""One exception family for resproof.

Every error a user can cause is an :class:`InvalidInput` naming the field, what
was expected and what was given; the CLI turns it into a one-line message and
exit status 2.  Errors carry their evidence (:class:`SearchFailed` holds the
best point it reached).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_MISSING: Any = object()


class ResproofError(Exception):
    """Base class of every error raised by resproof."""


class InvalidInput(ResproofError, ValueError, TypeError):
    """Bad input: ``field=got!r: expected <expected>``.

    Subclasses both ``ValueError`` and ``TypeError`` so callers may catch the
    built-in they think of first.

    Parameters
    ----------
    field
        Name of the argument, option or record field that is wrong.
    expected
        What would have been accepted, in words.
    got
        The value received (omitted from the message when not given).
    suggestions
        Close matches for a mistyped name, offered as "did you mean ...".
    """

    def __init__(self, field: str, expected: str, got: Any = _MISSING,
                 suggestions: Sequence[str] = ()) -> None:
        self.field = field
        self.expected = expected
        self.got = None if got is _MISSING else got
        self.suggestions = tuple(suggestions)
        shown = field if got is _MISSING else f"{field}={_short_repr(got)}"
        message = f"{shown}: expected {expected}"
        if self.suggestions:
            message += f" (did you mean {', '.join(map(repr, self.suggestions))}?)"
        super().__init__(message)


class SearchFailed(ResproofError):
    """A search (minimisation, saddle search) did not reach its tolerance.

    ``best_point`` is the best point reached, so the caller can report it.
    """

    def __init__(self, message: str, best_point: Any = None) -> None:
        self.best_point = best_point
        super().__init__(message)


class CertificationError(ResproofError):
    """A high-precision re-check could not be carried out."""


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
