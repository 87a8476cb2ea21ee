"""The weekly digest as people read it: the email's plain text and HTML (templates
`metrics/digest/email.txt` and `email.html`), its charts as PNG (vl-convert, no browser), and
the Slack summary. Formatting only: the numbers are the `Digest`'s (`metrics.digest`)."""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from accord.metrics import chart_specs, charts
from accord.metrics.catalogue import Metric
from accord.metrics.dashboard import format_value
from accord.metrics.digest import Digest, HeadlineChange, Measured, number
from accord.metrics.planning import GoalPacing, PacingRow
from accord.metrics.values import Value

STAGE_LABELS = {"subscriber": "Subscribers", "lead": "Leads", "mql": "MQLs", "sal": "SALs",
                "sql": "SQLs", "opportunity": "Opportunities", "customer": "Customers"}  # fmt: skip
CHART_WIDTH = 560  # px: fits an email column


@dataclass(frozen=True)
class Chart:
    """One chart of the email: a PNG, referenced from the HTML by its Content-ID."""

    name: str  # 'funnel', 'mqls-by-source', 'acceptance-by-source'
    cid: str  # without the angle brackets
    title: str
    png: bytes

    def src(self, inline: bool) -> str:
        """`cid:` for the email; a data URI for a preview opened in a browser."""
        if inline:
            return f"cid:{self.cid}"
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def digest_charts(digest: Digest) -> list[Chart]:
    """The funnel of the week, MQLs by source and lead acceptance by source, as PNG."""
    specs = [
        ("funnel", "Funnel: contacts who moved into each stage", _funnel_chart(digest)),
        ("mqls-by-source", "MQLs by source", chart_specs.for_metric(digest.mqls_by_source)),
        ("acceptance-by-source", "Lead acceptance by source",
         chart_specs.for_metric(digest.acceptance_by_source)),
    ]  # fmt: skip
    week = digest.week.last.isoformat()
    return [
        Chart(name, f"{name}-{week}-{digest.workspace_id}@accord", title,
              charts.render(spec, "png", width=CHART_WIDTH))
        for name, title, spec in specs
    ]  # fmt: skip


def _funnel_chart(digest: Digest) -> dict[str, Any]:
    """The week's period funnel, each stage by its name."""
    title = "Funnel: contacts who moved into each stage"
    rows = [{"stage": s["label"], "contacts": s["contacts"]}
            for s in _funnel_stages(digest.funnel)]  # fmt: skip
    if not any(r["contacts"] for r in rows):
        return charts.empty(title)
    return charts.funnel(rows, stage_field="stage", count_field="contacts", title=title)


# Numbers in words ---------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def missing(reason: str) -> str:
    """'Not enough data — no cases.'"""
    text = reason.strip() or "nothing to measure in this period."
    if text.lower().startswith("not enough data"):
        return text
    return f"Not enough data — {text}"


def value_text(kind: str, value: Any, currency: str, reason: str = "") -> str:
    if not _finite(value):
        return missing(reason)
    return format_value(kind, value, currency)


def _rate_count(value: Value) -> str:
    if value.successes is None or value.n is None:
        return ""
    return f"{value.successes:,} of {value.n:,}"


def interval_text(metric: Metric, value: Value | None, currency: str) -> str:
    """The 95 % interval, where the metric has one ('' otherwise). For pipeline money the
    interval is of the share of deals, and says so."""
    if value is None or number(value) is None or not (_finite(value.low) and _finite(value.high)):
        return ""
    if metric.kind == "money" and value.successes is not None:
        share = f"{value.successes / value.n:.1%}" if value.n else "—"
        low, high = format_value("rate", value.low), format_value("rate", value.high)
        return f"share of deals {share} ({_rate_count(value)}), 95% interval {low} to {high}"
    low = format_value(metric.kind, value.low, currency)
    high = format_value(metric.kind, value.high, currency)
    count = f" ({_rate_count(value)})" if metric.kind == "rate" and _rate_count(value) else ""
    return f"95% interval {low} to {high}{count}"


def change_text(h: HeadlineChange, currency: str) -> str:
    change = h.change
    if change is None:
        return f"no comparison ({h.change_reason})"
    kind = h.metric.kind
    if not change:
        return "no change"
    if kind in ("rate", "growth"):
        return f"{float(change) * 100:+.1f} pts"
    relative = f" ({h.relative:+.0%})" if h.relative is not None else ""
    if kind == "money":
        sign = "-" if change < 0 else "+"
        return f"{sign}{format_value('money', abs(Decimal(str(change))), currency)}{relative}"
    if kind == "days":
        return f"{float(change):+.1f} days{relative}"
    return f"{int(change):+,}{relative}"


def _absolute(link: str) -> str:
    return f"{settings.ACCORD_BASE_URL}{link}" if link.startswith("/") else link


def _headline(h: HeadlineChange, currency: str) -> dict[str, Any]:
    return {
        "key": h.metric.key,
        "title": h.metric.title,
        "team": h.metric.team,
        "definition": h.metric.definition,
        "value": value_text(h.metric.kind, h.value, currency, h.reason),
        "missing": h.value is None,
        "previous": value_text(h.metric.kind, h.previous_value, currency, h.previous_reason),
        "change": change_text(h, currency),
        "has_change": h.change is not None,
        "interval": interval_text(h.metric, h.current, currency),
    }


def _pacing_row(row: PacingRow, currency: str) -> dict[str, Any]:
    kind = "money" if row.kind == "money" else "count"
    return {
        "label": row.label,
        "team": row.team,
        "actual": format_value(kind, row.actual, currency),
        "target": format_value(kind, row.target, currency),
        "expected": _expected(row, kind, currency),
        "status": row.status or missing(row.reason),
    }


