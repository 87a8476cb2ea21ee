"""The Goals pages: the list with its form (managers and admins set goals, every other member
reads), a goal's page with the plan stage by stage, both teams' numbers, the budget and the
pacing — every actual a link to exactly the records behind it — and "not enough data" with the
reason. Also the goal pacing panel on the dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.metrics.goals import goal_set
from accord.metrics.models import Goal
from accord.metrics.planning import goal_pacing
from tests.metrics import goal_history as h

pytestmark = pytest.mark.django_db
VALID = {"period": "month", "period_start": "2026-12-01", "revenue": "10000",
         "segment": "", "lookback_days": "365", "note": "Board plan"}  # fmt: skip


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(h.NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def manager(member_factory: Any) -> Membership:
    return member_factory("manager", email="manager@acme.example")  # type: ignore[no-any-return]


@pytest.fixture
def boss(manager: Membership) -> Actor:
    return Actor.for_membership(manager, Source.WEB)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_goals_and_the_form_to_managers(
    login: Any, manager: Membership, boss: Actor
) -> None:
    goal = h.december_goal(boss, "250000", note="Board plan")
    page = login(manager).get("/goals/")
    assert page.status_code == 200
    body = text(page)
    assert f'href="/goals/{goal.pk}/"' in body
    assert "December 2026 · All segments" in body and "$250,000" in body
    assert "current" in body and "Board plan" in body
    assert 'name="revenue"' in body and 'id="read-only"' not in body


def test_the_list_is_a_fixed_number_of_queries(
    login: Any, manager: Membership, boss: Actor
) -> None:
    client = login(manager)
    h.december_goal(boss)
    assert client.get("/goals/").status_code == 200  # the first call also does sign-in bookkeeping
    with CaptureQueriesContext(connection) as one:
        assert client.get("/goals/").status_code == 200
    for month in range(1, 7):
        goal_set(actor=boss, values={"period": "month", "period_start": f"2027-{month:02}-01",
                                     "revenue": 1})  # fmt: skip
    with CaptureQueriesContext(connection) as seven:
        assert text(client.get("/goals/")).count("<tr data-goal=") == 7
    assert len(seven) == len(one)


@pytest.mark.parametrize("role", ["viewer", "marketer", "sales_rep"])
def test_other_members_read_the_list_without_a_form_and_may_not_post(
    login: Any, member_factory: Any, role: str, workspace: Any
) -> None:
    client = login(member_factory(role))
    page = client.get("/goals/")
    assert page.status_code == 200
    assert 'id="read-only"' in text(page) and 'name="revenue"' not in text(page)
    refused = client.post("/goals/", VALID)
    assert refused.status_code == 403
    assert f"Your role ({role}) does not allow setting goals" in text(refused)
    assert not Goal.objects.for_workspace(workspace).exists()


def test_a_manager_sets_a_goal_from_the_form(login: Any, manager: Membership) -> None:
    response = login(manager).post("/goals/", VALID)
    goal = Goal.objects.for_workspace(manager.workspace).get()
    assert response.status_code == 302 and response["Location"] == f"/goals/{goal.pk}/"
    assert (str(goal.revenue), goal.note, goal.lookback_days) == ("10000.00", "Board plan", 365)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revenue": "0"}, "The revenue goal must be more than 0."),
        ({"period_start": "2026-12-24"},
         "A month&#x27;s goal starts on the first day of its month (2026-12-01), not 2026-12-24."),
        ({"lookback_days": "3000"}, "The look-back must be 30 to 1095 days, not 3000."),
        ({"segment": "giant"}, "&#x27;giant&#x27; is not one of: smb, mid_market, enterprise."),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_with_the_field_and_writes_nothing(
    login: Any, manager: Membership, change: dict[str, str], message: str
) -> None:
    response = login(manager).post("/goals/", {**VALID, **change})
    assert response.status_code == 400
    body = text(response)
    assert "Nothing was saved." in body and message in body
    assert f'value="{VALID["note"]}"' in body  # what was typed is kept
    assert not Goal.objects.for_workspace(manager.workspace).exists()


def test_a_goals_page_with_the_plan_the_teams_and_the_pacing(
    login: Any, viewer: Membership, boss: Actor
) -> None:
    h.hand_made(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    page = login(viewer).get(f"/goals/{goal.pk}/")
    assert page.status_code == 200
    body = text(page)
    assert "$10,000 · December 2026 · All segments" in body
    plan = re.search(r'<table class="table" id="plan-table">.*?</table>', body)
    assert plan is not None
    needed = re.findall(r'<td class="num strong">([\d,]+)</td>', plan.group(0))
    assert needed == ["150", "60", "45", "30", "20", "10"]
    assert "40.0%" in plan.group(0) and "10.0" in plan.group(0)  # a rate; days in stage
    assert "<strong>Budget:</strong> $15,000 (" in body
    marketing = re.search(r'id="team-marketing".*?</table>', body)
    sales = re.search(r'id="team-sales".*?</table>', body)
    assert marketing is not None and sales is not None
    assert "Leads" in marketing.group(0) and "Budget" in marketing.group(0)
    assert "SALs" not in marketing.group(0)
    assert "Won deals" in sales.group(0) and "Leads" not in sales.group(0)
    pacing = re.search(r'id="pacing".*?</section>', body)
    assert pacing is not None
    assert "behind" in pacing.group(0) and "ahead" in pacing.group(0)
    assert "on track" in pacing.group(0) and "Delete goal" not in body  # a viewer


def test_every_actual_opens_exactly_its_records(
    login: Any, viewer: Membership, boss: Actor
) -> None:
    h.worked_example(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    client = login(viewer)
    body = text(client.get(f"/goals/{goal.pk}/"))
    for row in goal_pacing(goal, h.TODAY).rows:
        link = row.link.replace("&", "&amp;")
        assert f'<a href="{link}"' in body, row.stage
        listed = client.get(row.link)
        assert listed.status_code == 200
        count = listed.context["page_obj"].paginator.count
        assert count == (6 if row.stage == "revenue" else row.actual), row.stage


def test_not_enough_data_says_why(login: Any, viewer: Membership, boss: Actor) -> None:
    goal = h.december_goal(boss)
    page = login(viewer).get(f"/goals/{goal.pk}/")
    assert page.status_code == 200
    body = text(page)
    assert "Not enough data for a plan." in body
    assert "No leads were created in the look-back window (01 Dec 2025 to 30 Nov 2026)" in body
    assert 'id="plan-table"' not in body
    assert 'data-stage="revenue"' in body  # the revenue is still paced


def test_another_workspaces_goal_is_a_404(
    login: Any, manager: Membership, member_factory: Any, other_workspace: Any
) -> None:
    theirs = h.december_goal(
        Actor.for_membership(member_factory("manager", ws=other_workspace), Source.WEB)
    )
    client = login(manager)
    assert client.get(f"/goals/{theirs.pk}/").status_code == 404
    assert client.post(f"/goals/{theirs.pk}/delete/").status_code == 404
    assert Goal.objects.for_workspace(other_workspace).filter(pk=theirs.pk).exists()


def test_delete_is_for_managers(
    client: Client, login: Any, viewer: Membership, manager: Membership, boss: Actor
) -> None:
    goal = h.december_goal(boss)
    assert login(viewer).post(f"/goals/{goal.pk}/delete/").status_code == 403
    assert Goal.objects.for_workspace(boss.workspace).filter(pk=goal.pk).exists()
    response = login(manager).post(f"/goals/{goal.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/goals/"
    assert not Goal.objects.for_workspace(boss.workspace).exists()


def test_anonymous_is_sent_to_login(client: Client, boss: Actor) -> None:
    goal = h.december_goal(boss)
    assert client.get("/goals/").status_code == 302
    assert client.get(f"/goals/{goal.pk}/").status_code == 302


def test_the_sidebar_links_to_goals(login: Any, viewer: Membership) -> None:
    body = text(login(viewer).get("/goals/"))
    assert re.search(r'<a class="nav-link active" href="/goals/" aria-current="page">', body)


def test_the_dashboard_shows_the_goals_of_today(
    login: Any, viewer: Membership, boss: Actor
) -> None:
    h.worked_example(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    page = login(viewer).get("/dashboard/")
    assert page.status_code == 200
    body = text(page)
    panel = re.search(r'id="goal-pacing".*?</section>', body)
    assert panel is not None
    assert f'<a href="/goals/{goal.pk}/">December 2026 · All segments</a>' in panel.group(0)
    assert panel.group(0).count("<tr data-stage=") == 7
