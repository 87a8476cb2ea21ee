"""The metrics' queries, each written once in DuckDB's SQL (transpiled for the record store by
`metrics.sql`). Every query takes the workspace first and returns the breakdown's value as its
first column; the fragments below are fixed text chosen by key, never user input.
"""

from __future__ import annotations

from typing import Literal

from accord.crm.segments import segment_sql

Subject = Literal["contact", "deal"]

# Company size segments, by employees (crm.segments: the demo's and the common B2B split).
SEGMENT = segment_sql("co.employee_count")

_CONTACT: dict[str, tuple[str, str]] = {
    "none": ("''", ""),
    "source": ("coalesce(c.original_source, '')", ""),
    "campaign": ("coalesce(c.utm_campaign, '')", ""),
    "owner": ("coalesce(CAST(c.owner_id AS VARCHAR), '')", ""),
    "team": (
        "coalesce(CAST(m.team_id AS VARCHAR), '')",
        "LEFT JOIN identity_membership AS m ON m.user_id = c.owner_id "
        "AND m.workspace_id = c.workspace_id",
    ),
    "segment": (SEGMENT, "LEFT JOIN crm_company AS co ON co.id = c.company_id"),
}
_DEAL: dict[str, tuple[str, str]] = {
    "none": ("''", ""),
    "source": ("coalesce(d.source, '')", ""),
    "campaign": (
        "coalesce(pc.utm_campaign, '')",
        "LEFT JOIN crm_contact AS pc ON pc.id = d.primary_contact_id",
    ),
    "owner": ("coalesce(CAST(d.owner_id AS VARCHAR), '')", ""),
    "team": (
        "coalesce(CAST(m.team_id AS VARCHAR), '')",
        "LEFT JOIN identity_membership AS m ON m.user_id = d.owner_id "
        "AND m.workspace_id = d.workspace_id",
    ),
    "segment": (SEGMENT, "LEFT JOIN crm_company AS co ON co.id = d.company_id"),
}
CONTACT_BREAKDOWNS = (*_CONTACT, "definition_version")
DEAL_BREAKDOWNS = tuple(_DEAL)
SPEND_BREAKDOWNS = ("none", "source", "campaign")


def dimension(subject: Subject, breakdown: str) -> tuple[str, str]:
    """The breakdown's SQL expression and the joins it needs."""
    if subject == "contact" and breakdown == "definition_version":
        return "coalesce(l.definition_version, '')", ""
    table = _CONTACT if subject == "contact" else _DEAL
    if breakdown not in table:
        raise ValueError(f"'{breakdown}' is not a breakdown of this metric")
    return table[breakdown]


def contacts_of(alias: str, breakdown: str) -> str:
    """The join to the contact, when the breakdown reads it (none and the ledger's definition
    version do not: the join would only cost time)."""
    if breakdown in ("none", "definition_version"):
        return ""
    return f"JOIN crm_contact AS c ON c.id = {alias}.contact_id"


def group(breakdown: str, *more: str) -> str:
    """GROUP BY the breakdown (a constant may not be grouped on in PostgreSQL) and `more`."""
    keys = ([] if breakdown == "none" else ["1"]) + list(more)
    return f"GROUP BY {', '.join(keys)}" if keys else ""


def stage_entries(breakdown: str) -> str:
    """Contacts who moved into a stage in the period. Params: workspace, stage, start, end."""
    dim, joins = dimension("contact", breakdown)
    return f"""
        SELECT {dim} AS dimension, count(DISTINCT l.contact_id) AS contacts
        FROM crm_ledgerentry AS l {contacts_of("l", breakdown)} {joins}
        WHERE l.workspace_id = ? AND l.to_stage = ? AND l.occurred_at >= ? AND l.occurred_at < ?
        {group(breakdown)}
    """  # noqa: S608


_AMOUNT_SQUARED = "CAST(d.amount AS DOUBLE) * CAST(d.amount AS DOUBLE)"


def won_deals(breakdown: str) -> str:
    """Deals won in the period: count, amount, sum of squared amounts. Params: ws, start, end."""
    dim, joins = dimension("deal", breakdown)
    return f"""
        SELECT {dim} AS dimension, count(*) AS deals, coalesce(sum(d.amount), 0) AS amount,
               coalesce(sum({_AMOUNT_SQUARED}), 0) AS squares
        FROM crm_deal AS d {joins}
        WHERE d.workspace_id = ? AND d.status = 'won' AND d.closed_at >= ? AND d.closed_at < ?
        {group(breakdown)}
    """  # noqa: S608


