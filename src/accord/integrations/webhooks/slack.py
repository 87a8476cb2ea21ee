"""Slack messages for domain events: a readable line (``text``, also the notification) and
Block Kit ``blocks``, for Slack incoming webhooks. Pure functions: the caller looks up the
names (deal owner, contact source) the message mentions."""

from __future__ import annotations

from collections.abc import Mapping
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


def _headline(event: str, data: Mapping[str, Any], context: SlackContext) -> tuple[str, str]:
    """(emoji-free label, the rest of the line) for an event."""
    owner = f" (owner {context.owner_name})" if context.owner_name else ""
    source = f" from {context.source_label}" if context.source_label else ""
    match event:
        case "deal.won":
            return "🎉 Deal won", _deal(data) + owner
        case "deal.lost":
            reason = f" · reason: {data['close_reason']}" if data.get("close_reason") else ""
            return "Deal lost", _deal(data) + owner + reason
        case "deal.created":
            return "New deal", _deal(data) + owner
        case "contact.became_mql":
            return "New MQL", _person(data) + source
        case "contact.became_sql":
            return "New SQL", _person(data) + source
        case "contact.created":
            return "New contact", _person(data)
        case "contact.stage_changed":
            move = f"{stage_label(data.get('from_stage', ''))} → {stage_label(data.get('to_stage', ''))}"
            return "Lifecycle change", f"{_person(data)}: {move}"
        case "import.finished":
            counts = ", ".join(
                f"{data.get(k, 0)} {k}" for k in ("created", "updated", "failed") if k in data
            )
            return f"Import {data.get('status', 'finished')}", (
                f"{data.get('file_name', '')} ({data.get('record_type', 'records')}): {counts}"
            )
        case "ping":
            return (
                "👋 Test message",
                f"Accord webhooks for {context.workspace_name} reach this channel",
            )
        case _:
            return event, ", ".join(f"{k}={v}" for k, v in data.items())


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
