"""SLA agreements over the API: drafts, field-precise errors that write nothing, two-sided
approval, activation, the active version and rollback."""

from __future__ import annotations

from typing import Any

import pytest

from accord.handoff.agreements import DEFAULT_SLA
from accord.handoff.models import SlaAgreement, SlaApproval
from accord.handoff.tests.factories import ALWAYS_OPEN, sla_document
from tests.handoff_api.conftest import Floor, client, iso

pytestmark = pytest.mark.django_db(transaction=True)

INVALID = "The SLA agreement is not valid; nothing was saved."


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """The document as stored: defaults filled in, times as text."""
    from accord.handoff.agreements import validated_sla

    return validated_sla(document)


def proposed(floor: Floor) -> int:
    created = floor.sales_manager.post("/sla-agreements", {"document": sla_document()})
    assert created.status == 201, created.body
    reply = floor.sales_manager.post(f"/sla-agreements/{created.body['id']}/propose")
    assert (reply.status, reply.body["status"]) == (200, "proposed")
    return int(created.body["id"])


def test_create_get_patch_round_trip(floor: Floor) -> None:
    created = floor.sales_manager.post(
        "/sla-agreements", {"document": sla_document(), "comment": "first"}
    )
    assert created.status == 201
    agreement = SlaAgreement.objects.for_workspace(floor.workspace).get()
    assert created.body == {
        "id": agreement.pk,
        "version": 1,
        "status": "draft",
        "schema_version": 1,
        "document": normalised(sla_document()),
        "author_id": floor.floor.sales_manager.user_id,
        "comment": "first",
        "based_on_id": None,
        "created_at": iso(agreement.created_at),
        "proposed_at": None,
        "activated_at": None,
        "retired_at": None,
        "approvals": [],
    }
    faster = sla_document(sales={"first_touch_hours": 2})
    patched = floor.sales_manager.patch(f"/sla-agreements/{agreement.pk}", {"document": faster})
    assert patched.status == 200
    assert patched.body["document"]["sales"]["first_touch_hours"] == 2.0
    got = floor.marketer.get(f"/sla-agreements/{agreement.pk}")
    assert (got.status, got.body["document"]) == (200, normalised(faster))
    listed = floor.marketer.get("/sla-agreements")
    assert [row["version"] for row in listed.body["results"]] == [1]
    assert listed.body["next_cursor"] is None


