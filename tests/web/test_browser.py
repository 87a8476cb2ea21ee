"""End-to-end: Debian's Chromium, driven by Playwright, against a live server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from accord.crm.models import LedgerEntry
from accord.identity.models import Membership
from tests.web.conftest import Records, make_records

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def seeded(admin: Membership) -> Records:
    return make_records(admin)


@pytest.fixture
def signed_in(sign_in_browser: Callable[[str], Any], seeded: Records) -> Any:
    return sign_in_browser("admin@acme.example")


def test_login_form_leads_to_the_dashboard(signed_in: Any) -> None:
    page = signed_in
    assert page.locator("h1").first.inner_text() == "Acme Revenue"
    assert page.locator(".brand-name").first.inner_text() == "Accord"
    assert page.locator("#funnel").is_visible()


def test_wrong_password_stays_on_login(live_server: Any, page: Any, seeded: Records) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "admin@acme.example")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator(".alert-error").is_visible()
    assert page.url.endswith("/login/")


@pytest.mark.parametrize(
    ("nav", "path", "known_row"),
    [
        ("Contacts", "/contacts/", "Peter Gibbons"),
        ("Companies", "/companies/", "Initech"),
        ("Deals", "/deals/", "Initech platform"),
        ("Campaigns", "/campaigns/", "TPS Webinar"),
        ("Ledger", "/ledger/", "Samir Nagheenanajar"),
    ],
)
def test_every_list_page_shows_a_known_row(
    signed_in: Any, live_server: Any, nav: str, path: str, known_row: str
) -> None:
    page = signed_in
    page.click(f".sidebar a.nav-link:has-text('{nav}')")
    page.wait_for_url(f"{live_server.url}{path}")
    assert page.locator(".sidebar a.nav-link.active").inner_text() == nav
    assert page.locator("table.table tbody tr", has_text=known_row).count() >= 1


def test_contact_timeline_shows_history_in_order(signed_in: Any, live_server: Any) -> None:
    page = signed_in
    page.goto(f"{live_server.url}/contacts/")
    page.click("a.row-title:has-text('Peter Gibbons')")
    page.wait_for_selector("#timeline")
    assert "Newest first" in page.locator("#timeline .card-title-row").inner_text()
    items = page.locator("#timeline .timeline-item")
    kinds = [items.nth(i).get_attribute("data-kind") for i in range(items.count())]
    assert kinds == ["lifecycle", "activity", "touchpoint", "lifecycle"]
    titles = [items.nth(i).locator(".timeline-title").inner_text() for i in range(items.count())]
    assert titles == ["Lead → MQL", "Call: Discovery call", "Webinar attended", "new → Lead"]


def test_change_lifecycle_stage_through_the_form(
    signed_in: Any, live_server: Any, seeded: Records, admin: Membership
) -> None:
    page = signed_in
    page.goto(f"{live_server.url}/contacts/{seeded.contact.pk}/")
    page.select_option("#lifecycle select[name=to_stage]", "sql")
    page.fill("#lifecycle textarea[name=reason]", "Budget and timeline confirmed")
    page.click("#lifecycle button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "Moved Peter Gibbons to SQL" in page.locator(".alert-success").inner_text()
    assert page.locator(".record-header .badge").inner_text() == "SQL"
    first = page.locator("#timeline .timeline-item").first
    assert first.locator(".timeline-title").inner_text() == "MQL → SQL"
    assert "Budget and timeline confirmed" in first.inner_text()
    entry = (
        LedgerEntry.objects.for_workspace(seeded.workspace)
        .filter(contact=seeded.contact)
        .order_by("-occurred_at", "-pk")
        .first()
    )
    assert entry is not None
    assert (entry.to_stage, entry.source, entry.actor_user_id) == ("sql", "web", admin.user_id)
    page.goto(f"{live_server.url}/ledger/")
    first_row = page.locator("table.table tbody tr").first
    assert "Budget and timeline confirmed" in first_row.inner_text()


def test_search_refreshes_the_table_in_place(signed_in: Any, live_server: Any) -> None:
    page = signed_in
    page.goto(f"{live_server.url}/contacts/")
    page.evaluate("window.__same_document = true")
    assert page.locator("table.table tbody tr").count() == 2
    page.fill("input[name=q]", "samir")
    page.wait_for_function("() => document.querySelectorAll('table.table tbody tr').length === 1")
    assert page.locator("table.table tbody tr").inner_text().startswith("Samir")
    assert page.evaluate("window.__same_document") is True  # htmx swapped, no reload
    assert re.search(r"[?&]q=samir", page.url)


def test_viewer_sees_no_lifecycle_form(
    sign_in_browser: Callable[[str], Any], live_server: Any, seeded: Records, viewer: Membership
) -> None:
    page = sign_in_browser("viewer@acme.example")
    page.goto(f"{live_server.url}/contacts/{seeded.contact.pk}/")
    assert page.locator("#timeline").is_visible()
    assert page.locator("#lifecycle").count() == 0
    assert page.locator("#log-activity").count() == 0


@pytest.mark.parametrize("path", ["/", "/contacts/", "/dashboard/", "/meetings/", "/ledger/"])
def test_a_phone_wide_screen_never_scrolls_sideways(
    signed_in: Any, live_server: Any, path: str
) -> None:
    """At 390 px the sidebar becomes a strip and wide tables scroll inside their cards; the
    page itself stays as wide as the screen."""
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    strip = page.locator(".sidebar").bounding_box()
    assert strip is not None and strip["width"] <= 390
