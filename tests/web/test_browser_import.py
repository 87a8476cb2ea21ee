"""End-to-end import in Chromium: upload the HubSpot sample, check the preview, confirm, and
watch the job page (which polls with htmx) report the result while the worker runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accord.crm.models import Contact
from accord.identity.models import Membership
from accord.integrations.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

HUBSPOT = Path(__file__).resolve().parent.parent / "data" / "hubspot-contacts.csv"


@pytest.fixture
def ana(member_factory: Any, settings: Any, tmp_path: Path) -> Membership:
    settings.DATA_DIR = tmp_path
    return member_factory("admin", email="ana@acme.example")  # type: ignore[no-any-return]


def test_import_hubspot_file_in_the_browser(
    sign_in_browser: Callable[[str], Any], live_server: Any, ana: Membership
) -> None:
    page = sign_in_browser("ana@acme.example")
    page.click(".sidebar a.nav-link:has-text('Imports')")
    page.wait_for_url(f"{live_server.url}/imports/")
    expect(page.locator(".sidebar a.nav-link.active")).to_have_text("Imports")
    page.click("a:has-text('New import')")
    page.wait_for_url(f"{live_server.url}/imports/new/")

    page.set_input_files("input[name=file]", str(HUBSPOT))
    page.click("button:has-text('Upload and preview')")
    page.wait_for_url(re.compile(r"/imports/preview/[0-9a-f]{32}/$"))
    expect(page.locator("h1")).to_have_text("Check the mapping")
    expect(page.locator("#preset")).to_have_text("HubSpot export")
    expect(page.locator(".mapping-table tbody tr")).to_have_count(16)
    expect(page.locator(".sample-table tbody tr")).to_have_count(5)
    status = page.locator("#mapping-status")
    expect(status).to_have_text(re.compile(r"^\s*All required fields are mapped\."))

    # Unmapping the email column flags the required field at once (htmx); mapping it back
    # clears the flag.
    email = page.locator("select[name=column_3]")
    expect(email).to_have_value("email")
    email.select_option("")
    expect(status).to_contain_text("Missing required field: Email.")
    email.select_option("email")
    expect(status).to_contain_text("All required fields are mapped.")

    page.click("button:has-text('Start import')")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    job = ImportJob.objects.for_workspace(ana.workspace).get()
    assert page.url == f"{live_server.url}/imports/{job.pk}/"
    expect(page.locator("#job-status")).to_have_text("Waiting to start")

    call_command("worker", "--once")  # the page keeps polling meanwhile

    expect(page.locator("#job-status")).to_have_text("Finished", timeout=15_000)
    expect(page.locator("#job-summary")).to_have_text(
        "Finished: created 5, updated 0, unchanged 0, skipped 0, failed 0."
    )
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#job-progress .progress-fill")).to_have_attribute("style", "width: 100%")
    assert Contact.objects.for_workspace(ana.workspace).count() == 5
