"""End-to-end in Debian's Chromium: a marketer uploads a file to the enablement library and
sees it listed; a sales rep finds it, records it on a deal from the deal's page, and it shows
on the asset's page and in the usage report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accord.crm.services.deals import deal_create
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.marketing.enablement_models import Asset, AssetUsage

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_upload_then_record_on_a_deal(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any, tmp_path: Path,
) -> None:  # fmt: skip
    member_factory("marketer", email="maya@acme.example")
    member_factory("sales_rep", email="sam@acme.example")
    deal = deal_create(actor=Actor.for_membership(admin, Source.WEB), values={"name": "Globex"})
    deck = tmp_path / "roi-deck.pdf"
    deck.write_bytes(PDF)

    page = sign_in_browser("maya@acme.example")
    page.goto(f"{live_server.url}/enablement/")
    page.fill("#asset-form input[name=title]", "ROI deck")
    page.fill("#asset-form input[name=stages]", "Proposal")
    page.fill("#asset-form input[name=personas]", "CFO")
    page.set_input_files("#asset-form input[name=file]", str(deck))
    page.click("#asset-form button:has-text('Add asset')")
    page.wait_for_selector("text=Asset added: ROI deck.")
    assert "roi-deck.pdf" in page.inner_text("#versions")
    page.goto(f"{live_server.url}/enablement/?stage=proposal")
    assert page.inner_text("#assets").count("ROI deck") == 1

    page.context.clear_cookies()
    sign_in_browser("sam@acme.example")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    assert "No assets recorded on this deal." in page.inner_text("#deal-assets")
    page.select_option("#asset-use-form select[name=asset_id]", label="ROI deck")
    page.fill("#asset-use-form input[name=note]", "Sent after the demo")
    page.click("#asset-use-form button:has-text('Record use')")
    page.wait_for_selector("text=Recorded: ROI deck on this deal.")
    assert "ROI deck" in page.inner_text("#deal-assets")
    asset = Asset.objects.for_workspace(admin.workspace).get()
    page.goto(f"{live_server.url}/enablement/{asset.pk}/")
    assert "Globex" in page.inner_text("#usage")
    page.goto(f"{live_server.url}/enablement/report/")
    assert "1" in page.inner_text("#by-rep")
    usage = AssetUsage.objects.for_workspace(admin.workspace).get()
    assert (usage.user.email, usage.deal_id, usage.note) == (
        "sam@acme.example", deal.pk, "Sent after the demo"
    )  # fmt: skip
