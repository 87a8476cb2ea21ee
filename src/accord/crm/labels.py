"""How lifecycle stages are named where space is short."""

from __future__ import annotations


def short_label(label: str) -> str:
    """'Marketing qualified lead (MQL)' -> 'MQL'; labels without an abbreviation stay."""
    if label.endswith(")") and "(" in label:
        return label[label.rindex("(") + 1 : -1].strip() or label
    return label
