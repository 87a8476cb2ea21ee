"""The handoff API's guards: leads and rules only for people who can work them (400 naming the
field), marketing's manager neither decides sales' leads nor resolves its own dispute (403),
the role is checked before the input, an unknown reason is not echoed back in full, and a
decision ends the first-touch clock."""

from __future__ import annotations

import pytest

from accord.handoff.models import Dispute, Handoff, HandoffStatus, RoutingRule
from tests.handoff_api.conftest import Floor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lead(floor: Floor) -> Handoff:
    from accord.handoff.tests.factories import activate_sla

    activate_sla(floor.floor)
    floor.route_to_rep()
    return floor.lead("george@example.org")


def fresh(handoff: Handoff) -> Handoff:
    return Handoff.objects.for_workspace(handoff.workspace_id).get(pk=handoff.pk)


def test_reassign_to_a_marketer_is_a_400_naming_the_field(floor: Floor, lead: Handoff) -> None:
    marketer = floor.floor.marketer.user_id
    reply = floor.sales_manager.post(f"/handoffs/{lead.pk}/reassign", {"user_id": marketer})
    assert reply.status == 400
    assert reply.fields == {
        "user_id": [
            f"User {marketer} cannot work leads: only active sales reps, SDRs, managers and "
            "admins on a sales team can."
        ]
    }
    assert fresh(lead).owner_id == floor.floor.sellers[0].user_id


def test_a_rule_naming_a_marketer_is_a_400(floor: Floor) -> None:
    marketer = floor.floor.marketer.user_id
    reply = floor.sales_manager.post(
        "/routing-rules", {"name": "To a marketer", "conditions": [], "user_id": marketer}
    )
    assert reply.status == 400
    assert list(reply.fields) == ["user_id"]
    assert not RoutingRule.objects.for_workspace(floor.workspace).exists()


def test_the_marketing_manager_gets_403_on_sales_leads_and_its_own_dispute(
    floor: Floor, lead: Handoff
) -> None:
    refused = floor.marketing_manager.post(f"/handoffs/{lead.pk}/accept", {})
    assert refused.status == 403
    assert fresh(lead).status == HandoffStatus.OPEN
    assert floor.rep.post(f"/handoffs/{lead.pk}/reject", {"reason": "not_icp"}).status == 200
    disputed = floor.marketer.post(f"/handoffs/{lead.pk}/dispute", {"comment": "5 email opens"})
    assert disputed.status == 200
    reply = floor.marketing_manager.post(
        f"/handoffs/{lead.pk}/dispute/resolve",
        {"outcome": "overturned", "resolution": "Marketing overrules sales"},
    )
    assert reply.status == 403
    assert reply.error["message"] == (
        "A sales manager (or an admin) resolves a dispute: marketing does not rule on its own "
        "dispute."
    )
    assert Dispute.objects.for_workspace(floor.workspace).get().outcome == "pending"
    assert Handoff.objects.for_workspace(floor.workspace).count() == 1


def test_a_marketer_with_an_unknown_reason_gets_403_not_400(floor: Floor, lead: Handoff) -> None:
    reply = floor.marketer.post(f"/handoffs/{lead.pk}/reject", {"reason": "garbage"})
    assert reply.status == 403


def test_a_huge_unknown_reason_is_not_echoed_back(floor: Floor, lead: Handoff) -> None:
    reply = floor.rep.post(f"/handoffs/{lead.pk}/reject", {"reason": "x" * 200_000})
    assert reply.status == 400
    (message,) = reply.fields["reason"]
    assert message.startswith(f"Unknown reason '{'x' * 60}…' (")
    assert len(message) < 300


def test_an_accepted_lead_is_no_running_clock(floor: Floor, lead: Handoff) -> None:
    reply = floor.rep.post(f"/handoffs/{lead.pk}/accept", {})
    assert (reply.status, reply.body["status"], reply.body["sla_state"]) == (
        200,
        "accepted",
        "met",
    )
