"""The enablement library and the calendar as plain documents (JSON-ready dicts): the same for
the API and `accord asset` / `accord calendar`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.core.errors import ValidationFailed
from accord.core.periods import OUT_OF_RANGE, in_range
from accord.identity.models import Workspace
from accord.marketing import calendar_selectors as cal
from accord.marketing import enablement_selectors as sel
from accord.marketing.calendar_models import CalendarEntry
from accord.marketing.enablement_models import Asset, AssetUsage, AssetVersion

DEFAULT_REPORT_DAYS = 90


def period(start: dt.date | None, end: dt.date | None, today: dt.date) -> sel.Period:
    """From `start` to `end` inclusive (by default the last 90 days up to today), in UTC."""
    for field, day in (("start", start), ("end", end)):
        if day is not None and not in_range(day):
            raise ValidationFailed.single(field, f"'{day}' is out of range: {OUT_OF_RANGE}.")
    last = end or today
    first = start or last - dt.timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if first > last:
        raise ValidationFailed.single("start", "The start is after the end.")
    return sel.Period(
        dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
    )


def version_document(version: AssetVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "url": version.url,
        "file_name": version.file_name,
        "size": version.size,
        "content_type": version.content_type,
        "sha256": version.sha256,
        "uploaded_by_id": version.uploaded_by_id,
        "note": version.note,
        "created_at": version.created_at,
    }


def asset_document(asset: Asset, versions: list[AssetVersion] | None = None) -> dict[str, Any]:
    versions = versions if versions is not None else sel.asset_versions(asset)
    return {
        "id": asset.pk,
        "title": asset.title,
        "description": asset.description,
        "kind": asset.kind,
        "stages": asset.stages,
        "personas": asset.personas,
        "industries": asset.industries,
        "owner_id": asset.owner_id,
        "archived": asset.archived,
        "latest_version": version_document(versions[0]) if versions else None,
        "version_count": len(versions),
        "created_at": asset.created_at,
        "updated_at": asset.updated_at,
    }


def usage_document(usage: AssetUsage) -> dict[str, Any]:
    return {
        "id": usage.pk,
        "asset_id": usage.asset_id,
        "version": usage.version.number,
        "deal_id": usage.deal_id,
        "user_id": usage.user_id,
        "used_at": usage.used_at,
        "note": usage.note,
    }


def _line(line: sel.UsageLine) -> dict[str, Any]:
    return {"id": line.key, "name": line.name, "usages": line.usages, "deals": line.deals,
            "assets": line.assets}  # fmt: skip


def report_document(workspace: Workspace, span: sel.Period) -> dict[str, Any]:
    reps, teams = sel.usage_by_rep_and_team(workspace, span)
    return {
        "start": span.start.date(),
        "end": (span.end - dt.timedelta(days=1)).date(),
        "by_rep": [_line(x) for x in reps],
        "by_team": [_line(x) for x in teams],
        "win_rates": [
            {
                "asset_id": x.asset_id,
                "title": x.title,
                "won_with": x.won_with,
                "lost_with": x.lost_with,
                "won_without": x.won_without,
                "lost_without": x.lost_without,
                "win_rate_with": x.rate_with,
                "win_rate_without": x.rate_without,
                "difference": x.difference.difference,
                "difference_low": x.difference.low,
                "difference_high": x.difference.high,
            }
            for x in sel.asset_win_rates(workspace, span)
        ],
        "unused": [{"id": a.pk, "title": a.title} for a in sel.unused_assets(workspace, span)],
    }


def entry_document(entry: CalendarEntry, rate: cal.ConversionRate) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "title": entry.title,
        "kind": entry.kind,
        "campaign_id": entry.campaign_id,
        "start_date": entry.start_date,
        "end_date": entry.end_date,
        "expected_leads": entry.expected_leads,
        "expected_mqls": entry.expected_mqls,
        "estimated_mqls": cal.expected_mqls(entry, rate),
        "owner_id": entry.owner_id,
        "notes": entry.notes,
    }


def rate_document(rate: cal.ConversionRate) -> dict[str, Any]:
    return {"leads": rate.leads, "mqls": rate.mqls, "rate": rate.value,
            "since": rate.since, "until": rate.until}  # fmt: skip


def capacity_document(
    workspace: Workspace, today: dt.date, weeks: int, capacity: float | None
) -> dict[str, Any]:
    now = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    rate = cal.lead_to_mql_rate(workspace, now)
    limit = cal.capacity_limit() if capacity is None else capacity
    plan = cal.capacity_plan(workspace, today=today, weeks=weeks, per_seller_capacity=limit,
                             rate=rate)  # fmt: skip
    return {
        "lead_to_mql_rate": rate_document(rate),
        "capacity_per_seller": limit,
        "weeks": [
            {
                "year": w.year,
                "week": w.week,
                "monday": w.monday,
                "expected_leads": round(w.leads, 2),
                "expected_mqls": round(w.mqls, 2),
                "sellers": w.sellers,
                "mqls_per_seller": None if w.mqls_per_seller is None
                else round(w.mqls_per_seller, 2),
                "over_capacity": w.over_capacity,
                "entry_ids": [e.pk for e in w.entries],
            }
            for w in plan
        ],
    }  # fmt: skip
