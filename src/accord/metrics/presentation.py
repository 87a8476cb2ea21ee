"""The metrics as their readers get them: one JSON document per result, the same from the REST API
(`/api/v1/metrics/...`) and the CLI (`accord report ... --format json`), plus the catalogue of
metrics with their written definitions.

A spec that does not validate becomes a `ValidationFailed` keyed by the input fields, which the
API answers as a 400 and the CLI as a `CommandError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from accord.core.channels import Channel
from accord.core.errors import ValidationFailed
from accord.core.intervals import Rate
from accord.crm.labels import short_label
from accord.crm.segments import SEGMENTS
from accord.metrics.catalogue import METRICS, MetricResult, MetricSpec
from accord.metrics.funnel import DEFINITIONS, Breakdown, FunnelResult, FunnelSpec
from accord.metrics.values import Value

ALL_CONTACTS = "All contacts"
_EMPTY_LABELS = {
    "source": "Unknown source",
    "campaign": "No campaign",
    "campaign_id": "No campaign",
    "owner": "No owner",
    "team": "No team",
    "segment": "Unknown size",
    "definition_version": "no version",
}


def funnel_spec(values: Mapping[str, Any]) -> FunnelSpec:
    """A `FunnelSpec` from input values, or `ValidationFailed` naming the fields at fault."""
    return _spec(FunnelSpec, values)


def metric_spec(values: Mapping[str, Any]) -> MetricSpec:
    """A `MetricSpec` from input values, or `ValidationFailed` naming the fields at fault."""
    return _spec(MetricSpec, values)


def _spec[S: BaseModel](model: type[S], values: Mapping[str, Any]) -> S:
    try:
        return model(**values)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
            for name in _fields_at_fault(error.get("loc", ()), values, message):
                fields.setdefault(name, []).append(message)
        count = sum(len(messages) for messages in fields.values())
        name = next(iter(fields))
        summary = f"{name}: {fields[name][0]}" if count == 1 else f"{count} fields are invalid."
        raise ValidationFailed(summary, fields=fields) from exc


def _fields_at_fault(loc: Iterable[Any], values: Mapping[str, Any], message: str) -> list[str]:
    named = [str(part) for part in loc]
    if named:
        return [named[0]]
    # The spec's own checks: name the value(s) to change, from what the check said.
    if message.startswith("unknown metric"):
        return ["metric"]
    if "cannot be broken down" in message:
        return ["breakdown"]
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


def dimension_labels(
    breakdown: str, dimensions: Iterable[str], workspace_id: int | None = None
) -> dict[str, str]:
    """A readable label per breakdown value: the channel's label for a source, the user's name
    for an owner, the team's name, the size band of a segment, the campaign's name for its UTM
    campaign (given the workspace), the version itself for a definition version."""
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
    elif breakdown == "team" and workspace_id is not None:
        from accord.identity.models import Team

        ids = [int(d) for d in present if d.isdigit()]
        teams = {
            str(t.pk): t.name for t in Team.objects.for_workspace(workspace_id).filter(pk__in=ids)
        }
        labels |= {d: teams.get(d, f"Team {d}") for d in present}
    elif breakdown == "segment":
        labels |= {d: SEGMENTS.get(d, d) for d in present}
    elif breakdown == "campaign" and workspace_id is not None:
        from accord.marketing.models import Campaign

        names = dict(
            Campaign.objects.for_workspace(workspace_id)
            .filter(utm_campaign__in=present)
            .values_list("utm_campaign", "name")
        )
        labels |= {d: names.get(d, d) for d in present}
    elif breakdown == "campaign_id" and workspace_id is not None:
        from accord.marketing.models import Campaign

        ids = [int(d) for d in present if d.isdigit()]
        by_id = {
            str(pk): name
            for pk, name in Campaign.objects.for_workspace(workspace_id)
            .filter(pk__in=ids)
            .values_list("pk", "name")
        }
        labels |= {d: by_id.get(d, f"Campaign {d}") for d in present}
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
    labels = dimension_labels(
        spec.breakdown, (row.dimension for row in result.rows), result.workspace_id
    )
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
    """The metrics the API and the CLI serve, each with its written definition (per view for
    the funnel)."""
    funnel = {
        "name": "funnel",
        "title": "Funnel",
        "kind": "funnel",
        "team": "both",
        "path": "/api/v1/metrics/funnel",
        "command": "accord report funnel",
        "views": [{"view": view, "definition": text} for view, text in DEFINITIONS.items()],
        "breakdowns": list(get_args(Breakdown)),
    }
    return [funnel] + [
        {
            "name": m.key,
            "title": m.title,
            "kind": m.kind,
            "team": m.team,
            "path": f"/api/v1/metrics/{m.key}",
            "command": f"accord report {m.key}",
            "views": [{"view": "period", "definition": m.definition}],
            "breakdowns": list(m.breakdowns),
        }
        for m in METRICS
    ]


def plain(value: Any) -> Any:
    """Money as a string to the cent (exact), other numbers as they are."""
    return str(value) if isinstance(value, Decimal) else value


def item_labels(result: MetricResult) -> dict[str, str]:
    keys = {v.item for v in result.values if v.item}
    if result.metric.items == "lifecycle stage":
        from accord.crm.models import DEFAULT_LIFECYCLE_STAGES, LifecycleStage

        labels = dict(DEFAULT_LIFECYCLE_STAGES)
        labels |= dict(
            LifecycleStage.objects.for_workspace(result.workspace_id)
            .filter(key__in=keys)
            .values_list("key", "label")
        )
        return {k: short_label(labels.get(k, k)) for k in keys}
    return {k: k for k in keys}


def value_document(value: Value, label: str, item_label: str) -> dict[str, Any]:
    return {
        "dimension": value.dimension,
        "label": label,
        "item": value.item,
        "item_label": item_label,
        "value": plain(value.value),
        "low": plain(value.low),
        "high": plain(value.high),
        "successes": value.successes,
        "n": value.n,
        "reason": value.reason,
    }


def metric_document(result: MetricResult) -> dict[str, Any]:
    """A metric as JSON-ready data: its definition, the spec, and one entry per value (money
    as a decimal string, rates and averages with their 95 % interval, `value` null with a
    `reason` when it cannot be computed)."""
    spec, metric = result.spec, result.metric
    labels = dimension_labels(
        spec.breakdown, (v.dimension for v in result.values), result.workspace_id
    )
    if spec.breakdown == "none":
        labels = dict.fromkeys(labels, "All")
    items = item_labels(result)
    return {
        "metric": metric.key,
        "title": metric.title,
        "kind": metric.kind,
        "team": metric.team,
        "definition": metric.definition,
        "items": metric.items,
        "start": instant(spec.start),
        "end": instant(spec.end),
        "breakdown": spec.breakdown,
        "engine": result.engine,
        "values": [
            value_document(v, labels[v.dimension], items.get(v.item, "")) for v in result.values
        ],
        "not_enough_data": None if result.values else not_enough_data(result),
    }


def not_enough_data(result: MetricResult) -> str:
    """Why a result has no values, in words."""
    by = "" if result.spec.breakdown == "none" else " for this breakdown"
    return f"Not enough data: nothing to measure in this period{by}. {result.metric.definition}"
