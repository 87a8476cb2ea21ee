"""An Accord export imports back with no mapping and changes nothing: every row is unchanged,
nothing is created or duplicated, and every table reads the same before and after — ids,
external ids, owners, custom fields and the values the CSV export quoted ("'+49 30 1234")
included. Rows are matched by the export's `id`, which never becomes an external id."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accord.crm.models import Activity, Company, Contact, Deal, DealStageChange, LedgerEntry
from accord.crm.selectors import pipeline_stages
from accord.crm.services.activities import activity_create
from accord.crm.services.companies import company_create
from accord.crm.services.contacts import contact_create
from accord.crm.services.deals import deal_create
from accord.identity.actor import Actor, Source
from accord.identity.tests.factories import MembershipFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.marketing.services import campaign_create, touchpoint_create

UTC = dt.UTC
MODELS: dict[str, Any] = {
    "companies": Company,
    "contacts": Contact,
    "deals": Deal,
    "activities": Activity,
    "campaigns": Campaign,
    "touchpoints": Touchpoint,
}


@pytest.fixture
def records(workspace, importer, member_factory):  # type: ignore[no-untyped-def]
    """A small workspace with every record type, and values that test the round trip: formula
    characters the export quotes, a phone with '+', nested custom fields, two owners, a company
    without a domain, a contact at a company domain but with no company."""
    rep = member_factory("sales_rep", email="rep@acme.example")
    actor = Actor.for_membership(importer, Source.API)
    northwind = company_create(
        actor=actor,
        values={
            "name": "Northwind", "domain": "northwind.example", "industry": "Software",
            "employee_count": 120, "country": "DE", "owner_id": rep.user_id,
            "external_id": "HS-1", "custom_fields": {"tier": "gold", "score": 3},
        },
    )  # fmt: skip
    fabrikam = company_create(actor=actor, values={"name": "-Fabrikam"})
    buyer = contact_create(
        actor=actor,
        values={
            "email": "ana.buyer@northwind.example", "first_name": "=1+2",
            "last_name": "'quoted'", "phone": "+49 30 1234", "title": "@Head of Ops",
            "seniority": "director", "department": "Operations", "company_id": northwind.pk,
            "country": "DE", "owner_id": rep.user_id, "lifecycle_stage": "mql",
            "lead_status": "open", "original_source": "paid_search", "utm_source": "google",
            "utm_campaign": "-spring", "external_id": "C-7",
            "custom_fields": {"plan": "pro", "seats": 12, "tags": {"a": [1, "x"]}},
        },
    )  # fmt: skip
    contact_create(
        actor=actor,
        values={"email": "lone@solo.example", "first_name": "Lone", "phone": "-12"},
    )
    contact_create(
        actor=actor,
        values={"email": "fab@fabrikam.example", "company_id": fabrikam.pk, "owner_id": None},
    )
    won = next(s for s in pipeline_stages(workspace) if s.key == "closed_won")
    renewal = deal_create(
        actor=actor,
        values={
            "name": "Northwind renewal", "amount": Decimal("12500.50"), "currency": "EUR",
            "owner_id": rep.user_id, "company_id": northwind.pk,
            "primary_contact_id": buyer.pk, "expected_close_date": dt.date(2026, 3, 31),
            "source": "webinar", "external_id": "D-1",
        },
    )  # fmt: skip
    deal_create(
        actor=actor,
        values={
            "name": "Fabrikam pilot", "amount": Decimal("900"), "company_id": fabrikam.pk,
            "stage_id": won.pk, "closed_at": dt.datetime(2025, 11, 3, 14, 5, 7, 250, UTC),
            "close_reason": "+budget found",
        },
    )  # fmt: skip
    activity_create(
        actor=actor,
        values={
            "kind": "call", "contact_id": buyer.pk, "deal_id": renewal.pk,
            "user_id": rep.user_id, "direction": "outbound", "outcome": "connected",
            "subject": "Discovery", "body": "line one\n=line two",
            "occurred_at": dt.datetime(2025, 10, 1, 9, 30, tzinfo=UTC),
        },
    )  # fmt: skip
    activity_create(
        actor=actor,
        values={
            "kind": "note", "deal_id": renewal.pk, "subject": "Pricing",
            "occurred_at": dt.datetime(2025, 10, 2, tzinfo=UTC),
        },
    )  # fmt: skip
    webinar = campaign_create(
        actor=actor,
        values={
            "name": "Spring webinar", "channel": "webinar", "type": "webinar",
            "start_date": dt.date(2025, 3, 1), "end_date": dt.date(2025, 3, 31),
            "budget": Decimal("5000.00"), "currency": "EUR", "utm_campaign": "spring-25",
        },
    )  # fmt: skip
    campaign_create(actor=actor, values={"name": "=Ads", "channel": "paid_search"})
    touchpoint_create(
        actor=actor,
        values={
            "contact_id": buyer.pk, "campaign_id": webinar.pk, "type": "webinar",
            "occurred_at": dt.datetime(2025, 3, 12, 16, 0, 1, 5, UTC),
            "utm_source": "newsletter", "landing_page": "https://northwind.example/x?a=1",
        },
    )  # fmt: skip
    touchpoint_create(
        actor=actor,
        values={
            "contact_id": buyer.pk, "channel": "paid_search", "type": "ad_click",
            "occurred_at": dt.datetime(2025, 3, 10, tzinfo=UTC), "utm_term": "+crm",
        },
    )  # fmt: skip
    return actor


def _export(list_name: str, path: Path) -> list[dict[str, str]]:
    call_command(
        "export", list_name, "--output", str(path), "--workspace", "acme",
        "--user", "ana@acme.example", stdout=io.StringIO(),
    )  # fmt: skip
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _table(workspace, record_type: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = MODELS[record_type].objects.for_workspace(workspace).order_by("pk").values()
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


def _others(workspace) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    models = (DealStageChange, LedgerEntry, CampaignCost)
    return tuple(m.objects.for_workspace(workspace).count() for m in models)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("on_match", ["skip", "fill-empty", "overwrite"])
@pytest.mark.parametrize("record_type", list(MODELS))
def test_an_export_imports_back_unchanged(  # type: ignore[no-untyped-def]  # noqa: PLR0917 - fixtures
    records, workspace, run_import, tmp_path, record_type, on_match
) -> None:
    path = tmp_path / f"{record_type}.csv"
    exported = _export(record_type, path)
    before, others = _table(workspace, record_type), _others(workspace)
    assert len(exported) == len(before) >= 2

    out = run_import(path, "--type", record_type, "--on-match", on_match, "--mode", "valid-rows")

    assert "(mapping: accord)" in out
    assert f"created 0, updated 0, unchanged {len(before)}, skipped 0, failed 0" in out
    assert _table(workspace, record_type) == before
    assert _others(workspace) == others


@pytest.mark.django_db(transaction=True)
def test_the_export_keeps_what_it_quoted_and_nests_nothing(  # type: ignore[no-untyped-def]
    records, workspace, run_import, tmp_path
) -> None:
    path = tmp_path / "contacts.csv"
    exported = {r["email"]: r for r in _export("contacts", path)}
    assert exported["ana.buyer@northwind.example"]["phone"] == "'+49 30 1234"
    assert exported["ana.buyer@northwind.example"]["first_name"] == "'=1+2"
    # Edited in a spreadsheet and imported back over the contacts, twice.
    for _ in range(2):
        run_import(path, "--type", "contacts", "--on-match", "overwrite")
        exported = {r["email"]: r for r in _export("contacts", path)}
    buyer = Contact.objects.for_workspace(workspace).get(email="ana.buyer@northwind.example")
    assert (buyer.phone, buyer.first_name, buyer.last_name, buyer.title, buyer.external_id) == (
        "+49 30 1234", "=1+2", "'quoted'", "@Head of Ops", "C-7",
    )  # fmt: skip
    assert buyer.custom_fields == {"plan": "pro", "seats": 12, "tags": {"a": [1, "x"]}}
    assert buyer.owner is not None and buyer.owner.email == "rep@acme.example"
    lone = Contact.objects.for_workspace(workspace).get(email="lone@solo.example")
    assert (lone.company_id, lone.phone) == (None, "-12")  # no company from the email domain
    assert json.loads(exported["lone@solo.example"]["custom_fields"]) == {}


@pytest.mark.django_db(transaction=True)
def test_a_filtered_deal_export_imported_back_creates_no_second_deal(  # type: ignore[no-untyped-def]
    records, workspace, run_import, tmp_path
) -> None:
    """The reviewer's case: revenue counted twice, no owner, external id = Accord's id."""
    path = tmp_path / "d.csv"
    call_command(
        "export", "deals", "--filter", "q=Northwind", "--output", str(path), "--workspace",
        "acme", "--user", "ana@acme.example", stdout=io.StringIO(),
    )  # fmt: skip
    out = run_import(path, "--type", "deals", "--mode", "valid-rows")
    assert "created 0, updated 0, unchanged 1, skipped 0, failed 0" in out
    deals = Deal.objects.for_workspace(workspace).filter(name="Northwind renewal")
    assert [(d.external_id, d.owner.email if d.owner else None) for d in deals] == [
        ("D-1", "rep@acme.example")
    ]


@pytest.mark.django_db(transaction=True)
def test_an_edited_export_updates_the_record_its_id_names(  # type: ignore[no-untyped-def]
    records, workspace, run_import, tmp_path
) -> None:
    """Renaming a deal and a campaign in the export updates them (matched by `id`), where
    matching by name would have created new ones."""
    for record_type, old, new in (
        ("deals", "Northwind renewal", "Northwind renewal 2026"),
        ("campaigns", "Spring webinar", "Spring webinar (EMEA)"),
    ):
        path = tmp_path / f"{record_type}.csv"
        _export(record_type, path)
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        count = MODELS[record_type].objects.for_workspace(workspace).count()
        out = run_import(path, "--type", record_type, "--on-match", "overwrite")
        assert "created 0, updated 1, unchanged 1, skipped 0, failed 0" in out
        records_now = MODELS[record_type].objects.for_workspace(workspace)
        assert records_now.count() == count
        assert records_now.filter(name=new).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_export_of_another_workspace_creates_its_records(  # type: ignore[no-untyped-def]
    records, workspace, other_workspace, member_factory, tmp_path
) -> None:
    """Ids no record of this workspace has match nothing: the rows are matched (and created)
    as any other, and the ids become nobody's external id."""
    path = tmp_path / "companies.csv"
    _export("companies", path)
    member_factory("admin", ws=other_workspace, email="olga@other.example")
    rep = Company.objects.for_workspace(workspace).get(name="Northwind").owner
    MembershipFactory(workspace=other_workspace, user=rep, role="sales_rep")
    call_command(
        "import", str(path), "--type", "companies", "--workspace", "other", "--user",
        "olga@other.example", "--no-progress", "--mode", "valid-rows", stdout=io.StringIO(),
    )  # fmt: skip
    copied = Company.objects.for_workspace(other_workspace).order_by("name")
    assert [(c.name, c.external_id, c.custom_fields) for c in copied] == [
        ("-Fabrikam", "", {}),
        ("Northwind", "HS-1", {"tier": "gold", "score": 3}),
    ]


