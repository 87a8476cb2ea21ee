"""A member leaves: their open leads return to the fallback queue with an alert to the sales
managers, their decided leads keep their history, the rotation no longer picks them, and the
sweep requeues what a lost event left behind."""

from __future__ import annotations

import pytest

from accord.core.errors import Conflict, PermissionDenied
from accord.handoff import routing_settings
from accord.handoff.departures import requeue_leads_of_former_members
from accord.handoff.dispositions import handoff_accept, handoff_claim
from accord.handoff.models import Escalation, EscalationKind, Handoff, HandoffStatus
from accord.handoff.sweep import sweep_all
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor
from accord.identity import members
from accord.identity.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


def handoffs(workspace):  # type: ignore[no-untyped-def]
    return Handoff.objects.for_workspace(workspace)


def rotate_to_the_team(floor) -> None:  # type: ignore[no-untyped-def]
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )


def test_a_removed_sellers_open_leads_go_back_to_the_queue(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    rotate_to_the_team(floor)
    leaving = floor.sellers[0]
    open_ones = [make_mql(floor, f"buyer{i}@example.org") for i in range(3)]
    assert set(handoffs(workspace).values_list("owner_id", flat=True)) == {leaving.user_id}
    decided = handoffs(workspace).get(contact=open_ones[2])
    handoff_accept(actor=floor.actor(leaving), handoff_id=decided.pk)

    members.member_remove(actor=floor.actor(floor.admin), membership_id=leaving.pk)

    requeued = handoffs(workspace).filter(status=HandoffStatus.OPEN)
    assert requeued.count() == 2
    assert all(h.owner_id is None for h in requeued)
    name = leaving.user.display_name
    assert {h.chosen_by for h in requeued} == {f"fallback: {name} left the workspace"}
    decided.refresh_from_db()
    assert decided.owner_id == leaving.user_id and decided.status == HandoffStatus.ACCEPTED
    alerts = Escalation.objects.for_workspace(workspace).filter(kind=EscalationKind.UNASSIGNED)
    assert {a.recipient_id for a in alerts} == {floor.sales_manager.user_id}
    assert all(f"{name} left the workspace" in a.message for a in alerts)
    # With nobody left in the rotation, the next MQL waits in the queue; a manager claims one.
    make_mql(floor, "later@example.org")
    assert handoffs(workspace).get(contact__email="later@example.org").owner_id is None
    claimed = handoff_claim(actor=floor.actor(floor.sales_manager), handoff_id=requeued[0].pk)
    assert claimed.owner_id == floor.sales_manager.user_id
    assert requeue_leads_of_former_members(workspace.pk) == 0  # idempotent


def test_the_sweep_requeues_leads_a_lost_event_left_behind(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    rotate_to_the_team(floor)
    make_mql(floor, "a@example.org")
    owner_id = handoffs(workspace).get().owner_id
    # The membership disappears without the service (as if the event were lost).
    Membership.objects.for_workspace(workspace).filter(user_id=owner_id).delete()
    assert sweep_all()["requeued"] == 1
    assert handoffs(workspace).get().owner_id is None
    assert sweep_all()["requeued"] == 0


def test_only_an_admin_removes_and_never_the_last_admin(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    with pytest.raises(PermissionDenied):
        members.member_remove(
            actor=floor.actor(floor.sales_manager), membership_id=floor.sellers[0].pk
        )
    with pytest.raises(Conflict, match="only admin"):
        members.member_remove(actor=floor.actor(floor.admin), membership_id=floor.admin.pk)
    with pytest.raises(Conflict, match="only admin"):
        members.member_change(
            actor=floor.actor(floor.admin),
            membership_id=floor.admin.pk,
            role="manager",
            team_id=None,
        )
    assert Membership.objects.for_workspace(workspace).count() == 5
