"""The handoff follows the contact's lifecycle: a move out of MQL made elsewhere closes its open
handoff; a recycled lead returns on its latest handoff's date only; breaches from before Accord
reach the manager; and the sweep outlives any one failure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.core import events
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.handoff import dispositions, routing_settings, sweep
from accord.handoff.backfill import backfill_handoffs
from accord.handoff.business_hours import add_business_hours
from accord.handoff.models import (
    Escalation,
    EscalationKind,
    Handoff,
    HandoffStatus,
    SlaState,
)
from accord.handoff.tasks import reengage_daily, sla_sweep
from accord.handoff.tests.factories import SalesFloor, activate_sla, make_mql, sales_floor
from accord.identity.tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def floor_to_first_rep(workspace) -> SalesFloor:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "First rep", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    return floor


def handoffs(contact: Contact):  # type: ignore[no-untyped-def]
    return Handoff.objects.for_workspace(contact.workspace_id).filter(contact=contact)


# Finding 11: a lifecycle move out of MQL closes the open handoff ---------------------------


def test_a_move_to_sql_outside_the_handoff_accepts_it(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "deborah@lynx.example")
    seller = floor.sellers[0]
    change_stage(
        actor=floor.actor(seller), contact_id=contact.pk, to_stage="sql", reason="Budget confirmed"
    )
    handoff = handoffs(contact).get()
    assert (handoff.status, handoff.decided_by_id, handoff.sla_state) == (
        HandoffStatus.ACCEPTED,
        seller.user_id,
        SlaState.MET,  # decided before the due time
    )
    assert handoff.comment == "moved to sql outside the handoff: Budget confirmed"
    # No breach, no escalation later on.
    assert sweep.sweep_all(timezone.now() + dt.timedelta(days=3))["breached"] == 0
    assert not Escalation.objects.for_workspace(workspace).exists()
    # Back to MQL later: a new handoff and a new clock.
    change_stage(actor=floor.system, contact_id=contact.pk, to_stage="mql")
    assert handoffs(contact).filter(status=HandoffStatus.OPEN).count() == 1


@pytest.mark.parametrize(
    ("to_stage", "status", "reason"),
    [
        ("disqualified", HandoffStatus.REJECTED, "other"),
        ("recycled", HandoffStatus.RECYCLED, None),
        ("lead", HandoffStatus.RECYCLED, None),
        ("customer", HandoffStatus.ACCEPTED, None),
    ],
)
def test_each_move_out_of_mql_closes_the_handoff_its_way(
    workspace, to_stage, status, reason
) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "lead@example.org")
    change_stage(actor=floor.system, contact_id=contact.pk, to_stage=to_stage, reason="import")
    handoff = handoffs(contact).get()
    assert (handoff.status, handoff.reason.key if handoff.reason else None) == (status, reason)
    assert handoff.decided_by_id is None  # the system moved it
    assert handoff.recycle_until is None  # never re-engaged by a date nobody chose


def test_the_sweep_closes_a_handoff_whose_event_was_lost(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "lost@example.org")
    with events.muted("contact.stage_changed"):
        change_stage(actor=floor.system, contact_id=contact.pk, to_stage="sql")
    assert handoffs(contact).get().status == HandoffStatus.OPEN
    totals = sweep.sweep_all(timezone.now() + dt.timedelta(days=3))
    assert (totals["closed"], totals["breached"]) == (1, 0)
    assert handoffs(contact).get().status == HandoffStatus.ACCEPTED


def test_a_decision_through_the_handoff_is_not_closed_twice(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "a@example.org")
    handoff = handoffs(contact).get()
    dispositions.handoff_accept(actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk)
    after = handoffs(contact).get()
    assert (after.status, after.comment, after.decided_by_id) == (
        HandoffStatus.ACCEPTED,
        "",
        floor.sellers[0].user_id,
    )


# Finding 5: re-engagement by the latest handoff's date only --------------------------------


def test_an_old_handoffs_date_does_not_return_a_lead_recycled_again(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    owner = floor.actor(floor.sellers[0])
    contact = make_mql(floor, "henry@openrhyme.example")
    today = timezone.localdate()
    first_date = today + dt.timedelta(days=1)
    dispositions.handoff_recycle(
        actor=owner, handoff_id=handoffs(contact).get().pk, until=first_date
    )
    assert sweep.reengage_due(first_date) == 1  # back to lead on its date
    change_stage(actor=floor.system, contact_id=contact.pk, to_stage="mql")
    second = handoffs(contact).get(status=HandoffStatus.OPEN)
    later_date = today + dt.timedelta(days=180)
    dispositions.handoff_recycle(actor=owner, handoff_id=second.pk, until=later_date)

    assert sweep.reengage_due(first_date + dt.timedelta(days=1)) == 0

    assert Contact.objects.for_workspace(workspace).get(pk=contact.pk).lifecycle_stage == "recycled"
    returns = LedgerEntry.objects.for_workspace(workspace).filter(
        contact=contact, from_stage="recycled", to_stage="lead"
    )
    assert returns.count() == 1
    assert sweep.reengage_due(later_date) == 1
    assert returns.count() == 2


def test_a_lead_recycled_again_by_hand_is_not_returned_by_the_old_date(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "again@example.org")
    day = timezone.localdate() + dt.timedelta(days=1)
    dispositions.handoff_recycle(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoffs(contact).get().pk, until=day
    )
    assert sweep.reengage_due(day) == 1
    change_stage(actor=floor.system, contact_id=contact.pk, to_stage="recycled")  # not via MQL
    assert sweep.reengage_due(day + dt.timedelta(days=1)) == 0


# Finding 10: breaches from before Accord reach the manager ---------------------------------


def test_backfilled_breaches_are_timed_for_the_manager_and_escalated(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    seller = floor.sellers[0]
    contact = contact_services.contact_create(
        actor=floor.system,
        values={"email": "old@example.org", "lifecycle_stage": "lead", "owner_id": seller.user_id},
    )
    assigned = timezone.now() - dt.timedelta(days=10)
    with events.muted("contact.stage_changed", "contact.became_mql"):  # history, not live
        change_stage(
            actor=floor.system, contact_id=contact.pk, to_stage="mql", occurred_at=assigned
        )
    assert backfill_handoffs(workspace) == 1
    handoff = handoffs(contact).get()
    due = handoff.first_touch_due_at
    assert due is not None and due < timezone.now()
    assert (handoff.sla_state, handoff.escalation_level, handoff.first_touched_at) == (
        SlaState.BREACHED,
        1,
        None,
    )
    # As the sweep times it: the manager's grace (4 business hours) after the due time.
    assert handoff.manager_escalation_at == add_business_hours(due, 4, floor_calendar(handoff))

    assert sweep.sweep_all()["escalated_to_manager"] == 1

    assert handoffs(contact).get().escalation_level == 2
    told = Escalation.objects.for_workspace(workspace).filter(kind=EscalationKind.BREACH_MANAGER)
    assert list(told.values_list("recipient_id", flat=True)) == [floor.sales_manager.user_id]


def test_the_sweep_times_the_manager_step_of_breaches_left_without_one(workspace) -> None:  # type: ignore[no-untyped-def]
    """Rows the backfill wrote before it set the time (the demo's 17 open breaches)."""
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "stuck@example.org")
    due = timezone.now() - dt.timedelta(days=5)
    handoffs(contact).update(
        sla_state=SlaState.BREACHED,
        breached_at=due,
        first_touch_due_at=due,
        escalation_level=1,
        manager_escalation_at=None,
    )
    assert sweep.sweep_all()["escalated_to_manager"] == 1
    handoff = handoffs(contact).get()
    assert handoff.escalation_level == 2
    assert handoff.manager_escalation_at == add_business_hours(due, 4, floor_calendar(handoff))


