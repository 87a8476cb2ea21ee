"""Journeys: the touches before each deal, read from the records, ready for the models.

For every deal of the period — created in it (pipeline: the milestone is the opportunity's
creation) or won in it (revenue: the milestone is the close) — the marketing touchpoints of its
primary contact (contact level) or of every contact of its company (account level) in the
look-back window before the milestone, oldest first. Marked on each journey: the touch that
created the lead (the last touch at or before the contact's first transition into a lead or a
later stage), the one before the MQL (likewise) and the touch that created the opportunity
(the last touch at or before the deal's creation). Touches after the milestone are left out
and counted; a deal without any touch is kept, as "no marketing touch", never dropped.

Paths for the data-driven models (`paths`) also keep the journeys that did not convert: every
contact created in the period with a touch, its channels up to its first deal's creation
(converted) or all of them (not converted).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import duckdb
from django.db.models import Min, Q

from accord.attribution.rules import Journey, Touch
from accord.crm.models import Activity, Contact, Deal, LedgerEntry
from accord.marketing.models import Touchpoint
from accord.metrics.engine import choose_engine, columnar_rows

Milestone = Literal["opportunity", "close"]
Level = Literal["contact", "account"]
MAX_TOUCHES = 1_000  # a longer journey keeps its latest touches, and is counted
LEAD_STAGES = ("lead", "mql", "sal", "sql", "opportunity", "customer")
MQL_STAGES = LEAD_STAGES[1:]


# Sales activities, when a workspace counts them as touches, appear as these channels.
ACTIVITY_CHANNELS = {"call": "sales_call", "email": "sales_email", "meeting": "sales_meeting"}


@dataclass(frozen=True)
class DealJourney:
    deal_id: int
    deal_name: str
    amount: Decimal
    currency: str
    owner_id: int | None
    journey: Journey | None  # None: no marketing touch in the window
    campaign_ids: tuple[int | None, ...] = ()  # per touch
    contents: tuple[str, ...] = ()  # per touch: the touchpoint's utm_content ('' for none)
    source: str = ""  # the deal's source channel
    won_at: dt.datetime | None = None


@dataclass
class JourneySet:
    milestone: Milestone
    level: Level
    lookback_days: int
    journeys: list[DealJourney] = field(default_factory=list)
    after_milestone: int = 0  # touches after the opportunity's creation or the close, left out
    truncated: int = 0  # journeys longer than MAX_TOUCHES, cut to their latest touches


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def deal_journeys(
    workspace_id: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone = "close",
    level: Level = "contact",
    lookback_days: int = 365,
    include_activities: bool = False,
    deal_ids: Collection[int] | None = None,
) -> JourneySet:
    """The journeys of the deals created (milestone "opportunity") or won ("close") in
    [start, end) — or of the given deals whatever their dates. With `include_activities`, the
    sales calls, emails and meetings logged on the contacts are touches too (channels
    `sales_call`, `sales_email`, `sales_meeting`)."""
    if lookback_days <= 0:
        raise ValueError(f"the look-back must be at least 1 day, not {lookback_days}")
    rows = _deal_rows(workspace_id, start, end, milestone, deal_ids)
    found = JourneySet(milestone, level, lookback_days)
    if not rows:
        return found
    # Whose touches count for each deal.
    people: dict[int, list[int]] = {}
    if level == "account":
        companies = {r[6] for r in rows if r[6]}
        by_company: dict[int, list[int]] = defaultdict(list)
        for pk, company in (
            Contact.objects.for_workspace(workspace_id)
            .filter(company_id__in=companies)
            .values_list("id", "company_id")
        ):
            by_company[company].append(pk)
        for r in rows:
            people[r[0]] = by_company.get(r[6], []) if r[6] else ([r[5]] if r[5] else [])
    else:
        people = {r[0]: [r[5]] if r[5] else [] for r in rows}
    contacts = {pk for pks in people.values() for pk in pks}
    touches = _touches(workspace_id, contacts)
    if include_activities:
        for contact, found_activities in _activities(workspace_id, contacts).items():
            touches[contact].extend(found_activities)
    became_lead, became_mql = _first_entries(workspace_id, contacts, LEAD_STAGES, MQL_STAGES)
    for pk, name, amount, currency, owner, primary, _company, created, closed, source in rows:
        moment = closed if milestone == "close" and closed else created
        window_start = moment - dt.timedelta(days=lookback_days)
        mine = sorted(
            (t for c in people[pk] for t in touches.get(c, ())), key=lambda t: (t[0], t[3])
        )
        found.after_milestone += sum(1 for t in mine if t[0] > moment)
        kept = [t for t in mine if window_start <= t[0] <= moment]
        if len(kept) > MAX_TOUCHES:
            found.truncated += 1
            kept = kept[-MAX_TOUCHES:]
        journey = None
        if kept:
            lead_at = became_lead.get(primary) if primary else None
            mql_at = became_mql.get(primary) if primary else None
            journey = Journey(
                tuple(Touch(t[1], _epoch(t[0]), str(t[2] or "")) for t in kept),
                _epoch(moment),
                lead_index=_last_at_or_before(kept, lead_at),
                opportunity_index=_last_at_or_before(kept, created),
                mql_index=_last_at_or_before(kept, mql_at),
            )
        found.journeys.append(
            DealJourney(
                pk, name, Decimal(amount), currency, owner, journey,
                campaign_ids=tuple(t[2] for t in kept), contents=tuple(t[4] for t in kept),
                source=source or "", won_at=closed if milestone == "close" else None,
            )
        )  # fmt: skip
    return found


def _deal_rows(
    workspace_id: int,
    start: dt.datetime,
    end: dt.datetime,
    milestone: Milestone,
    deal_ids: Collection[int] | None,
) -> list[tuple[Any, ...]]:
    deals = Deal.objects.for_workspace(workspace_id)
    if deal_ids is not None:
        deals = deals.filter(pk__in=list(deal_ids))
        if milestone == "close":
            deals = deals.filter(status="won")
    elif milestone == "close":
        deals = deals.filter(status="won", closed_at__gte=start, closed_at__lt=end)
    else:
        deals = deals.filter(created_at__gte=start, created_at__lt=end)
    return list(
        deals.order_by("id").values_list(
            "id", "name", "amount", "currency", "owner_id", "primary_contact_id", "company_id",
            "created_at", "closed_at", "source",
        )
    )  # fmt: skip


# (occurred_at, channel, campaign id, tie-break, content)
_Row = tuple[dt.datetime, str, int | None, int, str]


def _touches(workspace_id: int, contacts: Iterable[int]) -> dict[int, list[_Row]]:
    by_contact: dict[int, list[_Row]] = defaultdict(list)
    for contact, at, channel, campaign, pk, content in (
        Touchpoint.objects.for_workspace_by_other_key(workspace_id)
        .filter(contact_id__in=list(contacts))
        .values_list("contact_id", "occurred_at", "channel", "campaign_id", "id", "utm_content")
        .iterator(chunk_size=20_000)
    ):
        by_contact[contact].append((at, channel, campaign, pk, content))
    return by_contact


def _activities(workspace_id: int, contacts: Iterable[int]) -> dict[int, list[_Row]]:
    """Logged calls, emails and meetings as touches (notes are not a touch); ordered after the
    marketing touches of the same instant."""
    by_contact: dict[int, list[_Row]] = defaultdict(list)
    for contact, at, kind, pk in (
        Activity.objects.for_workspace_by_other_key(workspace_id)
        .filter(contact_id__in=list(contacts), kind__in=list(ACTIVITY_CHANNELS))
        .values_list("contact_id", "occurred_at", "kind", "id")
        .iterator(chunk_size=20_000)
    ):
        by_contact[contact].append((at, ACTIVITY_CHANNELS[kind], None, 2**62 + pk, ""))
    return by_contact


def _first_entries(
    workspace_id: int, contacts: Iterable[int], *stage_sets: tuple[str, ...]
) -> list[dict[int, dt.datetime]]:
    """For each set of stages, when each contact first moved into one of them (the ledger).
    The earliest entries are found in the database, one row per contact rather than every
    transition; the stages are picked inside the aggregate, because a filter on the stage
    would lead SQLite to the stage index, every contact's entries."""
    firsts: list[dict[int, dt.datetime]] = [{} for _ in stage_sets]
    earliest = {
        f"first_{i}": Min("occurred_at", filter=Q(to_stage__in=stages))
        for i, stages in enumerate(stage_sets)
    }
    for contact, *moments in (
        LedgerEntry.objects.for_workspace_by_other_key(workspace_id)
        .filter(contact_id__in=list(contacts))
        .order_by()
        .values("contact_id")
        .annotate(**earliest)
        .values_list("contact_id", *earliest)
        .iterator(chunk_size=20_000)
    ):
        for first, at in zip(firsts, moments, strict=True):
            if at is not None:
                first[contact] = at
    return firsts


