"""Spreadsheet-safe cells."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote, so
    '=HYPERLINK(…)' in an untrusted field shows as text. Numbers are not touched."""
    if value and value.startswith(FORMULA_TRIGGERS):
        if value[0] in "+-":
            try:
                float(value)
                return value
            except ValueError:
                pass
        return "'" + value
    return value
