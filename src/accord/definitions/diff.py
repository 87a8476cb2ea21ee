"""A readable diff between two lead definition documents (plain dicts): pure, no Django."""

from __future__ import annotations

from typing import Any

_SETTINGS: tuple[tuple[str, str], ...] = (
    ("half_life_days", "decay half-life (days)"),
    ("default_grade", "default grade"),
    ("demote_below", "demote below threshold"),
)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _rules(old: list[dict[str, Any]], new: list[dict[str, Any]], label: str) -> list[str]:
    before = {r["id"]: r for r in old}
    after = {r["id"]: r for r in new}
    lines: list[str] = []
    for rule_id, rule in after.items():
        if rule_id not in before:
            lines.append(f"Added {label} '{rule_id}'.")
            continue
        changes = [
            f"{key} {_show(before[rule_id].get(key))} → {_show(rule.get(key))}"
            for key in sorted(set(rule) | set(before[rule_id]))
            if rule.get(key) != before[rule_id].get(key)
        ]
        if changes:
            lines.append(f"Changed {label} '{rule_id}': " + "; ".join(changes) + ".")
    lines.extend(f"Removed {label} '{rule_id}'." for rule_id in before if rule_id not in after)
    return lines


def _section(old: dict[str, Any], new: dict[str, Any], label: str) -> list[str]:
    return [
        f"Changed {label} {key}: {_show(old.get(key))} → {_show(new.get(key))}."
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def diff_documents(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Plain-language lines: added/removed/changed rules, thresholds and settings."""
    if old is None:
        return ["First version."]
    lines = _rules(old.get("fit_rules", []), new.get("fit_rules", []), "fit rule")
    lines += _rules(
        old.get("engagement_rules", []), new.get("engagement_rules", []), "engagement rule"
    )
    lines += _section(old.get("mql", {}), new.get("mql", {}), "MQL threshold")
    lines += _section(
        old.get("negative_signals", {}), new.get("negative_signals", {}), "negative signal"
    )
    lines += _section(old.get("sql", {}), new.get("sql", {}), "SQL criteria")
    for key, label in _SETTINGS:
        if old.get(key) != new.get(key):
            lines.append(f"Changed {label}: {_show(old.get(key))} → {_show(new.get(key))}.")
    return lines or ["No changes."]