def floor_calendar(handoff: Handoff):  # type: ignore[no-untyped-def]
    from accord.handoff.agreements import agreement_document

    assert handoff.agreement is not None
    return agreement_document(handoff.agreement).calendar_for(None)


# Finding 1: one failure never stops the sweep ------------------------------------------------


def test_a_failing_workspace_does_not_stop_the_sweep_of_the_others(workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broken = WorkspaceFactory()
    floor = floor_to_first_rep(workspace)
    contact = make_mql(floor, "overdue@example.org")
    handoffs(contact).update(first_touch_due_at=timezone.now() - dt.timedelta(minutes=1))
    real = sweep.requeue_leads_of_former_members

    def failing(workspace_id: int) -> int:
        if workspace_id == broken.pk:
            raise RuntimeError("a bad row")
        return real(workspace_id)

    monkeypatch.setattr(sweep, "requeue_leads_of_former_members", failing)
    monkeypatch.setattr(sweep, "close_stray_handoffs", lambda w: 1 / 0 if w == broken.pk else 0)
    totals = sweep.sweep_all()
    assert (totals["breached"], totals["failed"]) == (1, 2)
    assert handoffs(contact).get().sla_state == SlaState.BREACHED


def test_the_sweep_task_schedules_the_next_one_even_when_it_fails(workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def crash(now=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("sweep failed")

    monkeypatch.setattr(sweep, "sweep_all", crash)
    monkeypatch.setattr(sweep, "reengage_due", crash)
    for task in (sla_sweep, reengage_daily):
        with pytest.raises(RuntimeError):
            task.call()
        waiting = DBTaskResult.objects.filter(task_path=task.module_path, status="READY")
        assert waiting.count() == 1
