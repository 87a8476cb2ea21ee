"""Fixtures for the web shell: signed-in clients, a small set of records written through the
services, and a headless Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.crm.models import Company, Contact, Deal
from accord.crm.selectors import pipeline_stages
from accord.crm.services import activities, companies, contacts, deals, ledger
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.identity.tests.factories import PASSWORD
from accord.marketing import services as marketing
from accord.marketing.models import Campaign

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Records:
    """One of each record, in one workspace, with a contact whose history is known."""

    workspace: Workspace
    company: Company
    contact: Contact
    other_contact: Contact
    deal: Deal
    campaign: Campaign


def make_records(membership: Membership, *, prefix: str = "") -> Records:
    """Write a small, known dataset through the services.

    The contact's history, oldest first: created as a lead (4 days ago), a webinar touchpoint
    (3 days ago), a call (2 days ago), moved to MQL by a rule (1 day ago).
    """
    workspace = membership.workspace
    actor = Actor.for_membership(membership, Source.WEB)
    now = timezone.now()
    company = companies.company_create(
        actor=actor,
        values={
            "name": f"{prefix}Initech",
            "domain": f"{prefix.lower()}initech.example",
            "industry": "Software",
            "country": "DE",
            "owner_id": membership.user_id,
        },
    )
    contact = contacts.contact_create(
        actor=actor,
        values={
            "email": f"{prefix.lower()}peter.gibbons@initech.example",
            "first_name": "Peter",
            "last_name": "Gibbons",
            "title": "Engineer",
            "company_id": company.pk,
            "country": "DE",
            "owner_id": membership.user_id,
            "original_source": "webinar",
            "lifecycle_stage": "lead",
            "created_at": now - dt.timedelta(days=4),
            "custom_fields": {"persona": "Champion"},
        },
    )
    other_contact = contacts.contact_create(
        actor=actor,
        values={
            "email": f"{prefix.lower()}samir@globex.example",
            "first_name": "Samir",
            "last_name": "Nagheenanajar",
            "country": "FR",
            "original_source": "paid_search",
            "lifecycle_stage": "subscriber",
        },
    )
    campaign = marketing.campaign_create(
        actor=actor,
        values={
            "name": f"{prefix}TPS Webinar",
            "channel": "webinar",
            "type": "webinar",
            "budget": "5000",
            "currency": "EUR",
        },
    )
    marketing.campaign_cost_add(
        actor=actor,
        campaign_id=campaign.pk,
        values={"date": (now - dt.timedelta(days=5)).date(), "amount": "1200", "note": "Host"},
    )
    marketing.touchpoint_create(
        actor=actor,
        values={
            "contact_id": contact.pk,
            "campaign_id": campaign.pk,
            "type": "webinar",
            "occurred_at": now - dt.timedelta(days=3),
        },
    )
    activities.activity_create(
        actor=actor,
        values={
            "kind": "call",
            "contact_id": contact.pk,
            "subject": "Discovery call",
            "body": "Talked about TPS reports.",
            "occurred_at": now - dt.timedelta(days=2),
        },
    )
    ledger.change_stage(
        actor=Actor.system(workspace, Source.RULE, rule="score >= 60"),
        contact_id=contact.pk,
        to_stage="mql",
        definition_version="v2",
        occurred_at=now - dt.timedelta(days=1),
    )
    stages = {s.key: s for s in pipeline_stages(workspace)}
    deal = deals.deal_create(
        actor=actor,
        values={
            "name": f"{prefix}Initech platform",
            "amount": "24000",
            "currency": "EUR",
            "company_id": company.pk,
            "primary_contact_id": contact.pk,
            "owner_id": membership.user_id,
            "source": "webinar",
            "stage_id": stages["qualification"].pk,
        },
    )
    deals.deal_update(actor=actor, deal_id=deal.pk, values={"stage_id": stages["demo"].pk})
    activities.activity_create(
        actor=actor, values={"kind": "meeting", "deal_id": deal.pk, "subject": "Demo meeting"}
    )
    contact.refresh_from_db()
    deal.refresh_from_db()
    return Records(
        workspace=workspace,
        company=company,
        contact=contact,
        other_contact=other_contact,
        deal=deal,
        campaign=campaign,
    )


@pytest.fixture
def records(admin: Membership) -> Records:
    return make_records(admin)


@pytest.fixture
def other_records(other_workspace: Workspace, member_factory: Any) -> Records:
    other_admin = member_factory("admin", ws=other_workspace, email="boss@other.example")
    return make_records(other_admin, prefix="Other")


@pytest.fixture
def login(client: Client) -> Callable[[Membership], Client]:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def admin_client(login: Callable[[Membership], Client], admin: Membership) -> Client:
    return login(admin)


@pytest.fixture
def viewer(member_factory: Any) -> Membership:
    return member_factory("viewer", email="viewer@acme.example")  # type: ignore[no-any-return]


# Browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()


@pytest.fixture
def sign_in_browser(live_server: Any, page: Any) -> Callable[[str], Any]:
    """Log in through the login form; returns the page, on the home dashboard."""

    def sign_in(email: str, password: str = PASSWORD) -> Any:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return sign_in
