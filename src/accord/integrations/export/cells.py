"""Spreadsheet-safe cells."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _needs_quote(value: str) -> bool:
    """Whether `neutralise` quotes the value: it starts with a formula trigger and is not a
    number, or with quotes before such text (so that `unneutralise` can tell a quote that was
    in the value from the one the export added)."""
    text = value.lstrip("'")
    if not text.startswith(FORMULA_TRIGGERS):
        return False
    return not (text[0] in "+-" and _is_number(text))


def neutralise(value: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote, so
    '=HYPERLINK(…)' in an untrusted field shows as text. Numbers are not touched."""
    if value and value[0] in "=+-@\t\r'" and _needs_quote(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The exact inverse of `neutralise`, for importing an export back: the leading quote goes
    only where `neutralise` put one (before a formula trigger that does not start a number), so
    a real value such as "'quoted'" or "'-12" is kept as it is."""
    if len(value) > 1 and value[0] == "'" and _needs_quote(value[1:]):
        return value[1:]
    return value
