"""Routing settings over the API: ordered rules, sellers with their share, capacity, load and
absences, and the rejection reason codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accord.handoff.models import OutOfOffice, RejectionReason, RoutingRule, SellerSettings
from tests.handoff_api.conftest import Floor, client, iso

pytestmark = pytest.mark.django_db(transaction=True)


def rules(floor: Floor) -> list[tuple[str, int]]:
    return list(
        RoutingRule.objects.for_workspace(floor.workspace)
        .order_by("position")
        .values_list("name", "position")
    )


def test_rules_round_trip(floor: Floor) -> None:
    team = floor.floor.team
    rep = floor.floor.sellers[0]
    created = floor.sales_manager.post(
        "/routing-rules",
        {
            "name": "DACH",
            "conditions": [{"attribute": "country", "operator": "in", "value": ["DE", "AT"]}],
            "team_id": team.pk,
        },
    )
    assert created.status == 201, created.body
    rule = RoutingRule.objects.for_workspace(floor.workspace).get()
    assert created.body == {
        "id": rule.pk,
        "position": 0,
        "name": "DACH",
        "conditions": [{"attribute": "country", "operator": "in", "value": ["DE", "AT"]}],
        "team_id": team.pk,
        "team_name": "Account Executives",
        "user_id": None,
        "user_name": None,
        "is_active": True,
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }
    # No conditions match every lead, and conditions no lead meets are allowed too.
    everyone = floor.sales_manager.post(
        "/routing-rules", {"name": "Everyone else", "user_id": rep.user_id}
    )
    assert (everyone.status, everyone.body["conditions"], everyone.body["position"]) == (
        201,
        [],
        1,
    )
    nobody = floor.sales_manager.post(
        "/routing-rules",
        {
            "name": "Atlantis",
            "conditions": [{"attribute": "country", "operator": "equals", "value": "Atlantis"}],
            "user_id": rep.user_id,
            "is_active": False,
        },
    )
    assert (nobody.status, nobody.body["is_active"], nobody.body["user_name"]) == (
        201,
        False,
        rep.user.display_name,
    )

    patched = floor.sales_manager.patch(
        f"/routing-rules/{rule.pk}", {"name": "DACH enterprise", "user_id": rep.user_id}
    )
    assert patched.status == 200
    assert (patched.body["name"], patched.body["team_id"], patched.body["user_id"]) == (
        "DACH enterprise",
        None,
        rep.user_id,
    )
    listed = floor.marketer.get("/routing-rules")
    assert [r["name"] for r in listed.body["results"]] == [
        "DACH enterprise",
        "Everyone else",
        "Atlantis",
    ]
    deleted = floor.sales_manager.delete(f"/routing-rules/{everyone.body['id']}")
    assert (deleted.status, deleted.body) == (204, None)
    assert rules(floor) == [("DACH enterprise", 0), ("Atlantis", 2)]


def test_reorder_rules(floor: Floor) -> None:
    rep = floor.floor.sellers[0]
    ids = [
        floor.sales_manager.post("/routing-rules", {"name": name, "user_id": rep.user_id}).body[
            "id"
        ]
        for name in ("A", "B", "C")
    ]
    order = [ids[2], ids[0], ids[1]]
    reordered = floor.sales_manager.post("/routing-rules/reorder", {"rule_ids": order})
    assert reordered.status == 200
    assert [(r["id"], r["position"]) for r in reordered.body["results"]] == [
        (order[0], 0),
        (order[1], 1),
        (order[2], 2),
    ]
    assert rules(floor) == [("C", 0), ("A", 1), ("B", 2)]


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        (
            {"name": "X", "conditions": [{"attribute": "country", "operator": "like"}]},
            {
                "conditions.0.operator": [
                    "'like' is not one of equals, in, contains, range, is_empty."
                ]
            },
        ),
        (
            {"name": "X", "conditions": [{"attribute": "", "operator": "equals", "value": "DE"}]},
            {"conditions.0.attribute": ["Name a field (1-80 characters)."]},
        ),
        (
            {
                "name": "X",
                "conditions": [{"attribute": "size", "operator": "range", "low": 9, "high": 1}],
            },
            {"conditions.0": ["low (9) is above high (1)."]},
        ),
        ({"name": " "}, {"name": ["Give the rule a name (1-120 characters)."]}),
        ({"name": "X", "conditions": "country=DE"}, None),
        (
            {"name": "X", "user_id": 1, "team_id": 1},
            {"team_id": ["Give a team_id or a user_id, not both."]},
        ),
        (
            {"name": "X", "user_id": 999999},
            {"user_id": ["User 999999 is not a member of this workspace."]},
        ),
    ],
    ids=[
        "bad_operator",
        "no_attribute",
        "inverted_range",
        "no_name",
        "conditions_not_a_list",
        "team_and_user",
        "not_a_member",
    ],
)
def test_bad_rules_are_field_errors(
    floor: Floor, values: dict[str, Any], fields: dict[str, list[str]] | None
) -> None:
    if "user_id" not in values and "team_id" not in values:
        values = {**values, "team_id": floor.floor.team.pk}
    reply = floor.sales_manager.post("/routing-rules", values)
    assert reply.status == 400
    if fields is None:
        assert list(reply.fields) == ["conditions"]
    else:
        assert reply.fields == fields
    assert rules(floor) == []


def test_rule_conflicts_and_permissions(floor: Floor, other_api: Any) -> None:
    rep = floor.floor.sellers[0]
    body = {"name": "Mine", "user_id": rep.user_id}
    first = floor.sales_manager.post("/routing-rules", body)
    assert floor.sales_manager.post("/routing-rules", body).status == 409
    refused = floor.rep.post("/routing-rules", {"name": "Rogue", "user_id": rep.user_id})
    assert refused.status == 403
    assert refused.error["message"] == (
        "Your role (sales_rep) does not allow this action (manage_routing)."
    )
    assert floor.rep.delete(f"/routing-rules/{first.body['id']}").status == 403
    assert other_api.patch(f"/routing-rules/{first.body['id']}", {"name": "X"}).status == 404
    incomplete = floor.sales_manager.post("/routing-rules/reorder", {"rule_ids": []})
    assert incomplete.fields == {
        "rule_ids": ["List every routing rule of this workspace exactly once."]
    }
    assert rules(floor) == [("Mine", 0)]


def test_sellers_with_settings_load_and_absences(floor: Floor) -> None:
    first, second = floor.floor.sellers
    floor.route_to_rep()
    floor.lead("a@example.org")
    floor.lead("b@example.org")
    today = timezone.localdate()
    away = floor.rep2.post(
        f"/sellers/{second.user_id}/absences",
        {"starts_on": str(today), "ends_on": str(today + dt.timedelta(days=4)), "note": "Trip"},
    )
    assert away.status == 201, away.body
    absence = OutOfOffice.objects.for_workspace(floor.workspace).get()
    assert away.body == {
        "id": absence.pk,
        "user_id": second.user_id,
        "starts_on": str(today),
        "ends_on": str(today + dt.timedelta(days=4)),
        "note": "Trip",
    }
    put = floor.sales_manager.call(
        "PUT", f"/sellers/{first.user_id}", {"weight": 2, "capacity": 10}
    )
    assert put.status == 200, put.body
    assert (put.body["weight"], put.body["capacity"], put.body["accepts_leads"]) == (2.0, 10, True)

    listed = floor.marketer.get("/sellers")
    assert listed.status == 200
    by_email = sorted([first, second], key=lambda m: m.user.email)
    expected = {
        first.user_id: {
            "user_id": first.user_id,
            "name": first.user.display_name,
            "email": first.user.email,
            "role": "sales_rep",
            "team_id": floor.floor.team.pk,
            "team_name": "Account Executives",
            "weight": 2.0,
            "capacity": 10,
            "accepts_leads": True,
            "open_handoffs": 2,
            "absences": [],
        },
        second.user_id: {
            "user_id": second.user_id,
            "name": second.user.display_name,
            "email": second.user.email,
            "role": "sales_rep",
            "team_id": floor.floor.team.pk,
            "team_name": "Account Executives",
            "weight": 1.0,
            "capacity": None,
            "accepts_leads": True,
            "open_handoffs": 0,
            "absences": [away.body],
        },
    }
    assert listed.body == {"results": [expected[m.user_id] for m in by_email]}

    cleared = floor.sales_manager.call("PUT", f"/sellers/{first.user_id}", {"capacity": None})
    assert (cleared.body["capacity"], cleared.body["weight"]) == (None, 2.0)
    off = floor.sales_manager.call("PUT", f"/sellers/{second.user_id}", {"accepts_leads": False})
    assert off.body["accepts_leads"] is False

    removed = floor.rep2.delete(f"/absences/{absence.pk}")
    assert (removed.status, removed.body) == (204, None)
    assert OutOfOffice.objects.for_workspace(floor.workspace).count() == 0


def test_seller_and_absence_errors(floor: Floor, other_api: Any) -> None:
    first, second = floor.floor.sellers
    heavy = floor.sales_manager.call("PUT", f"/sellers/{first.user_id}", {"weight": 101})
    assert heavy.fields == {"weight": ["The weight is between 0 and 100."]}
    empty = floor.sales_manager.call("PUT", f"/sellers/{first.user_id}", {"capacity": 0})
    assert empty.fields == {
        "capacity": ["From 1 to 100,000 open handoffs (leave empty for no limit)."]
    }
    by_rep = floor.rep.call("PUT", f"/sellers/{first.user_id}", {"weight": 5})
    assert by_rep.status == 403
    assert SellerSettings.objects.for_workspace(floor.workspace).count() == 0

    today = timezone.localdate()
    backwards = floor.rep.post(
        f"/sellers/{first.user_id}/absences",
        {"starts_on": str(today), "ends_on": str(today - dt.timedelta(days=1))},
    )
    assert backwards.fields == {"ends_on": ["The absence ends before it starts."]}
    for_someone_else = floor.rep.post(
        f"/sellers/{second.user_id}/absences",
        {"starts_on": str(today), "ends_on": str(today)},
    )
    assert for_someone_else.status == 403
    week = {"starts_on": str(today), "ends_on": str(today + dt.timedelta(days=6))}
    assert floor.sales_manager.post(f"/sellers/{second.user_id}/absences", week).status == 201
    overlap = floor.rep2.post(f"/sellers/{second.user_id}/absences", week)
    assert overlap.status == 409
    absence = OutOfOffice.objects.for_workspace(floor.workspace).get()
    assert floor.rep.delete(f"/absences/{absence.pk}").status == 403
    assert other_api.delete(f"/absences/{absence.pk}").status == 404
    assert OutOfOffice.objects.for_workspace(floor.workspace).count() == 1


def test_rejection_reasons(floor: Floor) -> None:
    listed = floor.rep.get("/rejection-reasons")
    assert listed.status == 200
    assert [(r["key"], r["outcome"], r["needs_attempts"]) for r in listed.body["results"]] == [
        ("not_icp", "disqualified", False),
        ("no_budget", "recycled", False),
        ("bad_data", "disqualified", False),
        ("duplicate", "disqualified", False),
        ("unresponsive", "recycled", True),
        ("student_competitor", "disqualified", False),
        ("bad_timing", "recycled", False),
    ]
    created = floor.sales_manager.post(
        "/rejection-reasons",
        {"key": "Wrong_Region", "label": "Outside our regions", "outcome": "disqualified"},
    )
    assert created.status == 201
    reason = RejectionReason.objects.for_workspace(floor.workspace).get(key="wrong_region")
    assert created.body == {
        "id": reason.pk,
        "key": "wrong_region",
        "label": "Outside our regions",
        "outcome": "disqualified",
        "needs_attempts": False,
        "position": 7,
        "is_active": True,
    }
    updated = floor.sales_manager.post(
        "/rejection-reasons",
        {"key": "no_budget", "label": "No budget this year", "outcome": "recycled"},
    )
    assert (updated.status, updated.body["label"]) == (200, "No budget this year")
    assert RejectionReason.objects.for_workspace(floor.workspace).count() == 8

    for body, fields in (
        (
            {"key": "bad key!", "label": "x", "outcome": "disqualified"},
            {"key": ["Use 1-40 letters, digits or underscores."]},
        ),
        (
            {"key": "k", "label": "x", "outcome": "lost"},
            {"outcome": ["'lost' is not one of disqualified, recycled."]},
        ),
        ({"key": "k", "outcome": "recycled"}, {"label": ["This field is required."]}),
    ):
        reply = floor.sales_manager.post("/rejection-reasons", body)
        assert (reply.status, reply.fields) == (400, fields)
    refused = floor.rep.post(
        "/rejection-reasons", {"key": "k", "label": "x", "outcome": "recycled"}
    )
    assert refused.status == 403
    assert RejectionReason.objects.for_workspace(floor.workspace).count() == 8


def test_a_viewer_reads_every_setting(floor: Floor, member_factory: Any) -> None:
    viewer = client(member_factory("viewer"))
    for path in ("/routing-rules", "/sellers", "/rejection-reasons", "/sla-agreements"):
        assert viewer.get(path).status == 200, path
    assert (
        viewer.post("/routing-rules", {"name": "X", "team_id": floor.floor.team.pk}).status == 403
    )