def closed_deals(breakdown: str) -> str:
    """Deals closed (won or lost) in the period: won, closed. Params: ws, start, end."""
    dim, joins = dimension("deal", breakdown)
    return f"""
        SELECT {dim} AS dimension, sum(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END) AS won,
               count(*) AS closed
        FROM crm_deal AS d {joins}
        WHERE d.workspace_id = ? AND d.status IN ('won', 'lost')
          AND d.closed_at >= ? AND d.closed_at < ?
        {group(breakdown)}
    """  # noqa: S608


# Durations are summed in whole seconds and turned into days after the sum: a sum of whole
# numbers is exact in every engine whatever the order, so the engines' means are the same float
# (a sum of days, each rounded, differs in its last bits by order, and a mean that falls on a
# half-hundredth then rounds apart). Squares are summed the same way.
_DAY = "86400.0"
_SQUARE_DAY = "7464960000.0"  # 86400²


def _days_and_squares(seconds: str) -> str:
    return (
        f"coalesce(sum({seconds}), 0) / {_DAY} AS days, "
        f"coalesce(sum(({seconds}) * ({seconds})), 0) / {_SQUARE_DAY} AS squares"
    )


_CYCLE_SECONDS = "CAST(date_diff('second', d.created_at, d.closed_at) AS DOUBLE)"


def sales_cycle(breakdown: str) -> str:
    """Won deals closed in the period: count, sum of days from creation to close, sum of
    squares. Params: ws, start, end."""
    dim, joins = dimension("deal", breakdown)
    return f"""
        SELECT {dim} AS dimension, count(*) AS deals, {_days_and_squares(_CYCLE_SECONDS)}
        FROM crm_deal AS d {joins}
        WHERE d.workspace_id = ? AND d.status = 'won' AND d.closed_at >= ? AND d.closed_at < ?
        {group(breakdown)}
    """  # noqa: S608


# Marketing-sourced: the deal's source is a marketing channel (not sales outbound, not unknown).
SALES_SOURCES = ("outbound", "other", "")
_SOURCED = "coalesce(d.source, '') NOT IN ('outbound', 'other', '')"
# Marketing-influenced: its primary contact had a marketing touch before the deal was created
# (`marketing_firsttouch`: each contact's first touch — a view in the record store, a table kept
# up to date in the columnar copy).
_INFLUENCED = "ft.first_touch_at <= d.created_at"


def pipeline(breakdown: str, kind: Literal["sourced", "influenced"]) -> str:
    """Deals created in the period: deals, amount, and the deals and amount that marketing
    sourced or influenced. Params: ws, start, end."""
    dim, joins = dimension("deal", breakdown)
    condition = _SOURCED if kind == "sourced" else _INFLUENCED
    if kind == "influenced":
        joins += " LEFT JOIN marketing_firsttouch AS ft ON ft.contact_id = d.primary_contact_id"
    return f"""
        SELECT {dim} AS dimension, count(*) AS deals, coalesce(sum(d.amount), 0) AS amount,
               sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS marketing_deals,
               coalesce(sum(CASE WHEN {condition} THEN d.amount ELSE 0 END), 0) AS marketing
        FROM crm_deal AS d {joins}
        WHERE d.workspace_id = ? AND d.created_at >= ? AND d.created_at < ?
        {group(breakdown)}
    """  # noqa: S608


def open_pipeline(breakdown: str) -> str:
    """Deals open at the end of the period — their latest stage change before it went to an
    open stage — by that stage: stage key, label, position, deals, amount at that change.
    Params: ws, end."""
    dim, joins = dimension("deal", breakdown)
    return f"""
        WITH latest AS (
            SELECT x.deal_id, x.to_stage_id, x.amount,
                   row_number() OVER (
                       PARTITION BY x.deal_id ORDER BY x.occurred_at DESC, x.id DESC
                   ) AS k
            FROM crm_dealstagechange AS x WHERE x.workspace_id = ? AND x.occurred_at < ?
        )
        SELECT {dim} AS dimension, s.key AS stage, s.label AS label, min(s.position) AS position,
               count(*) AS deals, coalesce(sum(latest.amount), 0) AS amount
        FROM latest JOIN crm_deal AS d ON d.id = latest.deal_id
        JOIN crm_pipelinestage AS s ON s.id = latest.to_stage_id {joins}
        WHERE latest.k = 1 AND s.outcome = 'open'
        {group(breakdown, "2", "3")}
    """  # noqa: S608


