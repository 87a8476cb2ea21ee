"""Template helpers of the web shell: stage badges, money, sortable headers, navigation and
icons. Everything user-supplied goes through `format_html`, which escapes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.template.context import Context
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accord.attribution.models import AttributionModel
from accord.attribution.presentation import channel_label
from accord.crm.models import LedgerEntry
from accord.handoff.business_hours import MIDNIGHT

register = template.Library()

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
KNOWN_STAGES = frozenset(
    {
        "subscriber",
        "lead",
        "mql",
        "sal",
        "sql",
        "opportunity",
        "customer",
        "recycled",
        "disqualified",
    }
)


@register.simple_tag(takes_context=True)
def stage_badge(context: Context, key: str) -> SafeString:
    """A lifecycle stage as a coloured pill; custom stages get a neutral colour."""
    if not key:
        return format_html('<span class="badge badge-empty">{}</span>', "new")
    labels: dict[str, str] = context.get("stage_labels") or {}
    css = f"stage-{key}" if key in KNOWN_STAGES else "stage-custom"
    return format_html(
        '<span class="badge {}" title="{}">{}</span>', css, key, labels.get(key, key)
    )


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "") -> str:
    """1234.5, 'USD' -> '$1,234.50'; whole amounts drop the cents: '$12,000'."""
    if amount is None:
        return "—"
    value = Decimal(str(amount))
    digits = 0 if value == value.to_integral_value() else 2
    number = f"{value:,.{digits}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is not None:
        return f"{symbol}{number}"
    return f"{number} {currency}".strip()


@register.filter
def ledger_actor(entry: LedgerEntry) -> str:
    """Who made a transition: the user, else the rule, else the source (for example 'import')."""
    if entry.actor_user is not None:
        return entry.actor_user.display_name
    return entry.rule or entry.source


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").replace("@", " ").split() if p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.simple_tag(takes_context=True)
def sort_header(context: Context, column: str, label: str) -> SafeString:
    """A column heading that sorts the list by `column`, toggling the direction."""
    request = context["request"]
    current = context.get("sort", "")
    if current == column:
        next_key, state, arrow = f"-{column}", "asc", "↑"
    elif current == f"-{column}":
        next_key, state, arrow = column, "desc", "↓"
    else:
        next_key, state, arrow = column, "none", ""
    params = request.GET.copy()
    params["sort"] = next_key
    params.pop("page", None)
    url = f"?{params.urlencode()}"
    return format_html(
        '<a class="sort sort-{}" href="{}" hx-get="{}" hx-target="#{}" hx-push-url="true">'
        '{}<span class="sort-arrow" aria-hidden="true">{}</span></a>',
        state,
        url,
        url,
        context.get("results_target", "results"),
        label,
        arrow,
    )


# Pages that belong to a sidebar section other than their own URL name.
_SECTIONS = {
    "experiment": "experiments",
    "experiment_action": "experiments",
    "learnings": "experiments",
    "attribution_settings": "attribution",
    "recognition": "attribution",
    "contact": "contacts",
    "contact_lifecycle": "contacts",
    "contact_activity": "contacts",
    "contact_new": "contacts",
    "contact_edit": "contacts",
    "company": "companies",
    "company_new": "companies",
    "company_edit": "companies",
    "deal": "deals",
    "deal_new": "deals",
    "deal_edit": "deals",
    "campaign": "campaigns",
    "definition": "definitions",
    "definition_new": "definitions",
    "definition_edit": "definitions",
    "rescore_job": "definitions",
    "predictive": "definitions",
    "escalations": "handoffs",
    "handoff_decide": "handoffs",
    "handoff_dispute": "dispositions",
    "dispute_resolve": "dispositions",
    "agreements": "sla_report",
    "agreement": "sla_report",
    "agreement_new": "sla_report",
    "agreement_action": "sla_report",
    "routing": "sla_report",
    "routing_change": "sla_report",
    "member": "members",
    "member_new": "members",
    "token_revoke": "tokens",
}


@register.simple_tag(takes_context=True)
def nav_link(context: Context, url_name: str, label: str, icon_name: str) -> SafeString:
    """A sidebar link to `web:<url_name>`, highlighted on the pages of its section."""
    match = getattr(context["request"], "resolver_match", None)
    current = match.url_name if match and match.url_name else ""
    active = _SECTIONS.get(current, current) == url_name
    return format_html(
        '<a class="nav-link{}" href="{}"{}>{}<span>{}</span></a>',
        " active" if active else "",
        reverse(f"web:{url_name}"),
        mark_safe(' aria-current="page"') if active else "",
        icon(icon_name),
        label,
    )


# Simple 24x24 stroke icons drawn for Accord (constant markup, never user data).
_ICONS = {
    "dashboard": '<path d="M4 20V10M10 20V4M16 20v-7M22 20H2"/>',
    "inbox": '<path d="M3 13h5l2 3h4l2-3h5"/><path d="M5 5h14l2 8v6H3v-6z"/>',
    "dispositions": '<path d="M4 6h16M4 12h10M4 18h6"/><path d="m16 16 2 2 4-4"/>',
    "sla": '<circle cx="12" cy="13" r="8"/><path d="M12 9v4l3 2"/><path d="M9 2h6"/>',
    "home": '<path d="M3 10.5 12 3l9 7.5"/><path d="M5 9.5V21h14V9.5"/><path d="M10 21v-6h4v6"/>',
    "contacts": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/>',
    "companies": '<rect x="4" y="3" width="11" height="18" rx="1"/><path d="M15 9h5v12h-5"/>'
    '<path d="M8 7h3M8 11h3M8 15h3"/>',
    "deals": '<rect x="3" y="7" width="18" height="13" rx="2"/><path d="M9 7V5a2 2 0 0 1 2-2h2'
    'a2 2 0 0 1 2 2v2"/><path d="M3 13h18"/>',
    "campaigns": '<path d="M3 10v4h4l6 5V5L7 10H3z"/><path d="M17 8.5a5 5 0 0 1 0 7"/>',
    "ledger": '<path d="M5 3h11l3 3v15H5z"/><path d="M9 9h6M9 13h6M9 17h4"/>',
    "definitions": '<path d="M9 11l2 2 4-4"/><path d="M12 3 4 6v6c0 4.5 3.4 8 8 9"/>'
    '<path d="M12 3l8 3v6c0 4.5-3.4 8-8 9"/>',
    "api": '<path d="m8 8-4 4 4 4"/><path d="m16 8 4 4-4 4"/><path d="m14 5-4 14"/>',
    "admin": '<path d="M12 3 4 6v6c0 4.5 3.4 8 8 9 4.6-1 8-4.5 8-9V6z"/><path d="m9 12 2 2 4-4"/>',
    "logout": '<path d="M15 4h4v16h-4"/><path d="M10 8l-4 4 4 4"/><path d="M6 12h10"/>',
    "chevron": '<path d="m7 10 5 5 5-5"/>',
    "members": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6"/>'
    '<path d="M16 4.5a3.5 3.5 0 0 1 0 7"/><path d="M18 14c2.2.6 3.5 2.8 3.5 6"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9"/><path d="m16 7 3 3"/>',
    "search": '<circle cx="11" cy="11" r="6"/><path d="m20 20-4.5-4.5"/>',
    "touchpoint": '<path d="M3 10v4h4l6 5V5L7 10H3z"/>',
    "activity": '<path d="M5 4h14v12H9l-4 4z"/>',
    "lifecycle": '<path d="M4 12h12"/><path d="m12 6 6 6-6 6"/>',
}


@register.simple_tag
def icon(name: str) -> SafeString:
    paths = _ICONS.get(name, "")
    return mark_safe(  # noqa: S308 - the paths are constants defined above
        '<svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" '
        'stroke="currentColor" stroke-width="1.8" stroke-linecap="round" '
        f'stroke-linejoin="round" aria-hidden="true">{paths}</svg>'
    )


@register.filter(name="channel_label")
def channel_label_filter(key: str) -> str:
    """'paid_search' -> 'Paid search'; sales activities as touches -> 'Sales call'."""
    return channel_label(key)


@register.filter
def model_label(key: str) -> str:
    """'w_shaped' -> 'W-shaped (30/30/30 + 10)'."""
    return str(AttributionModel(key).label) if key in AttributionModel.values else key


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.263 -> "26.3%" ("—" for no value)."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter(name="interval_end")
def interval_end(value: dt.time) -> str:
    """An SLA calendar interval's end: '17:00', or '24:00' for one open until midnight."""
    return "24:00" if value == MIDNIGHT else value.strftime("%H:%M")
