"""End-to-end in Debian's Chromium: a sales manager opens the next meeting, generates its
agenda (which lists the week's SLA breach and the overdue action item), adds an action item and
marks it done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import Handoff, SlaState
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.meetings import services
from accord.meetings.models import ActionItem

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_generate_agenda_add_and_complete_an_item(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any,
) -> None:  # fmt: skip
    boss = member_factory("manager", email="boss@acme.example")
    rep = member_factory("sales_rep", email="sam@acme.example")
    actor = Actor.for_membership(boss, Source.WEB)
    ws = admin.workspace
    now = timezone.now()
    meeting = services.meeting_schedule(
        actor=actor, values={"scheduled_at": now + dt.timedelta(days=2)}
    )
    # After the agenda was first generated: a breach and an overdue item appear.
    contact = ContactFactory(workspace=ws)
    Handoff.objects.create(workspace=ws, contact=contact, owner=rep.user, chosen_by="test",
                           assigned_at=now - dt.timedelta(days=1), sla_state=SlaState.BREACHED,
                           breached_at=now - dt.timedelta(hours=20))  # fmt: skip
    ActionItem.objects.create(workspace=ws, title="Clean the fallback queue", owner=rep.user,
                              due_on=now.date() - dt.timedelta(days=3))  # fmt: skip

    page = sign_in_browser("boss@acme.example")
    page.goto(f"{live_server.url}/meetings/")
    page.click(f"#upcoming a[href='/meetings/{meeting.pk}/']")
    page.wait_for_url(f"{live_server.url}/meetings/{meeting.pk}/")
    assert page.get_attribute("#agenda-sla_breaches", "data-count") == "0"
    page.click("#meeting-actions button:has-text('Generate agenda')")
    page.wait_for_selector("text=Agenda generated.")
    assert page.get_attribute("#agenda-sla_breaches", "data-count") == "1"
    assert "1 first-touch SLA breach" in page.inner_text("#agenda-sla_breaches")
    assert "Clean the fallback queue" in page.inner_text("#agenda-action_items")
    assert "overdue" in page.inner_text("#agenda-action_items")

    page.fill("#action-form input[name=title]", "Send marketing the <b>lost</b> reasons")
    page.select_option("#action-form select[name=owner_id]", str(rep.user_id))
    page.fill("#action-form input[name=due_on]", (now.date() + dt.timedelta(days=7)).isoformat())
    page.click("#action-form button:has-text('Add action item')")
    page.wait_for_selector("text=Action item added.")
    row = page.locator("#action-items tr", has_text="Send marketing the <b>lost</b> reasons")
    assert row.locator(".item-status").inner_text() == "Open"
    row.locator("button:has-text('Mark done')").click()
    page.wait_for_selector("text=Done: Send marketing the <b>lost</b> reasons.")
    row = page.locator("#action-items tr", has_text="Send marketing the <b>lost</b> reasons")
    assert row.locator(".item-status").inner_text().startswith("Done")
    item = ActionItem.objects.for_workspace(ws).get(meeting=meeting)
    assert (item.status, item.owner_id) == ("done", rep.user_id)
