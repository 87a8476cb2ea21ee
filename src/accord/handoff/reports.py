"""What both teams read about the handoff: the SLA report (each side's compliance) and the
dispositions by source, campaign and definition version, with the reasons. Every rate carries a
95 % Wilson interval (`core.intervals`), so small numbers are not over-read.

- Sales, first touch: of the timed handoffs assigned in the period whose clock has resolved,
  the share touched by the due time (`met`); still-running clocks are counted apart (`due`).
- Sales, attempts: of the leads rejected as unresponsive, the share with the agreed attempts
  logged by the attempts deadline.
- Marketing: MQLs (ledger transitions to MQL) per period against the target, with pacing for
  the current period (the share of the target due by now, pro rata of the period's days).
- Buyer: touches logged over the cap (recorded violations).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Count, Expression, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from accord.core.intervals import Rate, rate
from accord.core.periods import utc_days
from accord.crm.models import LedgerEntry
from accord.handoff.agreements import active_agreement
from accord.handoff.models import (
    ContactCapViolation,
    Handoff,
    HandoffStatus,
    SlaAgreement,
    SlaState,
)
from accord.handoff.sla_document import VolumeTarget, parse_sla
from accord.identity.models import User, Workspace
from accord.marketing.models import Touchpoint


@dataclass(frozen=True)
class FirstTouchRow:
    owner_id: int | None
    owner: str
    handed_over: int
    met: int
    breached: int
    due: int  # clock still running (or paused)
    compliance: Rate


Pacing = Literal["ahead", "on track", "behind"]


@dataclass(frozen=True)
class VolumeRow:
    period: str  # "2026-11" or "2026-Q4"
    segment: str | None
    target: int
    mqls: int
    attainment: float
    expected_by_now: float | None  # the current period only
    pacing: Pacing | None
    starts: dt.datetime | None = None  # the period: [starts, ends)
    ends: dt.datetime | None = None
    # The SLA came into force during the period: counted from then, against a prorated target.
    in_force_from: dt.datetime | None = None


@dataclass(frozen=True)
class SlaReport:
    start: dt.datetime
    end: dt.datetime
    agreement_version: int | None
    first_touch_hours: float | None
    first_touch: list[FirstTouchRow]  # per owner; the last row is everyone
    attempts: Rate  # unresponsive rejections with the agreed attempts
    volume: list[VolumeRow]
    cap_violations: int
    contacts_over_cap: int


def _month_periods(start: dt.date, end: dt.date, period: str) -> list[tuple[str, dt.date, dt.date]]:
    """[label, first day, day after] for each month or quarter overlapping [start, end)."""
    step = 3 if period == "quarter" else 1
    month = ((start.month - 1) // step) * step + 1
    cursor = dt.date(start.year, month, 1)
    out = []
    while cursor < end:
        year, m = divmod(cursor.month - 1 + step, 12)
        following = dt.date(cursor.year + year, m + 1, 1)
        label = (
            f"{cursor.year}-Q{(cursor.month - 1) // 3 + 1}"
            if period == "quarter"
            else f"{cursor:%Y-%m}"
        )
        out.append((label, cursor, following))
        cursor = following
    return out


def segment_filter(segment: str | None) -> Q:
    if segment is None:
        return Q()
    return Q(contact__custom_fields__segment=segment) | Q(
        contact__company__custom_fields__segment=segment
    )


def _pacing(mqls: int, expected: float) -> Pacing:
    if mqls > expected * 1.05:
        return "ahead"
    return "behind" if mqls < expected * 0.95 else "on track"


def sla_in_force_since(workspace: Workspace | int) -> dt.datetime | None:
    """When the workspace's first SLA agreement became active: marketing's volume is owed from
    then on, not for the months before anyone agreed to it."""
    return (
        SlaAgreement.objects.for_workspace(workspace)
        .filter(activated_at__isnull=False)
        .order_by("activated_at")
        .values_list("activated_at", flat=True)
        .first()
    )


def _volume(
    workspace: Workspace, targets: list[VolumeTarget], start: dt.date, end: dt.date
) -> list[VolumeRow]:
    """Each target period overlapping [start, end) since the SLA came into force. The period it
    came into force in counts from that moment, against the target prorated to what was left
    of the period."""
    now = timezone.now()
    since = sla_in_force_since(workspace)
    rows = []
    ledger = LedgerEntry.objects.for_workspace(workspace).filter(to_stage="mql")
    for target in targets:
        for label, first, after in _month_periods(start, end, target.period):
            low = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
            high = dt.datetime.combine(after, dt.time(), tzinfo=dt.UTC)
            if since is not None and high <= since:
                continue
            owed_from = max(low, since) if since is not None else low
            owed = target.mqls * ((high - owed_from) / (high - low))
            if owed < 1:  # began in the period's last hours: nothing is owed for it yet
                continue
            mqls = (
                ledger.filter(occurred_at__gte=owed_from, occurred_at__lt=high)
                .filter(segment_filter(target.segment))
                .count()
            )
            expected = pacing = None
            if owed_from <= now < high:
                expected = owed * (now - owed_from) / (high - owed_from)
                pacing = _pacing(mqls, expected)
            rows.append(
                VolumeRow(
                    period=label,
                    segment=target.segment,
                    target=round(owed),
                    mqls=mqls,
                    attainment=mqls / owed if owed else 0.0,
                    expected_by_now=expected,
                    pacing=pacing,
                    starts=owed_from,
                    ends=high,
                    in_force_from=owed_from if owed_from > low else None,
                )
            )
    return rows


def sla_report(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> SlaReport:
    handoffs = Handoff.objects.for_workspace(workspace).filter(
        assigned_at__gte=start, assigned_at__lt=end
    )
    timed = handoffs.exclude(sla_state=SlaState.UNTIMED)
    per_owner = (
        timed.values("owner_id")
        .annotate(
            n=Count("id"),
            met=Count("id", filter=Q(sla_state=SlaState.MET)),
            breached=Count("id", filter=Q(sla_state=SlaState.BREACHED)),
        )
        .order_by("owner_id")
    )
    names = {
        u.pk: u.display_name
        for u in User.objects.filter(pk__in=[r["owner_id"] for r in per_owner if r["owner_id"]])
    }
    rows: list[FirstTouchRow] = []
    totals: Counter[str] = Counter()
    for r in per_owner:
        owner = names.get(r["owner_id"], "Fallback queue") if r["owner_id"] else "Fallback queue"
        rows.append(
            FirstTouchRow(
                owner_id=r["owner_id"],
                owner=owner,
                handed_over=r["n"],
                met=r["met"],
                breached=r["breached"],
                due=r["n"] - r["met"] - r["breached"],
                compliance=rate(r["met"], r["met"] + r["breached"]),
            )
        )
        totals.update({"n": r["n"], "met": r["met"], "breached": r["breached"]})
    rows.sort(key=lambda row: row.owner)
    rows.append(
        FirstTouchRow(
            owner_id=None,
            owner="Everyone",
            handed_over=totals["n"],
            met=totals["met"],
            breached=totals["breached"],
            due=totals["n"] - totals["met"] - totals["breached"],
            compliance=rate(totals["met"], totals["met"] + totals["breached"]),
        )
    )
    # Unresponsive rejections with the agreed attempts: one count per agreement version (each
    # version may ask for a different number), not one document per handoff.
    unresponsive = timed.filter(status=HandoffStatus.REJECTED, reason__needs_attempts=True)
    versions = SlaAgreement.objects.for_workspace(workspace).filter(
        pk__in=unresponsive.values("agreement_id")
    )
    kept = sum(
        unresponsive.filter(
            agreement=version,
            attempts__gte=parse_sla(version.document).sales.attempts_before_unresponsive,
        ).count()
        for version in versions
    )
    active = active_agreement(workspace)
    violations = ContactCapViolation.objects.for_workspace(workspace).filter(
        occurred_at__gte=start, occurred_at__lt=end
    )
    return SlaReport(
        start=start,
        end=end,
        agreement_version=active[0].version if active else None,
        first_touch_hours=active[1].sales.first_touch_hours if active else None,
        first_touch=rows,
        attempts=rate(kept, unresponsive.count()),
        volume=_volume(workspace, active[1].marketing.targets, *utc_days(start, end))
        if active
        else [],
        cap_violations=violations.count(),
        contacts_over_cap=violations.values("contact_id").distinct().count(),
    )


# Dispositions -------------------------------------------------------------------------------

Dimension = Literal["source", "campaign", "definition_version", "owner"]
Grouping = Dimension | Literal["none"]  # "none": every lead in one row


@dataclass
class DispositionRow:
    key: str
    label: str
    handed_over: int = 0
    accepted: int = 0
    rejected: int = 0
    recycled: int = 0
    open: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def acceptance(self) -> Rate:
        return rate(self.accepted, self.accepted + self.rejected + self.recycled)

    @property
    def top_reasons(self) -> list[tuple[str, int]]:
        return self.reasons.most_common()


_DIMENSION_FIELDS = {
    "source": "contact__original_source",
    "owner": "owner_id",
    "definition_version": "definition_version",
}


def _first_campaign() -> Subquery:
    return Subquery(
        Touchpoint.objects.filter(contact_id=OuterRef("contact_id"), campaign__isnull=False)
        .order_by("occurred_at", "id")
        .values("campaign__name")[:1]
    )


def disposition_counts(
    workspace: Workspace, by: Grouping, start: dt.datetime, end: dt.datetime
) -> QuerySet[Handoff, tuple[Any, str, str | None, int]]:
    """(dimension, status, reason label, handoffs) for the handoffs assigned in [start, end)."""
    handoffs = Handoff.objects.for_workspace(workspace).filter(
        assigned_at__gte=start, assigned_at__lt=end
    )
    # "none" groups on nothing: no join to the contacts, which a year of a large workspace's
    # handoffs (300,000) makes the slowest part.
    dimension: Expression | F | Subquery = Value("")
    if by == "campaign":
        dimension = _first_campaign()
    elif by != "none":
        dimension = F(_DIMENSION_FIELDS[by])
    return (
        handoffs.annotate(dimension=dimension)
        .values("dimension", "status", "reason__label")
        .annotate(n=Count("id"))
        .values_list("dimension", "status", "reason__label", "n")
    )


def dispositions(
    workspace: Workspace, by: Grouping, start: dt.datetime, end: dt.datetime
) -> list[DispositionRow]:
    """Per source / campaign (the contact's first campaign touch) / definition version / owner,
    or for all leads together (`none`): how many leads sales accepted, rejected (with reason
    counts) or recycled."""
    rows: dict[str, DispositionRow] = {}
    found = list(disposition_counts(workspace, by, start, end))
    names = _owner_names([r[0] for r in found]) if by == "owner" else {}
    for dimension, status, reason, n in found:
        key = str(dimension or "")
        label = names.get(key, "Fallback queue") if by == "owner" else _label(by, key)
        row = rows.setdefault(key, DispositionRow(key=key, label=label))
        row.handed_over += n
        setattr(row, status, getattr(row, status) + n)
        if status == HandoffStatus.REJECTED:
            row.reasons[reason or "—"] += n
    return sorted(rows.values(), key=lambda row: (-row.handed_over, row.label))


def _owner_names(ids: list[int | None]) -> dict[str, str]:
    """Owners are keyed by user id (as in every owner breakdown), shown by name."""
    users = User.objects.filter(pk__in=[i for i in ids if i])
    return {str(u.pk): u.display_name for u in users}


def _label(by: Grouping, key: str) -> str:
    if not key:
        return {"campaign": "No campaign", "source": "Unknown source", "none": "All leads"}.get(
            by, "—"
        )
    if by == "source":
        from accord.core.channels import Channel

        return Channel(key).label if key in Channel.values else key
    return key


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    last = calendar.monthrange(day.year, day.month)[1]
    start = dt.datetime(day.year, day.month, 1, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=last)