def _last_at_or_before(kept: list[_Row], moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    index = None
    for i, touch in enumerate(kept):
        if touch[0] <= moment:
            index = i
    return index


Path = tuple[tuple[str, ...], int, int]  # channels, conversions, journeys without one

# The same paths in the columnar copy's SQL (DuckDB), for large workspaces: there the record
# store would hand Python every touchpoint of a year's contacts (tens of millions of rows).
_PATHS_SQL = """
    WITH born AS (
        SELECT id FROM crm_contact WHERE workspace_id = ? AND created_at >= ? AND created_at < ?
    ), converted AS (
        SELECT d.primary_contact_id AS contact_id, min(d.created_at) AS at
        FROM crm_deal AS d JOIN born ON born.id = d.primary_contact_id
        WHERE d.workspace_id = ? GROUP BY 1
    ), kept AS (
        SELECT t.contact_id, t.channel, c.at IS NOT NULL AS won,
               row_number() OVER (PARTITION BY t.contact_id
                                  ORDER BY t.occurred_at DESC, t.id DESC) AS from_last,
               t.occurred_at, t.id
        FROM marketing_touchpoint AS t JOIN born ON born.id = t.contact_id
        LEFT JOIN converted AS c ON c.contact_id = t.contact_id
        WHERE t.workspace_id = ? AND (c.at IS NULL OR t.occurred_at <= c.at)
    ), journeys AS (
        SELECT contact_id, list(channel ORDER BY occurred_at, id) AS path, bool_or(won) AS won
        FROM kept WHERE from_last <= ? GROUP BY contact_id
    )
    SELECT path, sum(CASE WHEN won THEN 1 ELSE 0 END), sum(CASE WHEN won THEN 0 ELSE 1 END)
    FROM journeys GROUP BY path
"""


def paths(workspace_id: int, *, start: dt.datetime, end: dt.datetime) -> list[Path]:
    """Aggregated channel paths for the data-driven models: for the contacts created in
    [start, end) with a touch, their channels up to their first deal's creation (a conversion)
    or all of them (no conversion); identical paths counted together. Large workspaces are
    answered by the columnar copy (the record store when the copy is busy)."""
    if choose_engine(workspace_id) == "columnar":
        try:
            rows = columnar_rows(_PATHS_SQL, [workspace_id, start, end, workspace_id,
                                              workspace_id, MAX_TOUCHES])  # fmt: skip
        except duckdb.IOException:
            pass  # another process holds the copy
        else:
            return [(tuple(path), int(won), int(lost)) for path, won, lost in rows]
    return _record_store_paths(workspace_id, start, end)


def _record_store_paths(workspace_id: int, start: dt.datetime, end: dt.datetime) -> list[Path]:
    created = {"contact__created_at__gte": start, "contact__created_at__lt": end}
    first_deal: dict[int, dt.datetime] = {}
    for contact, at in (
        Deal.objects.for_workspace(workspace_id)
        .filter(primary_contact__created_at__gte=start, primary_contact__created_at__lt=end)
        .values_list("primary_contact_id", "created_at")
    ):
        if contact not in first_deal or at < first_deal[contact]:
            first_deal[contact] = at
    counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    # One pass in (contact, time) order: a contact's touches arrive together, oldest first.
    rows = (
        Touchpoint.objects.for_workspace(workspace_id)
        .filter(**created)
        .order_by("contact_id", "occurred_at", "id")
        .values_list("contact_id", "occurred_at", "channel")
        .iterator(chunk_size=20_000)
    )
    current: int | None = None
    channels: list[str] = []

    def close() -> None:
        if current is not None and channels:
            counts[tuple(channels[-MAX_TOUCHES:])][0 if current in first_deal else 1] += 1

    for contact, at, channel in rows:
        if contact != current:
            close()
            current, channels = contact, []
        converted_at = first_deal.get(contact)
        if converted_at is None or at <= converted_at:
            channels.append(channel)
    close()
    return [(path, c[0], c[1]) for path, c in counts.items()]