def test_the_accord_preset_knows_every_export_header() -> None:
    from accord.integrations.export.columns import COLUMNS
    from accord.integrations.importing.presets import ACCORD_EXPORT_COLUMNS

    assert {t: list(c) for t, c in ACCORD_EXPORT_COLUMNS.items()} == {
        t: [header for header, _ in c] for t, c in COLUMNS.items() if t != "ledger"
    }


def test_an_id_column_of_another_file_is_nobodys_external_id() -> None:
    from accord.integrations.importing.mapping import propose_mapping

    for record_type in ("contacts", "companies", "deals", "activities"):
        header = ["Id", "Name", "Email", "Type", "Date"]
        mapping = propose_mapping(record_type, header)
        assert (mapping.preset, mapping.targets[0]) == ("", "custom:Id")
    # The whole export header of another type is not an export of this one.
    contacts_export = ["id", "email", "owner_email", "custom_fields", "created_at"]
    assert propose_mapping("contacts", contacts_export).targets[0] == "custom:id"


@pytest.mark.django_db(transaction=True)
def test_an_id_that_names_a_different_record_is_not_trusted(  # type: ignore[no-untyped-def]
    records, workspace, run_import, tmp_path
) -> None:
    """An export from another installation (staging, a restored copy) may use an id this
    workspace gives to another record: the id matches only a record that agrees on its
    identity (a company's domain or name), so Initech is neither renamed nor skipped over."""
    path = tmp_path / "companies.csv"
    _export("companies", path)
    northwind = Company.objects.for_workspace(workspace).get(name="Northwind")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header, rows = lines[0], [line for line in lines[1:] if f"{northwind.pk}," in line[:12]]
    row = rows[0].replace("Northwind", "Globex").replace(northwind.external_id, "GX-9")
    row = row.replace(northwind.domain, "globex.example") if northwind.domain else row
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    out = run_import(path, "--type", "companies", "--on-match", "overwrite")
    assert "created 1, updated 0" in out
    northwind.refresh_from_db()
    assert (northwind.name, northwind.domain) != ("Globex", "globex.example")
    assert Company.objects.for_workspace(workspace).filter(name="Globex").count() == 1
