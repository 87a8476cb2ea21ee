"""Attribution as JSON-ready data: the same documents from the API (`/api/v1/attribution…`)
and `accord attribution … --format json`."""

from __future__ import annotations

from typing import Any

from accord.attribution.models import AttributionSettings, Recognition
from accord.attribution.report import AttributionReport, Line
from accord.core.channels import Channel

# Sales activities counted as touches, next to the marketing channels' labels.
EXTRA_CHANNEL_LABELS = {
    "sales_call": "Sales call",
    "sales_email": "Sales email",
    "sales_meeting": "Sales meeting",
}


def channel_label(key: str) -> str:
    if key in Channel.values:
        return str(Channel(key).label)
    return EXTRA_CHANNEL_LABELS.get(key, key or "Unknown")


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def line_label(line: Line, kind: str) -> str:
    """A channel's label, a campaign's name, or the content itself."""
    if kind == "channel":
        return channel_label(line.key)
    if kind == "campaign":
        return line.label or ("No campaign" if not line.key else f"Campaign {line.key}")
    return line.key or "No content"


def _line(line: Line, kind: str) -> dict[str, Any]:
    """Every line has every key; what does not apply to its kind is null (sourced amounts are
    a channel's, the owner a campaign's, and content has no cost)."""
    label = line_label(line, kind)
    costed = kind != "content"
    return {
        "key": line.key,
        "label": label,
        "credit": str(line.credit),
        "deals": line.deals,
        "influenced": str(line.influenced),
        "sourced": str(line.sourced) if kind == "channel" else None,
        "sourced_deals": line.sourced_deals if kind == "channel" else None,
        "channel": line.channel if kind == "campaign" else None,
        "owner": line.owner if kind == "campaign" else None,
        "cost": _money(line.cost) if costed else None,
        "roi": line.roi if costed else None,
        "roas": line.roas if costed else None,
    }


def report_document(report: AttributionReport) -> dict[str, Any]:
    return {
        "model": report.model,
        "assumes": report.assumes,
        "milestone": report.milestone,
        "level": report.level,
        "currency": report.currency,
        "lookback_days": report.lookback_days,
        "half_life_days": report.half_life_days,
        "include_activities": report.include_activities,
        "total": str(report.total),
        "deals": report.deals,
        "marketing_sourced": {
            "deals": report.sourced_deals,
            "amount": str(report.sourced_amount),
        },
        "marketing_influenced": {
            "deals": report.influenced_deals,
            "amount": str(report.influenced_amount),
        },
        "marketing_credit": str(report.marketing_credit),
        "by_channel": [_line(x, "channel") for x in report.by_channel],
        "by_campaign": [_line(x, "campaign") for x in report.by_campaign],
        "by_content": [_line(x, "content") for x in report.by_content],
        "no_marketing_touch": {
            "deals": report.no_touch_deals,
            "amount": str(report.no_touch_amount),
        },
        "touches_after_milestone": report.after_milestone,
        "journeys_truncated": report.truncated,
        "other_currency_deals": report.other_currency,
        "not_fitted": report.unfitted or None,
        "fit": report.fit_note or None,
        "markov_order": report.markov_order,
    }


def settings_document(chosen: AttributionSettings) -> dict[str, Any]:
    return {
        "model": chosen.model,
        "lookback_days": chosen.lookback_days,
        "half_life_days": chosen.half_life_days,
        "include_activities": chosen.include_activities,
        "updated_at": chosen.updated_at if chosen.pk else None,
    }


def recognition_document(entry: Recognition) -> dict[str, Any]:
    """One entry of the feed (from `selectors.recognition_feed`, which names the deal)."""
    owner = entry.sales_owner
    return {
        "id": entry.pk,
        "deal_id": entry.deal_id,
        "deal_name": getattr(entry, "deal_name", ""),
        "won_at": entry.won_at,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "model": entry.model,
        "sales_owner": {"id": owner.pk, "name": owner.display_name} if owner else None,
        "marketing_credit": str(entry.marketing_credit),
        "campaigns": entry.campaigns,
        "marketers": entry.marketers,
        "channels": [{**x, "label": channel_label(x["channel"])} for x in entry.channels],
        "note": entry.note,
    }
