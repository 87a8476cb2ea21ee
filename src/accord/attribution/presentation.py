"""An attribution report as JSON-ready data: the same document from the API
(`GET /api/v1/attribution`) and `accord attribution report --format json`."""

from __future__ import annotations

from typing import Any

from accord.attribution.report import AttributionReport


def report_document(report: AttributionReport) -> dict[str, Any]:
    def lines(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {"key": line.key, "credit": str(line.credit), "deals": line.deals,
             "cost": None if line.cost is None else str(line.cost), "roi": line.roi,
             "roas": line.roas}
            for line in items
        ]  # fmt: skip

    return {
        "model": report.model,
        "assumes": report.assumes,
        "milestone": report.milestone,
        "level": report.level,
        "currency": report.currency,
        "total": str(report.total),
        "deals": report.deals,
        "by_channel": lines(report.by_channel),
        "by_campaign": lines(report.by_campaign),
        "no_marketing_touch": {
            "deals": report.no_touch_deals,
            "amount": str(report.no_touch_amount),
        },
        "touches_after_milestone": report.after_milestone,
        "journeys_truncated": report.truncated,
        "other_currency_deals": report.other_currency,
        "not_fitted": report.unfitted or None,
    }
