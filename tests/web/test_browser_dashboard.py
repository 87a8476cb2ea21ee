"""End-to-end in Debian's Chromium: open the dashboard, apply a breakdown filter, and drill down
from a funnel step to the contacts behind it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_filter_and_drill_down_to_the_contacts(
    sign_in_browser: Callable[[str], Any], admin: Membership, live_server: Any
) -> None:
    actor = Actor.for_membership(admin, Source.API)
    for email, source, stages in (
        ("ana@webinar.example", "webinar", ("mql", "sal")),
        ("ben@webinar.example", "webinar", ("mql",)),
        ("cy@search.example", "paid_search", ("mql",)),
        ("dee@search.example", "paid_search", ()),
    ):
        contact = contact_services.contact_create(
            actor=actor, values={"email": email, "original_source": source}
        )
        for stage in stages:
            change_stage(actor=actor, contact_id=contact.pk, to_stage=stage)

    page = sign_in_browser("admin@acme.example")
    page.goto(f"{live_server.url}/dashboard/")
    table = page.locator("#funnel-table")
    assert "All contacts" in table.inner_text()
    # The funnel chart is drawn (the libraries are fetched because the page carries a chart),
    # one bar per stage of the path.
    page.wait_for_selector("#funnel-chart svg .mark-rect path")
    assert page.locator("#funnel-chart svg .mark-rect path").count() == 7
    # Three contacts became MQLs today; the tile opens them.
    assert page.inner_text("[data-metric=mqls] .stat-value").strip() == "3"
    page.select_option("select[name=by]", "source")
    page.click("#dashboard-filters button:has-text('Apply')")
    page.wait_for_selector("#funnel-table tr:has-text('Webinar')")
    webinar = page.locator("#funnel-table tr", has_text="Webinar")
    mql_cell = webinar.locator("td").nth(3)  # label, created, lead, MQL
    assert mql_cell.locator("a").inner_text() == "2"
    assert "100%" in mql_cell.inner_text()  # 2 of 2 webinar leads became MQLs
    mql_cell.locator("a").click()
    page.wait_for_selector("#drill-down")
    assert "reached MQL" in page.inner_text("#drill-down")
    listed = page.inner_text("main")
    assert "ana@webinar.example" in listed and "ben@webinar.example" in listed
    assert "cy@search.example" not in listed and "dee@search.example" not in listed
