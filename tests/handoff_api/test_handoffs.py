"""The handoff API: the list and detail of handed-off leads, and sales' decisions on them —
exact bodies, field-precise 400s, 403 for roles that may not decide, 404 across workspaces,
409 for a lead already decided. Nothing is written by a refused request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.handoff.models import Dispute, Handoff, HandoffStatus, SlaAgreement
from accord.handoff.tests.factories import activate_sla, sales_floor
from tests.api.conftest import Api
from tests.handoff_api.conftest import Floor, client, iso

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(handoff: Handoff) -> Handoff:
    return Handoff.objects.for_workspace(handoff.workspace_id).get(pk=handoff.pk)


def stage(handoff: Handoff) -> str:
    return (
        Contact.objects.for_workspace(handoff.workspace_id)
        .get(pk=handoff.contact_id)
        .lifecycle_stage
    )


def sal_rows(handoff: Handoff) -> int:
    return (
        LedgerEntry.objects.for_workspace(handoff.workspace_id)
        .filter(contact_id=handoff.contact_id, to_stage="sal")
        .count()
    )


@pytest.fixture
def routed(floor: Floor) -> tuple[Floor, Handoff, SlaAgreement]:
    """An active SLA, a rule to the first rep and one lead handed to that rep."""
    agreement = activate_sla(floor.floor)
    floor.route_to_rep()
    handoff = floor.lead("ada@example.org", first_name="Ada", last_name="Lovelace")
    return floor, handoff, agreement


def test_the_detail_shows_routing_clock_and_decision(
    routed: tuple[Floor, Handoff, SlaAgreement],
) -> None:
    floor, handoff, agreement = routed
    rep = floor.floor.sellers[0]
    reply = floor.marketer.get(f"/handoffs/{handoff.pk}")
    assert reply.status == 200
    assert reply.body == {
        "id": handoff.pk,
        "contact": {"id": handoff.contact_id, "email": "ada@example.org", "name": "Ada Lovelace"},
        "owner_id": rep.user_id,
        "owner_name": rep.user.display_name,
        "team_id": floor.floor.team.pk,
        "team_name": "Account Executives",
        "chosen_by": "rule: First rep",
        "routing_rule_id": handoff.routing_rule_id,
        "status": "open",
        "assigned_at": iso(handoff.assigned_at),
        "sla_state": "due",
        "first_touch_due_at": iso(handoff.first_touch_due_at),
        "first_touched_at": None,
        "breached_at": None,
        "paused_at": None,
        "pause_reason": "",
        "attempts": 0,
        "attempts_due_at": iso(handoff.attempts_due_at),
        "escalation_level": 0,
        "decided_at": None,
        "decided_by_id": None,
        "reason": None,
        "comment": "",
        "recycle_until": None,
        "definition_version": "v1",
        "agreement_id": agreement.pk,
        "agreement_version": 1,
        "dispute": None,
    }
    assert handoff.routing_rule_id is not None
    assert handoff.first_touch_due_at is not None


def test_accept_moves_the_lead_to_sal_and_a_second_accept_is_409(
    routed: tuple[Floor, Handoff, SlaAgreement],
) -> None:
    floor, handoff, _ = routed
    reply = floor.rep.post(f"/handoffs/{handoff.pk}/accept", {"comment": "Booked a call"})
    assert reply.status == 200, reply.body
    decided = fresh(handoff)
    assert (reply.body["status"], reply.body["comment"], reply.body["decided_by_id"]) == (
        "accepted",
        "Booked a call",
        floor.floor.sellers[0].user_id,
    )
    assert reply.body["decided_at"] == iso(decided.decided_at)
    assert stage(handoff) == "sal"

    again = floor.sales_manager.post(f"/handoffs/{handoff.pk}/accept", {})
    assert again.status == 409
    assert again.error["code"] == "conflict"
    assert again.error["message"] == (
        f"This lead was already accepted by {floor.floor.sellers[0].user.display_name}; "
        "nothing was changed."
    )
    assert (fresh(handoff).decided_by_id, sal_rows(handoff)) == (
        floor.floor.sellers[0].user_id,
        1,
    )


def test_accept_without_a_body(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    reply = floor.rep.post(f"/handoffs/{handoff.pk}/accept", raw="")
    assert (reply.status, reply.body["status"], reply.body["comment"]) == (200, "accepted", "")


@pytest.mark.parametrize("who", ["marketer", "viewer"])
def test_marketers_and_viewers_get_403_and_nothing_changes(
    routed: tuple[Floor, Handoff, SlaAgreement], member_factory: Any, who: str
) -> None:
    floor, handoff, _ = routed
    caller = floor.marketer if who == "marketer" else client(member_factory("viewer"))
    role = "marketer" if who == "marketer" else "viewer"
    for path, body in (
        ("accept", {}),
        ("reject", {"reason": "not_icp"}),
        ("recycle", {"until": str(timezone.localdate() + dt.timedelta(days=30))}),
        ("claim", None),
    ):
        reply = caller.post(f"/handoffs/{handoff.pk}/{path}", body)
        assert reply.status == 403, (path, reply.body)
        assert reply.error == {
            "code": "permission_denied",
            "message": f"Your role ({role}) does not allow this action (work_handoffs).",
            "fields": {},
        }
    assert (fresh(handoff).status, stage(handoff), sal_rows(handoff)) == ("open", "mql", 0)


def test_another_rep_gets_403(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    reply = floor.rep2.post(f"/handoffs/{handoff.pk}/accept", {})
    assert reply.status == 403
    assert reply.error["message"] == (
        "This lead is assigned to someone else; ask a manager to reassign it."
    )
    assert fresh(handoff).status == "open"


def test_another_workspaces_handoff_is_404(
    routed: tuple[Floor, Handoff, SlaAgreement], other_workspace: Any
) -> None:
    floor, handoff, _ = routed
    other = sales_floor(other_workspace, sellers=1)
    outsider = client(other.sales_manager)
    for reply in (
        outsider.get(f"/handoffs/{handoff.pk}"),
        outsider.post(f"/handoffs/{handoff.pk}/accept", {}),
        outsider.post(f"/handoffs/{handoff.pk}/reject", {"reason": "not_icp"}),
        outsider.post(f"/handoffs/{handoff.pk}/reassign", {"user_id": other.sellers[0].user_id}),
    ):
        assert reply.status == 404, reply.body
        assert reply.error == {
            "code": "not_found",
            "message": f"No handoff with id {handoff.pk} in this workspace.",
            "fields": {},
        }
    assert outsider.get("/handoffs").body == {"results": [], "next_cursor": None}
    assert (fresh(handoff).status, fresh(handoff).owner_id) == (
        "open",
        floor.floor.sellers[0].user_id,
    )


def test_reject_needs_a_known_reason(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    keys = "not_icp, no_budget, bad_data, duplicate, unresponsive, student_competitor, bad_timing"
    missing = floor.rep.post(f"/handoffs/{handoff.pk}/reject", {"comment": "no"})
    assert missing.status == 400
    assert missing.fields == {"reason": ["This field is required."]}
    empty = floor.rep.post(f"/handoffs/{handoff.pk}/reject", {"reason": ""})
    assert empty.status == 400
    assert empty.fields == {"reason": [f"Pick a reason code ({keys})."]}
    unknown = floor.rep.post(f"/handoffs/{handoff.pk}/reject", {"reason": "garbage"})
    assert unknown.status == 400
    assert unknown.fields == {"reason": [f"Unknown reason 'garbage' ({keys})."]}
    assert (fresh(handoff).status, stage(handoff)) == ("open", "mql")

    rejected = floor.rep.post(
        f"/handoffs/{handoff.pk}/reject", {"reason": "not_icp", "comment": "Two-person agency"}
    )
    assert rejected.status == 200
    assert (rejected.body["status"], rejected.body["reason"], rejected.body["comment"]) == (
        "rejected",
        {"key": "not_icp", "label": "Not our ideal customer profile"},
        "Two-person agency",
    )
    assert stage(handoff) == "disqualified"


def test_unresponsive_needs_the_agreed_attempts(
    routed: tuple[Floor, Handoff, SlaAgreement],
) -> None:
    floor, handoff, _ = routed
    reply = floor.rep.post(f"/handoffs/{handoff.pk}/reject", {"reason": "unresponsive"})
    assert reply.status == 400
    assert reply.fields == {
        "reason": [
            "The SLA asks for 3 attempts before a lead is called unresponsive; 0 logged so far."
        ]
    }
    assert fresh(handoff).status == "open"


def test_recycle_until_a_future_date(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    today = timezone.localdate()
    past = floor.rep.post(f"/handoffs/{handoff.pk}/recycle", {"until": str(today)})
    assert past.status == 400
    assert past.fields == {"until": ["Pick a re-engagement date in the future."]}
    bad = floor.rep.post(f"/handoffs/{handoff.pk}/recycle", {"until": "next spring"})
    assert bad.status == 400
    assert list(bad.fields) == ["until"]
    assert fresh(handoff).status == "open"
    until = today + dt.timedelta(days=90)
    reply = floor.rep.post(
        f"/handoffs/{handoff.pk}/recycle", {"until": str(until), "comment": "Budget in Q3"}
    )
    assert reply.status == 200
    assert (reply.body["status"], reply.body["recycle_until"], reply.body["comment"]) == (
        "recycled",
        str(until),
        "Budget in Q3",
    )
    assert stage(handoff) == "recycled"


def test_reassign_is_for_managers(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    second = floor.floor.sellers[1]
    refused = floor.rep.post(f"/handoffs/{handoff.pk}/reassign", {"user_id": second.user_id})
    assert refused.status == 403
    assert refused.error["message"] == (
        "Your role (sales_rep) does not allow this action (manage_routing)."
    )
    stranger = floor.sales_manager.post(f"/handoffs/{handoff.pk}/reassign", {"user_id": 999999})
    assert stranger.status == 400
    assert stranger.fields == {"user_id": ["User 999999 is not a member of this workspace."]}
    assert fresh(handoff).owner_id == floor.floor.sellers[0].user_id

    reply = floor.sales_manager.post(
        f"/handoffs/{handoff.pk}/reassign", {"user_id": second.user_id}
    )
    assert reply.status == 200
    manager = floor.floor.sales_manager.user.display_name
    assert (reply.body["owner_id"], reply.body["owner_name"], reply.body["chosen_by"]) == (
        second.user_id,
        second.user.display_name,
        f"reassigned by {manager} via api",
    )
    contact = Contact.objects.for_workspace(floor.workspace).get(pk=handoff.contact_id)
    assert contact.owner_id == second.user_id


def test_pause_and_resume_the_clock(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    no_reason = floor.rep.post(f"/handoffs/{handoff.pk}/pause", {"reason": "  "})
    assert no_reason.status == 400
    assert no_reason.fields == {"reason": ["Say why the clock stops (e.g. out of office)."]}
    not_paused = floor.rep.post(f"/handoffs/{handoff.pk}/resume")
    assert (not_paused.status, not_paused.error["message"]) == (409, "The clock is not paused.")

    paused = floor.rep.post(f"/handoffs/{handoff.pk}/pause", {"reason": "Out of office"})
    assert paused.status == 200
    assert (paused.body["sla_state"], paused.body["pause_reason"]) == ("paused", "Out of office")
    assert paused.body["paused_at"] == iso(fresh(handoff).paused_at)
    resumed = floor.rep.post(f"/handoffs/{handoff.pk}/resume")
    assert resumed.status == 200
    assert (resumed.body["sla_state"], resumed.body["paused_at"]) == ("due", None)
    assert resumed.body["first_touch_due_at"] == iso(fresh(handoff).first_touch_due_at)


def test_claim_from_the_fallback_queue(floor: Floor) -> None:
    handoff = floor.lead("queue@example.org")
    assert handoff.owner_id is None
    early = floor.rep.post(f"/handoffs/{handoff.pk}/accept", {})
    assert (early.status, early.error["message"]) == (
        409,
        "This lead is in the fallback queue: claim it first.",
    )
    claimed = floor.rep.post(f"/handoffs/{handoff.pk}/claim")
    assert claimed.status == 200
    rep = floor.floor.sellers[0]
    assert (claimed.body["owner_id"], claimed.body["chosen_by"], claimed.body["sla_state"]) == (
        rep.user_id,
        "claimed from the fallback queue",
        "untimed",
    )
    late = floor.rep2.post(f"/handoffs/{handoff.pk}/claim")
    assert late.status == 409
    assert late.error["message"] == (
        f"{rep.user.display_name} already has this lead; nothing was changed."
    )
    assert fresh(handoff).owner_id == rep.user_id


def test_dispute_once_and_resolve(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    early = floor.marketer.post(f"/handoffs/{handoff.pk}/dispute", {"comment": "Why?"})
    assert (early.status, early.error["message"]) == (409, "Only a rejected lead can be disputed.")
    floor.rep.post(f"/handoffs/{handoff.pk}/reject", {"reason": "no_budget"})
    blank = floor.marketer.post(f"/handoffs/{handoff.pk}/dispute", {"comment": " "})
    assert blank.status == 400
    assert blank.fields == {"comment": ["Add a comment marketing can learn from."]}
    assert Dispute.objects.for_workspace(floor.workspace).count() == 0

    disputed = floor.marketer.post(
        f"/handoffs/{handoff.pk}/dispute", {"comment": "They asked for pricing twice."}
    )
    assert disputed.status == 200
    dispute = Dispute.objects.for_workspace(floor.workspace).get()
    assert disputed.body["dispute"] == {
        "id": dispute.pk,
        "raised_by_id": floor.floor.marketer.user_id,
        "comment": "They asked for pricing twice.",
        "outcome": "pending",
        "resolved_by_id": None,
        "resolved_at": None,
        "resolution": "",
        "created_at": iso(dispute.created_at),
    }
    twice = floor.marketer.post(f"/handoffs/{handoff.pk}/dispute", {"comment": "Again"})
    assert (twice.status, twice.error["message"]) == (
        409,
        "This rejection has already been disputed once.",
    )

    bad_outcome = floor.sales_manager.post(
        f"/handoffs/{handoff.pk}/dispute/resolve", {"outcome": "maybe", "resolution": "x"}
    )
    assert bad_outcome.status == 400
    assert list(bad_outcome.fields) == ["outcome"]
    by_rep = floor.rep.post(
        f"/handoffs/{handoff.pk}/dispute/resolve", {"outcome": "upheld", "resolution": "x"}
    )
    assert by_rep.status == 403
    resolved = floor.sales_manager.post(
        f"/handoffs/{handoff.pk}/dispute/resolve",
        {"outcome": "overturned", "resolution": "Pricing requests are buying signals."},
    )
    assert resolved.status == 200
    dispute.refresh_from_db()
    assert resolved.body["dispute"] | {"resolved_at": None} == {
        "id": dispute.pk,
        "raised_by_id": floor.floor.marketer.user_id,
        "comment": "They asked for pricing twice.",
        "outcome": "overturned",
        "resolved_by_id": floor.floor.sales_manager.user_id,
        "resolved_at": None,
        "resolution": "Pricing requests are buying signals.",
        "created_at": iso(dispute.created_at),
    }
    assert resolved.body["dispute"]["resolved_at"] == iso(dispute.resolved_at)
    assert stage(handoff) == "mql"
    reopened = Handoff.objects.for_workspace(floor.workspace).filter(
        contact_id=handoff.contact_id, status=HandoffStatus.OPEN
    )
    assert reopened.count() == 1


def test_unknown_fields_are_400(routed: tuple[Floor, Handoff, SlaAgreement]) -> None:
    floor, handoff, _ = routed
    reply = floor.rep.post(f"/handoffs/{handoff.pk}/accept", {"coment": "typo"})
    assert reply.status == 400
    assert reply.fields == {"coment": ["Unknown field."]}
    assert fresh(handoff).status == "open"


# The list ----------------------------------------------------------------------------------


def test_list_filters(floor: Floor) -> None:
    activate_sla(floor.floor)
    queued = floor.lead("queue@example.org")
    floor.route_to_rep()
    mine = floor.lead("mine@example.org")
    decided = floor.lead("decided@example.org")
    assert floor.rep.post(f"/handoffs/{decided.pk}/accept", {}).status == 200

    def ids(caller: Api, **params: Any) -> list[int]:
        reply = caller.get("/handoffs", **params)
        assert reply.status == 200, reply.body
        return [row["id"] for row in reply.body["results"]]

    assert ids(floor.marketer) == [decided.pk, mine.pk, queued.pk]
    assert ids(floor.marketer, ordering="assigned_at") == [queued.pk, mine.pk, decided.pk]
    assert ids(floor.rep, owner="me") == [decided.pk, mine.pk]
    assert ids(floor.rep2, owner="me") == []
    assert ids(floor.marketer, owner="queue") == [queued.pk]
    assert ids(floor.marketer, owner=str(floor.floor.sellers[0].user_id)) == [decided.pk, mine.pk]
    assert ids(floor.marketer, status="open") == [mine.pk, queued.pk]
    assert ids(floor.marketer, status="open", owner="me") == []
    assert floor.rep.post(f"/handoffs/{mine.pk}/pause", {"reason": "Away"}).status == 200
    assert ids(floor.marketer, sla_state="paused") == [mine.pk]
    # Accepted before its deadline: the decision answered the lead, so its clock is met.
    assert ids(floor.marketer, sla_state="due") == [queued.pk]
    assert ids(floor.marketer, sla_state="met") == [decided.pk]
    assert ids(floor.marketer, sla_state="untimed") == []
    assert ids(floor.marketer, assigned_after=iso(mine.assigned_at)) == [decided.pk, mine.pk]
    assert ids(floor.marketer, assigned_before=iso(mine.assigned_at)) == [queued.pk]

    bad_owner = floor.marketer.get("/handoffs", owner="someone")
    assert bad_owner.status == 400
    assert bad_owner.fields == {"owner": ["Use 'me', 'queue' or a user id."]}
    bad_status = floor.marketer.get("/handoffs", status="lost")
    assert bad_status.status == 400
    assert list(bad_status.fields) == ["status"]


def test_list_pages_with_a_cursor_in_a_fixed_number_of_queries(floor: Floor) -> None:
    activate_sla(floor.floor)
    floor.route_to_rep()
    handoffs = [floor.lead(f"l{i}@example.org") for i in range(5)]
    floor.rep.post(f"/handoffs/{handoffs[0].pk}/reject", {"reason": "not_icp"})
    floor.marketer.post(f"/handoffs/{handoffs[0].pk}/dispute", {"comment": "Why?"})
    rows = floor.marketer.all_pages("/handoffs", limit=2)
    assert [r["id"] for r in rows] == [h.pk for h in reversed(handoffs)]
    assert rows[-1]["dispute"]["comment"] == "Why?"

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            reply = floor.marketer.get("/handoffs", limit=limit)
        assert len(reply.body["results"]) == limit
        return len(captured)

    # The token with its membership, one joined query for the page and one for its disputes;
    # the deciders and reasons of decided handoffs in one query each (none when all are open;
    # a page reads one row more than its limit to know whether another page follows).
    assert queries(1) == queries(3) == 4
    assert queries(4) == queries(5) == 6
