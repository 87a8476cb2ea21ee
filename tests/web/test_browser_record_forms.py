"""End-to-end in Debian's Chromium: a new team's admin starts from empty lists, creates a
company, a contact at it (picked from the company picker's suggestions) and a deal, moves the
deal to won from its page, and finds all three on the lists."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from accord.crm.models import Company, Contact, Deal, DealStageChange, LedgerEntry
from accord.identity.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_create_a_company_a_contact_and_a_deal_and_win_it(
    sign_in_browser: Callable[[str], Any], admin: Membership, live_server: Any
) -> None:
    ws = admin.workspace
    page = sign_in_browser("admin@acme.example")
    page.goto(f"{live_server.url}/companies/")
    assert "No companies yet." in page.inner_text("#empty-companies")

    page.click("#new-company")
    page.wait_for_url(f"{live_server.url}/companies/new/")
    page.fill("input[name=name]", "Initrode <GmbH>")
    page.fill("input[name=domain]", "https://www.initrode.example/about")
    page.fill("input[name=industry]", "Software")
    page.fill("input[name=employee_count]", "120")
    page.fill("input[name=country]", "de")
    page.click("#company-form button[type=submit]")
    page.wait_for_selector("text=Company created: Initrode <GmbH>.")
    company = Company.objects.for_workspace(ws).get()
    assert page.url == f"{live_server.url}/companies/{company.pk}/"
    assert (company.domain, company.country, company.owner_id) == (
        "initrode.example",
        "DE",
        admin.user_id,
    )

    # A contact from the list's button, the company picked from the suggestions as one types.
    page.goto(f"{live_server.url}/contacts/")
    page.click("#new-contact")
    page.wait_for_url(f"{live_server.url}/contacts/new/")
    page.fill("input[name=first_name]", "Milton")
    page.fill("input[name=last_name]", "Waddams")
    page.fill("input[name=email]", "milton@initrode.example")
    page.fill("input[name=title]", "Collator")
    page.click("input[name=company]")
    page.keyboard.type("initr")
    option = page.locator("#company-options option[value='Initrode <GmbH> (initrode.example)']")
    option.wait_for(state="attached")
    page.fill("input[name=company]", option.get_attribute("value"))
    page.click("#contact-form button[type=submit]")
    page.wait_for_selector("text=Contact created: Milton Waddams.")
    contact = Contact.objects.for_workspace(ws).get()
    assert page.url == f"{live_server.url}/contacts/{contact.pk}/"
    assert contact.company_id == company.pk
    assert (
        LedgerEntry.objects.for_workspace(ws).filter(contact=contact, to_stage="lead").count() == 1
    )
    assert "Initrode <GmbH>" in page.inner_text(".record-header")

    # A deal from the contact's page: its company and contact are filled in already.
    page.click("#new-deal-here")
    page.wait_for_url(f"{live_server.url}/deals/new/?contact={contact.pk}")
    assert page.input_value("input[name=company]") == "Initrode <GmbH> (initrode.example)"
    assert page.input_value("input[name=primary_contact]") == "milton@initrode.example"
    page.fill("input[name=name]", "Initrode platform")
    page.fill("input[name=amount]", "18000")
    page.fill("input[name=currency]", "EUR")
    page.fill("input[name=expected_close_date]", "2026-12-15")
    page.click("#deal-form button[type=submit]")
    page.wait_for_selector("text=Deal created: Initrode platform.")
    deal = Deal.objects.for_workspace(ws).get()
    assert page.url == f"{live_server.url}/deals/{deal.pk}/"
    assert (deal.amount, deal.currency, deal.stage.key) == (
        Decimal("18000.00"),
        "EUR",
        "qualification",
    )

    # Won, from the stage form.
    page.select_option("#deal-stage select[name=stage]", label="Closed won (won)")
    page.fill("#deal-stage input[name=close_reason]", "Best integration story")
    page.click("#deal-stage button[type=submit]")
    page.wait_for_selector("text=Moved Initrode platform to Closed won: the deal is won.")
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("won", "Best integration story")
    assert "Won" in page.inner_text(".record-header h1")
    assert "Closed won" in page.inner_text("#stage-history")
    assert DealStageChange.objects.for_workspace(ws).filter(deal=deal).count() == 2

    for path, text in (
        ("/companies/", "Initrode <GmbH>"),
        ("/contacts/", "Milton Waddams"),
        ("/deals/", "Initrode platform"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert text in page.inner_text("#results"), path
    assert "Closed won" in page.inner_text("#results")
    page.goto(f"{live_server.url}/companies/{company.pk}/")
    assert "Milton Waddams" in page.inner_text("#company-contacts")
    assert "Initrode platform" in page.inner_text("#company-deals")
