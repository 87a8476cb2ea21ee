"""Sales' decisions on handed-off leads, and marketing's one dispute of a rejection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services.activities import activity_create
from accord.handoff import dispositions, routing_settings
from accord.handoff.models import Dispute, DisputeOutcome, Handoff, HandoffStatus
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor

pytestmark = pytest.mark.django_db(transaction=True)


def floor_with_lead(workspace, email="lead@example.org"):  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "First rep", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    contact = make_mql(floor, email)
    return floor, Handoff.objects.for_workspace(workspace).get(contact=contact)


def stage(contact_id: int, workspace) -> str:  # type: ignore[no-untyped-def]
    return Contact.objects.for_workspace(workspace).get(pk=contact_id).lifecycle_stage


def test_accept_moves_the_lead_to_sal_once(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    owner = floor.actor(floor.sellers[0])
    accepted = dispositions.handoff_accept(actor=owner, handoff_id=handoff.pk)
    assert (accepted.status, accepted.decided_by) == (HandoffStatus.ACCEPTED, owner.user)
    assert stage(handoff.contact_id, workspace) == "sal"
    last = LedgerEntry.objects.for_workspace(workspace).filter(contact_id=handoff.contact_id)
    assert last.latest("id").reason == "accepted by sales"
    with pytest.raises(Conflict, match="already accepted"):
        dispositions.handoff_accept(actor=owner, handoff_id=handoff.pk)
    assert last.filter(to_stage="sal").count() == 1


def test_another_rep_may_not_decide_someone_elses_lead(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    with pytest.raises(PermissionDenied, match="assigned to someone else"):
        dispositions.handoff_accept(actor=floor.actor(floor.sellers[1]), handoff_id=handoff.pk)
    manager = floor.actor(floor.sales_manager)
    assert dispositions.handoff_accept(actor=manager, handoff_id=handoff.pk).status == "accepted"


def test_marketers_and_viewers_cannot_decide(workspace, member_factory) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    for actor in (floor.actor(floor.marketer), floor.actor(member_factory("viewer"))):
        with pytest.raises(PermissionDenied):
            dispositions.handoff_accept(actor=actor, handoff_id=handoff.pk)
    assert Handoff.objects.for_workspace(workspace).get(pk=handoff.pk).status == "open"


def test_reject_needs_a_known_reason(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    owner = floor.actor(floor.sellers[0])
    with pytest.raises(ValidationFailed, match="Pick a reason code") as exc:
        dispositions.handoff_reject(actor=owner, handoff_id=handoff.pk, reason="")
    assert list(exc.value.fields) == ["reason"]
    with pytest.raises(ValidationFailed, match="Unknown reason 'garbage'"):
        dispositions.handoff_reject(actor=owner, handoff_id=handoff.pk, reason="garbage")
    assert Handoff.objects.for_workspace(workspace).get(pk=handoff.pk).status == "open"
    rejected = dispositions.handoff_reject(
        actor=owner, handoff_id=handoff.pk, reason="not_icp", comment="Two-person agency"
    )
    assert (rejected.status, rejected.reason.key, rejected.comment) == (
        HandoffStatus.REJECTED,
        "not_icp",
        "Two-person agency",
    )
    assert stage(handoff.contact_id, workspace) == "disqualified"


def test_unresponsive_needs_the_agreed_attempts(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    owner = floor.actor(floor.sellers[0])
    with pytest.raises(ValidationFailed, match=r"3 attempts .* 0 logged"):
        dispositions.handoff_reject(actor=owner, handoff_id=handoff.pk, reason="unresponsive")
    for hour in range(3):
        activity_create(
            actor=owner,
            values={
                "kind": "call",
                "contact_id": handoff.contact_id,
                "occurred_at": timezone.now() + dt.timedelta(hours=hour),
            },
        )
    rejected = dispositions.handoff_reject(
        actor=owner, handoff_id=handoff.pk, reason="unresponsive"
    )
    assert stage(rejected.contact_id, workspace) == "recycled"


def test_recycle_to_nurture_until_a_date(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    owner = floor.actor(floor.sellers[0])
    with pytest.raises(ValidationFailed, match="future"):
        dispositions.handoff_recycle(actor=owner, handoff_id=handoff.pk, until=timezone.localdate())
    until = timezone.localdate() + dt.timedelta(days=90)
    recycled = dispositions.handoff_recycle(actor=owner, handoff_id=handoff.pk, until=until)
    assert (recycled.status, recycled.recycle_until) == (HandoffStatus.RECYCLED, until)
    assert stage(handoff.contact_id, workspace) == "recycled"
    from accord.handoff.sweep import reengage_due

    assert reengage_due(until - dt.timedelta(days=1)) == 0
    assert reengage_due(until) == 1
    assert stage(handoff.contact_id, workspace) == "lead"


def test_claim_from_the_fallback_queue_is_exactly_once(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    contact = make_mql(floor, "queue@example.org")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert handoff.owner_id is None
    first, second = (floor.actor(s) for s in floor.sellers)
    with pytest.raises(Conflict, match="claim it first"):
        dispositions.handoff_accept(actor=first, handoff_id=handoff.pk)
    dispositions.handoff_claim(actor=first, handoff_id=handoff.pk)
    with pytest.raises(Conflict, match="already has this lead"):
        dispositions.handoff_claim(actor=second, handoff_id=handoff.pk)
    assert Contact.objects.for_workspace(workspace).get(pk=contact.pk).owner_id == first.user.pk


def test_marketing_disputes_a_rejection_once_and_the_manager_resolves(workspace) -> None:  # type: ignore[no-untyped-def]
    floor, handoff = floor_with_lead(workspace)
    marketer = floor.actor(floor.marketer)
    with pytest.raises(Conflict, match="Only a rejected lead"):
        dispositions.handoff_dispute(actor=marketer, handoff_id=handoff.pk, comment="Why?")
    dispositions.handoff_reject(
        actor=floor.actor(floor.sellers[0]), handoff_id=handoff.pk, reason="no_budget"
    )
    with pytest.raises(ValidationFailed):
        dispositions.handoff_dispute(actor=marketer, handoff_id=handoff.pk, comment=" ")
    dispositions.handoff_dispute(
        actor=marketer, handoff_id=handoff.pk, comment="They asked for pricing twice."
    )
    with pytest.raises(Conflict, match="already been disputed once"):
        dispositions.handoff_dispute(actor=marketer, handoff_id=handoff.pk, comment="Again")
    with pytest.raises(PermissionDenied):
        dispositions.dispute_resolve(
            actor=floor.actor(floor.sellers[0]),
            handoff_id=handoff.pk,
            outcome="overturned",
            resolution="x",
        )
    dispute = dispositions.dispute_resolve(
        actor=floor.actor(floor.sales_manager),
        handoff_id=handoff.pk,
        outcome="overturned",
        resolution="Pricing requests are buying signals; work it.",
    )
    assert dispute.outcome == DisputeOutcome.OVERTURNED
    # Overturned: the lead is an MQL again and handed over anew.
    assert stage(handoff.contact_id, workspace) == "mql"
    again = Handoff.objects.for_workspace(workspace).filter(
        contact_id=handoff.contact_id, status=HandoffStatus.OPEN
    )
    assert again.count() == 1
    with pytest.raises(Conflict, match="already resolved"):
        dispositions.dispute_resolve(
            actor=floor.actor(floor.sales_manager),
            handoff_id=handoff.pk,
            outcome="upheld",
            resolution="x",
        )
    assert Dispute.objects.for_workspace(workspace).count() == 1
