"""Filter syntax errors a person can act on: what was expected, at which column."""

from __future__ import annotations

from scim2_models import InvalidFilterException

_NAMES = {
    "STRING": 'a "quoted string"',
    "NUMBER": "a number",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "ATTR_PATH": "an attribute name",
    "COMPARE_OP": "an operator (eq ne co sw ew gt ge lt le)",
    "PR": "pr",
    "_NOT": "not",
    "_LPAR": "(",
    "_RPAR": ")",
    "_LBRACKET": "[",
    "_RBRACKET": "]",
}


def _name(terminal: str) -> str:
    return _NAMES.get(terminal, terminal.strip("_").lower())


def explained(exc: InvalidFilterException, text: str) -> InvalidFilterException:
    """``exc`` with a detail naming what the parser expected where it stopped."""
    cause = exc.__cause__
    column = getattr(cause, "column", None)
    if not isinstance(column, int) or column < 1:
        return exc
    expected = getattr(cause, "expected", None) or getattr(cause, "allowed", None)
    if getattr(getattr(cause, "token", None), "type", None) == "$END":
        column, found = len(text) + 1, "the end of the filter"
    else:
        found = repr(text[column - 1 :].split(" ", 1)[0])
    if expected:
        wanted = " or ".join(sorted({_name(str(t)) for t in expected}))
        detail = f"expected {wanted} at column {column}, found {found}"
    else:
        detail = f"unexpected {found} at column {column}"
    return InvalidFilterException(detail=f"filter syntax: {detail}")
