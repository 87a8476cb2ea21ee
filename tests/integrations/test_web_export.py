"""Exports from the web list pages: the Export control links to the page's current filters, and
the export has exactly the rows the filtered page lists."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client

from accord.crm.selectors import ledger_list, pipeline_stages
from accord.identity.models import Membership
from tests.web.conftest import Records, make_records


@pytest.fixture
def records(admin: Membership) -> Records:
    return make_records(admin)


@pytest.fixture
def client_(admin: Membership) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _page_ids(client: Client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["rows"])


@pytest.mark.django_db
def test_contacts_filter_exports_exactly_the_filtered_rows(
    client_: Client, records: Records
) -> None:
    for query in ("lifecycle_stage=mql", "source=paid_search&sort=name&page=1", "country=fr"):
        page_ids = _page_ids(client_, f"/contacts/?{query}")
        assert len(page_ids) == 1
        rows = _csv(client_.get(f"/exports/contacts/?format=csv&{query}"))
        assert sorted(int(r["id"]) for r in rows) == page_ids
    rows = _csv(client_.get("/exports/contacts/?format=csv&lifecycle_stage=mql&q=&owner="))
    assert [(r["email"], r["lifecycle_stage"]) for r in rows] == [
        ("peter.gibbons@initech.example", "mql")
    ]
    everyone = _csv(client_.get("/exports/contacts/?format=csv"))
    assert sorted(r["email"] for r in everyone) == [
        "peter.gibbons@initech.example",
        "samir@globex.example",
    ]
    owned = _csv(client_.get(f"/exports/contacts/?owner={records.contact.owner_id}"))
    assert [r["email"] for r in owned] == ["peter.gibbons@initech.example"]


@pytest.mark.django_db
def test_parquet_export_is_readable_by_pyarrow(client_: Client, records: Records) -> None:
    response = client_.get("/exports/contacts/?format=parquet&country=DE")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-acme-')
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    assert (row["email"], row["country"], row["lifecycle_stage"]) == (
        "peter.gibbons@initech.example",
        "DE",
        "mql",
    )
    assert row["custom_fields"] == '{"persona": "Champion"}'


@pytest.mark.django_db
def test_other_lists_map_their_page_filters(client_: Client, records: Records) -> None:
    workspace = records.workspace
    demo = next(s for s in pipeline_stages(workspace) if s.key == "demo")
    deals = _csv(client_.get(f"/exports/deals/?stage={demo.pk}&status=open"))
    assert [r["name"] for r in deals] == ["Initech platform"]
    assert _csv(client_.get("/exports/deals/?status=won")) == []
    companies = _csv(client_.get(f"/exports/companies/?owner={records.company.owner_id}"))
    assert [r["name"] for r in companies] == ["Initech"]
    campaigns = _csv(client_.get("/exports/campaigns/?channel=webinar&format=csv"))
    assert [r["name"] for r in campaigns] == ["TPS Webinar"]
    ledger = _csv(client_.get(f"/exports/ledger/?contact={records.contact.pk}&to_stage=mql"))
    expected = ledger_list(workspace).filter(contact=records.contact, to_stage="mql")
    assert [int(r["id"]) for r in ledger] == [e.pk for e in expected]
    assert len(ledger) == 1


@pytest.mark.django_db
def test_invalid_filters_are_a_400_page(client_: Client, records: Records) -> None:
    bad_owner = client_.get("/exports/contacts/?format=csv&owner=abc")
    assert bad_owner.status_code == 400
    page = bad_owner.content.decode()
    assert "Some filters are invalid." in page
    assert "<strong>owner</strong>: &#x27;abc&#x27; is not a whole number." in page
    unknown = client_.get("/exports/contacts/?colour=red")
    assert unknown.status_code == 400
    assert "<strong>colour</strong>: Unknown filter for contacts." in unknown.content.decode()
    bad_format = client_.get("/exports/contacts/?format=xlsx")
    assert bad_format.status_code == 400
    assert "Choose CSV or Parquet." in bad_format.content.decode()
    assert client_.get("/exports/secrets/").status_code == 400
    bad_date = client_.get("/exports/contacts/?created_after=yesterday")
    assert bad_date.status_code == 400


@pytest.mark.django_db
def test_list_pages_link_their_current_filters(client_: Client, records: Records) -> None:
    page = client_.get("/contacts/?lifecycle_stage=mql&sort=name&page=1").content.decode()
    assert 'href="/exports/contacts/?lifecycle_stage=mql&amp;format=csv"' in page
    assert 'href="/exports/contacts/?lifecycle_stage=mql&amp;format=parquet"' in page
    partial = client_.get(
        "/contacts/?country=DE", headers={"HX-Request": "true", "HX-Target": "results"}
    ).content.decode()
    assert 'href="/exports/contacts/?country=DE&amp;format=csv"' in partial
    for list_name in ("companies", "deals", "campaigns", "ledger"):
        listing = client_.get(f"/{list_name}/").content.decode()
        assert f'href="/exports/{list_name}/?format=csv"' in listing


@pytest.mark.django_db
def test_export_is_scoped_to_the_workspace(
    client_: Client, records: Records, other_workspace: Any, member_factory: Any
) -> None:
    other_admin = member_factory("admin", ws=other_workspace, email="boss@other.example")
    make_records(other_admin, prefix="Other")
    rows = _csv(client_.get("/exports/companies/"))
    assert [r["name"] for r in rows] == ["Initech"]
    viewer = member_factory("viewer", email="viewer@acme.example")
    reader = Client()
    reader.force_login(viewer.user)
    assert len(_csv(reader.get("/exports/contacts/"))) == 2
    anonymous = Client().get("/exports/contacts/")
    assert anonymous.status_code == 302
