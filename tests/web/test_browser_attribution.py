"""End-to-end in Debian's Chromium: a manager reads marketing's part per campaign, compares the
models, chooses the workspace's model, and finds a won deal's marketers in the recognition feed
and on the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from accord.attribution.services import recognise, settings_for
from accord.crm.selectors import pipeline_stages
from accord.crm.services import contacts, deals
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.marketing.models import Campaign, CampaignCost, Touchpoint

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_a_manager_reads_compares_and_chooses(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any,
) -> None:  # fmt: skip
    actor = Actor.for_membership(admin, Source.API)
    member_factory("manager", email="boss@acme.example")
    maya = member_factory("marketer", email="maya@acme.example")
    ws, now = admin.workspace, timezone.now()
    webinar = Campaign.objects.create(workspace=ws, name="Masterclass", channel="webinar",
                                      currency="USD", owner=maya.user)  # fmt: skip
    CampaignCost.objects.create(workspace=ws, campaign=webinar, amount="1000.00", currency="USD",
                                date=(now - dt.timedelta(days=10)).date())  # fmt: skip
    ana = contacts.contact_create(actor=actor, values={"email": "ana@x.example"}).pk
    for channel, campaign, days in (("webinar", webinar, 9), ("email", None, 6)):
        Touchpoint.objects.create(workspace=ws, contact_id=ana, channel=channel,
                                  campaign=campaign, type="form_submit",
                                  occurred_at=now - dt.timedelta(days=days))  # fmt: skip
    stage = {s.key: s for s in pipeline_stages(ws)}["closed_won"]
    deal = deals.deal_create(actor=actor, values={
        "name": "Initrode renewal", "amount": "8000.00", "stage_id": stage.pk,
        "primary_contact_id": ana, "created_at": now - dt.timedelta(days=5),
        "closed_at": now - dt.timedelta(days=1)})  # fmt: skip
    recognise(ws, deal.pk)

    page = sign_in_browser("boss@acme.example")
    page.goto(f"{live_server.url}/attribution/")
    page.wait_for_selector("#credit-chart svg .mark-rect path")
    assert page.locator("#credit-chart svg .mark-rect path").count() == 2  # webinar, email
    page.select_option("#attribution-filters select[name=model]", "first_touch")
    page.select_option("#attribution-filters select[name=by]", "campaign")
    page.click("#attribution-filters button:has-text('Apply')")
    row = page.locator("#credit-table tr", has_text="Masterclass")
    row.wait_for()
    assert "$8,000" in row.inner_text() and "700%" in row.inner_text()  # (8000 - 1000) / 1000
    assert maya.user.display_name in row.inner_text()

    page.select_option("#attribution-filters select[name=model]", "all")
    page.click("#attribution-filters button:has-text('Apply')")
    page.wait_for_selector("#comparison")
    assert page.locator("#comparison thead th").count() == 13  # the campaign + twelve models

    page.select_option("#settings select[name=model]", "linear")
    page.click("#settings button:has-text('Save')")
    page.wait_for_selector("text=now credits marketing with the Linear model")
    assert settings_for(ws).model == "linear"

    page.click("a:has-text('Recognition feed')")
    entry = page.locator(f"[data-deal='{deal.pk}']")
    assert "Initrode renewal" in entry.inner_text() and maya.user.display_name in entry.inner_text()
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#attribution-chart svg .mark-rect path")
    assert "Initrode renewal" in page.inner_text("#recent-recognition")
