"""What both teams read about the handoff: the SLA report (each side's compliance) and the
dispositions by source, campaign and definition version, with the reasons. Every rate carries a
95 % Wilson interval (`core.intervals`), so small numbers are not over-read.

- Sales, first touch: of the timed handoffs assigned in the period whose clock has resolved,
  the share touched by the due time (`met`); still-running clocks — open leads only — are
  counted apart (`due`). A lead decided (accepted, rejected, recycled) while its clock still read
  due was answered by the decision: met if decided by the due time (or while paused), breached
  if after. Each resolved clock counts for the owner who held the lead when it was met or
  breached (from the audit log's reassignments, requeues and claims), not whoever holds it now.
- Sales, attempts: of the leads rejected as unresponsive, the share with the agreed attempts
  made by the attempts deadline — counted as the reject counts them: the owner's and other
  sellers' touches (`clocks.selling_members`) made from the assignment to the deadline, logged
  by then (or within the late-entry grace) and before the rejection.
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

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.core.intervals import Rate, rate
from accord.core.periods import utc_days
from accord.crm.models import Activity, LedgerEntry
from accord.handoff.agreements import active_agreement
from accord.handoff.clocks import LATE_ENTRY_GRACE, TOUCH_KINDS, selling_members
from accord.handoff.models import (
    ContactCapViolation,
    Handoff,
    HandoffStatus,
    SlaAgreement,
    SlaState,
)
from accord.handoff.sla_document import VolumeTarget, parse_sla
from accord.identity.audit_models import AuditEntry
from accord.identity.models import User, Workspace
from accord.marketing.models import Touchpoint


@dataclass(frozen=True)
class FirstTouchRow:
    owner_id: int | None
    owner: str
    handed_over: int
    met: int
    breached: int
    due: int  # clock still running (or paused) on an open lead
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


# What a timed handoff's first-touch clock counts as in the report.
_DECIDED = ~Q(status=HandoffStatus.OPEN)
_MET = (
    Q(sla_state=SlaState.MET)
    | (_DECIDED & Q(sla_state=SlaState.PAUSED))
    | (_DECIDED & Q(sla_state=SlaState.DUE, decided_at__lte=F("first_touch_due_at")))
)
_BREACHED = Q(sla_state=SlaState.BREACHED) | (
    _DECIDED
    & Q(sla_state=SlaState.DUE)
    & (Q(decided_at__gt=F("first_touch_due_at")) | Q(decided_at__isnull=True))
)
_OUTCOME = Case(
    When(_MET, then=Value("met")),
    When(_BREACHED, then=Value("breached")),
    default=Value("running"),
    output_field=CharField(),
)
# Changes of a handoff's owner that the audit log records.
OWNER_CHANGES = ("handoff.reassigned", "handoff.requeued", "handoff.claimed")


def _owner_changes(
    workspace: Workspace, since: dt.datetime
) -> dict[int, list[tuple[dt.datetime, int | None]]]:
    """Per handoff, (when, owner before) of each recorded change of owner since `since`,
    oldest first. Handoffs assigned in the report's period change owner only after its start."""
    changes: dict[int, list[tuple[dt.datetime, int | None]]] = {}
    entries = (
        AuditEntry.objects.for_workspace(workspace)
        .filter(action__in=OWNER_CHANGES, object_type="handoff", occurred_at__gte=since)
        .order_by("occurred_at", "id")
        .values_list("object_id", "occurred_at", "before")
    )
    for object_id, when, before in entries:
        if object_id.isdigit() and isinstance(before, dict):
            changes.setdefault(int(object_id), []).append((when, before.get("owner_id")))
    return changes


def owner_at(
    changes: list[tuple[dt.datetime, int | None]], moment: dt.datetime, current: int | None
) -> int | None:
    """Who held the lead at `moment`: the owner before the first change after it, or (no
    change since) the current owner."""
    for when, before in changes:
        if when > moment:
            return before
    return current