def _expected(row: PacingRow, kind: str, currency: str) -> str:
    if row.expected is None:
        return "—"
    if kind == "money":
        return format_value(kind, Decimal(str(row.expected)), currency)
    return format_value(kind, round(row.expected), currency)


def _goal(goal: GoalPacing, currency: str) -> dict[str, Any]:
    return {
        "title": goal.title,
        "elapsed": f"{goal.elapsed:.0%}",
        "not_enough_data": missing(goal.not_enough_data) if goal.not_enough_data else "",
        "link": _absolute(goal.link),
        "rows": [_pacing_row(r, currency) for r in goal.rows],
    }


def _measured(m: Measured, currency: str) -> dict[str, Any]:
    first = m.first
    return {
        "title": m.metric.title,
        "definition": m.metric.definition,
        "value": value_text(m.metric.kind, number(first), currency, m.reason),
        "missing": number(first) is None,
        "interval": interval_text(m.metric, first, currency),
    }


def _volume(m: Measured, currency: str) -> dict[str, Any]:
    """Marketing's lead volume: the attainment of each month or quarter the week falls in."""
    rows = [
        {
            "period": v.item,
            "value": value_text("rate", v.value, currency, "no volume target"),
            "detail": f"{v.successes or 0:,} MQLs of a target of {v.n or 0:,}",
        }
        for v in m.values
    ]
    return {
        "title": m.metric.title,
        "definition": m.metric.definition,
        "missing": "" if m.values else missing(m.reason),
        "rows": rows,
    }


def _funnel_stages(document: dict[str, Any]) -> list[dict[str, Any]]:
    if not document["rows"]:
        return []
    counts = document["rows"][0]["counts"]
    return [
        {
            "label": STAGE_LABELS.get(s, s.replace("_", " ").capitalize()),
            "count": f"{counts[s]:,}",
            "contacts": counts[s],
        }
        for s in document["stages"]
    ]


def digest_context(
    digest: Digest, chart_list: list[Chart] | None = None, *, inline: bool = True,
    recipient_name: str = "",
) -> dict[str, Any]:  # fmt: skip
    """What the templates show: every number already in words."""
    currency = digest.currency
    reasons = digest.rejection_reasons
    stages = _funnel_stages(digest.funnel)
    return {
        "digest": digest,
        "subject": digest.subject,
        "greeting": f"Hi {recipient_name}," if recipient_name else "Hello,",
        "week_first": _day(digest.week.first, year=False),
        "week_last": _day(digest.week.last),
        "before_first": _day(digest.week.before.first, year=False),
        "before_last": _day(digest.week.before.last),
        "headlines": [_headline(h, currency) for h in digest.headlines],
        "goals": [_goal(g, currency) for g in digest.goals],
        "acceptance": _measured(digest.acceptance, currency),
        "reasons": [
            {"label": v.item, "share": format_value("rate", v.value), "count": v.successes or 0}
            for v in reasons.values
            if number(v) is not None
        ],
        "reasons_title": reasons.metric.title,
        "reasons_missing": missing(reasons.reason) if not reasons.values else "",
        "sla_sales": _measured(digest.sla_sales, currency),
        "sla_marketing": _volume(digest.sla_marketing, currency),
        "funnel": stages,
        "funnel_definition": digest.funnel["definition"],
        "funnel_missing": "" if any(s["contacts"] for s in stages) else missing(""),
        "charts": [
            {"cid": c.cid, "title": c.title, "src": c.src(inline)} for c in (chart_list or [])
        ],
        "dashboard_url": digest.dashboard_url,
    }


def _day(day: dt.date, *, year: bool = True) -> str:
    """'Mon 16 Nov 2026' (or without the year)."""
    return f"{day:%a} {day.day} {day:%b}" + (f" {day.year}" if year else "")


def render_text(digest: Digest, *, recipient_name: str = "") -> str:
    context = digest_context(digest, recipient_name=recipient_name)
    return render_to_string("metrics/digest/email.txt", context).strip() + "\n"


def render_html(
    digest: Digest, chart_list: list[Chart], *, inline: bool = True, recipient_name: str = ""
) -> str:
    """The HTML version; `inline` refers to the charts by Content-ID (the email), otherwise
    embeds them as data URIs (a preview file)."""
    context = digest_context(digest, chart_list, inline=inline, recipient_name=recipient_name)
    return render_to_string("metrics/digest/email.html", context)


def slack_event(digest: Digest) -> dict[str, Any]:
    """The `digest.weekly` event's data: the Slack message (title, summary) and the numbers."""
    currency = digest.currency
    lines = []
    numbers = []
    for h in digest.headlines:
        shown = _headline(h, currency)
        change = f" ({shown['change']} on the week before)" if shown["has_change"] else ""
        lines.append(f"• {shown['title']}: {shown['value']}{change}")
        numbers.append({"metric": h.metric.key, "title": h.metric.title,
                        "value": _plain(h.value), "previous": _plain(h.previous_value),
                        "text": shown["value"], "change": shown["change"]})  # fmt: skip
    summary = "\n".join(["", *lines, f"Dashboard: {digest.dashboard_url}"])
    return {
        "title": f"📊 {digest.subject}",
        "summary": summary,
        "week_first": digest.week.first.isoformat(),
        "week_ending": digest.week.last.isoformat(),
        "dashboard_url": digest.dashboard_url,
        "headlines": numbers,
    }


def _plain(value: Any) -> Any:
    """JSON-ready: money as a decimal string, other numbers as they are."""
    return str(value) if isinstance(value, Decimal) else value
