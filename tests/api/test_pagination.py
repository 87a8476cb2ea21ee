"""Cursor pagination: complete, without duplicates or gaps, in every ordering, in a constant
number of queries."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.crm.models import Contact
from accord.crm.tests.factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
)
from accord.marketing.tests.factories import CampaignFactory, TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(workspace: Any) -> list[Contact]:
    """23 contacts, many sharing a creation time and a last name, so that ties must be broken
    by id across page boundaries."""
    base = timezone.now() - dt.timedelta(days=10)
    rows = []
    for i in range(23):
        rows.append(
            ContactFactory(
                workspace=workspace,
                email=f"p{i:02d}@x.example",
                last_name=["Smith", "Jones", "Brown"][i % 3],
                created_at=base + dt.timedelta(hours=i // 4),
            )
        )
    return rows


def expected(rows: list[Contact], field: str, descending: bool) -> list[int]:
    ordered = sorted(rows, key=lambda c: (getattr(c, field), c.pk), reverse=descending)
    return [c.pk for c in ordered]


@pytest.mark.parametrize(
    "ordering",
    [
        "created_at",
        "-created_at",
        "email",
        "-email",
        "last_name",
        "-last_name",
        "updated_at",
        "-updated_at",
    ],
)
@pytest.mark.parametrize("limit", [1, 5, 23])
def test_pages_cover_every_row_once_in_order(
    api: Api, contacts: list[Contact], ordering: str, limit: int
) -> None:
    for c in contacts:
        c.refresh_from_db()
    rows = api.all_pages("/contacts", ordering=ordering, limit=limit)
    ids = [r["id"] for r in rows]
    assert ids == expected(contacts, ordering.lstrip("-"), ordering.startswith("-"))
    assert len(ids) == len(set(ids)) == 23


def test_page_shape_and_last_page(api: Api, contacts: list[Contact]) -> None:
    first = api.get("/contacts", limit=20)
    assert len(first.body["results"]) == 20
    assert isinstance(first.body["next_cursor"], str)
    second = api.get("/contacts", limit=20, cursor=first.body["next_cursor"])
    assert len(second.body["results"]) == 3
    assert second.body["next_cursor"] is None


def test_exact_multiple_of_the_limit_ends_without_an_empty_page(
    api: Api, contacts: list[Contact]
) -> None:
    Contact.objects.for_workspace(contacts[0].workspace).filter(pk=contacts[0].pk).delete()
    first = api.get("/contacts", limit=11)
    second = api.get("/contacts", limit=11, cursor=first.body["next_cursor"])
    assert len(second.body["results"]) == 11
    assert second.body["next_cursor"] is None


def test_rows_added_meanwhile_do_not_shift_the_next_page(
    api: Api, workspace: Any, contacts: list[Contact]
) -> None:
    first = api.get("/contacts", ordering="email", limit=10)
    ContactFactory(workspace=workspace, email="a-new-first@x.example")
    second = api.get("/contacts", ordering="email", limit=10, cursor=first.body["next_cursor"])
    first_ids = [r["id"] for r in first.body["results"]]
    second_ids = [r["id"] for r in second.body["results"]]
    assert second_ids == expected(contacts, "email", False)[10:20]
    assert not set(first_ids) & set(second_ids)


def test_the_cursor_carries_its_ordering_when_none_is_given(
    api: Api, contacts: list[Contact]
) -> None:
    first = api.get("/contacts", ordering="email", limit=5)
    second = api.get("/contacts", limit=5, cursor=first.body["next_cursor"])
    assert second.status == 200
    assert [r["id"] for r in second.body["results"]] == expected(contacts, "email", False)[5:10]


def test_a_cursor_for_another_ordering_is_400(api: Api, contacts: list[Contact]) -> None:
    first = api.get("/contacts", ordering="email", limit=5)
    reply = api.get("/contacts", ordering="-created_at", cursor=first.body["next_cursor"])
    assert reply.status == 400
    assert list(reply.fields) == ["cursor"]
    assert "belongs to ordering 'email'" in reply.fields["cursor"][0]


def test_nullable_ordering_paginates_through_the_empty_values(api: Api, workspace: Any) -> None:
    companies = [
        CompanyFactory(workspace=workspace, employee_count=[None, 50, 10, None, 50][i % 5])
        for i in range(17)
    ]
    for ordering in ("employee_count", "-employee_count"):
        rows = api.all_pages("/companies", ordering=ordering, limit=3)
        ids = [r["id"] for r in rows]
        assert sorted(ids) == sorted(c.pk for c in companies)
        counts = [r["employee_count"] for r in rows]
        filled = [n for n in counts if n is not None]
        assert filled == sorted(filled, reverse=ordering.startswith("-"))
        assert counts[len(filled) :] == [None] * (len(counts) - len(filled))
        # Within equal values, ids ascend (or descend with the ordering).
        for value in (10, 50, None):
            group = [r["id"] for r in rows if r["employee_count"] == value]
            assert group == sorted(group, reverse=ordering.startswith("-"))


def test_limit_bounds(api: Api) -> None:
    for bad in (0, 501, -1, "ten"):
        reply = api.get("/contacts", limit=bad)
        assert reply.status == 400, bad
        assert list(reply.fields) == ["limit"]
    assert api.get("/contacts", limit=500).status == 200


def test_unknown_ordering_is_400(api: Api) -> None:
    reply = api.get("/contacts", ordering="password")
    assert reply.status == 400
    assert list(reply.fields) == ["ordering"]


def _forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        _forged({"o": "email", "v": "a", "id": 1}),
        "eyJvIjoiZW1haWwifQ:1abcde:forged-signature",
        "x" * 5000,
    ],
)
def test_invalid_cursor_is_400(api: Api, contacts: list[Contact], cursor: str) -> None:
    reply = api.get("/contacts", cursor=cursor)
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) == ["cursor"]


def test_an_empty_cursor_means_the_first_page(api: Api, contacts: list[Contact]) -> None:
    reply = api.get("/contacts", cursor="", limit=3)
    assert reply.status == 200
    assert [r["id"] for r in reply.body["results"]] == [
        r["id"] for r in api.get("/contacts", limit=3).body["results"]
    ]


def test_a_tampered_cursor_is_400(api: Api, contacts: list[Contact]) -> None:
    cursor = api.get("/contacts", limit=2).body["next_cursor"]
    tampered = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    reply = api.get("/contacts", limit=2, cursor=tampered)
    assert reply.status == 400
    assert list(reply.fields) == ["cursor"]


def test_a_cursor_of_another_resource_is_400(api: Api, workspace: Any) -> None:
    for _ in range(3):
        ActivityFactory(workspace=workspace)
    cursor = api.get("/activities", limit=1).body["next_cursor"]
    reply = api.get("/companies", cursor=cursor)
    assert reply.status == 400
    assert list(reply.fields) == ["cursor"]


def _queries(api: Api, path: str, limit: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        reply = api.get(path, limit=limit)
    assert reply.status == 200, reply.body
    assert len(reply.body["results"]) == limit
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        "/contacts",
        "/companies",
        "/deals",
        "/activities",
        "/ledger",
        "/campaigns",
        "/touchpoints",
    ],
)
def test_list_queries_do_not_grow_with_the_page_size(
    api: Api, workspace: Any, admin: Any, path: str, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        company = CompanyFactory(workspace=workspace, owner=admin.user)
        contact = ContactFactory(workspace=workspace, company=company, owner=admin.user)
        campaign = CampaignFactory(workspace=workspace)
        TouchpointFactory(workspace=workspace, contact=contact, campaign=campaign)
        ActivityFactory(workspace=workspace, contact=contact, user=admin.user)
        api.post(
            "/deals",
            {
                "name": f"Deal {i}",
                "company_id": company.pk,
                "primary_contact_id": contact.pk,
                "owner_id": admin.user_id,
            },
        )
    api.get("/me")  # the token's last_used_at is written at most once a minute
    small = _queries(api, path, 2)
    large = _queries(api, path, 30)
    assert small == large
    with django_assert_max_num_queries(3):
        api.get(path, limit=30)


def test_nested_list_queries_are_constant(
    api: Api, workspace: Any, django_assert_max_num_queries: Any
) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    campaign = CampaignFactory(workspace=workspace)
    stages = ["mql", "sal", "sql", "opportunity", "customer", "recycled", "lead"] * 2
    for stage in stages:
        assert api.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": stage}).status == 201
        api.post(f"/campaigns/{campaign.pk}/costs", {"date": "2026-01-01", "amount": 1})
    for path in (f"/contacts/{contact.pk}/ledger", f"/campaigns/{campaign.pk}/costs"):
        assert _queries(api, path, 2) == _queries(api, path, 14)
        with django_assert_max_num_queries(4):
            api.get(path, limit=14)
