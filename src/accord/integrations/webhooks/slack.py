"""Slack messages for domain events: a readable line (``text``, also the notification) and
Block Kit ``blocks``, for Slack incoming webhooks. Pure functions: the caller looks up the
names (deal owner, contact source) the message mentions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
_STAGE_ACRONYMS = {"mql": "MQL", "sal": "SAL", "sql": "SQL"}


@dataclass(frozen=True)
class SlackContext:
    workspace_name: str
    owner_name: str = ""  # a deal's owner
    source_label: str = ""  # a contact's original source, e.g. "Paid search"


def money(amount: Any, currency: str) -> str:
    """'$48,000', '€1,250.50', '3,000 CHF'."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()
    number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}".strip()


def stage_label(key: str) -> str:
    return _STAGE_ACRONYMS.get(key, key.replace("_", " ").capitalize()) if key else "—"


def escape(text: str) -> str:
    """Slack treats &, < and > as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _person(data: Mapping[str, Any]) -> str:
    name, email = str(data.get("name") or ""), str(data.get("email") or "")
    if name and email:
        return f"{name} ({email})"
    return name or email or f"contact {data.get('contact_id', '?')}"


def _deal(data: Mapping[str, Any]) -> str:
    return (
        f"{data.get('name', 'A deal')} — {money(data.get('amount', 0), data.get('currency', ''))}"
    )


def _counts(data: Mapping[str, Any]) -> str:
    return ", ".join(f"{data[k]} {k}" for k in ("created", "updated", "failed") if k in data)


def _move(data: Mapping[str, Any]) -> str:
    before, after = data.get("from_stage", ""), data.get("to_stage", "")
    return f"{_person(data)}: {stage_label(before)} → {stage_label(after)}"


type _Line = Callable[[Mapping[str, Any], SlackContext], tuple[str, str]]

# event -> (label, the rest of the line)
_LINES: dict[str, _Line] = {
    "deal.won": lambda d, c: ("🎉 Deal won", _deal(d) + _owner(c)),
    "deal.lost": lambda d, c: ("Deal lost", _deal(d) + _owner(c) + _reason(d)),
    "deal.recognised": lambda d, c: ("🏆 Won together", _deal(d) + _owner(c) + _credited(d)),
    "deal.created": lambda d, c: ("New deal", _deal(d) + _owner(c)),
    "contact.became_mql": lambda d, c: ("New MQL", _person(d) + _source(c)),
    "contact.became_sql": lambda d, c: ("New SQL", _person(d) + _source(c)),
    "contact.created": lambda d, c: ("New contact", _person(d)),
    "contact.stage_changed": lambda d, c: ("Lifecycle change", _move(d)),
    "handoff.escalated": lambda d, c: ("⏰ Handoff escalation", str(d.get("message", ""))),
    "handoff.assigned": lambda d, c: (
        "Lead handed over",
        f"contact {d.get('contact_id')} → {c.owner_name or 'the fallback queue'}"
        f" ({d.get('chosen_by', '')})",
    ),
    "handoff.decided": lambda d, c: (
        f"Lead {d.get('status', 'decided')}",
        f"contact {d.get('contact_id')}"
        + (f" · reason: {d['reason']}" if d.get("reason") else "")
        + (f" · {d['comment']}" if d.get("comment") else ""),
    ),
    "import.finished": lambda d, c: (
        f"Import {d.get('status', 'finished')}",
        f"{d.get('file_name', '')} ({d.get('record_type', 'records')}): {_counts(d)}",
    ),
    "member.added": lambda d, c: ("New member", f"{_member(d)} joined {c.workspace_name}"),
    "member.removed": lambda d, c: ("Member removed", f"{_member(d)} left {c.workspace_name}"),
    "digest.weekly": lambda d, c: (str(d.get("title", "Accord weekly")), str(d.get("summary", ""))),
    "ping": lambda d, c: (
        "👋 Test message",
        f"Accord webhooks for {c.workspace_name} reach this channel",
    ),
}


def _member(data: Mapping[str, Any]) -> str:
    role = str(data.get("role") or "").replace("_", " ")
    return _person(data) + (f" as {role}" if role else "")


def _owner(context: SlackContext) -> str:
    return f" (owner {context.owner_name})" if context.owner_name else ""


def _source(context: SlackContext) -> str:
    return f" from {context.source_label}" if context.source_label else ""


def _credited(data: Mapping[str, Any]) -> str:
    """' · campaigns: Trade shows $12,000, Webinar $8,000 · marketers: Maya Chen $20,000'."""
    currency = str(data.get("currency", ""))
    parts = []
    for key in ("campaigns", "marketers"):
        named = [
            f"{x.get('name', '?')} {money(x.get('credit', 0), currency)}"
            for x in data.get(key) or []
            if isinstance(x, Mapping)
        ]
        if named:
            parts.append(f"{key}: {', '.join(named[:5])}")
    if not parts:
        return f" · {data['note']}" if data.get("note") else ""
    return " · " + " · ".join(parts)


def _reason(data: Mapping[str, Any]) -> str:
    return f" · reason: {data['close_reason']}" if data.get("close_reason") else ""


def _headline(event: str, data: Mapping[str, Any], context: SlackContext) -> tuple[str, str]:
    line = _LINES.get(event)
    if line is None:
        return event, ", ".join(f"{k}={v}" for k, v in data.items())
    return line(data, context)


def slack_message(event: str, data: Mapping[str, Any], context: SlackContext) -> dict[str, Any]:
    label, rest = _headline(event, data, context)
    return {
        "text": escape(f"{label}: {rest}"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(label)}:* {escape(rest)}"},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Accord · {escape(context.workspace_name)} · `{escape(event)}`",
                    }
                ],
            },
        ],
    }
