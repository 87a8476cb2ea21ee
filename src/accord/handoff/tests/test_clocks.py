"""SLA clocks: due in business time, met by the first touch, breached and escalated by the
sweep (owner, then the manager after the grace period), paused and resumed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from accord.crm.services.activities import activity_create
from accord.handoff import routing_settings
from accord.handoff.clocks import handoff_pause, handoff_resume, sweep_workspace
from accord.handoff.models import Escalation, EscalationKind, Handoff, SlaState
from accord.handoff.notify import deliver_pending
from accord.handoff.tests.factories import (
    activate_sla,
    make_mql,
    sales_floor,
    sla_document,
)

pytestmark = pytest.mark.django_db(transaction=True)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
BERLIN_OFFICE = {"timezone": "Europe/Berlin", "holidays": ["2026-11-24"]}


def routed_floor(workspace, calendar=None):  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    doc = sla_document(sales={"first_touch_hours": 4, "manager_grace_hours": 2})
    if calendar is not None:
        doc["calendars"] = {"default": calendar}
    activate_sla(floor, doc)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )
    return floor


def test_due_time_is_counted_in_the_team_calendar(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace, BERLIN_OFFICE)
    # Monday 16:00 Berlin: one hour left today, Tuesday is a holiday, three hours on Wednesday.
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), tick=False):
        contact = make_mql(floor, "late@example.org")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert handoff.first_touch_due_at == dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
    assert handoff.sla_state == SlaState.DUE
    # Five business days after Monday: the close of the next Tuesday (the holiday skipped).
    assert handoff.attempts_due_at == dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)


def test_a_touch_in_time_meets_the_clock(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, "fast@example.org")
    rep = floor.actor(floor.sellers[0])
    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=1), tick=False):  # logged at once
        activity_create(
            actor=rep,
            values={
                "kind": "call",
                "contact_id": contact.pk,
                "occurred_at": MONDAY_10 + dt.timedelta(hours=1),
            },
        )
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert (handoff.sla_state, handoff.attempts) == (SlaState.MET, 1)
    assert handoff.first_touched_at == MONDAY_10 + dt.timedelta(hours=1)
    assert sweep_workspace(workspace.pk, MONDAY_10 + dt.timedelta(hours=9)).breached == 0


def test_a_note_is_not_a_touch(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, "note@example.org")
    activity_create(
        actor=floor.actor(floor.sellers[0]),
        values={"kind": "note", "contact_id": contact.pk, "occurred_at": MONDAY_10},
    )
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert (handoff.sla_state, handoff.attempts) == (SlaState.DUE, 0)


def test_breach_escalates_to_the_owner_then_the_manager(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, "slow@example.org")
    due = MONDAY_10 + dt.timedelta(hours=4)
    assert sweep_workspace(workspace.pk, due - dt.timedelta(seconds=1)).breached == 0
    result = sweep_workspace(workspace.pk, due + dt.timedelta(seconds=5))
    assert (result.breached, result.escalated_to_manager) == (1, 0)
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert (handoff.sla_state, handoff.breached_at, handoff.escalation_level) == (
        SlaState.BREACHED,
        due,
        1,
    )
    assert handoff.manager_escalation_at == due + dt.timedelta(hours=2)
    # Sweeping again changes nothing; after the grace period the manager hears of it.
    assert sweep_workspace(workspace.pk, due + dt.timedelta(hours=1)).breached == 0
    late = sweep_workspace(workspace.pk, due + dt.timedelta(hours=2, seconds=1))
    assert late.escalated_to_manager == 1
    sent = Escalation.objects.for_workspace(workspace).filter(handoff=handoff).order_by("id")
    assert [(e.kind, e.recipient_id) for e in sent] == [
        (EscalationKind.BREACH_OWNER, floor.sellers[0].user_id),
        (EscalationKind.BREACH_MANAGER, floor.sales_manager.user_id),
    ]
    mail.outbox.clear()
    assert deliver_pending(workspace.pk) == 2  # what the queued task does in the worker
    assert deliver_pending(workspace.pk) == 0
    assert all(e.delivered_at is not None and e.emailed for e in sent.all())
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [floor.sellers[0].user.email, floor.sales_manager.user.email]
    )


def test_escalations_are_emailed_once(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        make_mql(floor, "mail@example.org")
    mail.outbox.clear()
    sweep_workspace(workspace.pk, MONDAY_10 + dt.timedelta(hours=5))
    assert deliver_pending(workspace.pk) == 1
    assert [m.to for m in mail.outbox] == [[floor.sellers[0].user.email]]
    assert "mail@example.org" in mail.outbox[0].body
    assert deliver_pending(workspace.pk) == 0
    assert len(mail.outbox) == 1


def test_a_touch_whose_event_was_missed_still_meets_the_clock(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, "imported@example.org")
    from accord.core.events import muted

    # e.g. an import of activities, run before the due time
    with muted("activity.logged"), time_machine.travel(MONDAY_10 + dt.timedelta(hours=3)):
        activity_create(
            actor=floor.actor(floor.sellers[0]),
            values={
                "kind": "email",
                "contact_id": contact.pk,
                "occurred_at": MONDAY_10 + dt.timedelta(hours=2),
            },
        )
    result = sweep_workspace(workspace.pk, MONDAY_10 + dt.timedelta(hours=6))
    assert (result.breached, result.met_late_logged) == (0, 1)
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert handoff.sla_state == SlaState.MET


def test_pause_and_resume_move_the_due_time(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, "ooo@example.org")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    rep = floor.actor(floor.sellers[0])
    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=1), tick=False):
        handoff_pause(actor=rep, handoff_id=handoff.pk, reason="Out of office until Wednesday")
    assert sweep_workspace(workspace.pk, MONDAY_10 + dt.timedelta(hours=30)).breached == 0
    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=49), tick=False):
        resumed = handoff_resume(actor=rep, handoff_id=handoff.pk)
    # Three hours were left when it paused.
    assert resumed.first_touch_due_at == MONDAY_10 + dt.timedelta(hours=52)
    assert resumed.sla_state == SlaState.DUE
