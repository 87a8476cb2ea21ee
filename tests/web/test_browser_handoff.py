"""End-to-end in Debian's Chromium: a rep opens the lead inbox, rejects a lead with a reason,
and a marketer sees that reason under the lead's campaign; the SLA report and the pages of
the handoff render for their users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.handoff import routing_settings
from accord.handoff.models import Handoff, HandoffStatus
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor
from accord.identity.models import Workspace
from accord.marketing.models import Campaign, Touchpoint

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_rejection_reason_reaches_marketing_under_its_campaign(
    sign_in_browser: Callable[[str], Any], workspace: Workspace, live_server: Any, page: Any
) -> None:
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    rep = floor.sellers[0]
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All to the rep", "conditions": [], "user_id": rep.user_id},
    )
    campaign = Campaign.objects.create(
        workspace=workspace, name="Spring webinar series", channel="webinar"
    )
    contact = make_mql(floor, "jo.student@uni.example", first_name="Jo", last_name="Student")
    Touchpoint.objects.create(
        workspace=workspace,
        contact=contact,
        campaign=campaign,
        channel="webinar",
        type="webinar",
        occurred_at=contact.created_at,
    )
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)

    signed = sign_in_browser(rep.user.email)
    signed.goto(f"{live_server.url}/handoffs/")
    row = signed.locator(f"tr[data-handoff='{handoff.pk}']")
    assert "Jo Student" in row.inner_text()
    assert "left" in row.locator(".sla-clock").inner_text()  # the live countdown ran
    row.locator("summary:has-text('Reject')").click()
    row.locator("select[name=reason]").select_option("student_competitor")
    row.get_by_label("Comment for marketing").fill("A student writing a thesis, no buying role")
    row.locator("button:has-text('Reject lead')").click()
    signed.wait_for_selector("text=rejected; marketing sees the reason")
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reason.key) == (HandoffStatus.REJECTED, "student_competitor")

    page.context.clear_cookies()
    signed = sign_in_browser(floor.marketer.user.email)
    signed.goto(f"{live_server.url}/handoffs/dispositions/?by=campaign")
    campaign_row = signed.locator("#dispositions tr", has_text="Spring webinar series")
    assert "Student, job seeker or competitor · 1" in campaign_row.inner_text()
    rejection = signed.locator(f"#rejections tr[data-handoff='{handoff.pk}']")
    assert "A student writing a thesis, no buying role" in rejection.inner_text()
    # Marketing disputes it once; the manager will see it.
    rejection.locator("summary:has-text('Dispute')").click()
    rejection.locator("input[name=comment]").fill("Attended three webinars, asked for pricing")
    rejection.locator("button:has-text('Raise dispute')").click()
    signed.wait_for_selector("text=Dispute raised")
    assert (
        "Awaiting the manager"
        in signed.locator(f"#rejections tr[data-handoff='{handoff.pk}']").inner_text()
    )


def test_the_handoff_pages_render_for_a_manager(
    sign_in_browser: Callable[[str], Any], workspace: Workspace, live_server: Any
) -> None:
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    make_mql(floor, "queued@example.org")  # no rules: the fallback queue
    signed = sign_in_browser(floor.sales_manager.user.email)
    for path, text in (
        ("/handoffs/?view=team", "Fallback queue"),
        ("/handoffs/sla/", "Sales: first touch within 4"),
        ("/handoffs/agreements/", "Version history"),
        ("/handoffs/routing/", "Rejection reason codes"),
        ("/handoffs/escalations/?view=all", "No seller was available"),
    ):
        response = signed.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert text in signed.inner_text("main"), path
    signed.goto(f"{live_server.url}/handoffs/")
    queue_row = signed.locator("#queue tr", has_text="queued@example.org")
    queue_row.locator("button:has-text('Claim')").click()
    signed.wait_for_selector("text=claimed")
    assert Handoff.objects.for_workspace(workspace).get().owner_id == floor.sales_manager.user_id
