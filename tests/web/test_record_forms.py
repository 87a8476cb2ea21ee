"""Creating and editing companies, contacts and deals on the web, and moving a deal through its
pipeline: every write goes through the services (one row, its ledger entry or stage history),
bad input writes nothing and comes back on the field, and the roles see and do only what
docs/security.md says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.crm.models import (
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
    Pipeline,
    PipelineStage,
)
from accord.crm.selectors import pipeline_stages
from accord.identity.models import Membership, Workspace
from accord.web.record_forms import company_label
from tests.web.conftest import Records

Login = Callable[[Membership], Client]
WRITERS = ["admin", "sales_rep", "marketer"]


def stage(workspace: Workspace, key: str) -> PipelineStage:
    return next(s for s in pipeline_stages(workspace) if s.key == key)


def companies_of(ws: Workspace) -> Any:
    return Company.objects.for_workspace(ws)


def contacts_of(ws: Workspace) -> Any:
    return Contact.objects.for_workspace(ws)


def deals_of(ws: Workspace) -> Any:
    return Deal.objects.for_workspace(ws)


def history_of(deal: Deal) -> list[DealStageChange]:
    return list(
        DealStageChange.objects.for_workspace(deal.workspace_id)
        .filter(deal=deal)
        .order_by("occurred_at", "pk")
    )


@pytest.fixture
def as_role(login: Login, member_factory: Any) -> Callable[[str], tuple[Client, Membership]]:
    def sign_in(role: str) -> tuple[Client, Membership]:
        member = member_factory(role, email=f"{role}.member@acme.example")
        return login(member), member

    return sign_in


def field_errors(response: Any, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# Companies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_a_writer_creates_a_company(as_role: Any, workspace: Workspace, role: str) -> None:
    client, member = as_role(role)
    page = client.get(reverse("web:company_new"))
    assert page.status_code == 200
    assert page.context["form"]["owner"].value() == str(member.user_id)  # owner: the creator
    response = client.post(
        reverse("web:company_new"),
        {
            "name": "Initrode",
            "domain": "https://www.Initrode.example/about",
            "industry": "Software",
            "employee_count": "250",
            "country": "de",
            "owner": str(member.user_id),
        },
    )
    company = companies_of(workspace).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:company", args=[company.pk])
    assert (company.name, company.domain, company.industry) == (
        "Initrode",
        "initrode.example",
        "Software",
    )
    assert (company.employee_count, company.country, company.owner_id) == (
        250,
        "DE",
        member.user_id,
    )
    shown = client.get(response["Location"]).content.decode()
    assert "Company created: Initrode." in shown


def test_an_admin_edits_a_company(admin_client: Client, records: Records) -> None:
    url = reverse("web:company_edit", args=[records.company.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["domain"].value() == "initech.example"
    response = admin_client.post(
        url, {"name": "Initech GmbH", "domain": "initech.example", "industry": "Hardware"}
    )
    assert response.status_code == 302
    records.company.refresh_from_db()
    assert (records.company.name, records.company.industry) == ("Initech GmbH", "Hardware")
    assert records.company.owner_id is None  # a blank owner clears it
    assert records.company.country == ""
    assert companies_of(records.workspace).count() == 1
    assert "Company saved: Initech GmbH." in admin_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "X", "domain": "no domain"}, "domain", "'no domain' is not a valid web domain."),
        (
            {"name": "X", "employee_count": "-3"},
            "employee_count",
            "Must be between 0 and 10000000.",
        ),
        ({"name": "X", "country": "Germany"}, "country", None),
        ({"name": "X", "domain": "initech.example"}, "domain", None),  # another company's
    ],
)
def test_an_invalid_company_is_shown_again_and_nothing_is_written(
    admin_client: Client, records: Records, data: dict[str, str], field: str, message: str | None
) -> None:
    response = admin_client.post(reverse("web:company_new"), data)
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert errors
    if message:
        assert errors == [message]
    html = response.content.decode()
    assert "Nothing was saved." in html
    assert 'class="field-error"' in html
    assert companies_of(records.workspace).count() == 1


def test_an_edit_that_fails_leaves_the_company_as_it_was(
    admin_client: Client, records: Records
) -> None:
    url = reverse("web:company_edit", args=[records.company.pk])
    response = admin_client.post(url, {"name": "", "industry": "Hardware"})
    assert response.status_code == 400
    assert field_errors(response, "name") == ["This field is required."]
    records.company.refresh_from_db()
    assert (records.company.name, records.company.industry) == ("Initech", "Software")


# Contacts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_a_writer_creates_a_contact_at_a_company(as_role: Any, records: Records, role: str) -> None:
    client, member = as_role(role)
    response = client.post(
        reverse("web:contact_new"),
        {
            "first_name": "Milton",
            "last_name": "Waddams",
            "email": "Milton@Initech.example",
            "phone": "+49 30 1234",
            "title": "Collator",
            "company": company_label(records.company),
            "country": "DE",
            "owner": str(member.user_id),
            "original_source": "referral",
        },
    )
    contact = contacts_of(records.workspace).get(email="milton@initech.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:contact", args=[contact.pk])
    assert (contact.full_name, contact.title, contact.phone) == (
        "Milton Waddams",
        "Collator",
        "+49 30 1234",
    )
    assert (contact.company_id, contact.owner_id, contact.original_source) == (
        records.company.pk,
        member.user_id,
        "referral",
    )
    assert contacts_of(records.workspace).count() == 3  # the two of the records, and this one
    entries = list(LedgerEntry.objects.for_workspace(records.workspace).filter(contact=contact))
    assert [(e.from_stage, e.to_stage, e.source, e.actor_user_id) for e in entries] == [
        ("", "lead", "web", member.user_id)
    ]
    assert "Contact created: Milton Waddams." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "text", ["Initech", "initech", "initech.example", "Initech (initech.example)"]
)
def test_the_company_is_found_by_name_domain_or_suggestion(
    admin_client: Client, records: Records, text: str
) -> None:
    response = admin_client.post(
        reverse("web:contact_new"), {"email": "bob@initech.example", "company": text}
    )
    assert response.status_code == 302
    contact = contacts_of(records.workspace).get(email="bob@initech.example")
    assert contact.company_id == records.company.pk


def test_a_company_without_a_domain_is_picked_by_its_id(
    admin_client: Client, records: Records
) -> None:
    twin = Company.objects.create(workspace=records.workspace, name="Initech")  # same name
    assert company_label(twin) == f"Initech (#{twin.pk})"
    url = reverse("web:contact_new")
    ambiguous = admin_client.post(url, {"email": "bob@initech.example", "company": "Initech"})
    assert ambiguous.status_code == 400
    assert field_errors(ambiguous, "company") == [
        "Several companies are called “Initech”: pick one from the suggestions or type its domain."
    ]
    assert (
        admin_client.post(
            url, {"email": "bob@initech.example", "company": f"Initech (#{twin.pk})"}
        ).status_code
        == 302
    )
    assert contacts_of(records.workspace).get(email="bob@initech.example").company_id == twin.pk


def test_an_admin_edits_a_contact_without_touching_its_stage(
    admin_client: Client, records: Records
) -> None:
    contact = records.contact
    url = reverse("web:contact_edit", args=[contact.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["company"].value() == "Initech (initech.example)"
    assert "lifecycle_stage" not in form.fields
    before = LedgerEntry.objects.for_workspace(records.workspace).filter(contact=contact).count()
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(title="Senior engineer", company="", phone="+1 555 0100")
    response = admin_client.post(url, data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.company_id, contact.phone) == (
        "Senior engineer",
        None,
        "+1 555 0100",
    )
    assert contact.lifecycle_stage == "mql"
    after = LedgerEntry.objects.for_workspace(records.workspace).filter(contact=contact).count()
    assert after == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "'not-an-email' is not a valid email address."),
        ({"email": "Peter.Gibbons@initech.example"}, "email", None),  # taken in the workspace
        ({"email": "x@y.example", "company": "Globex"}, "company", None),
        ({"email": "x@y.example", "owner": "999999"}, "owner", None),
        ({"email": "x@y.example", "first_name": "x" * 101}, "first_name", None),
    ],
)
def test_an_invalid_contact_is_shown_again_and_nothing_is_written(
    admin_client: Client, records: Records, data: dict[str, str], field: str, message: str | None
) -> None:
    entries = LedgerEntry.objects.for_workspace(records.workspace).count()
    response = admin_client.post(reverse("web:contact_new"), data)
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert errors
    if message:
        assert errors == [message]
    assert "Nothing was saved." in response.content.decode()
    assert contacts_of(records.workspace).count() == 2
    assert LedgerEntry.objects.for_workspace(records.workspace).count() == entries


def test_a_duplicate_email_names_the_contact_that_has_it(
    admin_client: Client, records: Records
) -> None:
    response = admin_client.post(
        reverse("web:contact_edit", args=[records.other_contact.pk]),
        {"email": records.contact.email},
    )
    assert response.status_code == 400
    assert field_errors(response, "email") == [f"Already used by contact {records.contact.pk}."]
    records.other_contact.refresh_from_db()
    assert records.other_contact.email == "samir@globex.example"


def test_the_same_email_in_another_workspace_is_fine(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    email = other_records.contact.email
    response = admin_client.post(reverse("web:contact_new"), {"email": email})
    assert response.status_code == 302
    assert contacts_of(records.workspace).filter(email=email).count() == 1
    other_records.contact.refresh_from_db()
    assert other_records.contact.workspace_id == other_records.workspace.pk


def test_new_contact_from_a_company_page_starts_at_that_company(
    admin_client: Client, records: Records
) -> None:
    detail = admin_client.get(reverse("web:company", args=[records.company.pk])).content.decode()
    link = f"{reverse('web:contact_new')}?company={records.company.pk}"
    assert link in detail
    page = admin_client.get(link)
    assert page.context["form"]["company"].value() == "Initech (initech.example)"


# Deals ---------------------------------------------------------------------------------------


def deal_data(records: Records, **overrides: str) -> dict[str, str]:
    ws = records.workspace
    data = {
        "name": "Initech renewal",
        "company": "initech.example",
        "primary_contact": records.contact.email,
        "owner": "",
        "source": "referral",
        "pipeline": str(stage(ws, "proposal").pipeline_id),
        "stage": str(stage(ws, "proposal").pk),
        "amount": "12500.50",
        "currency": "EUR",
        "expected_close_date": "2026-09-30",
        "close_reason": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize("role", ["admin", "sales_rep", "sdr"])
def test_a_seller_creates_a_deal_with_its_terms(as_role: Any, records: Records, role: str) -> None:
    client, member = as_role(role)
    page = client.get(reverse("web:deal_new"))
    assert page.status_code == 200
    assert page.context["form"]["stage"].value() == str(
        stage(records.workspace, "qualification").pk
    )
    response = client.post(reverse("web:deal_new"), deal_data(records, owner=str(member.user_id)))
    deal = deals_of(records.workspace).get(name="Initech renewal")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:deal", args=[deal.pk])
    assert (deal.amount, deal.currency, deal.status) == (Decimal("12500.50"), "EUR", "open")
    assert (deal.stage_id, deal.company_id, deal.primary_contact_id, deal.owner_id) == (
        stage(records.workspace, "proposal").pk,
        records.company.pk,
        records.contact.pk,
        member.user_id,
    )
    assert deal.expected_close_date == dt.date(2026, 9, 30)
    assert deals_of(records.workspace).count() == 2
    [created] = history_of(deal)
    assert (created.from_stage_id, created.to_stage_id, created.amount) == (
        None,
        deal.stage_id,
        Decimal("12500.50"),
    )
    assert (created.actor_user_id, created.source) == (member.user_id, "web")
    shown = client.get(response["Location"]).content.decode()
    assert "Deal created: Initech renewal." in shown


def test_a_marketer_creates_a_deal_without_its_terms(as_role: Any, records: Records) -> None:
    client, _ = as_role("marketer")
    page = client.get(reverse("web:deal_new"))
    assert page.status_code == 200
    form = page.context["form"]
    assert not {"amount", "pipeline", "stage", "close_reason"} & set(form.fields)
    assert 'id="sales-terms-note"' in page.content.decode()
    data = deal_data(records)
    for term in ("amount", "pipeline", "stage", "close_reason"):
        data.pop(term)
    response = client.post(reverse("web:deal_new"), data)
    assert response.status_code == 302
    deal = deals_of(records.workspace).get(name="Initech renewal")
    assert (deal.amount, deal.stage_id) == (
        Decimal("0.00"),
        stage(records.workspace, "qualification").pk,
    )


@pytest.mark.parametrize("term", [{"amount": "99999"}, {"stage": "1"}, {"close_reason": "x"}])
def test_a_marketer_posting_sales_terms_is_refused(
    as_role: Any, records: Records, term: dict[str, str]
) -> None:
    client, _ = as_role("marketer")
    data = {"name": "Sneaky", **term}
    response = client.post(reverse("web:deal_new"), data)
    assert response.status_code == 403
    assert "Marketers cannot set a deal&#x27;s" in response.content.decode()
    assert deals_of(records.workspace).count() == 1
    edit = client.post(reverse("web:deal_edit", args=[records.deal.pk]), data)
    assert edit.status_code == 403
    records.deal.refresh_from_db()
    assert (records.deal.name, records.deal.amount) == ("Initech platform", Decimal("24000.00"))


def test_a_marketer_edits_a_deal_but_keeps_its_terms(as_role: Any, records: Records) -> None:
    client, _ = as_role("marketer")
    url = reverse("web:deal_edit", args=[records.deal.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["name"] = "Initech platform (EMEA)"
    response = client.post(url, data)
    assert response.status_code == 302
    records.deal.refresh_from_db()
    assert records.deal.name == "Initech platform (EMEA)"
    assert (records.deal.amount, records.deal.stage.key) == (Decimal("24000.00"), "demo")
    assert len(history_of(records.deal)) == 2  # unchanged: created, moved to demo


def test_an_edit_of_the_amount_is_kept_in_the_stage_history(
    admin_client: Client, records: Records
) -> None:
    url = reverse("web:deal_edit", args=[records.deal.pk])
    form = admin_client.get(url).context["form"]
    data = {name: str(form[name].value() or "") for name in form.fields}
    assert data["amount"] == "24000.00"
    data["amount"] = "30000"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    records.deal.refresh_from_db()
    assert records.deal.amount == Decimal("30000.00")
    last = history_of(records.deal)[-1]
    assert (last.from_stage_id, last.to_stage_id, last.amount) == (
        records.deal.stage_id,
        records.deal.stage_id,
        Decimal("30000.00"),
    )


NOT_A_CURRENCY = "is not an ISO 4217 currency code (for example EUR, USD, GBP)."
NOT_A_DATE = "is not a date (use YYYY-MM-DD)."


def second_pipeline(workspace: Workspace) -> PipelineStage:
    other = Pipeline.objects.create(workspace=workspace, name="Partners")
    return PipelineStage.objects.create(
        workspace=workspace, pipeline=other, key="intro", label="Intro", position=1, probability=5
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"amount": "-5"}, "amount", "The amount cannot be negative."),
        ({"amount": "lots"}, "amount", "'lots' is not a number."),
        ({"currency": "EURO"}, "currency", f"'EURO' {NOT_A_CURRENCY}"),
        (
            {"expected_close_date": "2026-02-31"},
            "expected_close_date",
            f"'2026-02-31' {NOT_A_DATE}",
        ),
        ({"primary_contact": "nobody@nowhere.example"}, "primary_contact", None),
        ({"company": "No Such Company"}, "company", None),
        ({"stage": "other-pipeline"}, "stage", "That stage is not in the deal's pipeline."),
        ({"stage": "999999"}, "stage", None),
    ],
)
def test_an_invalid_deal_is_shown_again_and_nothing_is_written(
    admin_client: Client,
    records: Records,
    overrides: dict[str, str],
    field: str,
    message: str | None,
) -> None:
    foreign = second_pipeline(records.workspace)
    if overrides.get("stage") == "other-pipeline":
        overrides = {"stage": str(foreign.pk)}
    changes = DealStageChange.objects.for_workspace(records.workspace).count()
    response = admin_client.post(reverse("web:deal_new"), deal_data(records, **overrides))
    assert response.status_code == 400
    errors = field_errors(response, field)
    assert errors
    if message:
        assert errors == [message]
    assert "Nothing was saved." in response.content.decode()
    assert deals_of(records.workspace).count() == 1
    assert DealStageChange.objects.for_workspace(records.workspace).count() == changes


def test_a_deal_moves_to_a_stage_of_another_pipeline_with_that_pipeline(
    admin_client: Client, records: Records
) -> None:
    intro = second_pipeline(records.workspace)
    url = reverse("web:deal_edit", args=[records.deal.pk])
    form = admin_client.get(url).context["form"]
    data = {name: str(form[name].value() or "") for name in form.fields}
    data.update(pipeline=str(intro.pipeline_id), stage=str(intro.pk))
    assert admin_client.post(url, data).status_code == 302
    records.deal.refresh_from_db()
    assert (records.deal.pipeline_id, records.deal.stage_id) == (intro.pipeline_id, intro.pk)


# The stage form on the deal page ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "sales_rep"])
def test_a_seller_closes_a_deal_won(as_role: Any, records: Records, role: str) -> None:
    client, member = as_role(role)
    detail = client.get(reverse("web:deal", args=[records.deal.pk]))
    assert 'id="deal-stage"' in detail.content.decode()
    won = stage(records.workspace, "closed_won")
    response = client.post(
        reverse("web:deal_stage", args=[records.deal.pk]),
        {"stage": str(won.pk), "close_reason": "Best integration story"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:deal", args=[records.deal.pk])
    deal = deals_of(records.workspace).get(pk=records.deal.pk)
    assert (deal.status, deal.stage_id, deal.close_reason) == (
        "won",
        won.pk,
        "Best integration story",
    )
    assert deal.closed_at is not None
    last = history_of(deal)[-1]
    assert (last.from_stage_id, last.to_stage_id) == (stage(records.workspace, "demo").pk, won.pk)
    assert (last.actor_user_id, last.source) == (member.user_id, "web")
    shown = client.get(response["Location"]).content.decode()
    assert "Moved Initech platform to Closed won: the deal is won." in shown


def test_moving_a_deal_back_to_an_open_stage_reopens_it(
    admin_client: Client, records: Records
) -> None:
    url = reverse("web:deal_stage", args=[records.deal.pk])
    admin_client.post(url, {"stage": str(stage(records.workspace, "closed_lost").pk)})
    records.deal.refresh_from_db()
    assert (records.deal.status, records.deal.closed_at is not None) == ("lost", True)
    admin_client.post(url, {"stage": str(stage(records.workspace, "negotiation").pk)})
    records.deal.refresh_from_db()
    assert (records.deal.status, records.deal.closed_at) == ("open", None)


def test_a_stage_outside_the_deals_pipeline_is_refused(
    admin_client: Client, records: Records
) -> None:
    foreign = second_pipeline(records.workspace)
    before = len(history_of(records.deal))
    response = admin_client.post(
        reverse("web:deal_stage", args=[records.deal.pk]), {"stage": str(foreign.pk)}
    )
    assert response.status_code == 400
    assert response.context["stage_form"].errors["stage"]
    assert "Nothing was saved." in response.content.decode()
    records.deal.refresh_from_db()
    assert records.deal.stage.key == "demo"
    assert len(history_of(records.deal)) == before


def test_a_marketer_neither_sees_nor_uses_the_stage_form(as_role: Any, records: Records) -> None:
    client, _ = as_role("marketer")
    detail = client.get(reverse("web:deal", args=[records.deal.pk])).content.decode()
    assert 'id="deal-stage"' not in detail
    assert 'id="edit-deal"' in detail  # they still describe the deal
    won = stage(records.workspace, "closed_won")
    response = client.post(reverse("web:deal_stage", args=[records.deal.pk]), {"stage": won.pk})
    assert response.status_code == 403
    assert "Marketers cannot set a deal&#x27;s stage_id" in response.content.decode()
    records.deal.refresh_from_db()
    assert (records.deal.status, records.deal.stage.key) == ("open", "demo")


# Viewers and other workspaces --------------------------------------------------------------------


def test_a_viewer_sees_no_buttons_and_is_refused_every_form(
    login: Login, viewer: Membership, records: Records
) -> None:
    client = login(viewer)
    for name in ("companies", "contacts", "deals"):
        html = client.get(reverse(f"web:{name}")).content.decode()
        assert "/new/" not in html, name
    for name, pk in (
        ("company", records.company.pk),
        ("contact", records.contact.pk),
        ("deal", records.deal.pk),
    ):
        html = client.get(reverse(f"web:{name}", args=[pk])).content.decode()
        assert f'id="edit-{name}"' not in html
        assert "/edit/" not in html
    assert 'id="deal-stage"' not in html
    urls = [
        reverse("web:company_new"),
        reverse("web:contact_new"),
        reverse("web:deal_new"),
        reverse("web:company_edit", args=[records.company.pk]),
        reverse("web:contact_edit", args=[records.contact.pk]),
        reverse("web:deal_edit", args=[records.deal.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "Viewer's", "email": "v@x.example"}).status_code == 403
    won = stage(records.workspace, "closed_won").pk
    assert client.get(reverse("web:deal_stage", args=[records.deal.pk])).status_code == 405
    assert (
        client.post(reverse("web:deal_stage", args=[records.deal.pk]), {"stage": won}).status_code
        == 403
    )
    ws = records.workspace
    assert (companies_of(ws).count(), contacts_of(ws).count(), deals_of(ws).count()) == (1, 2, 1)
    records.deal.refresh_from_db()
    assert records.deal.status == "open"


def test_another_workspaces_records_are_not_found(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    urls = [
        reverse("web:company_edit", args=[other_records.company.pk]),
        reverse("web:contact_edit", args=[other_records.contact.pk]),
        reverse("web:deal_edit", args=[other_records.deal.pk]),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 404, url
        assert (
            admin_client.post(url, {"name": "Mine now", "email": "a@b.example"}).status_code == 404
        )
    won = stage(other_records.workspace, "closed_won").pk
    response = admin_client.post(
        reverse("web:deal_stage", args=[other_records.deal.pk]), {"stage": won}
    )
    assert response.status_code == 404
    other_records.company.refresh_from_db()
    other_records.deal.refresh_from_db()
    assert other_records.company.name == "OtherInitech"
    assert (other_records.deal.name, other_records.deal.status) == ("OtherInitech platform", "open")


def test_another_workspaces_company_cannot_be_picked(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    for text in ("OtherInitech", "otherinitech.example", company_label(other_records.company)):
        response = admin_client.post(
            reverse("web:contact_new"), {"email": "new@initech.example", "company": text}
        )
        assert response.status_code == 400, text
        assert field_errors(response, "company")
    assert not contacts_of(records.workspace).filter(email="new@initech.example").exists()


# Picker suggestions ----------------------------------------------------------------------------


def test_the_company_picker_suggests_this_workspaces_companies(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    response = admin_client.get(reverse("web:company_options"), {"company": "initech"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="Initech (initech.example)">Software</option>' in html
    assert "OtherInitech" not in html
    picked = admin_client.get(
        reverse("web:company_options"), {"company": "Initech (initech.example)"}
    )
    assert "Initech (initech.example)" in picked.content.decode()


def test_the_contact_picker_suggests_by_name_with_the_email_as_value(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    response = admin_client.get(reverse("web:contact_options"), {"primary_contact": "gibbons"})
    html = response.content.decode()
    assert '<option value="peter.gibbons@initech.example">Peter Gibbons · Initech</option>' in html
    assert "otherpeter" not in html


def test_suggestions_are_limited(admin_client: Client, admin: Membership) -> None:
    Company.objects.bulk_create(
        Company(workspace=admin.workspace, name=f"Acme {i:03}") for i in range(45)
    )
    html = admin_client.get(reverse("web:company_options"), {"q": "acme"}).content.decode()
    assert html.count("<option") == 20
    assert "Acme 000 (#" in html


# Lists: buttons and empty states ---------------------------------------------------------------


LISTS = [("companies", "company"), ("contacts", "contact"), ("deals", "deal")]


@pytest.mark.parametrize(("name", "noun"), LISTS)
def test_an_empty_list_says_so_and_links_to_new_and_imports(
    admin_client: Client, admin: Membership, name: str, noun: str
) -> None:
    html = admin_client.get(reverse(f"web:{name}")).content.decode()
    assert f"No {name} yet." in html
    assert f'href="{reverse(f"web:{noun}_new")}"' in html
    assert f'href="{reverse("imports:upload")}"' in html
    assert "match these filters" not in html
    filtered = admin_client.get(reverse(f"web:{name}"), {"q": "zzz"}).content.decode()
    assert f"No {name} match these filters." in filtered
    assert f"No {name} yet." not in filtered


def test_a_list_filtered_by_a_hidden_filter_is_not_called_empty(
    admin_client: Client, records: Records
) -> None:
    lonely = Company.objects.create(workspace=records.workspace, name="Lonely")
    html = admin_client.get(reverse("web:contacts"), {"company": lonely.pk}).content.decode()
    assert "No contacts match these filters." in html


def test_a_viewer_sees_an_empty_list_without_links(login: Login, viewer: Membership) -> None:
    html = login(viewer).get(reverse("web:companies")).content.decode()
    assert "No companies yet." in html
    assert reverse("imports:upload") not in html


def test_the_new_buttons_lead_to_the_forms(admin_client: Client, admin: Membership) -> None:
    for name, noun in (("companies", "company"), ("contacts", "contact"), ("deals", "deal")):
        html = admin_client.get(reverse(f"web:{name}")).content.decode()
        assert f'id="new-{noun}" href="{reverse(f"web:{noun}_new")}"' in html or (
            f'href="{reverse(f"web:{noun}_new")}" id="new-{noun}"' in html
        )
        assert admin_client.get(reverse(f"web:{noun}_new")).status_code == 200