_STAGE_SECONDS = "CAST(date_diff('second', s.entered_at, s.left_at) AS DOUBLE)"


def time_in_stage(breakdown: str) -> str:
    """Stays in a stage that ended in the period (the contact moved on): stage, stays, sum of
    days, sum of squares. `crm_stay` pairs each transition with the one before it (a view in
    the record store, a table in the columnar copy). Params: ws, start, end."""
    dim, joins = dimension("contact", breakdown)
    dim = dim.replace("l.definition_version", "s.definition_version")
    return f"""
        SELECT {dim} AS dimension, s.stage AS stage, count(*) AS stays,
               {_days_and_squares(_STAGE_SECONDS)}
        FROM crm_stay AS s {contacts_of("s", breakdown)} {joins}
        WHERE s.workspace_id = ? AND s.left_at >= ? AND s.left_at < ?
          AND s.entered_at IS NOT NULL
        {group(breakdown, "2")}
    """  # noqa: S608


def retention(breakdown: str) -> str:
    """Customers at the start of the period (their latest transition before it was into
    customer) and how many of them moved out of customer during it. Params: ws, start, ws,
    start, end."""
    dim, joins = dimension("contact", breakdown if breakdown != "definition_version" else "none")
    return f"""
        WITH latest AS (
            SELECT l.contact_id, l.to_stage,
                   row_number() OVER (
                       PARTITION BY l.contact_id ORDER BY l.occurred_at DESC, l.id DESC
                   ) AS k
            FROM crm_ledgerentry AS l WHERE l.workspace_id = ? AND l.occurred_at < ?
        ),
        churned AS (
            SELECT DISTINCT x.contact_id FROM crm_ledgerentry AS x
            WHERE x.workspace_id = ? AND x.from_stage = 'customer'
              AND x.occurred_at >= ? AND x.occurred_at < ?
        )
        SELECT {dim} AS dimension, count(*) AS customers,
               sum(CASE WHEN ch.contact_id IS NULL THEN 0 ELSE 1 END) AS churned
        FROM latest AS s {contacts_of("s", breakdown)} {joins}
        LEFT JOIN churned AS ch ON ch.contact_id = s.contact_id
        WHERE s.k = 1 AND s.to_stage = 'customer'
        {group(breakdown)}
    """  # noqa: S608


_SPEND_DIMENSIONS = {
    "none": "''",
    "source": "coalesce(g.channel, '')",
    "campaign": "coalesce(g.utm_campaign, '')",
    "campaign_id": "cast(g.id AS VARCHAR)",  # attribution's ROI per campaign
}


def spend(breakdown: str) -> str:
    """Marketing spend dated in the period (campaign costs). Params: ws, first day, day after."""
    if breakdown not in _SPEND_DIMENSIONS:
        raise ValueError(f"'{breakdown}' is not a breakdown of spend")
    return f"""
        SELECT {_SPEND_DIMENSIONS[breakdown]} AS dimension, coalesce(sum(k.amount), 0) AS amount
        FROM marketing_campaigncost AS k JOIN marketing_campaign AS g ON g.id = k.campaign_id
        WHERE k.workspace_id = ? AND k.date >= ? AND k.date < ?
        {group(breakdown)}
    """  # noqa: S608


# New customer accounts: companies (or lone contacts) whose first won deal closed in the period.
# Params: ws, start, end.
NEW_ACCOUNTS = """
    SELECT '' AS dimension, count(*) AS accounts FROM (
        SELECT coalesce(d.company_id, -d.primary_contact_id, -d.id) AS account,
               min(d.closed_at) AS first_won
        FROM crm_deal AS d WHERE d.workspace_id = ? AND d.status = 'won'
        GROUP BY 1
    ) AS firsts WHERE first_won >= ? AND first_won < ?
"""