def _first_touch_by_owner(
    workspace: Workspace, timed: QuerySet[Handoff], since: dt.datetime
) -> dict[int | None, Counter[str]]:
    """Per owner (None: the fallback queue), the timed handoffs and their clocks' outcomes:
    counted by the current owner in SQL, then the few that changed hands moved to whoever held
    them when the clock was met (the first touch, or the decision) or breached (the due time).
    Running clocks stay with the current owner."""
    counts: dict[int | None, Counter[str]] = {}
    grouped = timed.annotate(outcome=_OUTCOME).values("owner_id", "outcome").annotate(n=Count("id"))
    for row in grouped.order_by():
        counts.setdefault(row["owner_id"], Counter())[row["outcome"]] += row["n"]
    changes = _owner_changes(workspace, since)
    if not changes:
        return counts
    moved = (
        timed.filter(pk__in=list(changes))
        .annotate(outcome=_OUTCOME)
        .values_list(
            "pk", "owner_id", "outcome", "first_touched_at", "decided_at", "first_touch_due_at"
        )
    )
    for pk, current, outcome, touched, decided, due in moved:
        if outcome == "running":
            continue
        moment = (touched or decided or due) if outcome == "met" else due
        if moment is None:  # a timed clock always has a due time
            continue
        held = owner_at(changes[pk], moment, current)
        if held != current:
            counts[current][outcome] -= 1
            counts.setdefault(held, Counter())[outcome] += 1
    return {owner: c for owner, c in counts.items() if sum(c.values()) > 0}


def _row(owner_id: int | None, owner: str, counts: Counter[str]) -> FirstTouchRow:
    met, breached = counts["met"], counts["breached"]
    return FirstTouchRow(
        owner_id=owner_id,
        owner=owner,
        handed_over=met + breached + counts["running"],
        met=met,
        breached=breached,
        due=counts["running"],
        compliance=rate(met, met + breached),
    )


def _attempts_made(workspace: Workspace) -> Subquery:
    """A handoff's touches that count toward the attempts before "unresponsive", as the
    reject checks them (`dispositions.attempts_in_window`): the owner's and other sellers'
    calls, emails and meetings made from the assignment until the attempts deadline, logged by
    then (or within the late-entry grace) and before the decision."""
    sellers = selling_members(workspace.pk).values("user_id")
    late_entry_deadline = ExpressionWrapper(
        OuterRef("attempts_due_at") + Value(LATE_ENTRY_GRACE), output_field=DateTimeField()
    )
    # The contact's own activities, hence the workspace's: not filtered on the workspace again,
    # which steers SQLite to the workspace's time index (see `clocks.sweep_workspace`).
    return Subquery(
        Activity.objects.across_workspaces()
        .filter(contact_id=OuterRef("contact_id"), kind__in=TOUCH_KINDS)
        .filter(occurred_at__gte=OuterRef("assigned_at"))
        .filter(occurred_at__lte=OuterRef("attempts_due_at"))
        .filter(created_at__lte=OuterRef("decided_at"))
        .filter(created_at__lte=late_entry_deadline)
        .filter(Q(user_id=OuterRef("owner_id")) | Q(user_id__in=sellers))
        .values("contact_id")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def sla_report(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> SlaReport:
    handoffs = Handoff.objects.for_workspace(workspace).filter(
        assigned_at__gte=start, assigned_at__lt=end
    )
    timed = handoffs.exclude(sla_state=SlaState.UNTIMED)
    per_owner = _first_touch_by_owner(workspace, timed, start)
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[o for o in per_owner if o])}
    rows = [
        _row(owner_id, names.get(owner_id, "Fallback queue") if owner_id else "Fallback queue", c)
        for owner_id, c in per_owner.items()
    ]
    rows.sort(key=lambda row: row.owner)
    totals: Counter[str] = Counter()
    for counts in per_owner.values():
        totals.update(counts)
    rows.append(_row(None, "Everyone", totals))
    # Unresponsive rejections with the agreed attempts: one count per agreement version (each
    # version may ask for a different number), not one document per handoff.
    unresponsive = timed.filter(status=HandoffStatus.REJECTED, reason__needs_attempts=True)
    versions = SlaAgreement.objects.for_workspace(workspace).filter(
        pk__in=unresponsive.values("agreement_id")
    )
    made = unresponsive.annotate(made=Coalesce(_attempts_made(workspace), 0))
    kept = sum(
        made.filter(
            agreement=version,
            made__gte=parse_sla(version.document).sales.attempts_before_unresponsive,
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
