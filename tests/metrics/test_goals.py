"""Stored revenue goals: the write path (validation, permissions, scoping), the history a plan
is built from (exactly the funnel's and the catalogue's numbers), plans computed by hand —
including the seeds' worked example through a stored goal — pacing on a fixed day, the
dashboard's rows, and the same plan from the REST API and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.metrics import reverse_funnel as rf
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.funnel import FunnelSpec, funnel
from accord.metrics.goal_presentation import goal_document
from accord.metrics.goals import goal_delete, goal_get, goal_set
from accord.metrics.models import Goal
from accord.metrics.planning import (
    NO_SEGMENT_BUDGET,
    dashboard_goals,
    goal_pacing,
    goal_plan,
    goal_report,
    history_for,
)
from tests.api.conftest import Api, api_as, fast_password_hashing, make_token, other_api
from tests.metrics import goal_history as h

__all__ = ["api_as", "fast_password_hashing", "other_api"]

pytestmark = pytest.mark.django_db
WINDOW_END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
WINDOW_START = WINDOW_END - dt.timedelta(days=365)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(h.NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)


@pytest.fixture
def manager(member_factory: Any) -> Membership:
    return member_factory("manager", email="manager@acme.example")  # type: ignore[no-any-return]


@pytest.fixture
def boss(manager: Membership) -> Actor:
    return Actor.for_membership(manager, Source.API)


def as_role(member_factory: Any, role: str, ws: Any = None) -> Actor:
    return Actor.for_membership(member_factory(role, ws=ws), Source.API)


# The write path ------------------------------------------------------------------------------


def test_a_manager_sets_a_goal_and_setting_it_again_replaces_it(boss: Actor) -> None:
    goal = h.december_goal(boss, "250000", note="Board plan", lookback_days=180)
    assert (goal.period, goal.period_start, goal.revenue) == (
        "month",
        h.DECEMBER,
        Decimal("250000.00"),
    )
    assert (goal.segment, goal.lookback_days, goal.note) == ("", 180, "Board plan")
    assert goal.created_by == boss.user
    assert goal.period_end == dt.date(2026, 12, 31)
    assert goal.title == "December 2026 · All segments"

    again = h.december_goal(boss, "300000.5")
    assert again.pk == goal.pk
    assert Goal.objects.for_workspace(boss.workspace).count() == 1
    goal.refresh_from_db()
    # Fields not given keep their values.
    assert (goal.revenue, goal.lookback_days, goal.note) == (
        Decimal("300000.50"),
        180,
        "Board plan",
    )

    smb = h.december_goal(boss, "50000", segment="smb")
    quarter = goal_set(actor=boss, values={"period": "quarter", "period_start": "2026-10-01",
                                           "revenue": 600000})  # fmt: skip
    assert len({goal.pk, smb.pk, quarter.pk}) == 3
    assert quarter.period_end == dt.date(2026, 12, 31)
    assert quarter.title == "Q4 2026 · All segments"
    assert smb.title == "December 2026 · SMB (under 50)"


def test_an_admin_and_a_system_job_may_set_goals(member_factory: Any, workspace: Any) -> None:
    h.december_goal(as_role(member_factory, "admin"))
    goal = h.december_goal(Actor.system(workspace, Source.DEMO), "20000")
    assert goal.revenue == Decimal("20000.00")


@pytest.mark.parametrize("role", ["viewer", "marketer", "sales_rep", "sdr"])
def test_other_roles_may_not_set_or_delete_goals(
    member_factory: Any, boss: Actor, role: str
) -> None:
    actor = as_role(member_factory, role)
    with pytest.raises(
        PermissionDenied, match=rf"Your role \({role}\) does not allow setting goals"
    ):
        h.december_goal(actor)
    assert not Goal.objects.for_workspace(actor.workspace).exists()
    goal = h.december_goal(boss)
    with pytest.raises(PermissionDenied):
        goal_delete(actor=actor, goal_id=goal.pk)
    assert Goal.objects.for_workspace(actor.workspace).filter(pk=goal.pk).exists()


def test_another_workspaces_goal_does_not_exist_for_you(
    boss: Actor, member_factory: Any, other_workspace: Any
) -> None:
    theirs = h.december_goal(as_role(member_factory, "manager", ws=other_workspace))
    with pytest.raises(NotFound, match=f"No goal with id {theirs.pk} in this workspace"):
        goal_delete(actor=boss, goal_id=theirs.pk)
    with pytest.raises(NotFound):
        goal_get(boss.workspace, theirs.pk)
    assert Goal.objects.for_workspace(other_workspace).filter(pk=theirs.pk).exists()
    # The same period and segment in two workspaces are two goals.
    assert h.december_goal(boss).pk != theirs.pk


def test_delete(boss: Actor) -> None:
    goal = h.december_goal(boss)
    goal_delete(actor=boss, goal_id=goal.pk)
    assert not Goal.objects.for_workspace(boss.workspace).exists()
    with pytest.raises(NotFound):
        goal_delete(actor=boss, goal_id=goal.pk)


BAD_INPUT = [
    ({"revenue": 0}, "revenue", "The revenue goal must be more than 0."),
    ({"revenue": "-5"}, "revenue", "The revenue goal must be more than 0."),
    ({"revenue": "0.001"}, "revenue",
     "0.001 has more than 2 decimal places; amounts are kept to the cent."),
    ({"revenue": "lots"}, "revenue", "'lots' is not an amount."),
    ({"revenue": "NaN"}, "revenue", "The amount must be a finite number."),
    ({"revenue": "1e15"}, "revenue", "The amount is too large (at most 999,999,999,999.99)."),
    ({"revenue": None}, "revenue", "This field is required."),
    ({"period": "year"}, "period", "'year' is not one of: month, quarter."),
    ({"period_start": "2026-12-05"}, "period_start",
     "A month's goal starts on the first day of its month (2026-12-01), not 2026-12-05."),
    ({"period": "quarter", "period_start": "2026-11-01"}, "period_start",
     "A quarter's goal starts on the first day of its quarter (1 January, 1 April, 1 July or "
     "1 October), not 2026-11-01."),
    ({"period_start": "2026-02-30"}, "period_start",
     "'2026-02-30' is not a date (use YYYY-MM-DD)."),
    ({"period_start": ""}, "period_start", "This field is required."),
    ({"period_start": "1900-01-01"}, "period_start",
     "A goal's period starts between 2000-01-01 and 2999-10-01, not 1900-01-01."),
    ({"segment": "huge"}, "segment", "'huge' is not one of: smb, mid_market, enterprise."),
    ({"lookback_days": 29}, "lookback_days", "The look-back must be 30 to 1095 days, not 29."),
    ({"lookback_days": "1096"}, "lookback_days",
     "The look-back must be 30 to 1095 days, not 1096."),
    ({"lookback_days": "a year"}, "lookback_days", "'a year' is not a whole number of days."),
    ({"lookback_days": 90.5}, "lookback_days", "Expected a whole number of days."),
    ({"note": "x" * 501}, "note", "At most 500 characters (got 501)."),
    ({"note": "a\x00b"}, "note", "Text cannot contain NUL (\\u0000) characters."),
    ({"owner": "me"}, "owner", "Unknown field."),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(
    boss: Actor, change: dict[str, Any], field: str, message: str
) -> None:
    values = {"period": "month", "period_start": "2026-12-01", "revenue": "10000", **change}
    with pytest.raises(ValidationFailed) as caught:
        goal_set(actor=boss, values=values)
    assert caught.value.fields == {field: [message]}
    assert not Goal.objects.for_workspace(boss.workspace).exists()


def test_every_bad_field_is_reported_at_once(boss: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        goal_set(actor=boss, values={"period": "week", "revenue": "0", "lookback_days": 5})
    assert caught.value.fields == {
        "period_start": ["This field is required."],
        "period": ["'week' is not one of: month, quarter."],
        "revenue": ["The revenue goal must be more than 0."],
        "lookback_days": ["The look-back must be 30 to 1095 days, not 5."],
    }
    assert caught.value.message == "4 fields are invalid."


def test_the_look_back_bounds_are_inclusive(boss: Actor) -> None:
    assert h.december_goal(boss, lookback_days=30).lookback_days == 30
    assert h.december_goal(boss, lookback_days="1095").lookback_days == 1095


# The history comes from the metrics layer ---------------------------------------------------


def test_history_is_the_funnels_and_the_catalogues_numbers(boss: Actor) -> None:
    h.hand_made(boss)
    history = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365)
    assert isinstance(history, rf.History)

    ws = boss.workspace.pk
    cohort = funnel(ws, FunnelSpec(view="cohort", start=WINDOW_START, end=WINDOW_END))
    (row,) = cohort.rows
    expected_rates = [
        (a, b, row.counts[b], row.counts[a]) for a, b in zip(h.PATH, h.PATH[1:], strict=False)
    ]
    assert [(s.from_stage, s.to_stage, s.successes, s.trials) for s in history.stage_rates] == (
        expected_rates
    )

    def metric(name: str) -> Any:
        spec = MetricSpec(metric=name, start=WINDOW_START, end=WINDOW_END)
        return measure(ws, spec).values

    (deal,) = metric("average_deal_size")
    (cost,) = metric("cost_per_lead")
    assert (history.average_deal_size, history.deal_sample_size) == (deal.value, deal.n)
    assert history.cost_per_lead == cost.value
    assert history.cycle_days == {v.item: v.value for v in metric("time_in_stage")}

    # ... and those are the numbers the hand-made history was written to have.
    assert {s.from_stage: s.trials for s in history.stage_rates} == {
        k: v for k, v in h.HAND_MADE_COUNTS.items() if k != "customer"
    }
    assert history.stage_rates[-1].successes == 2
    assert (history.average_deal_size, history.deal_sample_size) == (Decimal("1000.00"), 10)
    assert history.cost_per_lead == Decimal("100.00")
    assert history.cycle_days == {"lead": 10.0, "mql": 4.0, "sal": 2.0, "sql": 6.0,
                                  "opportunity": 8.0}  # fmt: skip


def test_a_segments_history_reads_only_that_segments_row(boss: Actor) -> None:
    small = h.company(boss, employees=10)
    large = h.company(boss, employees=5000)
    h.hand_made(boss, company_id=small)
    h.worked_example(boss)  # contacts and deals without a company: no segment
    h.cohort(boss, {"customer": 3}, company_id=large)
    h.won_deals(boss, [90_000], company_id=large)

    smb = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365, segment="smb")
    assert isinstance(smb, rf.History)
    assert {s.from_stage: s.trials for s in smb.stage_rates}["lead"] == 30
    assert (smb.average_deal_size, smb.deal_sample_size) == (Decimal("1000.00"), 10)
    assert smb.cost_per_lead is None  # spend is not recorded per segment

    enterprise = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365,
                             segment="enterprise")  # fmt: skip
    assert isinstance(enterprise, rf.History)
    assert [s.successes for s in enterprise.stage_rates] == [3, 3, 3, 3, 3]
    assert (enterprise.average_deal_size, enterprise.deal_sample_size) == (Decimal("90000.00"), 1)

    everyone = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365)
    assert isinstance(everyone, rf.History)
    assert everyone.stage_rates[0].trials == 30 + 20 + 3

    plan = goal_plan(h.december_goal(boss, "5000", segment="smb"))
    assert isinstance(plan, rf.Plan)
    assert plan.budget is None and plan.budget_reason == NO_SEGMENT_BUDGET
    assert plan.won.point == 5


def test_a_channel_mix_pools_those_channels_history(boss: Actor) -> None:
    h.cohort(boss, h.HAND_MADE, source="webinar")  # 30 leads, 12 MQLs, ... 2 customers
    h.cohort(boss, {"lead": 10}, source="event")  # 10 leads that went no further
    h.cohort(boss, {"customer": 5}, source="paid_search")  # not in the mix
    h.won_deals(boss, [1000] * 10, source="webinar")
    h.won_deals(boss, [4000], source="event")
    h.won_deals(boss, [50_000], source="paid_search")
    day = h.HISTORY_START.date()
    h.spend(boss, "3000", day, channel="webinar")
    h.spend(boss, "9000", day, channel="paid_search")

    mix = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365,
                      channels=["event", "webinar"])  # fmt: skip
    assert isinstance(mix, rf.History)
    assert [(s.successes, s.trials) for s in mix.stage_rates] == [
        (12, 40), (9, 12), (6, 9), (4, 6), (2, 4),
    ]  # fmt: skip
    # Deal size: the mix's revenue over its won deals, (10 x 1,000 + 4,000) / 11.
    assert (mix.average_deal_size, mix.deal_sample_size) == (Decimal("1272.73"), 11)
    # Cost per lead: the mix's spend over its new leads, 3,000 / 40 (event spent nothing).
    assert mix.cost_per_lead == Decimal("75.00")

    everyone = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365)
    assert isinstance(everyone, rf.History)
    assert everyone.stage_rates[0].trials == 45
    assert everyone.cost_per_lead == Decimal(12_000) / 45  # exact: the budget multiplies it

    goal = goal_set(actor=boss, values={
        "period": "month", "period_start": h.DECEMBER, "revenue": "14000",
        "channels": "webinar, event",
    })  # fmt: skip
    assert goal.channels == ["event", "webinar"]
    plan = goal_plan(goal)
    assert isinstance(plan, rf.Plan)
    assert plan.won.point == 11  # ceil(14,000 / 1,272.73)


def test_a_channel_mix_is_checked(boss: Actor) -> None:
    base = {"period": "month", "period_start": h.DECEMBER, "revenue": "1000"}
    with pytest.raises(ValidationFailed) as both:
        goal_set(actor=boss, values={**base, "segment": "smb", "channels": ["webinar"]})
    assert list(both.value.fields) == ["channels"]
    with pytest.raises(ValidationFailed) as unknown:
        goal_set(actor=boss, values={**base, "channels": ["webinar", "carrier_pigeon"]})
    assert "carrier_pigeon" in unknown.value.fields["channels"][0]
    assert not Goal.objects.for_workspace(boss.workspace).exists()


# Plans by hand --------------------------------------------------------------------------------


def test_a_plan_computed_by_hand(boss: Actor) -> None:
    h.hand_made(boss)
    plan = goal_plan(h.december_goal(boss, "10000"))
    assert isinstance(plan, rf.Plan)
    # 10,000 / 1,000 = 10 won deals; opportunities ceil(10 / (2/4)) = 20; SQLs
    # ceil(20 / (4/6)) = 30; SALs ceil(30 / (6/9)) = 45; MQLs ceil(45 / (9/12)) = 60; leads
    # ceil(60 / (12/30)) = 150; budget 150 leads x $100 = $15,000.
    assert [(s.name, s.required.point) for s in plan.stages] == [
        ("lead", 150), ("mql", 60), ("sal", 45), ("sql", 30), ("opportunity", 20),
        ("customer", 10),
    ]  # fmt: skip
    assert plan.won.point == 10
    assert [s.rate_to_next.point for s in plan.stages if s.rate_to_next] == [
        12 / 30, 9 / 12, 6 / 9, 4 / 6, 2 / 4,
    ]  # fmt: skip
    for stage in plan.stages:
        assert stage.required.low <= stage.required.point <= stage.required.high
    assert plan.stages[0].required.high > 150  # observed rates: a real range
    assert plan.budget is not None
    assert plan.budget.point == Decimal("15000.00")
    assert plan.budget.low == plan.stages[0].required.low * Decimal("100.00")
    assert [s.cycle_days for s in plan.stages] == [10.0, 4.0, 2.0, 6.0, 8.0, None]
    assert plan.lead_time_days == 30.0
    assert [s.name for s in plan.for_marketing().stages] == ["lead", "mql"]
    assert [s.name for s in plan.for_sales().stages] == ["sal", "sql", "opportunity", "customer"]
    assert plan.for_marketing().budget == plan.budget and plan.for_sales().budget is None


def test_the_seeds_worked_example_through_a_stored_goal(boss: Actor) -> None:
    # "$10,000 of revenue per month ... 10 customers ... 100 leads at 10 %" — at the $1,000
    # average deal size the example's arithmetic needs (see reverse_funnel's docstring).
    h.worked_example(boss)
    goal = h.december_goal(boss, "10000")
    history = history_for(boss.workspace.pk, end=WINDOW_END, lookback_days=365)
    assert isinstance(history, rf.History)
    assert history.average_deal_size == Decimal("1000.00")
    lead_to_customer = math.prod(Fraction(s.successes, s.trials) for s in history.stage_rates)
    assert lead_to_customer == Fraction(1, 10)

    plan = goal_plan(goal)
    assert isinstance(plan, rf.Plan)
    assert plan.won.point == 10  # customers
    assert plan.leads.point == 100
    assert [s.required.point for s in plan.stages] == [100, 50, 40, 20, 20, 10]
    assert plan.budget is None
    assert plan.budget_reason == "No cost per lead in the look-back window, so no budget."


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda a: None,
         "No leads were created in the look-back window (01 Dec 2025 to 30 Nov 2026), so there "
         "are no stage rates to plan with."),
        (lambda a: h.cohort(a, h.WORKED),
         "No deals were won in the look-back window (01 Dec 2025 to 30 Nov 2026), so there is "
         "no average deal size to turn revenue into deals."),
        (lambda a: (h.cohort(a, h.WORKED), h.won_deals(a, [0, 0])),
         "The average deal size must be positive to turn revenue into deals, not 0.00."),
        (lambda a: (h.cohort(a, {"lead": 5, "mql": 3}), h.won_deals(a, [100])),
         "No mql became sal in the look-back window (0 of 3), so there is no mql → sal rate "
         "to plan with."),
        (lambda a: (h.cohort(a, {"lead": 5}), h.won_deals(a, [100])),
         "No lead became mql in the look-back window (0 of 5), so there is no lead → mql rate "
         "to plan with."),
    ],
)  # fmt: skip
def test_not_enough_data_says_why(boss: Actor, make: Any, reason: str) -> None:
    make(boss)
    goal = h.december_goal(boss)
    assert goal_plan(goal) == rf.NotEnoughData(reason)
    report = goal_report(goal)
    document = goal_document(report)
    assert document["plan"] is None and document["teams"] is None
    assert document["not_enough_data"] == reason
    # The revenue is still paced: its target is the goal itself.
    assert [r.stage for r in report.pacing.rows] == ["revenue"]
    assert report.pacing.not_enough_data == reason


def test_the_look_back_ends_at_the_period_start_or_today(boss: Actor) -> None:
    h.worked_example(boss)
    december = goal_report(h.december_goal(boss))
    assert (december.lookback_start, december.lookback_end) == (WINDOW_START, WINDOW_END)
    values = {"period": "month", "period_start": "2027-03-01", "revenue": 1, "lookback_days": 30}
    march = goal_report(goal_set(actor=boss, values=values))
    today = dt.datetime(2026, 12, 16, tzinfo=dt.UTC)
    assert (march.lookback_start, march.lookback_end) == (today - dt.timedelta(days=30), today)
    # The worked example's contacts were created in March 2026: not in the last 30 days.
    assert isinstance(march.plan, rf.NotEnoughData)


# Pacing ---------------------------------------------------------------------------------------


def test_pacing_on_a_fixed_day(boss: Actor) -> None:
    h.worked_example(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    pacing = goal_pacing(goal, h.TODAY)
    elapsed = Fraction(16, 31)  # 1-16 December, today included
    assert pacing.elapsed == float(elapsed)
    assert pacing.not_enough_data is None
    rows = {r.stage: r for r in pacing.rows}
    assert list(rows) == ["lead", "mql", "sal", "sql", "opportunity", "customer", "revenue"]
    expected = {  # stage: (target, actual, status)
        "lead": (100, 20, "behind"),
        "mql": (50, 16, "behind"),
        "sal": (40, 0, "behind"),
        "sql": (20, 0, "behind"),
        "opportunity": (20, 0, "behind"),
        "customer": (10, 6, "ahead"),  # 6 won deals: 11.6 projected
        "revenue": (Decimal("10000.00"), Decimal("5200.00"), "on track"),  # 10,075 projected
    }
    for stage, (target, actual, status) in expected.items():
        row = rows[stage]
        assert (row.target, row.actual, row.status) == (target, actual, status), stage
        assert row.expected == round(float(Fraction(target) * elapsed), 2)
        assert row.projected == round(float(Fraction(actual) / elapsed), 2)
    assert rows["revenue"].kind == "money" and rows["lead"].kind == "count"
    assert (rows["lead"].team, rows["sal"].team, rows["revenue"].team) == (
        "marketing", "sales", "both",
    )  # fmt: skip

    # Each actual links to the records behind it, over the same window.
    window = {"after": ["2026-12-01T00:00:00+00:00"], "before": ["2026-12-17T00:00:00+00:00"]}
    lead = urlsplit(rows["lead"].link)
    assert lead.path == "/contacts/"
    assert parse_qs(lead.query) == {"moved_to": ["lead"], "moved_after": window["after"],
                                    "moved_before": window["before"]}  # fmt: skip
    won = urlsplit(rows["customer"].link)
    assert won.path == "/deals/"
    assert parse_qs(won.query) == {"status": ["won"], "closed_after": window["after"],
                                   "closed_before": window["before"]}  # fmt: skip
    assert rows["revenue"].link == rows["customer"].link


def test_pacing_before_the_period_and_after_it(boss: Actor) -> None:
    h.worked_example(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    before = goal_pacing(goal, dt.date(2026, 11, 30))
    assert before.elapsed == 0
    for row in before.rows:
        assert (row.actual, row.expected, row.status, row.link) == (row.actual, None, None, "")
        assert row.reason == "The period has not started, so nothing can be projected yet."
        assert not row.actual
    after = {r.stage: r for r in goal_pacing(goal, dt.date(2027, 2, 1)).rows}
    assert after["customer"].actual == 6 and after["customer"].projected == 6.0
    assert after["customer"].status == "behind"


def test_dashboard_goals_lists_the_goals_of_today(boss: Actor) -> None:
    h.worked_example(boss)
    december = h.december_goal(boss, "10000")
    quarter = goal_set(actor=boss, values={"period": "quarter", "period_start": "2026-10-01",
                                           "revenue": "30000"})  # fmt: skip
    h.december_goal(boss, "3000", segment="enterprise")
    goal_set(actor=boss, values={"period": "month", "period_start": "2027-01-01", "revenue": 1})
    goal_set(actor=boss, values={"period": "month", "period_start": "2026-11-01", "revenue": 1})

    found = dashboard_goals(boss.workspace.pk, h.TODAY)
    assert [(g.title, g.period) for g in found] == [
        ("December 2026 · All segments", "month"),
        ("December 2026 · Enterprise (1,000+)", "month"),
        ("Q4 2026 · All segments", "quarter"),
    ]
    first = found[0]
    assert first.goal_id == december.pk and first.link == f"/goals/{december.pk}/"
    assert first == goal_pacing(december, h.TODAY)
    assert [r.stage for r in first.rows][-1] == "revenue"
    # No enterprise history: its plan is missing, with the reason; revenue is still paced.
    assert found[1].not_enough_data is not None and [r.stage for r in found[1].rows] == ["revenue"]
    assert found[2].goal_id == quarter.pk
    assert found[2].elapsed == (dt.date(2026, 12, 16) - dt.date(2026, 10, 1)).days / 92 + 1 / 92
    assert dashboard_goals(boss.workspace.pk, dt.date(2027, 6, 1)) == []


# The same plan from the API and the CLI -------------------------------------------------------


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command("goal", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def api(manager: Membership) -> Api:
    return Api(make_token(manager)[1])


def test_api_cli_and_direct_call_give_one_plan(api: Api, boss: Actor) -> None:
    h.hand_made(boss)
    h.december_actuals(boss)
    goal = h.december_goal(boss, "10000")
    reply = api.get(f"/goals/{goal.pk}/plan")
    assert reply.status == 200, reply.body
    from_cli = json.loads(cli("plan", str(goal.pk), "--workspace", "acme", "--format", "json"))
    direct = goal_document(goal_report(goal, h.TODAY))
    assert reply.body == from_cli == direct
    plan = reply.body["plan"]
    assert [s["required"]["point"] for s in plan["stages"]] == [150, 60, 45, 30, 20, 10]
    assert plan["budget"]["point"] == "15000.00"
    assert [s["stage"] for s in reply.body["teams"]["marketing"]["stages"]] == ["lead", "mql"]
    assert reply.body["teams"]["marketing"]["budget"] == plan["budget"]
    assert [s["stage"] for s in reply.body["teams"]["sales"]["stages"]] == [
        "sal", "sql", "opportunity", "customer",
    ]  # fmt: skip
    assert reply.body["history"]["cost_per_lead"] == "100.00"
    revenue = reply.body["pacing"]["rows"][-1]
    assert (revenue["target"], revenue["actual"], revenue["status"]) == (
        "10000.00", "5200.00", "on track",
    )  # fmt: skip

    table = cli("plan", str(goal.pk), "--workspace", "acme")
    assert re.search(r"\nLeads +marketing +150 \(\d+ to \d+\) +40\.0% \(", table)
    assert re.search(r"\nWon deals +sales +10 \(10 to 10\) +— +—\n", table)
    assert "Budget: 15,000.00 USD (" in table
    assert "Marketing: Leads 150, MQLs 60" in table
    assert "Sales: SALs 45, SQLs 30, Opportunities 20, Won deals 10" in table
    assert "Revenue" in table and "on track" in table


def test_api_list_set_and_delete(api: Api, api_as: Any, other_api: Api) -> None:
    body = {"period": "month", "period_start": "2026-12-01", "revenue": 250000, "note": "Board"}
    created = api.post("/goals", body)
    assert created.status == 201, created.body
    assert created.body["revenue"] == "250000.00"
    assert created.body["period_end"] == "2026-12-31"
    assert created.body["created_by"] == "manager@acme.example"
    replaced = api.post("/goals", {**body, "revenue": "260000"})
    assert replaced.status == 200 and replaced.body["id"] == created.body["id"]
    assert replaced.body["note"] == "Board"

    listed = api.get("/goals")
    assert listed.status == 200
    assert [g["id"] for g in listed.body["results"]] == [created.body["id"]]
    assert listed.body["results"][0]["revenue"] == "260000.00"
    assert other_api.get("/goals").body == {"results": []}

    goal_id = created.body["id"]
    assert other_api.get(f"/goals/{goal_id}/plan").status == 404
    assert other_api.delete(f"/goals/{goal_id}").status == 404
    viewer = api_as("viewer")
    assert viewer.get(f"/goals/{goal_id}/plan").status == 200  # every member reads
    refused = viewer.post("/goals", body)
    assert refused.status == 403 and refused.error["code"] == "permission_denied"
    assert api_as("marketer").delete(f"/goals/{goal_id}").status == 403

    assert api.delete(f"/goals/{goal_id}").status == 204
    assert api.delete(f"/goals/{goal_id}").status == 404
    assert api.get("/goals").body == {"results": []}


def test_a_channel_mix_through_the_api_and_the_cli(api: Api, manager: Membership) -> None:
    body = {"period": "month", "period_start": "2026-12-01", "revenue": 1000,
            "channels": ["webinar", "event"]}  # fmt: skip
    created = api.post("/goals", body)
    assert created.status == 201 and created.body["channels"] == ["event", "webinar"]
    refused = api.post("/goals", {**body, "period_start": "2027-01-01", "segment": "smb"})
    assert refused.status == 400 and list(refused.error["fields"]) == ["channels"]
    out = cli("set", "--workspace", manager.workspace.slug, "--as", manager.user.email,
              "--period", "month", "--start", "2027-02-01", "--revenue", "500",
              "--channels", "partner,referral")  # fmt: skip
    goal = Goal.objects.for_workspace(manager.workspace).get(period_start=dt.date(2027, 2, 1))
    assert goal.channels == ["partner", "referral"], out
    shown = cli("plan", str(goal.pk), "--workspace", manager.workspace.slug)
    assert "channel mix: partner, referral" in shown


def test_the_api_list_is_a_fixed_number_of_queries(api: Api, boss: Actor) -> None:
    h.december_goal(boss)
    assert api.get("/goals").status == 200  # the first call also does sign-in bookkeeping
    with CaptureQueriesContext(connection) as one:
        assert api.get("/goals").status == 200
    for month in range(1, 7):
        goal_set(actor=boss, values={"period": "month", "period_start": f"2027-{month:02}-01",
                                     "revenue": 1})  # fmt: skip
    with CaptureQueriesContext(connection) as seven:
        assert len(api.get("/goals").body["results"]) == 7
    assert len(seven) == len(one)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"period": "month", "period_start": "2026-12-05", "revenue": 1},
         {"period_start": ["A month's goal starts on the first day of its month (2026-12-01), "
                           "not 2026-12-05."]}),
        ({"period": "month", "period_start": "2026-12-01", "revenue": 0},
         {"revenue": ["The revenue goal must be more than 0."]}),
        ({"period": "month", "period_start": "2026-12-01", "revenue": 1, "lookback_days": 9},
         {"lookback_days": ["The look-back must be 30 to 1095 days, not 9."]}),
        ({"period": "year", "period_start": "2026-12-01", "revenue": 1},
         {"period": ["Input should be 'month' or 'quarter'"]}),
        ({"period": "month", "period_start": "2026-12-01", "revenue": 1, "extra": 1},
         {"extra": ["Unknown field."]}),
        ({"period": "month", "revenue": 1}, {"period_start": ["This field is required."]}),
    ],
)  # fmt: skip
def test_api_bad_input_is_a_400_and_writes_nothing(
    api: Api, body: dict[str, Any], fields: dict[str, list[str]], workspace: Any
) -> None:
    reply = api.post("/goals", body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert reply.fields == fields
    assert not Goal.objects.for_workspace(workspace).exists()


def test_api_plan_without_history_is_a_200_with_the_reason(api: Api, boss: Actor) -> None:
    goal = h.december_goal(boss)
    reply = api.get(f"/goals/{goal.pk}/plan")
    assert reply.status == 200
    assert reply.body["plan"] is None and reply.body["history"] is None
    assert reply.body["not_enough_data"].startswith("No leads were created in the look-back")
    assert api.get("/goals/999999/plan").status == 404
    assert api.get("/goals/0/plan").status == 400


def test_cli_set_list_plan_and_delete(manager: Membership, member_factory: Any) -> None:
    out = cli("set", "--workspace", "acme", "--as", "manager@acme.example", "--period", "month",
              "--start", "2026-12-01", "--revenue", "250000", "--segment", "smb",
              "--lookback", "180", "--note", "Board plan")  # fmt: skip
    goal = Goal.objects.for_workspace(manager.workspace).get()
    assert f"Goal {goal.pk} set: December 2026 · SMB (under 50), 250,000.00 USD." in out
    assert (goal.segment, goal.lookback_days, goal.note) == ("smb", 180, "Board plan")

    listed = cli("list", "--workspace", "acme")
    assert "December 2026 · SMB (under 50)" in listed and "250,000.00 USD" in listed

    plan = cli("plan", str(goal.pk), "--workspace", "acme")
    assert "Not enough data: No leads were created in the SMB (under 50) segment" in plan

    with pytest.raises(CommandError, match=r"revenue: The revenue goal must be more than 0\."):
        cli("set", "--workspace", "acme", "--as", "manager@acme.example", "--period", "month",
            "--start", "2026-12-01", "--revenue", "0")  # fmt: skip
    with pytest.raises(CommandError, match="A month's goal starts on the first day"):
        cli("set", "--workspace", "acme", "--as", "manager@acme.example", "--period", "month",
            "--start", "2026-12-02", "--revenue", "10")  # fmt: skip
    member_factory("viewer", email="viewer@acme.example")
    with pytest.raises(CommandError, match=r"Your role \(viewer\) does not allow setting goals"):
        cli("delete", str(goal.pk), "--workspace", "acme", "--as", "viewer@acme.example")
    with pytest.raises(CommandError, match="No goal with id 999 in this workspace"):
        cli("plan", "999", "--workspace", "acme")

    assert cli("delete", str(goal.pk), "--workspace", "acme", "--as", "manager@acme.example")
    assert cli("list", "--workspace", "acme").startswith("No goals yet")
