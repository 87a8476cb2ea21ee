"""Companies through the API."""

from __future__ import annotations

from typing import Any

import pytest

from accord.crm.models import Company
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def count(workspace: Any) -> int:
    return Company.objects.for_workspace(workspace).count()


def test_create_normalises_the_domain(api: Api, workspace: Any, admin: Any) -> None:
    reply = api.post(
        "/companies",
        {
            "name": " Initech ",
            "domain": "https://www.Initech.example/about",
            "industry": "Software",
            "employee_count": 120,
            "country": "us",
            "owner_id": admin.user_id,
        },
    )
    assert reply.status == 201, reply.body
    assert reply.body["name"] == "Initech"
    assert reply.body["domain"] == "initech.example"
    assert reply.body["country"] == "US"
    assert reply.body["employee_count"] == 120
    assert reply.body["owner_id"] == admin.user_id
    company = Company.objects.for_workspace(workspace).get(pk=reply.body["id"])
    assert (company.name, company.domain) == ("Initech", "initech.example")


def test_created_at_is_given_on_creation_only(api: Api, workspace: Any) -> None:
    reply = api.post("/companies", {"name": "Old Corp", "created_at": "2024-05-06T07:08:00Z"})
    assert reply.status == 201, reply.body
    assert reply.body["created_at"] == "2024-05-06T07:08:00Z"
    pk = reply.body["id"]
    patched = api.patch(f"/companies/{pk}", {"created_at": "2020-01-01T00:00:00Z"})
    assert patched.status == 400, patched.body
    assert list(patched.fields) == ["created_at"]
    company = Company.objects.for_workspace(workspace).get(pk=pk)
    assert company.created_at.isoformat() == "2024-05-06T07:08:00+00:00"
    bad = api.post("/companies", {"name": "Bad Corp", "created_at": "yesterday"})
    assert bad.status == 400, bad.body
    assert list(bad.fields) == ["created_at"]
    assert count(workspace) == 1


def test_retrieve_update_delete(api: Api, workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, name="Umbrella", industry="Pharma")
    contact = ContactFactory(workspace=workspace, company=company)

    got = api.get(f"/companies/{company.pk}")
    assert got.status == 200
    assert (got.body["name"], got.body["industry"]) == ("Umbrella", "Pharma")

    patched = api.patch(f"/companies/{company.pk}", {"industry": "Biotech"})
    assert patched.status == 200
    assert patched.body["industry"] == "Biotech"
    assert patched.body["name"] == "Umbrella"
    company.refresh_from_db()
    assert company.industry == "Biotech"

    assert api.delete(f"/companies/{company.pk}").status == 204
    assert count(workspace) == 0
    contact.refresh_from_db()
    assert contact.company_id is None  # contacts stay, without a company


def test_duplicate_domain_is_409(api: Api, workspace: Any) -> None:
    CompanyFactory(workspace=workspace, domain="hooli.example")
    reply = api.post("/companies", {"name": "Hooli 2", "domain": "www.hooli.example"})
    assert reply.status == 409
    assert reply.error["code"] == "conflict"
    assert list(reply.fields) == ["domain"]
    assert count(workspace) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"domain": "x.example"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "domain": "not a domain"}, "domain"),
        ({"name": "A", "employee_count": -5}, "employee_count"),
        ({"name": "A", "employee_count": "many"}, "employee_count"),
        ({"name": "A", "country": "USA"}, "country"),
        ({"name": 7}, "name"),
    ],
)
def test_bad_input(api: Api, workspace: Any, body: dict[str, Any], field: str) -> None:
    reply = api.post("/companies", body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) == [field]
    assert count(workspace) == 0


def test_patch_name_to_null_is_refused(api: Api, workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, name="Keep")
    reply = api.patch(f"/companies/{company.pk}", {"name": None})
    assert reply.status == 400
    assert reply.fields == {"name": ["This field is required."]}
    company.refresh_from_db()
    assert company.name == "Keep"


def test_filters_and_ordering(api: Api, workspace: Any, admin: Any) -> None:
    small = CompanyFactory(workspace=workspace, name="Small", employee_count=10, country="DE")
    big = CompanyFactory(
        workspace=workspace, name="Big", employee_count=5000, country="US", owner=admin.user
    )
    unknown = CompanyFactory(
        workspace=workspace, name="Unknown", employee_count=None, industry="Retail", country="FR"
    )

    def ids(**params: Any) -> list[int]:
        reply = api.get("/companies", **params)
        assert reply.status == 200, reply.body
        return [row["id"] for row in reply.body["results"]]

    assert set(ids(min_employees=100)) == {big.pk}
    assert set(ids(max_employees=100)) == {small.pk}
    assert set(ids(industry="Retail")) == {unknown.pk}
    assert set(ids(country="de")) == {small.pk}
    assert set(ids(owner_id=admin.user_id)) == {big.pk}
    assert set(ids(q="sma")) == {small.pk}
    assert ids(ordering="name") == [big.pk, small.pk, unknown.pk]
    # Empty employee counts sort last in both directions.
    assert ids(ordering="employee_count") == [small.pk, big.pk, unknown.pk]
    assert ids(ordering="-employee_count") == [big.pk, small.pk, unknown.pk]
