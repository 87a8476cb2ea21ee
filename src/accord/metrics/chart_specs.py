"""A chart for each result document (`metrics.presentation`): the spec `accord report --chart`
writes as SVG/PNG and the weekly digest embeds — the same builders the dashboard uses."""

from __future__ import annotations

from typing import Any

from accord.metrics import charts


def for_metric(document: dict[str, Any]) -> dict[str, Any]:
    """Rates (and growth) with their intervals; counts, money and days as bars — by breakdown
    value, and by item (stage, reason, period) when the metric lists several."""
    title = document["title"]
    rows = [v for v in document["values"] if v["value"] is not None]
    category = "item_label" if document["items"] else "label"
    if document["items"] and document["breakdown"] != "none":
        category = "name"
    named = [
        {**v, "name": f"{v['label']} · {v['item_label']}", "value": float(v["value"])} for v in rows
    ]
    kind = document["kind"]
    if kind == "rate" and all(v["low"] is not None for v in named):
        return charts.interval_bars(
            [{**v, "low": float(v["low"]), "high": float(v["high"])} for v in named],
            category=category, value="value", low="low", high="high", title=title,
        )  # fmt: skip
    value_format = {"money": "$,.0f", "rate": ".0%", "growth": "+.0%", "days": ",.1f"}.get(
        kind, ","
    )
    return charts.bars(named, x=category, y="value", title=title, x_title=None,
                       y_title=kind if kind != "count" else "count",
                       value_format=value_format)  # fmt: skip


def for_funnel(document: dict[str, Any]) -> dict[str, Any]:
    """The first row's counts (all contacts, or the largest breakdown value) as a funnel."""
    title = f"Funnel ({document['view']} view)"
    if not document["rows"]:
        return charts.empty(title)
    row = document["rows"][0]
    return charts.funnel(
        [{"stage": stage, "contacts": row["counts"][stage]} for stage in document["stages"]],
        stage_field="stage", count_field="contacts", title=f"{title}: {row['label']}",
    )  # fmt: skip
