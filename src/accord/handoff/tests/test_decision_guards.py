"""Decisions on leads: only sales (a sales team's manager or an admin, besides the owner) works
them and resolves marketing's disputes; an overturn never pulls back a contact that has moved
on; a decision ends the first-touch clock; "unresponsive" needs the attempts made in the agreed
window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.crm.models import Activity, Contact, LedgerEntry
from accord.crm.services.activities import activity_create
from accord.crm.services.ledger import change_stage
from accord.handoff import clocks, dispositions, routing_settings
from accord.handoff.models import Dispute, DisputeOutcome, Handoff, HandoffStatus, SlaState
from accord.handoff.sweep import resolve_decided_clocks, sweep_all
from accord.handoff.tests.factories import SalesFloor, activate_sla, make_mql, sales_floor

pytestmark = pytest.mark.django_db(transaction=True)


def floor_with_lead(workspace, email: str = "lead@example.org") -> tuple[SalesFloor, Handoff]:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)  # first touch within 4 hours, round the clock
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "First rep", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    contact = make_mql(floor, email)
    return floor, Handoff.objects.for_workspace(workspace).get(contact=contact)


def fresh(handoff: Handoff) -> Handoff:
    return Handoff.objects.for_workspace(handoff.workspace_id).get(pk=handoff.pk)


def stage(handoff: Handoff) -> str:
    return (
        Contact.objects.for_workspace(handoff.workspace_id)
        .get(pk=handoff.contact_id)
        .lifecycle_stage
    )


def rejected_and_disputed(floor: SalesFloor, handoff: Handoff) -> None:
    dispositions.handoff_reject(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="not_icp"
    )
    dispositions.handoff_dispute(
        actor=floor.actor(floor.marketer), handoff_id=handoff.pk, comment="They opened 5 emails"
    )


# Finding 3: marketing's manager does not work sales' leads nor resolve its own dispute ---------


def test_the_marketing_manager_cannot_resolve_marketings_dispute(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    rejected_and_disputed(floor, handoff)
    with pytest.raises(PermissionDenied, match="sales manager"):
        dispositions.dispute_resolve(
            actor=floor.actor(floor.marketing_manager),
            handoff_id=handoff.pk,
            outcome="overturned",
            resolution="Marketing overrules sales",
        )
    dispute = Dispute.objects.for_workspace(workspace).get(handoff=handoff)
    assert (dispute.outcome, dispute.resolved_by_id) == (DisputeOutcome.PENDING, None)
    assert stage(handoff) == "disqualified"
    assert Handoff.objects.for_workspace(workspace).count() == 1
    # An admin may (and a sales manager, tested with the dispositions).
    resolved = dispositions.dispute_resolve(
        actor=floor.actor(floor.admin), handoff_id=handoff.pk, outcome="upheld", resolution="ok"
    )
    assert resolved.resolved_by_id == floor.admin.user_id


def test_the_marketing_manager_cannot_work_sellers_leads(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    marketing = floor.actor(floor.marketing_manager)
    attempts = [
        lambda: dispositions.handoff_accept(actor=marketing, handoff_id=handoff.pk),
        lambda: dispositions.handoff_reject(
            actor=marketing, handoff_id=handoff.pk, reason="not_icp"
        ),
        lambda: dispositions.handoff_recycle(
            actor=marketing,
            handoff_id=handoff.pk,
            until=timezone.localdate() + dt.timedelta(days=30),
        ),
        lambda: dispositions.handoff_reassign(
            actor=marketing, handoff_id=handoff.pk, user_id=floor.sellers[1].user_id
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    after = fresh(handoff)
    assert (after.status, after.owner_id) == (HandoffStatus.OPEN, floor.sellers[0].user_id)
    assert stage(handoff) == "mql"


def test_the_marketing_manager_cannot_claim_from_the_queue(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    handoff = Handoff.objects.for_workspace(workspace).get(contact=make_mql(floor, "q@example.org"))
    with pytest.raises(PermissionDenied):
        dispositions.handoff_claim(
            actor=floor.actor(floor.marketing_manager), handoff_id=handoff.pk
        )
    assert fresh(handoff).owner_id is None
    claimed = dispositions.handoff_claim(actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk)
    assert (claimed.owner_id, fresh(handoff).team_id) == (floor.sellers[0].user_id, floor.team.pk)


# Finding 4: an overturn does not pull back a contact that moved on ----------------------------


def test_an_overturn_after_the_contact_moved_on_is_refused_and_writes_nothing(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    rejected_and_disputed(floor, handoff)
    seller = floor.actor(floor.sellers[0])
    change_stage(
        actor=seller, contact_id=handoff.contact_id, to_stage="sql", reason="Budget confirmed"
    )
    ledger = LedgerEntry.objects.for_workspace(workspace).filter(contact_id=handoff.contact_id)
    entries = ledger.count()

    with pytest.raises(
        Conflict, match=r"moved on to Sales qualified lead \(SQL\) since the rejection"
    ):
        dispositions.dispute_resolve(
            actor=floor.actor(floor.sales_manager),
            handoff_id=handoff.pk,
            outcome="overturned",
            resolution="ok",
        )

    assert stage(handoff) == "sql"
    assert ledger.count() == entries
    assert Dispute.objects.for_workspace(workspace).get(handoff=handoff).outcome == "pending"
    assert not Handoff.objects.for_workspace(workspace).filter(status=HandoffStatus.OPEN).exists()
    upheld = dispositions.dispute_resolve(
        actor=floor.actor(floor.sales_manager),
        handoff_id=handoff.pk,
        outcome="upheld",
        resolution="Moot: it is an SQL now",
    )
    assert upheld.outcome == DisputeOutcome.UPHELD
    assert stage(handoff) == "sql"


def test_an_overturn_from_the_rejections_stage_hands_the_lead_over_again(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    rejected_and_disputed(floor, handoff)
    dispositions.dispute_resolve(
        actor=floor.actor(floor.sales_manager),
        handoff_id=handoff.pk,
        outcome="overturned",
        resolution="Work it",
    )
    assert stage(handoff) == "mql"
    assert Handoff.objects.for_workspace(workspace).filter(status=HandoffStatus.OPEN).count() == 1


# Finding 6: a decision ends the first-touch clock -------------------------------------------


def test_a_decision_before_the_due_time_meets_the_clock(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    assert handoff.sla_state == SlaState.DUE
    accepted = dispositions.handoff_accept(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk
    )
    assert accepted.sla_state == SlaState.MET
    after = fresh(handoff)
    assert (after.status, after.sla_state, after.breached_at) == (
        HandoffStatus.ACCEPTED,
        SlaState.MET,
        None,
    )
    assert sweep_all(timezone.now() + dt.timedelta(days=2))["breached"] == 0
    assert fresh(handoff).sla_state == SlaState.MET


def test_a_decision_after_the_due_time_breaches_the_clock(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    due = timezone.now() - dt.timedelta(minutes=5)
    Handoff.objects.for_workspace(workspace).filter(pk=handoff.pk).update(first_touch_due_at=due)
    dispositions.handoff_reject(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="duplicate"
    )
    after = fresh(handoff)
    assert (after.status, after.sla_state, after.breached_at) == (
        HandoffStatus.REJECTED,
        SlaState.BREACHED,
        due,
    )


def test_a_decision_on_a_paused_clock_meets_it(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    owner = floor.actor(floor.sellers[0])
    clocks.handoff_pause(actor=owner, handoff_id=handoff.pk, reason="Out of office")
    dispositions.handoff_recycle(
        actor=owner, handoff_id=handoff.pk, until=timezone.localdate() + dt.timedelta(days=60)
    )
    after = fresh(handoff)
    assert (after.status, after.sla_state, after.paused_at) == (
        HandoffStatus.RECYCLED,
        SlaState.MET,
        None,
    )


def test_the_sweep_ends_the_clocks_of_leads_decided_before_this_rule(workspace) -> None:  # type: ignore[no-untyped-def]
    """Rows written when a decision left the clock 'due' (the demo's, the QA's)."""
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )
    now = timezone.now()
    early, late, paused = (
        Handoff.objects.for_workspace(workspace).get(contact=make_mql(floor, f"{n}@example.org"))
        for n in ("early", "late", "paused")
    )
    scoped = Handoff.objects.for_workspace(workspace)
    closed = {"status": HandoffStatus.ACCEPTED, "decided_at": now}
    scoped.filter(pk=early.pk).update(sla_state=SlaState.DUE, **closed)
    scoped.filter(pk=late.pk).update(
        sla_state=SlaState.DUE, first_touch_due_at=now - dt.timedelta(hours=1), **closed
    )
    scoped.filter(pk=paused.pk).update(sla_state=SlaState.PAUSED, paused_at=now, **closed)

    assert resolve_decided_clocks(workspace.pk) == 3

    states = dict(scoped.values_list("pk", "sla_state"))
    assert states == {early.pk: "met", late.pk: "breached", paused.pk: "met"}
    assert fresh(late).breached_at == now - dt.timedelta(hours=1)
    assert resolve_decided_clocks(workspace.pk) == 0


# Finding 8: "unresponsive" needs the attempts made within the window ------------------------


def log_calls(floor: SalesFloor, handoff: Handoff, at: dt.datetime, n: int = 3) -> None:
    owner = floor.actor(floor.sellers[0])
    for i in range(n):
        activity_create(
            actor=owner,
            values={
                "kind": "call",
                "contact_id": handoff.contact_id,
                "occurred_at": at + dt.timedelta(minutes=i),
            },
        )


def test_attempts_after_the_window_do_not_make_a_lead_unresponsive(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    now = timezone.now()
    # Handed over 8 days ago: the 5-day attempts window closed yesterday, without a call.
    Handoff.objects.for_workspace(workspace).filter(pk=handoff.pk).update(
        assigned_at=now - dt.timedelta(days=8),
        first_touch_due_at=now - dt.timedelta(days=8) + dt.timedelta(hours=4),
        attempts_due_at=now - dt.timedelta(days=1),
    )
    log_calls(floor, handoff, now - dt.timedelta(minutes=10))  # a burst today
    assert fresh(handoff).attempts == 3
    with pytest.raises(ValidationFailed, match=r"3 attempts within 5 business days") as exc:
        dispositions.handoff_reject(
            actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="unresponsive"
        )
    assert "0 were logged in that window, and later attempts do not count" in exc.value.message
    assert list(exc.value.fields) == ["reason"]
    assert fresh(handoff).status == HandoffStatus.OPEN
    # Backdated into the window but logged today: still not attempts made in time.
    log_calls(floor, handoff, now - dt.timedelta(days=3))
    with pytest.raises(ValidationFailed, match="0 were logged in that window"):
        dispositions.handoff_reject(
            actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="unresponsive"
        )


def test_attempts_made_and_logged_in_the_window_allow_unresponsive(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    now = timezone.now()
    Handoff.objects.for_workspace(workspace).filter(pk=handoff.pk).update(
        assigned_at=now - dt.timedelta(days=8), attempts_due_at=now - dt.timedelta(days=1)
    )
    log_calls(floor, handoff, now - dt.timedelta(days=4))
    Activity.objects.for_workspace(workspace).update(created_at=now - dt.timedelta(days=4))
    rejected = dispositions.handoff_reject(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="unresponsive"
    )
    assert rejected.status == HandoffStatus.REJECTED
    assert stage(handoff) == "recycled"


def test_within_the_window_the_message_counts_the_attempts_so_far(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    log_calls(floor, handoff, timezone.now(), n=2)
    with pytest.raises(
        ValidationFailed, match=r"3 attempts before a lead is called unresponsive; 2 logged so far"
    ):
        dispositions.handoff_reject(
            actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="unresponsive"
        )


# Finding 15: the permission is checked before the input; the input is not echoed in full ----


def test_a_marketer_is_refused_before_the_reason_is_checked(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    with pytest.raises(PermissionDenied):
        dispositions.handoff_reject(
            actor=floor.actor(floor.marketer), handoff_id=handoff.pk, reason="no-such-code"
        )


def test_an_unknown_reason_is_quoted_back_only_in_part(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    with pytest.raises(ValidationFailed) as exc:
        dispositions.handoff_reject(
            actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="x" * 200_000
        )
    assert f"Unknown reason '{'x' * 60}…'" in exc.value.message
    assert len(exc.value.message) < 500
