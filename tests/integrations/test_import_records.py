"""Importing companies, deals, activities, campaigns and touchpoints through the record services.

The sample exports of HubSpot, Salesforce and Pipedrive import with no manual mapping; a second
import of the same file changes nothing; on-match rules decide what a matched record gets; bad
rows are reported against their column and an all-or-nothing import writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.models import Activity, Company, Contact, Deal, DealStageChange
from accord.crm.services.companies import company_update
from accord.identity.actor import Actor, Source
from accord.integrations.models import ImportJob
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from tests.integrations.conftest import DATA

UTC = dt.UTC
ON_MATCH = ("skip", "fill-empty", "overwrite")


def _counts(created=0, updated=0, unchanged=0, skipped=0, failed=0) -> str:  # type: ignore[no-untyped-def]
    return (
        f"created {created}, updated {updated}, unchanged {unchanged}, skipped {skipped}, "
        f"failed {failed}"
    )


def _copy(tmp_path: Path, source: str, *replacements: tuple[str, str]) -> Path:
    text = (DATA / source).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / source
    path.write_text(text, encoding="utf-8")
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _report(path: Path) -> list[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(r["row"], r["column"], r["reason"]) for r in csv.DictReader(fh)]


def _state(workspace) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    models = (Company, Deal, DealStageChange, Activity, Campaign, CampaignCost, Touchpoint)
    return tuple(m.objects.for_workspace(workspace).count() for m in models)


def _deals(workspace) -> dict[str, Deal]:  # type: ignore[no-untyped-def]
    return {
        d.external_id: d
        for d in Deal.objects.for_workspace(workspace).select_related(
            "stage", "company", "primary_contact"
        )
    }


def _contact(workspace, email: str) -> Contact:  # type: ignore[no-untyped-def]
    return Contact.objects.for_workspace(workspace).get(email=email)


# Companies ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_hubspot_companies(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    output = run_import(DATA / "hubspot-companies.csv", "--type", "companies")
    assert "(mapping: hubspot)" in output
    assert _counts(created=4) in output
    companies = {c.name: c for c in Company.objects.for_workspace(workspace)}
    northwind = companies["Northwind Traders"]
    assert (northwind.domain, northwind.industry, northwind.employee_count) == (
        "northwind.example",
        "COMPUTER_SOFTWARE",
        250,
    )
    assert (northwind.country, northwind.owner_id, northwind.external_id) == (
        "DE",
        importer.user_id,
        "9001",
    )
    assert northwind.custom_fields == {
        "Lifecycle Stage": "Customer",
        "City": "Berlin",
        "Phone Number": "+49 30 1234500",
    }
    fabrikam = companies["Fabrikam"]
    assert (fabrikam.domain, fabrikam.employee_count, fabrikam.country) == (
        "fabrikam.example",
        1200,
        "SE",
    )
    assert fabrikam.owner_id == importer.user_id  # "Company owner" given as a full name
    assert companies["Litware Inc."].country == "US"
    assert (companies["Tailspin Toys"].domain, companies["Tailspin Toys"].country) == ("", "GB")
    # 'Create Date' is the company's creation time (a date alone: midnight UTC).
    assert northwind.created_at == dt.datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    assert fabrikam.created_at == dt.datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    assert companies["Litware Inc."].created_at == dt.datetime(2025, 7, 2, tzinfo=UTC)
    assert companies["Tailspin Toys"].created_at == dt.datetime(2025, 7, 20, 16, 45, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_companies_match_existing_and_follow_on_match(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")  # creates Northwind, Fabrikam, Contoso by domain
    actor = Actor.for_membership(importer, Source.API)
    northwind = Company.objects.for_workspace(workspace).get(domain="northwind.example")
    company_update(actor=actor, company_id=northwind.pk, values={"industry": "Software"})
    created = northwind.created_at
    file = DATA / "hubspot-companies.csv"

    output = run_import(file, "--type", "companies", "--on-match", "fill-empty")
    assert _counts(created=2, updated=2) in output
    northwind.refresh_from_db()
    assert (northwind.industry, northwind.employee_count, northwind.external_id) == (
        "Software",  # not empty: kept
        250,
        "9001",
    )
    assert Company.objects.for_workspace(workspace).count() == 5  # never a second Northwind
    assert northwind.created_at == created  # a matched company keeps its creation time
    litware = Company.objects.for_workspace(workspace).get(domain="litware.example")
    assert litware.created_at == dt.datetime(2025, 7, 2, tzinfo=UTC)  # a new one: 'Create Date'

    output = run_import(file, "--type", "companies", "--on-match", "fill-empty")
    assert _counts(unchanged=4) in output
    output = run_import(file, "--type", "companies", "--on-match", "skip")
    assert _counts(unchanged=3, skipped=1) in output  # Northwind's industry differs
    output = run_import(file, "--type", "companies", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=3) in output
    northwind.refresh_from_db()
    assert northwind.industry == "COMPUTER_SOFTWARE"
    output = run_import(file, "--type", "companies", "--on-match", "overwrite")
    assert _counts(unchanged=4) in output
    assert Company.objects.for_workspace(workspace).count() == 5


# Deals ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_hubspot_deals(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    output = run_import(DATA / "hubspot-deals.csv", "--type", "deals")
    assert "(mapping: hubspot)" in output
    assert _counts(created=4) in output  # the company created for Woodgrove is not counted
    deals = _deals(workspace)
    platform = deals["7001"]
    assert (platform.name, platform.stage.key, platform.status) == (
        "Northwind - annual platform",
        "discovery",
        "open",
    )
    assert (platform.amount, platform.currency, platform.owner_id) == (
        Decimal("48000.00"),
        "USD",
        importer.user_id,
    )
    assert platform.company.domain == "northwind.example"
    assert platform.primary_contact.email == "ana.ruiz@northwind.example"
    # HubSpot's close date of an open deal is its expected close date.
    assert (platform.expected_close_date, platform.closed_at) == (dt.date(2026, 3, 31), None)
    assert platform.created_at == dt.datetime(2025, 10, 2, 9, 0, tzinfo=UTC)
    assert platform.custom_fields == {"Deal Type": "newbusiness"}
    expansion = deals["7002"]
    assert (expansion.stage.key, expansion.status, expansion.amount) == (
        "closed_won",
        "won",
        Decimal("12500.00"),
    )
    assert expansion.closed_at == dt.datetime(2025, 12, 15, 16, 0, tzinfo=UTC)
    assert expansion.primary_contact.email == "bo@fabrikam.example"  # "Name (email)"
    pilot = deals["7003"]
    assert (pilot.status, pilot.close_reason) == ("lost", "Chose a competitor")
    rollout = deals["7004"]
    assert (rollout.stage.key, rollout.company.name, rollout.company.domain) == (
        "demo",
        "Woodgrove Bank",
        "",
    )
    assert rollout.primary_contact is None
    assert Company.objects.for_workspace(workspace).count() == 4
    history = DealStageChange.objects.for_workspace(workspace).get(deal=expansion)
    assert (history.from_stage_id, history.to_stage_id) == (None, expansion.stage_id)
    assert history.occurred_at == expansion.closed_at


@pytest.mark.django_db(transaction=True)
def test_reimporting_deals_changes_nothing(run_import, workspace) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    run_import(DATA / "hubspot-deals.csv", "--type", "deals")
    before = (
        list(Deal.objects.for_workspace(workspace).order_by("pk").values()),
        _state(workspace),
    )
    for on_match in ON_MATCH:
        output = run_import(DATA / "hubspot-deals.csv", "--type", "deals", "--on-match", on_match)
        assert _counts(unchanged=4) in output
    after = (list(Deal.objects.for_workspace(workspace).order_by("pk").values()), _state(workspace))
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_deals_on_match_fill_empty_and_overwrite(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    run_import(DATA / "hubspot-deals.csv", "--type", "deals")
    changed = _copy(
        tmp_path,
        "hubspot-deals.csv",
        ("appointmentscheduled,48000", "contractsent,52000"),
        ("Woodgrove Bank,,", "Woodgrove Bank,eve@northwind.example,"),
    )

    output = run_import(changed, "--type", "deals", "--on-match", "skip")
    assert _counts(unchanged=2, skipped=2) in output
    output = run_import(changed, "--type", "deals", "--on-match", "fill-empty")
    assert _counts(updated=1, unchanged=3) in output  # only the empty contact is filled
    deals = _deals(workspace)
    assert deals["7004"].primary_contact.email == "eve@northwind.example"
    assert (deals["7001"].stage.key, deals["7001"].amount) == ("discovery", Decimal("48000.00"))

    output = run_import(changed, "--type", "deals", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=3) in output
    platform = _deals(workspace)["7001"]
    assert (platform.stage.key, platform.amount) == ("negotiation", Decimal("52000.00"))
    moves = DealStageChange.objects.for_workspace(workspace).filter(deal=platform)
    assert [(m.from_stage_id is None, m.amount) for m in moves.order_by("pk")] == [
        (True, Decimal("48000.00")),
        (False, Decimal("52000.00")),
    ]
    assert Deal.objects.for_workspace(workspace).count() == 4


@pytest.mark.django_db(transaction=True)
def test_salesforce_opportunities(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "salesforce-leads.csv")
    companies_before = Company.objects.for_workspace(workspace).count()
    output = run_import(DATA / "salesforce-opportunities.csv", "--type", "deals")
    assert "(mapping: salesforce)" in output
    assert _counts(created=4) in output
    assert Company.objects.for_workspace(workspace).count() == companies_before
    deals = _deals(workspace)
    platform = deals["0065e00000B1"]
    assert (platform.stage.key, platform.amount, platform.currency) == (
        "qualification",
        Decimal("75000.00"),
        "USD",
    )
    assert (platform.source, platform.owner_id, platform.company.domain) == (
        "organic_search",
        importer.user_id,
        "globex.example",
    )
    assert platform.expected_close_date == dt.date(2026, 3, 31)  # M/D/YYYY
    assert platform.created_at == dt.datetime(2025, 10, 1, 9, 30, tzinfo=UTC)
    assert platform.custom_fields == {"Probability": "10", "Type": "New Customer"}
    renewal = deals["0065e00000B2"]
    assert (renewal.status, renewal.source) == ("won", "event")
    # A closed opportunity closed on its CloseDate.
    assert renewal.closed_at == dt.datetime(2025, 12, 19, tzinfo=UTC)
    umbrella = deals["0065e00000B3"]
    assert (umbrella.status, umbrella.currency, umbrella.company.name) == (
        "lost",
        "EUR",
        "Umbrella KK",
    )
    assert deals["0065e00000B4"].stage.key == "negotiation"
    for on_match in ON_MATCH:
        output = run_import(
            DATA / "salesforce-opportunities.csv", "--type", "deals", "--on-match", on_match
        )
        assert _counts(unchanged=4) in output


@pytest.mark.django_db(transaction=True)
def test_pipedrive_deals(run_import, workspace, importer) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "pipedrive-persons.csv")
    output = run_import(DATA / "pipedrive-deals.csv", "--type", "deals")
    assert "(mapping: pipedrive)" in output
    assert _counts(created=4) in output
    deals = _deals(workspace)
    migration = deals["501"]
    assert (migration.stage.key, migration.status, migration.currency) == (
        "proposal",
        "open",
        "EUR",
    )
    assert migration.primary_contact.email == "jonas.weber@initrode.example"  # by name
    assert (migration.company.name, migration.owner_id) == ("Initrode GmbH", importer.user_id)
    assert migration.expected_close_date == dt.date(2026, 1, 31)
    assert migration.custom_fields == {"Deal - Label": "Hot"}
    bundle = deals["502"]  # "Negotiations Started" + status Won
    assert (bundle.stage.key, bundle.status) == ("closed_won", "won")
    assert bundle.closed_at == dt.datetime(2025, 10, 10, 16, 20, tzinfo=UTC)
    training = deals["503"]  # "Qualified" + status Lost
    assert (training.stage.key, training.close_reason) == ("closed_lost", "Budget frozen")
    assert training.closed_at == dt.datetime(2025, 11, 2, 11, 0, tzinfo=UTC)
    assert training.primary_contact is None
    starter = deals["504"]
    assert (starter.stage.key, starter.company.name) == ("discovery", "Berg Consulting")
    assert starter.primary_contact.email == "karin.berg@gmail.com"
    output = run_import(DATA / "pipedrive-deals.csv", "--type", "deals", "--on-match", "overwrite")
    assert _counts(unchanged=4) in output
    assert Company.objects.for_workspace(workspace).filter(name="Berg Consulting").count() == 1


# Activities -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pipedrive_activities(run_import, workspace, importer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "pipedrive-persons.csv")
    run_import(DATA / "pipedrive-deals.csv", "--type", "deals")
    output = run_import(DATA / "pipedrive-activities.csv", "--type", "activities")
    assert "(mapping: pipedrive)" in output
    assert _counts(created=6) in output
    done = {a.subject: a for a in Activity.objects.for_workspace(workspace).select_related("deal")}
    call = done["Discovery call"]
    assert (call.kind, call.occurred_at) == ("call", dt.datetime(2025, 9, 3, 10, 0, tzinfo=UTC))
    assert (call.contact_id, call.user_id) == (
        _contact(workspace, "jonas.weber@initrode.example").pk,
        importer.user_id,
    )
    assert call.body == "Current CRM is a spreadsheet, migration wanted before Q1"
    walkthrough = done["Proposal walkthrough"]
    assert (walkthrough.kind, walkthrough.deal.name) == ("meeting", "Initrode - CRM migration")
    assert done["Lunch with Luca"].kind == "meeting"
    assert [done[s].kind for s in ("Prepare onboarding plan", "Contract signature")] == [
        "note",
        "note",
    ]
    pricing = done["Sent pricing"]  # a date with no time
    assert (pricing.kind, pricing.occurred_at) == ("email", dt.datetime(2025, 9, 10, tzinfo=UTC))
    # Columns mapped to no field are kept as custom fields (empty cells are left out).
    # Activities have no external-id field: Pipedrive's "Activity - ID" is kept as one too.
    assert call.custom_fields == {
        "Activity - Done": "Done",
        "Activity - Contact person": "Jonas Weber",
        "Activity - Organization": "Initrode GmbH",
        "external_id": "9101",
    }
    assert pricing.custom_fields["Activity - Contact person"] == "Karin Berg"
    assert set(pricing.custom_fields) == {
        "Activity - Done",
        "Activity - Contact person",
        "external_id",
    }

    for on_match in ON_MATCH:
        output = run_import(
            DATA / "pipedrive-activities.csv", "--type", "activities", "--on-match", on_match
        )
        assert _counts(unchanged=6) in output
    assert Activity.objects.for_workspace(workspace).count() == 6

    assert {a.pk: a.custom_fields for a in Activity.objects.for_workspace(workspace)} == {
        a.pk: a.custom_fields for a in done.values()
    }

    changed = _copy(tmp_path, "pipedrive-activities.csv", (";Pricing PDF attached", ";Resent"))
    output = run_import(changed, "--type", "activities", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=5) in output
    assert Activity.objects.for_workspace(workspace).get(subject="Sent pricing").body == "Resent"

    moved = _copy(
        tmp_path, "pipedrive-activities.csv", ("Initrode GmbH;;Current", "Initrode AG;;Current")
    )
    output = run_import(moved, "--type", "activities", "--on-match", "fill-empty")
    assert _counts(unchanged=6) in output  # the custom field is not empty: kept
    output = run_import(moved, "--type", "activities", "--on-match", "overwrite")
    assert _counts(updated=2, unchanged=4) in output  # with the body changed back on 'Sent pricing'
    call.refresh_from_db()
    assert call.custom_fields["Activity - Organization"] == "Initrode AG"


# Campaigns ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_salesforce_campaigns(run_import, workspace) -> None:  # type: ignore[no-untyped-def]
    output = run_import(DATA / "salesforce-campaigns.csv", "--type", "campaigns")
    assert "(mapping: salesforce)" in output
    assert _counts(created=5) in output
    campaigns = {c.name: c for c in Campaign.objects.for_workspace(workspace)}
    webinar = campaigns["Q1 Pipeline Webinar Series"]
    assert (webinar.channel, webinar.type, webinar.budget, webinar.currency) == (
        "webinar",
        "webinar",
        Decimal("8000.00"),
        "USD",
    )
    assert (webinar.start_date, webinar.end_date) == (dt.date(2026, 1, 15), dt.date(2026, 3, 31))
    ads = campaigns["Google Ads - Brand"]
    assert (ads.channel, ads.type) == ("paid_search", "ads")
    assert (campaigns["LinkedIn Ads - ABM"].channel, campaigns["LinkedIn Ads - ABM"].end_date) == (
        "paid_social",
        None,
    )
    assert campaigns["SaaStr Europa 2026"].channel == "event"
    assert campaigns["Spring Nurture"].channel == "email"
    # Columns mapped to no field are kept as custom fields (empty cells are left out).
    assert webinar.custom_fields == {
        "Status": "Completed",
        "Expected Revenue": "120,000.00",
        "Num Sent": "5400",
        "Active": "false",
    }
    assert ads.custom_fields == {"Status": "In Progress", "Num Sent": "0", "Active": "true"}
    costs = CampaignCost.objects.for_workspace(workspace).select_related("campaign")
    assert sorted((c.campaign.name, c.date, c.amount, c.currency) for c in costs) == [
        ("Google Ads - Brand", dt.date(2026, 12, 31), Decimal("6100.50"), "USD"),
        ("Q1 Pipeline Webinar Series", dt.date(2026, 3, 31), Decimal("7450.00"), "USD"),
        ("Spring Nurture", dt.date(2026, 4, 30), Decimal("1320.00"), "USD"),
    ]


@pytest.mark.django_db(transaction=True)
def test_campaign_costs_are_not_added_twice(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    file = DATA / "salesforce-campaigns.csv"
    run_import(file, "--type", "campaigns")
    before = _state(workspace)
    custom = dict(Campaign.objects.for_workspace(workspace).values_list("name", "custom_fields"))
    for on_match in ON_MATCH:
        output = run_import(file, "--type", "campaigns", "--on-match", on_match)
        assert _counts(unchanged=5) in output
    assert _state(workspace) == before
    assert custom["Spring Nurture"] == {
        "Status": "Completed",
        "Num Sent": "18000",
        "Active": "false",
    }
    assert (
        dict(Campaign.objects.for_workspace(workspace).values_list("name", "custom_fields"))
        == custom
    )

    higher = _copy(tmp_path, "salesforce-campaigns.csv", ('"7,450.00"', '"8,000.00"'))
    output = run_import(higher, "--type", "campaigns", "--on-match", "fill-empty")
    assert _counts(unchanged=5) in output  # costs are recorded already: not empty
    output = run_import(higher, "--type", "campaigns", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=4) in output
    webinar = Campaign.objects.for_workspace(workspace).get(name="Q1 Pipeline Webinar Series")
    amounts = CampaignCost.objects.for_workspace(workspace).filter(campaign=webinar)
    assert sorted(amounts.values_list("amount", flat=True)) == [
        Decimal("550.00"),
        Decimal("7450.00"),
    ]
    output = run_import(higher, "--type", "campaigns", "--on-match", "overwrite")
    assert _counts(unchanged=5) in output

    lower = _copy(tmp_path, "salesforce-campaigns.csv", ('"7,450.00"', "7000"))
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="did not complete"):
        run_import(lower, "--type", "campaigns", "--on-match", "overwrite", "--errors", str(errors))
    assert _report(errors) == [
        (
            "1",
            "Actual Cost",
            "The campaign's recorded costs already total 8000.00; an import only adds costs "
            "(remove cost entries in Accord to lower the total).",
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_campaign_custom_fields_follow_on_match(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "salesforce-campaigns.csv", "--type", "campaigns")
    before = _state(workspace)
    custom = dict(Campaign.objects.for_workspace(workspace).values_list("name", "custom_fields"))
    sent = _copy(tmp_path, "salesforce-campaigns.csv", (",18000,false", ",18500,false"))
    output = run_import(sent, "--type", "campaigns", "--on-match", "skip")
    assert _counts(unchanged=4, skipped=1) in output
    output = run_import(sent, "--type", "campaigns", "--on-match", "fill-empty")
    assert _counts(unchanged=5) in output  # the custom field is not empty: kept
    output = run_import(sent, "--type", "campaigns", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=4) in output
    nurture = Campaign.objects.for_workspace(workspace).get(name="Spring Nurture")
    assert nurture.custom_fields == {**custom["Spring Nurture"], "Num Sent": "18500"}
    assert _state(workspace) == before  # no cost entry added


# Touchpoints ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_touchpoints(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    run_import(DATA / "salesforce-campaigns.csv", "--type", "campaigns")
    output = run_import(DATA / "touchpoints.csv", "--type", "touchpoints")
    assert "(mapping: column names)" in output
    assert _counts(created=7) in output
    touches = Touchpoint.objects.for_workspace(workspace).select_related("contact", "campaign")
    by_type = {(t.contact.email, t.type): t for t in touches}
    webinar = by_type[("ana.ruiz@northwind.example", "webinar")]
    assert (webinar.channel, webinar.campaign.name) == ("webinar", "Q1 Pipeline Webinar Series")
    assert webinar.occurred_at == dt.datetime(2026, 2, 12, 16, 0, tzinfo=UTC)
    click = by_type[("ana.ruiz@northwind.example", "ad_click")]
    assert (click.channel, click.utm_source, click.utm_medium, click.landing_page) == (
        "paid_search",
        "google",
        "cpc",
        "https://accord.example/pricing",
    )
    form = by_type[("bo@fabrikam.example", "form_fill")]
    assert (form.channel, form.campaign) == ("organic_search", None)
    scan = by_type[("eve@northwind.example", "event")]
    assert (scan.channel, scan.campaign.name) == ("event", "SaaStr Europa 2026")
    assert by_type[("dev.patel@gmail.com", "web_visit")].channel == "direct"
    assert by_type[("bo@fabrikam.example", "content_download")].channel == "paid_social"
    assert by_type[("chloe.dubois@contoso.example", "email_click")].utm_campaign == "spring-nurture"

    for on_match in ON_MATCH:
        output = run_import(
            DATA / "touchpoints.csv", "--type", "touchpoints", "--on-match", on_match
        )
        assert _counts(unchanged=7) in output
    assert Touchpoint.objects.for_workspace(workspace).count() == 7

    changed = _copy(tmp_path, "touchpoints.csv", ("accord.example/demo", "accord.example/demo?b"))
    output = run_import(changed, "--type", "touchpoints", "--on-match", "skip")
    assert _counts(unchanged=6, skipped=1) in output
    output = run_import(changed, "--type", "touchpoints", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=6) in output
    form.refresh_from_db()
    assert form.landing_page == "https://accord.example/demo?b"


TOUCHPOINTS_WITH_EXTRAS = (
    "Email,Type,Channel,Occurred at,Form name,Region\n"
    "ana.ruiz@northwind.example,Form submission,Organic search,2026-01-22 11:02,Demo request,EMEA\n"
    "bo@fabrikam.example,Webinar attended,Webinar,2026-02-12 16:00,,NA\n"
)


@pytest.mark.django_db(transaction=True)
def test_touchpoint_extra_columns_are_kept_as_custom_fields(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    file = _write(tmp_path, "touches.csv", TOUCHPOINTS_WITH_EXTRAS)
    output = run_import(file, "--type", "touchpoints")
    assert _counts(created=2) in output
    touches = Touchpoint.objects.for_workspace(workspace).select_related("contact")
    custom = {t.contact.email: t.custom_fields for t in touches}
    assert custom == {
        "ana.ruiz@northwind.example": {"Form name": "Demo request", "Region": "EMEA"},
        "bo@fabrikam.example": {"Region": "NA"},  # an empty cell is left out
    }

    for on_match in ON_MATCH:
        output = run_import(file, "--type", "touchpoints", "--on-match", on_match)
        assert _counts(unchanged=2) in output
    assert {t.contact.email: t.custom_fields for t in touches.all()} == custom

    changed = _write(tmp_path, "changed.csv", TOUCHPOINTS_WITH_EXTRAS.replace(",NA", ",AMER"))
    output = run_import(changed, "--type", "touchpoints", "--on-match", "skip")
    assert _counts(unchanged=1, skipped=1) in output
    output = run_import(changed, "--type", "touchpoints", "--on-match", "fill-empty")
    assert _counts(unchanged=2) in output  # the custom field is not empty: kept
    output = run_import(changed, "--type", "touchpoints", "--on-match", "overwrite")
    assert _counts(updated=1, unchanged=1) in output
    webinar = touches.get(contact__email="bo@fabrikam.example")
    assert webinar.custom_fields == {"Region": "AMER"}
    assert Touchpoint.objects.for_workspace(workspace).count() == 2


# Bad rows -------------------------------------------------------------------------------------

BAD_DEALS = (
    "Deal name,Amount,Stage,Contact email,Close date,Company\n"
    "Good deal,1000,Demo,ana.ruiz@northwind.example,2026-01-31,Northwind Traders\n"
    "Negative,-500,Demo,,,\n"
    "Unknown stage,100,Hot potato,,,\n"
    "Unknown contact,100,Demo,nobody@nowhere.example,,\n"
    "Bad date,100,Demo,,31/31/2026,\n"
    "Another good one,250,closed won,,2025-12-01,Brand New Co\n"
)


@pytest.mark.django_db(transaction=True)
def test_bad_deal_rows_are_reported_and_all_or_nothing_writes_nothing(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    before = _state(workspace)
    path = _write(tmp_path, "deals.csv", BAD_DEALS)
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="did not complete"):
        run_import(path, "--type", "deals", "--errors", str(errors))
    assert _state(workspace) == before  # no deal, and no "Brand New Co" company
    assert _report(errors) == [
        ("2", "Amount", "The amount cannot be negative."),
        ("3", "Stage", "'Hot potato' is not a stage of any pipeline of this workspace."),
        (
            "4",
            "Contact email",
            "There is no contact with email nobody@nowhere.example in this workspace (import "
            "the contacts first).",
        ),
        ("5", "Close date", "'31/31/2026' is not a valid date."),
    ]
    job = ImportJob.objects.for_workspace(workspace).filter(record_type="deals").get()
    assert (job.status, job.created, job.failed, job.skipped) == ("failed", 0, 4, 2)

    output = run_import(path, "--type", "deals", "--mode", "valid-rows", "--errors", str(errors))
    assert _counts(created=2, failed=4) in output
    deals = {d.name: d for d in Deal.objects.for_workspace(workspace).select_related("company")}
    assert set(deals) == {"Good deal", "Another good one"}
    assert deals["Good deal"].company.domain == "northwind.example"
    assert deals["Another good one"].company.name == "Brand New Co"
    assert deals["Another good one"].closed_at == dt.datetime(2025, 12, 1, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("record_type", "content", "expected"),
    [
        (
            "touchpoints",
            "Email,Type,Channel,Occurred at\n"
            "ana.ruiz@northwind.example,Form fill,Organic search,2026-01-02 10:00\n"
            "ghost@nowhere.example,Form fill,Organic search,2026-01-02 10:00\n"
            "bo@fabrikam.example,Carrier pigeon,Email,2026-01-02 10:00\n"
            "bo@fabrikam.example,Web visit,,2026-01-02 10:00\n"
            "bo@fabrikam.example,Web visit,Direct,yesterday\n",
            [
                ("2", "Email", "There is no contact with email ghost@nowhere.example in this "
                 "workspace (import the contacts first)."),
                ("3", "Type", "'Carrier pigeon' is not a known touchpoint type (use one of: "
                 "ad_click, form_fill, webinar, email_send, email_open, email_click, event, "
                 "web_visit, content_download, chat, unsubscribe, bounce)."),
                ("4", "Channel", "Give a channel or the name of an existing campaign."),
                ("5", "Occurred at", "'yesterday' is not a date (use YYYY-MM-DD or M/D/YYYY)."),
            ],
        ),
        (
            "activities",
            "Type,Subject,Date,Contact email,Assigned to\n"
            "Call,Intro,2026-01-02 10:00,ana.ruiz@northwind.example,Ana Ruiz\n"
            "Call,Intro,2026-02-30,ana.ruiz@northwind.example,\n"
            "Smoke signal,Intro,2026-01-02,ana.ruiz@northwind.example,\n"
            "Meeting,Intro,2026-01-02,unknown@nowhere.example,\n"
            "Note,Intro,2026-01-02,bo@fabrikam.example,Somebody Else\n"
            "Note,Intro,2026-01-02,,\n",
            [
                ("2", "Date", "'2026-02-30' is not a valid date."),
                ("3", "Type", "'Smoke signal' is not a known type (use one of: call, email, "
                 "meeting, note)."),
                ("4", "Contact email", "There is no contact with email unknown@nowhere.example "
                 "in this workspace (import the contacts first)."),
                ("5", "Assigned to", "'Somebody Else' is not a member of this workspace."),
                ("6", "Contact email", "An activity needs a contact (their email) or a deal."),
            ],
        ),
        (
            "companies",
            "Name,Website,Employees,Country\n"
            "Good Co,good.example,10,DE\n"
            "Bad Site,not a domain,10,DE\n"
            "Negative,neg.example,-5,DE\n"
            "Narnia Ltd,narnia.example,5,Narnia\n"
            ",nameless.example,5,DE\n",
            [
                ("2", "Website", "'not a domain' is not a valid web domain."),
                ("3", "Employees", "Must be between 0 and 10000000."),
                ("4", "Country", "'Narnia' is not a country (use ISO codes such as DE, US)."),
                ("5", "Name", "This field is required."),
            ],
        ),
        (
            "campaigns",
            "Name,Channel,Start date,End date,Budget\n"
            "Good,Webinar,2026-01-01,2026-01-31,100\n"
            "Unknown channel,Skywriting,2026-01-01,2026-01-31,100\n"
            "Backwards,Email,2026-02-01,2026-01-01,100\n"
            "Negative,Email,2026-01-01,2026-01-31,-1\n",
            [
                ("2", "Channel", "'Skywriting' is not a known channel (use one of: paid_search, "
                 "paid_social, organic_search, organic_social, email, webinar, event, content, "
                 "referral, partner, direct, outbound, other)."),
                ("3", "End date", "The end date is before the start date."),
                ("4", "Budget", "The amount cannot be negative."),
            ],
        ),
    ],
    ids=["touchpoints", "activities", "companies", "campaigns"],
)  # fmt: skip
def test_bad_rows_are_reported_against_their_column(
    run_import, workspace, tmp_path, *, record_type, content, expected
) -> None:  # type: ignore[no-untyped-def]
    run_import(DATA / "hubspot-contacts.csv")
    before = _state(workspace)
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="did not complete"):
        run_import(
            _write(tmp_path, "f.csv", content), "--type", record_type, "--errors", str(errors)
        )
    assert _report(errors) == expected
    assert _state(workspace) == before


@pytest.mark.django_db(transaction=True)
def test_a_file_duplicate_is_reported_not_created_twice(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = "Name,Channel\nSpring Launch,Email\nspring launch,Webinar\n"
    errors = tmp_path / "errors.csv"
    output = run_import(
        _write(tmp_path, "c.csv", content),
        "--type", "campaigns", "--mode", "valid-rows", "--errors", str(errors),
    )  # fmt: skip
    assert _counts(created=1, failed=1) in output
    assert _report(errors) == [("2", "", "Duplicate of row 1 in this file.")]
    assert Campaign.objects.for_workspace(workspace).get().channel == "email"


@pytest.mark.django_db(transaction=True)
def test_importing_campaigns_needs_the_campaign_permission(
    importer, member_factory, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    member_factory("sales_rep", email="rep@acme.example")
    path = _write(tmp_path, "c.csv", "Name,Channel\nSpring Launch,Email\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="did not complete"):
        call_command(
            "import", str(path), "--type", "campaigns", "--workspace", "acme",
            "--user", "rep@acme.example", "--no-progress", stdout=out,
        )  # fmt: skip
    assert "Your role (sales_rep) does not allow managing campaigns" in out.getvalue()
    assert Campaign.objects.for_workspace(workspace).count() == 0
    assert ImportJob.objects.for_workspace(workspace).get().status == "failed"


@pytest.mark.django_db(transaction=True)
def test_rows_naming_one_company_two_ways_make_one_company(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = "Company name,Website,Industry\nAcme,https://acme.example,Tools\nACME,,\n"
    output = run_import(_write(tmp_path, "c.csv", content), "--type", "companies")
    assert _counts(created=1, skipped=1) in output  # the second row found the first one's
    acme = Company.objects.for_workspace(workspace).get()
    assert (acme.name, acme.domain, acme.industry) == ("Acme", "acme.example", "Tools")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["all-or-nothing", "valid-rows"])
def test_a_refusal_at_write_time_rolls_the_batch_back(
    importer, workspace, tmp_path, monkeypatch, mode
) -> None:  # type: ignore[no-untyped-def]
    from accord.core.errors import ValidationFailed
    from accord.integrations.importing import deals_import

    real_create = deals_import.deal_create

    def refuse_second(*, actor, values):  # type: ignore[no-untyped-def]
        if values["name"] == "Second":
            raise ValidationFailed.single("amount", "Refused by the test.")
        return real_create(actor=actor, values=values)

    monkeypatch.setattr(deals_import, "deal_create", refuse_second)
    path = _write(tmp_path, "d.csv", "Deal name,Amount,Company\nFirst,10,New Co\nSecond,20,\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="did not complete"):
        call_command(
            "import", str(path), "--type", "deals", "--mode", mode, "--workspace", "acme",
            "--user", "ana@acme.example", "--no-progress", stdout=out,
        )  # fmt: skip
    job = ImportJob.objects.for_workspace(workspace).get()
    assert job.status == "failed"
    assert job.message.startswith("Row 2 could not be saved (Amount: Refused by the test.)")
    assert (Deal.objects.for_workspace(workspace).count(), _state(workspace)[0]) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_company_created_by_a_deal_import_gets_its_domain_later(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    deals = "Deal name,Amount,Company\nRollout,100,Woodgrove Bank\n"
    run_import(_write(tmp_path, "d.csv", deals), "--type", "deals")
    woodgrove = Company.objects.for_workspace(workspace).get()
    assert (woodgrove.name, woodgrove.domain) == ("Woodgrove Bank", "")
    companies = "Company name,Website,Industry\nWoodgrove Bank,woodgrove.example,Banking\n"
    output = run_import(
        _write(tmp_path, "c.csv", companies), "--type", "companies", "--on-match", "fill-empty"
    )
    assert _counts(updated=1) in output
    woodgrove.refresh_from_db()
    assert (woodgrove.domain, woodgrove.industry) == ("woodgrove.example", "Banking")
    assert Company.objects.for_workspace(workspace).count() == 1


@pytest.mark.django_db(transaction=True)
def test_same_named_deals_with_different_ids_are_different_deals(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    content = (
        "Record ID,Deal Name,Deal Stage,Amount,Associated Company\n"
        "1,Renewal,closedwon,100,Fabrikam\n"
        "2,Renewal,appointmentscheduled,120,Fabrikam\n"
    )
    path = _write(tmp_path, "deals.csv", content)
    assert _counts(created=2) in run_import(path, "--type", "deals")
    assert _counts(unchanged=2) in run_import(path, "--type", "deals", "--on-match", "overwrite")
    renewals = Deal.objects.for_workspace(workspace).order_by("external_id")
    assert [(d.external_id, d.status, d.amount) for d in renewals] == [
        ("1", "won", Decimal("100.00")),
        ("2", "open", Decimal("120.00")),
    ]
    assert Company.objects.for_workspace(workspace).count() == 1
