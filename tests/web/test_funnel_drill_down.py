"""Every number of the dashboard's funnel opens the contacts behind it, in every breakdown the
contact list can show (source, campaign, owner, team, company size), including the row of
contacts without a value ("No owner", "Unknown source"): the list holds exactly as many
contacts as the cell says. A hand-made workspace where every breakdown has such a row."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.crm.models import LedgerEntry
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.identity.models import Membership, Role
from accord.identity.tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

CELL = re.compile(r'<td class="num"><a href="([^"]+)" data-stage="\d+">([\d,]+)</a>')


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def funnel_world(admin: Membership) -> dict[str, Any]:
    workspace = admin.workspace
    team = TeamFactory(workspace=workspace, name="Closers")
    in_team = MembershipFactory(workspace=workspace, role=Role.SALES_REP, team=team).user
    no_team = MembershipFactory(workspace=workspace, role=Role.SALES_REP, team=None).user
    companies = [None, *(CompanyFactory(workspace=workspace, employee_count=n)
                         for n in (None, 10, 49, 50, 999, 1000))]  # fmt: skip
    now = timezone.now()
    owners = [None, in_team, no_team, admin.user]
    sources = ["", "webinar", "paid_search"]
    campaigns = ["", "q4-launch", "brand"]
    paths = [["lead"], ["lead", "mql"], ["lead", "mql", "sql"], ["mql"]]
    for i in range(36):
        contact = ContactFactory(
            workspace=workspace, owner=owners[i % 4], original_source=sources[i % 3],
            utm_campaign=campaigns[(i // 3) % 3], company=companies[i % 7],
            created_at=now - dt.timedelta(days=20),
        )  # fmt: skip
        for step, stage in enumerate(paths[(i // 2) % 4]):
            LedgerEntry.objects.create(
                workspace=workspace, contact=contact, from_stage="", to_stage=stage,
                occurred_at=now - dt.timedelta(days=10 - step), source="system", reason="test",
            )  # fmt: skip
    return {"team": team}


@pytest.mark.parametrize("view", ["cohort", "period"])
@pytest.mark.parametrize("by", ["none", "source", "campaign", "owner", "team", "segment"])
def test_each_cell_opens_as_many_contacts_as_it_counts(
    admin_client: Client, funnel_world: dict[str, Any], by: str, view: str
) -> None:
    page = admin_client.get("/dashboard/", {"by": by, "view": view})
    assert page.status_code == 200
    cells = CELL.findall(page.content.decode())
    assert len(cells) >= 7  # a row at least
    nonzero = 0
    for href, count in cells:
        listed = admin_client.get(html.unescape(href))
        assert listed.status_code == 200
        assert not listed.context["ignored_filters"], href
        assert listed.context["page_obj"].paginator.count == int(count.replace(",", "")), href
        nonzero += int(count.replace(",", "")) > 0
    assert nonzero >= 3
    if by != "none":  # the row without a value is among them, and says so on the list
        empty = [h for h, _ in cells if "breakdown_value" not in h]
        assert empty
        banner = admin_client.get(html.unescape(empty[0])).content.decode()
        assert "No owner" in banner or "Unknown" in banner or "No " in banner


def test_a_definition_version_row_has_no_link_rather_than_a_wrong_one(
    admin_client: Client, funnel_world: dict[str, Any]
) -> None:
    page = admin_client.get("/dashboard/", {"by": "definition_version", "view": "period"})
    assert page.status_code == 200
    assert not CELL.findall(page.content.decode())


def test_a_breakdown_value_of_another_kind_is_ignored_and_names_nobody(
    admin_client: Client, funnel_world: dict[str, Any]
) -> None:
    everyone = admin_client.get("/contacts/").context["page_obj"].paginator.count
    for params in (
        {"breakdown": "owner", "breakdown_value": "abc"},
        {"breakdown": "segment", "breakdown_value": "giant"},
        {"breakdown": "colour", "breakdown_value": "red"},
    ):
        listed = admin_client.get("/contacts/", params)
        assert listed.status_code == 200
        assert listed.context["ignored_filters"]
        assert listed.context["page_obj"].paginator.count == everyone
    # An owner of another workspace: nobody listed, and no name shown.
    outsider = MembershipFactory(role=Role.SALES_REP).user
    listed = admin_client.get("/contacts/", {"breakdown": "owner", "breakdown_value": outsider.pk})
    assert listed.context["page_obj"].paginator.count == 0
    assert outsider.display_name not in listed.content.decode()
    assert "someone outside this workspace" in listed.content.decode()
