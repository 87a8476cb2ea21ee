"""Sample exports of HubSpot, Salesforce and Pipedrive import with no manual mapping."""

from __future__ import annotations

import pytest

from accord.crm.models import Company, Contact, LedgerEntry
from accord.integrations.models import ImportJob
from tests.integrations.conftest import DATA


def _contacts(workspace):  # type: ignore[no-untyped-def]
    return {c.email: c for c in Contact.objects.for_workspace(workspace).select_related("company")}


@pytest.mark.django_db(transaction=True)
def test_hubspot_contacts(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    output = run_import(DATA / "hubspot-contacts.csv", "--type", "contacts")
    assert "(mapping: hubspot)" in output
    assert "created 5, updated 0, unchanged 0, skipped 0, failed 0" in output
    people = _contacts(workspace)
    ana = people["ana.ruiz@northwind.example"]
    assert (ana.lifecycle_stage, ana.lead_status, ana.original_source) == (
        "mql",
        "open",
        "paid_search",
    )
    assert (ana.country, ana.external_id, ana.owner_id) == ("DE", "51", importer.user_id)
    assert ana.company.domain == "northwind.example"
    assert ana.custom_fields == {"Recent Conversion": "Pricing page demo request"}
    assert ana.department == "Operations"
    assert ana.created_at.isoformat() == "2025-09-12T10:24:00+00:00"
    assert people["eve@northwind.example"].company_id == ana.company_id  # one company per domain
    assert people["bo@fabrikam.example"].lifecycle_stage == "sql"
    assert people["chloe.dubois@contoso.example"].company.domain == "contoso.example"
    assert people["dev.patel@gmail.com"].company is None  # free mail: no company
    assert Company.objects.for_workspace(workspace).count() == 3
    job = ImportJob.objects.for_workspace(workspace).get()
    entries = LedgerEntry.objects.for_workspace(workspace)
    assert entries.count() == 5
    assert set(entries.values_list("source", "rule", "actor_user_id")) == {
        ("import", f"import job {job.pk}", importer.user_id)
    }
    assert entries.get(contact=ana).occurred_at == ana.created_at


@pytest.mark.django_db(transaction=True)
def test_reimport_changes_nothing(run_import, workspace) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    before = (
        list(Contact.objects.for_workspace(workspace).order_by("pk").values()),
        LedgerEntry.objects.for_workspace(workspace).count(),
        Company.objects.for_workspace(workspace).count(),
    )
    for on_match in ("skip", "fill-empty", "overwrite"):
        output = run_import(DATA / "hubspot-contacts.csv", "--on-match", on_match)
        assert "created 0, updated 0, unchanged 5, skipped 0, failed 0" in output
    after = (
        list(Contact.objects.for_workspace(workspace).order_by("pk").values()),
        LedgerEntry.objects.for_workspace(workspace).count(),
        Company.objects.for_workspace(workspace).count(),
    )
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_salesforce_leads(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    output = run_import(DATA / "salesforce-leads.csv")
    assert "(mapping: salesforce)" in output
    assert "created 4" in output
    people = _contacts(workspace)
    fatima = people["fatima.khan@globex.example"]
    assert (fatima.original_source, fatima.lead_status, fatima.country) == (
        "organic_search",
        "new",
        "US",
    )
    assert fatima.owner_id == importer.user_id  # "Lead Owner" is a full name
    assert fatima.created_at.date().isoformat() == "2025-09-14"  # M/D/YYYY
    assert fatima.custom_fields == {"Rating": "Hot"}
    assert people["ivan.petrov@globex.example"].company_id == fatima.company_id
    assert people["hana.sato@umbrella.example"].lead_status == "unqualified"
    assert people["george.miller@initech.example"].original_source == "event"


@pytest.mark.django_db(transaction=True)
def test_pipedrive_persons(run_import, workspace) -> None:  # type: ignore[no-untyped-def]
    output = run_import(DATA / "pipedrive-persons.csv")
    assert "(mapping: pipedrive)" in output
    people = _contacts(workspace)
    assert set(people) == {
        "jonas.weber@initrode.example", "karin.berg@gmail.com", "luca@pizzeria-bianchi.example"
    }  # fmt: skip
    jonas = people["jonas.weber@initrode.example"]
    assert (jonas.first_name, jonas.last_name, jonas.title) == (
        "Jonas",
        "Weber",
        "Head of Sales Ops",
    )
    assert jonas.company.name == "Initrode GmbH"
    assert jonas.custom_fields == {"Person - Label": "Hot lead"}
    assert people["karin.berg@gmail.com"].company is None


@pytest.mark.django_db(transaction=True)
def test_cp1252_file(run_import, workspace) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "cp1252-contacts.csv")
    people = _contacts(workspace)
    assert people["juergen@koeln-gmbh.example"].last_name == "Müller"
    assert people["zoe@cafe-paris.example"].company.name == "Café € SARL"
