"""Reading the marketing calendar: entries by week, the lead-to-MQL rate that estimates
MQLs an entry did not state, and sales capacity planning: per ISO week, the leads and MQLs
expected, the sellers there are to work them and the MQLs each seller can expect."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, Max, Min, Q, When

from accord.crm.models import LedgerEntry
from accord.identity.models import Membership, Role, Workspace
from accord.marketing.calendar_models import CalendarEntry

RATE_DAYS = 180
DEFAULT_MQLS_PER_SELLER_WEEK = 10.0
SELLER_ROLES = (Role.SALES_REP, Role.SDR)


@dataclass(frozen=True)
class ConversionRate:
    """Of the contacts that entered `lead` from `since` to `until`, how many then reached
    `mql` (by `until`)."""

    leads: int
    mqls: int
    since: dt.datetime
    until: dt.datetime

    @property
    def value(self) -> float | None:
        return self.mqls / self.leads if self.leads else None


def lead_to_mql_rate(workspace: Workspace, until: dt.datetime) -> ConversionRate:
    since = until - dt.timedelta(days=RATE_DAYS)
    # Each contact's first entry into lead and last into MQL in the window, paired in the
    # database in one pass over the window's lead and MQL entries: a large workspace has half
    # a million leads in it, too many to pair in Python.
    per_contact = (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(occurred_at__gte=since, occurred_at__lt=until, to_stage__in=("lead", "mql"))
        .order_by()
        .values("contact_id")
        .annotate(
            first_at=Min("occurred_at", filter=Q(to_stage="lead")),
            last_at=Max("occurred_at", filter=Q(to_stage="mql")),
        )
        .filter(first_at__isnull=False)
    )
    totals = per_contact.aggregate(
        leads=Count("contact_id"), mqls=Count(Case(When(last_at__gte=F("first_at"), then=1)))
    )
    return ConversionRate(totals["leads"], totals["mqls"], since, until)


def expected_mqls(entry: CalendarEntry, rate: ConversionRate) -> float | None:
    """The entry's stated MQLs, else its leads times the rate (None with no rate)."""
    if entry.expected_mqls is not None:
        return float(entry.expected_mqls)
    return entry.expected_leads * rate.value if rate.value is not None else None


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def entries_between(workspace: Workspace, first: dt.date, last: dt.date) -> list[CalendarEntry]:
    """Entries overlapping [first, last], by start date."""
    return list(
        CalendarEntry.objects.for_workspace(workspace)
        .filter(start_date__lte=last, end_date__gte=first)
        .select_related("campaign", "owner")
        .order_by("start_date", "title")
    )


def spread(start: dt.date, end: dt.date, volume: float, first: dt.date, last: dt.date) -> float:
    """The part of `volume`, spread evenly over the days start..end, that falls in first..last."""
    days = (end - start).days + 1
    overlap = (min(end, last) - max(start, first)).days + 1
    return volume * max(0, overlap) / days if days > 0 else 0.0


@dataclass(frozen=True)
class CapacityWeek:
    year: int
    week: int
    monday: dt.date
    leads: float
    mqls: float
    sellers: int
    mqls_per_seller: float | None
    over_capacity: bool
    entries: list[CalendarEntry]


def capacity_limit() -> float:
    return float(getattr(settings, "ACCORD_MQLS_PER_SELLER_WEEK", DEFAULT_MQLS_PER_SELLER_WEEK))


def active_sellers(workspace: Workspace) -> int:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role__in=SELLER_ROLES, user__is_active=True)
        .count()
    )


def capacity_plan(
    workspace: Workspace,
    *,
    today: dt.date,
    weeks: int = 8,
    per_seller_capacity: float | None = None,
    rate: ConversionRate | None = None,
) -> list[CapacityWeek]:
    """The next `weeks` ISO weeks from the one holding `today`: expected leads and MQLs (each
    entry's volume spread evenly over its days), the active sellers (sales reps and SDRs), the
    MQLs per seller, and whether that is over the capacity (ACCORD_MQLS_PER_SELLER_WEEK, 10 by
    default). With no sellers, any expected MQL is over capacity."""
    limit = capacity_limit() if per_seller_capacity is None else per_seller_capacity
    if rate is None:
        now = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
        rate = lead_to_mql_rate(workspace, now)
    first = week_start(today)
    last = first + dt.timedelta(days=7 * weeks - 1)
    entries = entries_between(workspace, first, last)
    sellers = active_sellers(workspace)
    plan = []
    for i in range(weeks):
        monday = first + dt.timedelta(days=7 * i)
        sunday = monday + dt.timedelta(days=6)
        in_week = [e for e in entries if e.start_date <= sunday and e.end_date >= monday]
        leads = sum(
            spread(e.start_date, e.end_date, e.expected_leads, monday, sunday) for e in in_week
        )
        mqls = sum(
            spread(e.start_date, e.end_date, expected_mqls(e, rate) or 0.0, monday, sunday)
            for e in in_week
        )
        per_seller = mqls / sellers if sellers else None
        over = (per_seller > limit) if per_seller is not None else mqls > 0
        iso = monday.isocalendar()
        plan.append(
            CapacityWeek(
                iso.year, iso.week, monday, leads, mqls, sellers, per_seller, over, in_week
            )
        )
    return plan
