"""End-to-end in Debian's Chromium: a manager adds a routing rule on the routing page; the admin
finds it in the audit log (with the browser's address), narrows the log with a filter and
downloads the CSV; a sales rep sees no audit log at all."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accord.identity.models import Membership
from accord.identity.tests.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_change_shows_in_the_audit_log_and_its_export(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any, tmp_path: Path,
) -> None:  # fmt: skip
    from accord.handoff import routing_settings
    from accord.identity.actor import Actor, Source

    sales = TeamFactory(workspace=admin.workspace, name="Account Executives", kind="sales")
    manager = member_factory("manager", email="sam@acme.example")
    manager.team = sales  # a rule names someone who can work leads: a sales-team manager
    manager.save()
    member_factory("sales_rep", email="rita@acme.example")
    routing_settings.routing_rule_create(
        actor=Actor.for_membership(manager, Source.WEB),
        values={"name": "Enterprise <EMEA>", "user_id": manager.user_id},
    )

    page = sign_in_browser("rita@acme.example")
    assert page.locator("#nav-audit").count() == 0
    assert page.goto(f"{live_server.url}/audit/").status == 403
    page.context.clear_cookies()

    page = sign_in_browser("admin@acme.example")
    page.click("#nav-audit")
    page.wait_for_url(f"{live_server.url}/audit/")
    table = page.inner_text("#audit-entries")
    assert "routing_rule.created" in table
    assert "Enterprise <EMEA>" in table  # shown as text, not markup
    assert f"{manager.user.display_name} via web" in table
    page.select_option("select[name=action]", "routing_rule.created")
    page.click("button:has-text('Apply')")
    page.wait_for_url("**/audit/?*action=routing_rule.created*")
    assert page.locator("#audit-entries tbody tr").count() == 1

    with page.expect_download() as download_info:
        page.click("#audit-export")
    target = tmp_path / "audit.csv"
    download_info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["action"] for r in rows] == ["routing_rule.created"]
    assert rows[0]["object_label"] == "Enterprise <EMEA>"
    page.goto(f"{live_server.url}/audit/")
    first = page.locator("#audit-entries tbody tr").first.inner_text()
    assert "audit.exported" in first and "127.0.0.1" in first
