"""SLA clocks of handoffs: started at assignment in business time, met by the first touch,
paused and resumed, and swept for breaches (which escalate to the owner, then the manager).

A touch is a call, email or meeting logged on the contact after the handoff (not a note) by
someone who sells: the handoff's owner, or a member whose role sells (a sales rep, an SDR, an
admin, a manager not on a marketing team) — a marketer's email is not sales' first touch. The
sweep re-checks the activities before declaring a breach, so a touch whose event was lost (a
crash between commit and subscriber, an import) still meets the clock.

A touch meets the clock when it was made by the due time and logged by then or within
`LATE_ENTRY_GRACE` after it (a seller logs a call a few minutes late; the sweep runs every 30
seconds). Logged later, even with an earlier `occurred_at`, it is recorded as the first touch but
the breach stands: compliance cannot be repaired after the fact by backdating.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.crm.models import Activity, ActivityKind
from accord.handoff.agreements import agreement_document
from accord.handoff.business_hours import (
    Calendar,
    add_business_days,
    add_business_hours,
    business_seconds_between,
)
from accord.handoff.models import (
    EscalationKind,
    Handoff,
    HandoffStatus,
    SlaAgreement,
    SlaState,
)
from accord.handoff.notify import escalate
from accord.handoff.sla_document import SlaDocument
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role, Team, TeamKind
from accord.identity.permissions import Action

TOUCH_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)
SWEEP_CHUNK = 2000
# How late after the due time a touch made in time may still be logged and meet the clock.
LATE_ENTRY_GRACE = dt.timedelta(minutes=60)
SELLING_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES_REP, Role.SDR)
MAX_PAUSE_REASON = 200  # the column's length


def team_name(team_id: int | None) -> str | None:
    if team_id is None:
        return None
    return (
        Team.objects.across_workspaces().filter(pk=team_id).values_list("name", flat=True).first()
    )


@dataclass(frozen=True)
class Clock:
    first_touch_due_at: dt.datetime
    attempts_due_at: dt.datetime


def start_clock(document: SlaDocument, team: str | None, assigned_at: dt.datetime) -> Clock:
    calendar = document.calendar_for(team)
    return Clock(
        first_touch_due_at=add_business_hours(
            assigned_at, document.sales.first_touch_hours, calendar
        ),
        attempts_due_at=add_business_days(assigned_at, document.sales.attempt_days, calendar),
    )


def _touches(workspace_id: int) -> Q:
    return Q(workspace_id=workspace_id, kind__in=TOUCH_KINDS)


def touch_in_time(occurred_at: dt.datetime, logged_at: dt.datetime, due: dt.datetime) -> bool:
    """Whether a touch meets a first-touch clock due at `due`: made by then, and logged by
    then or within `LATE_ENTRY_GRACE` after."""
    return occurred_at <= due and logged_at <= due + LATE_ENTRY_GRACE


def selling_members(workspace_id: int) -> QuerySet[Membership]:
    """Members whose touches count on sales' clocks (with the handoff's owner): sales reps,
    SDRs, admins, and managers except those of a marketing team."""
    return (
        Membership.objects.for_workspace(workspace_id)
        .filter(role__in=SELLING_ROLES)
        .exclude(role=Role.MANAGER, team__kind=TeamKind.MARKETING)
    )


def _sells(workspace_id: int, user_id: int | None, owner_id: int | None) -> bool:
    if user_id is None:  # nobody to credit: not a seller's touch
        return False
    return user_id == owner_id or selling_members(workspace_id).filter(user_id=user_id).exists()


def record_touch(workspace_id: int, activity_id: int) -> Handoff | None:
    """Count a seller's logged touch on the contact's open handoff: the first one meets the
    first-touch clock if made in time and logged in time (`touch_in_time`), else it is, or
    stays, breached."""
    activity = (
        Activity.objects.for_workspace(workspace_id)
        .filter(pk=activity_id, kind__in=TOUCH_KINDS)
        .values("contact_id", "occurred_at", "created_at", "user_id")
        .first()
    )
    if activity is None or activity["contact_id"] is None:
        return None
    with transaction.atomic():
        handoff = (
            Handoff.objects.for_workspace(workspace_id)
            .select_for_update()
            .filter(
                contact_id=activity["contact_id"],
                status=HandoffStatus.OPEN,
                assigned_at__lte=activity["occurred_at"],
            )
            .first()
        )
        if handoff is None or not _sells(workspace_id, activity["user_id"], handoff.owner_id):
            return None
        handoff.attempts += 1
        fields = ["attempts", "updated_at"]
        occurred = activity["occurred_at"]
        if handoff.first_touched_at is None or occurred < handoff.first_touched_at:
            handoff.first_touched_at = occurred
            fields.append("first_touched_at")
            due = handoff.first_touch_due_at
            if handoff.sla_state == SlaState.PAUSED or (
                handoff.sla_state in (SlaState.DUE, SlaState.BREACHED)
                and (due is None or touch_in_time(occurred, activity["created_at"], due))
            ):
                # A paused clock cannot breach: a touch while it is stopped meets it.
                handoff.sla_state = SlaState.MET
                handoff.breached_at = None
                fields += ["sla_state", "breached_at"]
            elif handoff.sla_state == SlaState.DUE:
                assert due is not None
                handoff.sla_state = SlaState.BREACHED
                handoff.breached_at = due
                fields += ["sla_state", "breached_at"]
        handoff.save(update_fields=fields)
        return handoff


@transaction.atomic
def handoff_pause(*, actor: Actor, handoff_id: int, reason: str) -> Handoff:
    """Stop the first-touch clock (e.g. the contact is out of office)."""
    actor.require(Action.WORK_HANDOFFS)
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.single("reason", "Say why the clock stops (e.g. out of office).")
    if len(text) > MAX_PAUSE_REASON:  # refused, not cut: the reason is what the manager reads
        raise ValidationFailed.single("reason", f"At most {MAX_PAUSE_REASON} characters.")
    handoff = _open_locked(actor, handoff_id)
    if handoff.sla_state != SlaState.DUE:
        raise Conflict(f"Only a running clock can be paused; this one is {handoff.sla_state}.")
    handoff.sla_state = SlaState.PAUSED
    handoff.paused_at = timezone.now()
    handoff.pause_reason = text
    handoff.save(update_fields=["sla_state", "paused_at", "pause_reason", "updated_at"])
    return handoff


@transaction.atomic
def handoff_resume(*, actor: Actor, handoff_id: int) -> Handoff:
    """Restart the clock: the due time moves on by the business time it was paused."""
    actor.require(Action.WORK_HANDOFFS)
    handoff = _open_locked(actor, handoff_id)
    if handoff.sla_state != SlaState.PAUSED or handoff.paused_at is None:
        raise Conflict("The clock is not paused.")
    assert handoff.agreement is not None and handoff.first_touch_due_at is not None
    calendar = agreement_document(handoff.agreement).calendar_for(team_name(handoff.team_id))
    now = timezone.now()
    paused = business_seconds_between(handoff.paused_at, now, calendar)
    remaining = business_seconds_between(handoff.paused_at, handoff.first_touch_due_at, calendar)
    handoff.first_touch_due_at = add_business_hours(now, remaining / 3600, calendar)
    if handoff.attempts_due_at is not None:
        handoff.attempts_due_at = add_business_hours(
            handoff.attempts_due_at, paused / 3600, calendar
        )
    handoff.sla_state = SlaState.DUE
    handoff.paused_at = None
    handoff.save(
        update_fields=[
            "first_touch_due_at",
            "attempts_due_at",
            "sla_state",
            "paused_at",
            "updated_at",
        ]
    )
    return handoff


def _open_locked(actor: Actor, handoff_id: int) -> Handoff:
    from accord.handoff.dispositions import locked_handoff

    handoff = locked_handoff(actor, handoff_id)
    if (
        handoff.owner_id is not None
        and actor.user is not None
        and handoff.owner_id != actor.user.pk
        and actor.role not in (Role.MANAGER, Role.ADMIN)
    ):
        raise PermissionDenied(
            "This lead is assigned to someone else; only its owner or a manager moves its clock."
        )
    if handoff.status != HandoffStatus.OPEN:
        raise Conflict(f"This lead was already {handoff.get_status_display().lower()}.")
    return handoff


# The sweep --------------------------------------------------------------------------------


@dataclass
class SweepResult:
    met_late_logged: int = 0  # touched in time, the event had been missed
    breached: int = 0
    escalated_to_manager: int = 0


def _calendars() -> defaultdict[tuple[int, int | None], Calendar]:
    documents: dict[int, SlaDocument] = {}

    class _Calendars(defaultdict[tuple[int, int | None], Calendar]):
        def __missing__(self, key: tuple[int, int | None]) -> Calendar:
            agreement_id, team_id = key
            if agreement_id not in documents:
                agreement = SlaAgreement.objects.across_workspaces().get(pk=agreement_id)
                documents[agreement_id] = agreement_document(agreement)
            value = documents[agreement_id].calendar_for(team_name(team_id))
            self[key] = value
            return value

    return _Calendars()


def _grace(agreement_id: int, cache: dict[int, float]) -> float:
    if agreement_id not in cache:
        agreement = SlaAgreement.objects.across_workspaces().get(pk=agreement_id)
        cache[agreement_id] = agreement_document(agreement).sales.manager_grace_hours
    return cache[agreement_id]


def sweep_workspace(workspace_id: int, now: dt.datetime | None = None) -> SweepResult:
    """Declare breaches of the first-touch clocks due by `now` and escalate: the owner at the
    breach, the manager once the grace period (business hours) has passed untouched."""
    now = now or timezone.now()
    result = SweepResult()
    scoped = Handoff.objects.for_workspace(workspace_id)
    # Per handoff, its contact's touches since the assignment: they are the contact's, hence in
    # the handoff's workspace. Not filtered on the workspace again on purpose: with that term
    # SQLite (which has no statistics) searched the workspace's time index instead of the
    # contact's — every touch logged since the assignment, once per overdue handoff (38 s for
    # 2,000 overdue handoffs beside 40,000 touches; bench/breach_sweep.py).
    first_touch = (
        Activity.objects.across_workspaces()
        .filter(contact_id=OuterRef("contact_id"), kind__in=TOUCH_KINDS)
        .filter(occurred_at__gte=OuterRef("assigned_at"))
        .values("contact_id")
        .annotate(first=Min("occurred_at"))
        .values("first")
    )
    calendars = _calendars()
    graces: dict[int, float] = {}
    sellers: set[int] | None = None
    while True:
        with transaction.atomic():
            overdue = list(
                scoped.select_for_update(skip_locked=True)
                .filter(
                    sla_state=SlaState.DUE,
                    first_touch_due_at__lte=now,
                    status=HandoffStatus.OPEN,
                )
                .annotate(first=Subquery(first_touch))
                .only(
                    "id",
                    "contact_id",
                    "owner_id",
                    "team_id",
                    "agreement_id",
                    "first_touch_due_at",
                    "assigned_at",
                )
                .order_by("first_touch_due_at", "id")[:SWEEP_CHUNK]
            )
            if not overdue:
                break
            if sellers is None and any(h.first is not None for h in overdue):
                sellers = set(selling_members(workspace_id).values_list("user_id", flat=True))
            touched = _sellers_touches(overdue, sellers or set())
            met, breached = [], []
            for handoff in overdue:
                if touches := touched.get(handoff.pk):
                    due = handoff.first_touch_due_at
                    assert due is not None
                    handoff.first_touched_at = min(occurred for occurred, _ in touches)
                    in_time = any(touch_in_time(o, logged, due) for o, logged in touches)
                    handoff.sla_state = SlaState.MET if in_time else SlaState.BREACHED
                    handoff.breached_at = None if in_time else due
                    met.append(handoff)
                    continue
                assert handoff.first_touch_due_at is not None and handoff.agreement_id
                calendar = calendars[(handoff.agreement_id, handoff.team_id)]
                handoff.sla_state = SlaState.BREACHED
                handoff.breached_at = handoff.first_touch_due_at
                handoff.escalation_level = 1
                handoff.manager_escalation_at = add_business_hours(
                    handoff.first_touch_due_at, _grace(handoff.agreement_id, graces), calendar
                )
                breached.append(handoff)
            _update_rows(met, ["first_touched_at", "sla_state", "breached_at"])
            _update_rows(
                breached, ["sla_state", "breached_at", "escalation_level", "manager_escalation_at"]
            )
            escalate(workspace_id, breached, EscalationKind.BREACH_OWNER)
            result.met_late_logged += len(met)
            result.breached += len(breached)
    with transaction.atomic():
        late = list(
            scoped.select_for_update(skip_locked=True)
            .filter(
                sla_state=SlaState.BREACHED,
                escalation_level=1,
                manager_escalation_at__lte=now,
                first_touched_at__isnull=True,
                status=HandoffStatus.OPEN,
            )
            .only("id", "contact_id", "owner_id", "team_id", "first_touch_due_at")
        )
        for lead in late:
            lead.escalation_level = 2
        _update_rows(late, ["escalation_level"])
        escalate(workspace_id, late, EscalationKind.BREACH_MANAGER)
        result.escalated_to_manager = len(late)
    return result


def _sellers_touches(
    handoffs: Sequence[Handoff], sellers: set[int]
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """(made, logged) of the sellers' touches since the assignment, per handoff, for the
    overdue handoffs whose contact has any touch (the few whose event was missed): one query
    for the batch, judged in Python. The owner's touches count even if their role does not."""
    touched = [h for h in handoffs if getattr(h, "first", None) is not None]
    if not touched:
        return {}
    rows = (
        Activity.objects.across_workspaces()  # the contacts' own: see the subquery above
        .filter(contact_id__in={h.contact_id for h in touched}, kind__in=TOUCH_KINDS)
        .values_list("contact_id", "occurred_at", "created_at", "user_id")
    )
    by_contact: defaultdict[int, list[tuple[dt.datetime, dt.datetime, int | None]]]
    by_contact = defaultdict(list)
    for contact_id, occurred, logged, user_id in rows:
        by_contact[contact_id].append((occurred, logged, user_id))
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for handoff in touched:
        counted = [
            (occurred, logged)
            for occurred, logged, user_id in by_contact[handoff.contact_id]
            if occurred >= handoff.assigned_at
            and user_id is not None
            and (user_id == handoff.owner_id or user_id in sellers)
        ]
        if counted:
            out[handoff.pk] = counted
    return out


def _update_rows(handoffs: Sequence[Handoff], fields: Sequence[str]) -> None:
    """Write these fields of each handoff (and `updated_at`) with one prepared UPDATE by id.
    Not `bulk_update`: its `CASE WHEN id = … THEN …` over a batch cost SQLite a comparison per
    row and batch member, and Django the building of the expression — 1.6 s of a 2.2 s sweep
    that breached 1,900 handoffs (bench/breach_sweep.py)."""
    if not handoffs:
        return
    opts = Handoff._meta
    by_name = {field.name: field for field in opts.concrete_fields}
    columns = [by_name[name] for name in [*fields, "updated_at"]]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(c.column))} = %s" for c in columns)
    table, pk = quote(opts.db_table), quote(str(opts.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - fixed names
    now = timezone.now()
    rows = []
    for handoff in handoffs:
        handoff.updated_at = now
        rows.append(
            [c.get_db_prep_save(getattr(handoff, c.attname), connection) for c in columns]
            + [handoff.pk]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