def test_without_a_document_the_draft_starts_from_the_default(floor: Floor) -> None:
    created = floor.sales_manager.post("/sla-agreements", {})
    assert created.status == 201
    assert created.body["document"] == normalised(DEFAULT_SLA)


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        (
            sla_document(sales={"first_touch_hours": 0}),
            {"document.sales.first_touch_hours": ["Input should be greater than 0"]},
        ),
        (
            sla_document(sales={"first_touch_hours": -4}),
            {"document.sales.first_touch_hours": ["Input should be greater than 0"]},
        ),
        (
            sla_document(calendars={"default": {"timezone": "Mars/Olympus"}}),
            {
                "document.calendars.default.timezone": [
                    "unknown time zone 'Mars/Olympus' (use e.g. Europe/Berlin)"
                ]
            },
        ),
        (
            sla_document(calendars={"default": {"timezone": "UTC", "hours": {}}}),
            {"document.calendars.default": ["the calendar has no open hours"]},
        ),
        (
            sla_document(
                calendars={"default": {**ALWAYS_OPEN, "holidays": ["2026-12-25", "2026-12-25"]}}
            ),
            {"document.calendars.default.holidays": ["2026-12-25 is listed twice"]},
        ),
    ],
    ids=["zero_hours", "negative_hours", "unknown_zone", "no_working_time", "duplicate_holiday"],
)
def test_a_bad_document_is_a_field_error_and_writes_nothing(
    floor: Floor, document: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    reply = floor.sales_manager.post("/sla-agreements", {"document": document})
    assert reply.status == 400
    assert reply.error == {"code": "validation_error", "message": INVALID, "fields": fields}
    assert SlaAgreement.objects.for_workspace(floor.workspace).count() == 0

    draft = floor.sales_manager.post("/sla-agreements", {"document": sla_document()}).body
    patched = floor.sales_manager.patch(f"/sla-agreements/{draft['id']}", {"document": document})
    assert (patched.status, patched.fields) == (400, fields)
    stored = SlaAgreement.objects.for_workspace(floor.workspace).get()
    assert stored.document == normalised(sla_document())


def test_the_document_must_be_an_object(floor: Floor) -> None:
    reply = floor.sales_manager.post("/sla-agreements", {"document": [1, 2]})
    assert (reply.status, list(reply.fields)) == (400, ["document"])
    assert SlaAgreement.objects.for_workspace(floor.workspace).count() == 0


def test_two_sided_approval_then_activation(floor: Floor) -> None:
    missing = floor.marketer.get("/sla-agreements/active")
    assert (missing.status, missing.error["code"]) == (404, "not_found")
    agreement_id = proposed(floor)
    frozen = floor.sales_manager.patch(f"/sla-agreements/{agreement_id}", {"comment": "changed"})
    assert frozen.status == 409
    assert frozen.error["message"] == (
        "Version v1 is proposed and can no longer be edited; create a new draft instead."
    )

    first = floor.marketing_manager.post(f"/sla-agreements/{agreement_id}/approve")
    assert (first.status, first.body["status"]) == (200, "proposed")
    assert [(a["team_kind"], a["user_id"]) for a in first.body["approvals"]] == [
        ("marketing", floor.floor.marketing_manager.user_id)
    ]
    early = floor.sales_manager.post(f"/sla-agreements/{agreement_id}/activate")
    assert early.status == 409
    assert early.error["message"] == (
        "v1 needs a marketing and a sales manager's approval before it can become active "
        "(missing approval: sales)."
    )
    second = floor.sales_manager.post(f"/sla-agreements/{agreement_id}/approve")
    assert (second.status, second.body["status"]) == (200, "approved")
    assert [a["team_kind"] for a in second.body["approvals"]] == ["marketing", "sales"]
    active = floor.sales_manager.post(f"/sla-agreements/{agreement_id}/activate")
    assert (active.status, active.body["status"]) == (200, "active")
    current = floor.rep.get("/sla-agreements/active")
    assert (current.status, current.body["id"], current.body["version"]) == (200, agreement_id, 1)
    assert len(current.body["approvals"]) == 2

    rollback = floor.sales_manager.post(
        f"/sla-agreements/{agreement_id}/rollback", {"comment": "back"}
    )
    assert rollback.status == 201
    assert (
        rollback.body["version"],
        rollback.body["status"],
        rollback.body["based_on_id"],
        rollback.body["comment"],
    ) == (2, "proposed", agreement_id, "back")


@pytest.mark.parametrize("role", ["marketer", "sales_rep", "viewer"])
def test_only_managers_and_admins_edit(floor: Floor, member_factory: Any, role: str) -> None:
    caller = client(member_factory(role))
    reply = caller.post("/sla-agreements", {"document": sla_document()})
    assert reply.status == 403
    assert reply.error["message"] == (
        f"Your role ({role}) does not allow this action (edit_agreements)."
    )
    assert SlaAgreement.objects.for_workspace(floor.workspace).count() == 0


def test_approval_is_for_the_two_sides_managers(floor: Floor) -> None:
    agreement_id = proposed(floor)
    for caller in (floor.rep, floor.marketer, floor.admin):
        reply = caller.post(f"/sla-agreements/{agreement_id}/approve")
        assert reply.status == 403
        assert reply.error["message"] == (
            "Only a manager of this workspace's marketing team or sales team can approve an "
            "SLA agreement."
        )
    assert SlaApproval.objects.for_workspace(floor.workspace).count() == 0


def test_another_workspaces_agreement_is_404(floor: Floor, other_api: Any) -> None:
    agreement_id = proposed(floor)
    for reply in (
        other_api.get(f"/sla-agreements/{agreement_id}"),
        other_api.patch(f"/sla-agreements/{agreement_id}", {"comment": "x"}),
        other_api.post(f"/sla-agreements/{agreement_id}/activate"),
    ):
        assert reply.status == 404
        assert reply.error["message"] == (
            f"No SLA agreement with id {agreement_id} in this workspace."
        )
    assert other_api.get("/sla-agreements").body == {"results": [], "next_cursor": None}
