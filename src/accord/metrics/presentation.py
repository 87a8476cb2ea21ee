"""The metrics as their readers get them: one JSON document per result, the same from the REST API
(`/api/v1/metrics/...`) and the CLI (`accord report ... --format json`), plus the catalogue of
metrics with their written definitions.

A spec that does not validate becomes a `ValidationFailed` keyed by the input fields, which the
API answers as a 400 and the CLI as a `CommandError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, get_args

from pydantic import ValidationError

from accord.core.channels import Channel
from accord.core.errors import ValidationFailed
from accord.core.intervals import Rate
from accord.metrics.funnel import DEFINITIONS, Breakdown, FunnelResult, FunnelSpec

ALL_CONTACTS = "All contacts"
_EMPTY_LABELS = {
    "source": "Unknown source",
    "owner": "No owner",
    "definition_version": "no version",
}


def funnel_spec(values: Mapping[str, Any]) -> FunnelSpec:
    """A `FunnelSpec` from input values, or `ValidationFailed` naming the fields at fault."""
    try:
        return FunnelSpec(**values)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
            for name in _fields_at_fault(error.get("loc", ()), values):
                fields.setdefault(name, []).append(message)
        count = sum(len(messages) for messages in fields.values())
        name = next(iter(fields))
        summary = f"{name}: {fields[name][0]}" if count == 1 else f"{count} fields are invalid."
        raise ValidationFailed(summary, fields=fields) from exc


def _fields_at_fault(loc: Iterable[Any], values: Mapping[str, Any]) -> list[str]:
    named = [str(part) for part in loc]
    if named:
        return [named[0]]
    # The spec's own checks concern start and end together: name the value(s) to change.
    naive = [
        name
        for name in ("start", "end")
        if isinstance(values.get(name), dt.datetime) and values[name].tzinfo is None
    ]
    if naive:
        return naive
    start, end = values.get("start"), values.get("end")
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and start >= end:
        return ["start"]
    return ["__all__"]


def instant(value: dt.datetime) -> str:
    """A time as the API writes it: ISO 8601 in UTC with a Z."""
    text = value.astimezone(dt.UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def rate_document(value: Rate) -> dict[str, Any]:
    return {
        "successes": value.successes,
        "n": value.n,
        "value": value.value,
        "low": value.low,
        "high": value.high,
    }


def dimension_labels(breakdown: str, dimensions: Iterable[str]) -> dict[str, str]:
    """A readable label per breakdown value: the channel's label for a source, the user's name
    for an owner, the version itself for a definition version."""
    wanted = set(dimensions)
    labels: dict[str, str] = {
        d: _EMPTY_LABELS.get(breakdown, ALL_CONTACTS) for d in wanted if not d
    }
    present = sorted(d for d in wanted if d)
    if breakdown == "source":
        labels |= {d: Channel(d).label if d in Channel.values else d for d in present}
    elif breakdown == "owner":
        from accord.identity.models import User

        ids = [int(d) for d in present if d.isdigit()]
        names = {str(u.pk): u.display_name for u in User.objects.filter(pk__in=ids)}
        labels |= {d: names.get(d, f"User {d}") for d in present}
    else:
        labels |= {d: d for d in present}
    return labels


def funnel_document(result: FunnelResult) -> dict[str, Any]:
    """The funnel as JSON-ready data: every row has a count for every stage in `stages` (the
    main path, then any other stage a period's transitions went to), and in the cohort view the
    conversion between consecutive stages with its 95% interval."""
    spec = result.spec
    extra = sorted({s for row in result.rows for s in row.counts} - set(result.stages))
    stages = [*result.stages, *extra]
    labels = dimension_labels(spec.breakdown, (row.dimension for row in result.rows))
    rows = [
        {
            "dimension": row.dimension,
            "label": labels[row.dimension],
            "counts": {stage: row.counts.get(stage, 0) for stage in stages},
            "conversions": {name: rate_document(r) for name, r in row.conversions.items()},
        }
        for row in result.rows
    ]
    return {
        "definition": result.definition,
        "view": spec.view,
        "start": instant(spec.start),
        "end": instant(spec.end),
        "breakdown": spec.breakdown,
        "engine": result.engine,
        "stages": stages,
        "rows": rows,
    }


def metric_catalogue() -> list[dict[str, Any]]:
    """The metrics the API and the CLI serve, each with its written definition per view."""
    return [
        {
            "name": "funnel",
            "title": "Funnel",
            "path": "/api/v1/metrics/funnel",
            "command": "accord report funnel",
            "views": [{"view": view, "definition": text} for view, text in DEFINITIONS.items()],
            "breakdowns": list(get_args(Breakdown)),
        }
    ]
