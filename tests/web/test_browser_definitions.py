"""End-to-end in Debian's Chromium: the editor validates as you type, and a lead definition
does not become active on one team's approval — it takes both managers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from accord.definitions.models import LeadDefinition
from accord.definitions.tests.factories import marketing_manager, sales_manager, sample_document
from accord.identity.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_editor_validates_as_you_type(
    sign_in_browser: Callable[[str], Any], admin: Membership, live_server: Any
) -> None:
    page = sign_in_browser("admin@acme.example")
    page.goto(f"{live_server.url}/definitions/new/")
    page.wait_for_selector("#document-valid")
    broken = dict(sample_document(), mql={"fit_min": -5, "engagement_min": 10})
    page.fill("#document", json.dumps(broken))
    page.wait_for_selector("#document-errors")
    assert "mql.fit_min" in page.inner_text("#document-errors")
    page.fill("#document", json.dumps(sample_document()))
    page.wait_for_selector("#document-valid")
    page.fill("#comment", "VPs with two form fills")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Draft v1 saved")
    assert LeadDefinition.objects.for_workspace(admin.workspace).get().comment == (
        "VPs with two form fills"
    )


def test_one_side_cannot_activate_both_can(
    sign_in_browser: Callable[[str], Any], admin: Membership, live_server: Any, page: Any
) -> None:
    workspace = admin.workspace
    marketing = marketing_manager(workspace)
    sales = sales_manager(workspace)
    signed = sign_in_browser(marketing.user.email)
    signed.goto(f"{live_server.url}/definitions/new/")
    signed.wait_for_selector("#document-valid")
    signed.click("button:has-text('Save draft')")
    signed.click("button:has-text('Propose for approval')")
    signed.wait_for_selector("#approve")
    signed.click("#approve")
    signed.wait_for_selector("text=Approved v1 for marketing")
    assert signed.inner_text("#status") == "Proposed"
    assert signed.locator("#activate").count() == 0  # nothing to press with one approval
    assert "Waiting for the sales side" in signed.inner_text("#approvals")
    signed.wait_for_selector("#backtest-rates")  # the back-test panel loaded beside the buttons
    definition = LeadDefinition.objects.for_workspace(workspace).get()
    assert definition.status == "proposed"
    # A hand-made POST to activate is refused too.
    response = signed.request.post(
        f"{live_server.url}/definitions/{definition.pk}/activate/",
        headers={"X-CSRFToken": _csrf(signed)},
    )
    assert "missing approval: sales" in response.text()
    definition.refresh_from_db()
    assert definition.status == "proposed"

    page.context.clear_cookies()
    signed = sign_in_browser(sales.user.email)
    signed.goto(f"{live_server.url}/definitions/{definition.pk}/")
    signed.click("#approve")
    signed.wait_for_selector("#activate")
    signed.click("#activate")
    signed.wait_for_selector("text=is active")
    assert signed.inner_text("#status") == "Active"
    definition.refresh_from_db()
    assert definition.status == "active"


def _csrf(page: Any) -> str:
    return str(page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value"))
