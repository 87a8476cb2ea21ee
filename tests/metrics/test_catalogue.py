"""The metrics catalogue on hand-made data with answers worked out by hand: every metric's exact
values (counts, money to the cent, rates with Wilson intervals checked against SciPy, averages
with t intervals), on the record store (SQLite or PostgreSQL, whichever the suite runs on) and
on the columnar copy (DuckDB), which agree for every metric and breakdown; the handoff's
measures equal the handoff's own reports; random histories agree with a count in plain Python;
bad specs, empty periods and zero denominators; another workspace's records never counted.

The scenario (`build`): the period is March 2024 (the 31 days before it, for lead velocity,
run from 30 January). Seven contacts of 'acme' with their ledger, eleven deals, two campaigns
with costs, four touchpoints; 'other' has a customer who churns, an MQL, a won deal, a cost and
a touchpoint in the same period, under the same UTM campaign names, none of which may show."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import stats

from accord.core.errors import ValidationFailed
from accord.core.intervals import wilson
from accord.crm.models import (
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
    Pipeline,
    PipelineStage,
)
from accord.identity.models import Membership, Team, User, Workspace
from accord.identity.tests.factories import WorkspaceFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.metrics import columnar
from accord.metrics.catalogue import (
    CATALOGUE,
    METRICS,
    MetricResult,
    MetricSpec,
    Value,
    measure,
)
from accord.metrics.engine import Engine
from accord.metrics.presentation import metric_document, metric_spec

pytestmark = pytest.mark.django_db
UTC = dt.UTC
START = dt.datetime(2024, 3, 1, tzinfo=UTC)
END = dt.datetime(2024, 4, 1, tzinfo=UTC)
ENGINES: tuple[Engine, ...] = ("record_store", "columnar")
COLUMNAR_METRICS = [m.key for m in METRICS if m.engines == "both"]
HANDOFF_METRICS = [m.key for m in METRICS if m.engines == "record_store"]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)
    # Members get passwords; Argon2 would make them the slowest part of these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


def run(
    workspace_id: int,
    metric: str,
    breakdown: str = "none",
    engine: Engine = "record_store",
    *,
    start: dt.datetime = START,
    end: dt.datetime = END,
) -> MetricResult:
    spec = MetricSpec(metric=metric, start=start, end=end, breakdown=breakdown)
    return measure(workspace_id, spec, engine)


def values(workspace_id: int, metric: str, breakdown: str = "none", **kw: Any) -> list[Value]:
    return run(workspace_id, metric, breakdown, **kw).values


def rate(dimension: str, successes: int, n: int, item: str = "") -> Value:
    """A rate as the catalogue gives it, its interval from SciPy's Wilson interval."""
    ci = stats.binomtest(successes, n).proportion_ci(method="wilson")
    low, high = wilson(successes, n)
    assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    return Value(dimension, successes / n, item, low, high, successes, n)


def t_interval(data: Sequence[float]) -> tuple[float, float, float]:
    """The mean and its 95 % t interval, by SciPy."""
    mean = statistics.mean(data)
    low, high = stats.t.interval(0.95, len(data) - 1, loc=mean, scale=stats.sem(data))
    return mean, float(low), float(high)


def money_mean(dimension: str, amounts: Sequence[str]) -> Value:
    data = [float(a) for a in amounts]
    exact = sum((Decimal(a) for a in amounts), Decimal(0)) / len(amounts)
    cent = Decimal("0.01")
    if len(data) == 1:
        return Value(dimension, exact.quantize(cent), n=1)
    _, low, high = t_interval(data)
    return Value(
        dimension,
        exact.quantize(cent),
        low=Decimal(str(low)).quantize(cent),
        high=Decimal(str(high)).quantize(cent),
        n=len(data),
    )


def days_mean(dimension: str, days: Sequence[float], item: str = "") -> Value:
    if len(days) == 1:
        return Value(dimension, round(days[0], 2), item, n=1)
    mean, low, high = t_interval(days)
    return Value(dimension, round(mean, 2), item, round(low, 2), round(high, 2), n=len(days))


def growth(dimension: str, current: int, previous: int) -> Value:
    """(current - previous) / previous, the interval from the conditional binomial (Wilson)."""
    ci = stats.binomtest(current, current + previous).proportion_ci(method="wilson")
    low = ci.low / (1 - ci.low) - 1
    high = ci.high / (1 - ci.high) - 1 if ci.high < 1 else None
    approx: Any = pytest.approx
    value = Value(dimension, current / previous - 1, successes=current, n=previous)
    return replace(value, low=approx(low), high=None if high is None else approx(high))


# The scenario --------------------------------------------------------------------------------


@dataclass
class World:
    """What `build` made: the users, teams, contacts and deals tests refer to by name."""

    ws: Workspace
    other: Workspace
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    deals: dict[str, Deal] = field(default_factory=dict)

    def uid(self, name: str) -> str:
        return str(self.users[name].pk)

    def tid(self, name: str) -> str:
        return str(self.teams[name].pk)


def person(
    ws: Workspace,
    email: str,
    path: Sequence[tuple[str, dt.datetime] | tuple[str, dt.datetime, str]],
    *,
    source: str = "",
    campaign: str = "",
    owner: User | None = None,
    company: Company | None = None,
) -> Contact:
    """A contact with its ledger: each step (stage, when[, definition version])."""
    contact = Contact.objects.create(
        workspace=ws,
        email=email,
        lifecycle_stage=path[-1][0],
        original_source=source,
        utm_campaign=campaign,
        owner=owner,
        company=company,
        created_at=path[0][1],
    )
    previous = ""
    for step in path:
        stage, when = step[0], step[1]
        version = step[2] if len(step) > 2 else ""
        LedgerEntry.objects.create(
            workspace=ws,
            contact=contact,
            from_stage=previous,
            to_stage=stage,
            occurred_at=when,
            source="system",
            definition_version=version,
        )
        previous = stage
    return contact


def deal(
    ws: Workspace,
    contact: Contact | None,
    amount: str,
    created: dt.datetime,
    *,
    status: str = "open",
    closed: dt.datetime | None = None,
    stage: str = "qualification",
    source: str = "",
    owner: User | None = None,
    company: Company | None = None,
) -> Deal:
    """A deal with its stage history, as the deal services write it: created in `stage` (an
    open one), then moved to closed won or lost when it closed."""
    pipeline = Pipeline.objects.for_workspace(ws).get(is_default=True)
    stages = {s.key: s for s in PipelineStage.objects.for_workspace(ws).filter(pipeline=pipeline)}
    opened = stages[stage]
    final = stages[{"won": "closed_won", "lost": "closed_lost"}.get(status, stage)]
    made = Deal.objects.create(
        workspace=ws,
        name=f"Deal {amount}",
        pipeline=pipeline,
        stage=final,
        status=status,
        amount=Decimal(amount),
        currency="USD",
        owner=owner,
        company=company,
        primary_contact=contact,
        created_at=created,
        closed_at=closed,
        source=source,
    )
    move_deal(made, None, opened, created)
    if closed is not None:
        move_deal(made, opened, final, closed)
    return made


def move_deal(
    made: Deal,
    before: PipelineStage | None,
    after: PipelineStage,
    when: dt.datetime,
    amount: str | None = None,
) -> None:
    DealStageChange.objects.create(
        workspace_id=made.workspace_id,
        deal=made,
        from_stage=before,
        to_stage=after,
        amount=Decimal(amount) if amount else made.amount,
        occurred_at=when,
        source="system",
    )


def campaign(ws: Workspace, name: str, channel: str, utm: str, costs: dict[str, str]) -> Campaign:
    made = Campaign.objects.create(
        workspace=ws, name=name, channel=channel, utm_campaign=utm, currency="USD"
    )
    for day, amount in costs.items():
        CampaignCost.objects.create(
            workspace=ws,
            campaign=made,
            date=dt.date.fromisoformat(day),
            amount=Decimal(amount),
            currency="USD",
        )
    return made


def touch(
    ws: Workspace, contact: Contact, channel: str, when: dt.datetime, via: Campaign | None = None
) -> None:
    Touchpoint.objects.create(
        workspace=ws, contact=contact, campaign=via, channel=channel, type="form_fill",
        occurred_at=when,
    )  # fmt: skip


def build(workspace: Workspace, other_workspace: Workspace, member_factory: Any) -> World:
    world = World(workspace, other_workspace)
    ws = workspace
    for name in ("Alpha", "Beta"):
        world.teams[name] = Team.objects.create(workspace=ws, name=name, kind="sales")
    for name, team in (("A", "Alpha"), ("B", "Beta"), ("C", None)):
        membership: Membership = member_factory("sales_rep", email=f"{name.lower()}@acme.example")
        membership.team = world.teams[team] if team else None
        membership.save(update_fields=["team"])
        world.users[name] = membership.user
    a, b, c = world.users["A"], world.users["B"], world.users["C"]
    small = Company.objects.create(workspace=ws, name="Small", employee_count=10)
    mid = Company.objects.create(workspace=ws, name="Mid", employee_count=200)
    big = Company.objects.create(workspace=ws, name="Big", employee_count=5000)

    spring = campaign(ws, "Spring search", "paid_search", "spring-search",
                      {"2024-02-15": "700.00", "2024-03-05": "1000.00",
                       "2024-03-20": "500.50", "2024-04-01": "999.00"})  # fmt: skip
    webinar = campaign(ws, "Webinar Q1", "webinar", "webinar-q1", {"2024-03-10": "300.30"})

    ps, wb = "paid_search", "webinar"
    c1 = person(ws, "c1@x.example", [("lead", at(2, 20)), ("mql", at(3, 2), "v1"),
                ("sal", at(3, 3)), ("sql", at(3, 5, 12)), ("opportunity", at(3, 6)),
                ("customer", at(3, 20))],
                source=ps, campaign="spring-search", owner=a, company=small)  # fmt: skip
    c2 = person(ws, "c2@x.example", [("lead", at(3, 1)), ("mql", at(3, 4), "v2"),
                ("lead", at(3, 6)), ("mql", at(3, 8), "v2")],
                source=ps, campaign="spring-search", owner=b, company=mid)  # fmt: skip
    c3 = person(ws, "c3@x.example", [("lead", at(3, 10)), ("mql", at(3, 11), "v1"),
                ("sal", at(3, 12))], source=wb, campaign="webinar-q1", owner=a,
                company=big)  # fmt: skip
    c4 = person(ws, "c4@x.example", [("lead", at(2, 10)), ("mql", at(2, 12), "v1")])
    c5 = person(ws, "c5@x.example", [("mql", at(2, 14), "v1"), ("customer", at(2, 20)),
                ("recycled", at(3, 15))], source=wb, campaign="webinar-q1",
                owner=c)  # fmt: skip
    c6 = person(ws, "c6@x.example", [("customer", at(1, 15))], source=ps, owner=a,
                company=small)  # fmt: skip
    c7 = person(ws, "c7@x.example", [("lead", at(3, 25)), ("mql", at(4, 1), "v1")],
                source="referral", owner=c)  # fmt: skip
    world.contacts = {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7}

    touch(ws, c1, ps, at(2, 20), spring)
    touch(ws, c2, "email", at(3, 20))  # after D2 was created, before D8
    touch(ws, c3, wb, at(3, 10), webinar)  # after D4 was created, before D10
    touch(ws, c4, "direct", at(2, 5))

    world.deals = {
        "D1": deal(ws, c1, "1000.00", at(3, 6), status="won", closed=at(3, 20), source=ps,
                   owner=a, company=small),
        "D2": deal(ws, c2, "2000.00", at(3, 2), status="won", closed=at(3, 12), source=ps,
                   owner=b, company=mid),
        "D3": deal(ws, c3, "4500.00", at(2, 1), status="won", closed=at(3, 25, 12), source=wb,
                   owner=a, company=big),
        "D10": deal(ws, c3, "100.20", at(3, 25, 12), status="won", closed=at(3, 28), source=wb,
                    owner=a, company=big),
        "D4": deal(ws, c3, "800.00", at(3, 5), status="lost", closed=at(3, 15), source=wb,
                   owner=a, company=big),
        "D5": deal(ws, c6, "3000.00", at(1, 10), status="won", closed=at(1, 15),
                   source="outbound", owner=b, company=small),
        "D6": deal(ws, c7, "1234.56", at(3, 20), stage="proposal", source="referral", owner=c),
        "D7": deal(ws, c4, "5000.00", at(2, 10), stage="discovery"),
        "D8": deal(ws, c2, "700.00", at(3, 28), stage="discovery", source="outbound", owner=b,
                   company=mid),
        "D9": deal(ws, c5, "999.99", at(4, 2), source="event", owner=c),
        "D12": deal(ws, c1, "650.00", at(3, 10), status="won", closed=at(4, 3), source=ps,
                    owner=a, company=small, stage="negotiation"),
    }  # fmt: skip

    # The other workspace: the same UTM names, a churning customer, an MQL, a won deal, spend.
    ow = other_workspace
    theirs = campaign(ow, "Other webinar", "webinar", "webinar-q1", {"2024-03-05": "5555.00"})
    x1 = person(ow, "x1@y.example", [("customer", at(1, 1)), ("lead", at(3, 2)),
                ("mql", at(3, 3), "v1"), ("sal", at(3, 4))], source=wb,
                campaign="spring-search")  # fmt: skip
    touch(ow, x1, wb, at(3, 1), theirs)
    deal(ow, x1, "99999.00", at(3, 3), status="won", closed=at(3, 9), source=wb)
    deal(ow, x1, "11.00", at(3, 3), stage="discovery", source=wb)
    return world


@pytest.fixture
def world(workspace: Workspace, other_workspace: Workspace, member_factory: Any) -> World:
    return build(workspace, other_workspace, member_factory)


# Every metric, exact -------------------------------------------------------------------------


def test_every_metric_has_an_exact_test_here() -> None:
    """A metric added to the catalogue must be added to the tests below (and named here)."""
    assert set(CATALOGUE) == {
        "leads", "mqls", "sals", "sqls", "opportunities", "customers", "won_deals", "revenue",
        "average_deal_size", "win_rate", "sales_cycle", "sourced_pipeline",
        "influenced_pipeline", "open_pipeline", "time_in_stage", "lead_velocity", "retention",
        "churn", "marketing_spend", "cost_per_lead", "cost_per_mql", "cost_per_sql",
        "cost_per_customer", "cac", "sla_sales", "sla_marketing", "acceptance_rate",
        "rejection_reasons",
    }  # fmt: skip


STAGE_COUNTS = {"leads": 3, "mqls": 3, "sals": 2, "sqls": 1, "opportunities": 1, "customers": 1}


@pytest.mark.parametrize(("metric", "count"), STAGE_COUNTS.items())
def test_stage_counts(world: World, metric: str, count: int) -> None:
    """c2 moved into lead and into MQL twice in March: counted once each. c7's MQL at the
    period's end (exclusive) and c1's lead in February are not in it."""
    assert values(world.ws.pk, metric) == [Value("", count, n=count)]


def test_mqls_by_every_breakdown(world: World) -> None:
    ws = world.ws.pk

    def counts(breakdown: str) -> list[tuple[str, Any]]:
        return [(v.dimension, v.value) for v in values(ws, "mqls", breakdown)]

    assert counts("source") == [("paid_search", 2), ("webinar", 1)]
    assert counts("campaign") == [("spring-search", 2), ("webinar-q1", 1)]
    assert counts("owner") == sorted([(world.uid("A"), 2), (world.uid("B"), 1)])
    assert counts("team") == sorted([(world.tid("Alpha"), 2), (world.tid("Beta"), 1)])
    assert counts("segment") == [("enterprise", 1), ("mid_market", 1), ("smb", 1)]
    assert counts("definition_version") == [("v1", 2), ("v2", 1)]


def test_leads_without_an_owner_team_or_company_are_counted_under_empty(world: World) -> None:
    ws = world.ws.pk
    # c2 (B, Beta, mid), c3 (A, Alpha, big), c7 (C: no team; no company)
    assert [(v.dimension, v.value) for v in values(ws, "leads", "team")] == sorted(
        [("", 1), (world.tid("Alpha"), 1), (world.tid("Beta"), 1)]
    )
    assert [(v.dimension, v.value) for v in values(ws, "leads", "segment")] == [
        ("", 1), ("enterprise", 1), ("mid_market", 1)
    ]  # fmt: skip


def test_won_deals_and_revenue(world: World) -> None:
    """Won with a close in March: D1, D2, D3 (created in February), D10. Not D5 (closed in
    January), not D12 (won on 3 April)."""
    ws = world.ws.pk
    assert values(ws, "won_deals") == [Value("", 4, n=4)]
    assert values(ws, "revenue") == [Value("", Decimal("7600.20"), n=4)]
    by = {
        "source": [("paid_search", "3000.00", 2), ("webinar", "4600.20", 2)],
        "campaign": [("spring-search", "3000.00", 2), ("webinar-q1", "4600.20", 2)],
        "owner": sorted([(world.uid("A"), "5600.20", 3), (world.uid("B"), "2000.00", 1)]),
        "team": sorted([(world.tid("Alpha"), "5600.20", 3), (world.tid("Beta"), "2000.00", 1)]),
        "segment": [("enterprise", "4600.20", 2), ("mid_market", "2000.00", 1),
                    ("smb", "1000.00", 1)],
    }  # fmt: skip
    for breakdown, expected in by.items():
        assert values(ws, "revenue", breakdown) == [
            Value(d, Decimal(amount), n=n) for d, amount, n in expected
        ], breakdown
        assert values(ws, "won_deals", breakdown) == [Value(d, n, n=n) for d, _, n in expected], (
            breakdown
        )
    (total,) = values(ws, "revenue")
    assert isinstance(total.value, Decimal) and total.value.as_tuple().exponent == -2


def test_average_deal_size_with_its_t_interval(world: World) -> None:
    ws = world.ws.pk
    assert values(ws, "average_deal_size") == [
        money_mean("", ["1000.00", "2000.00", "4500.00", "100.20"])
    ]
    (overall,) = values(ws, "average_deal_size")
    assert overall.value == Decimal("1900.05")
    assert values(ws, "average_deal_size", "source") == [
        money_mean("paid_search", ["1000.00", "2000.00"]),
        money_mean("webinar", ["4500.00", "100.20"]),
    ]
    assert values(ws, "average_deal_size", "segment")[-1] == Value(
        "smb", Decimal("1000.00"), n=1
    )  # one deal: no interval


def test_win_rate_with_its_wilson_interval(world: World) -> None:
    """Closed in March: D1, D2, D3, D10 won, D4 lost."""
    ws = world.ws.pk
    assert values(ws, "win_rate") == [rate("", 4, 5)]
    assert values(ws, "win_rate", "source") == [rate("paid_search", 2, 2), rate("webinar", 2, 3)]
    (webinar,) = values(ws, "win_rate", "source")[1:]
    assert (round(webinar.low or 0, 4), round(webinar.high or 0, 4)) == (0.2077, 0.9385)


def test_sales_cycle(world: World) -> None:
    """Creation to close of the deals won in March: 14, 10, 53.5 and 2.5 days."""
    ws = world.ws.pk
    assert values(ws, "sales_cycle") == [days_mean("", [14, 10, 53.5, 2.5])]
    (cycle,) = values(ws, "sales_cycle")
    assert cycle.value == 20.0
    assert values(ws, "sales_cycle", "owner") == sorted(
        [days_mean(world.uid("A"), [14, 53.5, 2.5]), days_mean(world.uid("B"), [10])],
        key=lambda v: v.dimension,
    )


def test_sourced_and_influenced_pipeline(world: World) -> None:
    """Created in March: D1, D2, D4, D6, D8, D10, D12 (seven). Sourced by marketing: all but
    the outbound D8. Influenced (a touch at or before creation): D1 and D12 (c1 touched in
    February), D10 (c3 touched on 10 March), D8 (c2 touched on 20 March) — not D2 (created
    before c2's touch) nor D4 (created before c3's)."""
    ws = world.ws.pk
    sourced = rate("", 6, 7)
    assert values(ws, "sourced_pipeline") == [replace(sourced, value=Decimal("5784.76"))]
    influenced = rate("", 4, 7)
    assert values(ws, "influenced_pipeline") == [replace(influenced, value=Decimal("2450.20"))]
    by_source = {v.dimension: (v.value, v.successes, v.n)
                 for v in values(ws, "influenced_pipeline", "source")}  # fmt: skip
    assert by_source == {
        "paid_search": (Decimal("1650.00"), 2, 3),
        "webinar": (Decimal("100.20"), 1, 2),
        "referral": (Decimal("0.00"), 0, 1),
        "outbound": (Decimal("700.00"), 1, 1),
    }
    by_source = {v.dimension: (v.value, v.successes, v.n)
                 for v in values(ws, "sourced_pipeline", "source")}  # fmt: skip
    assert by_source == {
        "paid_search": (Decimal("3650.00"), 3, 3),
        "webinar": (Decimal("900.20"), 2, 2),
        "referral": (Decimal("1234.56"), 1, 1),
        "outbound": (Decimal("0.00"), 0, 1),
    }


def test_a_touch_after_the_deal_was_created_does_not_influence_it(world: World) -> None:
    ws = world.ws
    before = values(ws.pk, "influenced_pipeline")[0]
    touch(ws, world.contacts["c7"], "email", at(3, 21))  # D6 was created on 20 March
    assert values(ws.pk, "influenced_pipeline")[0] == before
    touch(ws, world.contacts["c7"], "email", at(3, 20))  # at its creation: counts
    after = values(ws.pk, "influenced_pipeline")[0]
    assert (after.value, after.successes) == (Decimal("3684.76"), 5)


def test_open_pipeline_by_stage_at_the_period_end(world: World) -> None:
    """The deals open on 1 April, by the stage each was in then: D7 and D8 in discovery, D6 in
    proposal, and D12 in negotiation (it was won on 3 April, after the period). D9 was created
    after the end; the other won and lost deals had closed."""
    ws = world.ws.pk
    assert values(ws, "open_pipeline") == [
        Value("", Decimal("5700.00"), "Discovery", n=2),
        Value("", Decimal("1234.56"), "Proposal", n=1),
        Value("", Decimal("650.00"), "Negotiation", n=1),
    ]
    by_owner = values(ws, "open_pipeline", "owner")
    assert sorted((v.dimension, v.item, v.value, v.n) for v in by_owner) == sorted([
        ("", "Discovery", Decimal("5000.00"), 1),
        (world.uid("A"), "Negotiation", Decimal("650.00"), 1),
        (world.uid("B"), "Discovery", Decimal("700.00"), 1),
        (world.uid("C"), "Proposal", Decimal("1234.56"), 1),
    ])  # fmt: skip
    # On 1 March: D7 in discovery, and D3 (created 1 February, won 25 March) in qualification.
    earlier = values(ws, "open_pipeline", start=at(2, 1), end=at(3, 1))
    assert earlier == [
        Value("", Decimal("4500.00"), "Qualification", n=1),
        Value("", Decimal("5000.00"), "Discovery", n=1),
    ]


def test_open_pipeline_is_the_stage_and_amount_at_the_period_end(world: World) -> None:
    """A move after the period (D8 to demo, at a new amount, on 5 April) does not change it."""
    ws = world.ws
    stages = {s.key: s for s in PipelineStage.objects.for_workspace(ws)}
    d8 = world.deals["D8"]
    move_deal(d8, stages["discovery"], stages["demo"], at(4, 5), amount="900.00")
    for engine in ENGINES:
        assert values(ws.pk, "open_pipeline", engine=engine)[0] == Value(
            "", Decimal("5700.00"), "Discovery", n=2
        )
        in_april = values(ws.pk, "open_pipeline", engine=engine, start=at(4, 1), end=at(5, 1))
        assert [(v.item, v.value, v.n) for v in in_april] == [
            ("Qualification", Decimal("999.99"), 1),  # D9, created on 2 April
            ("Discovery", Decimal("5000.00"), 1),  # D7
            ("Demo", Decimal("900.00"), 1),  # D8, at its new amount
            ("Proposal", Decimal("1234.56"), 1),  # D6
        ]  # D12 was won on 3 April


def test_time_in_stage(world: World) -> None:
    """Stays that ended in March, per stage in path order: lead 11 (c1), 3 and 2 (c2), 1 (c3)
    days; MQL 1, 2, 1; SAL 2.5; SQL 0.5; opportunity 14; customer 24 (c5, out on 15 March).
    c7's lead ends on 1 April, outside; c4's and c5's February stays ended before."""
    ws = world.ws.pk
    assert values(ws, "time_in_stage") == [
        days_mean("", [11, 3, 2, 1], "lead"),
        days_mean("", [1, 2, 1], "mql"),
        days_mean("", [2.5], "sal"),
        days_mean("", [0.5], "sql"),
        days_mean("", [14], "opportunity"),
        days_mean("", [24], "customer"),
    ]
    by_version = values(ws, "time_in_stage", "definition_version")
    assert [(v.dimension, v.item, v.value, v.n) for v in by_version if v.item == "mql"] == [
        ("v1", "mql", 1.0, 2),
        ("v2", "mql", 2.0, 1),
    ]


def test_a_stay_of_seven_minutes_twelve_is_a_hundredth_of_a_day_on_every_engine(
    workspace: Workspace,
) -> None:
    person(workspace, "quick@x.example", [("lead", at(3, 1)), ("mql", at(3, 1, 0, 7, 12))])
    for engine in ENGINES:
        (stay, *_) = values(workspace.pk, "time_in_stage", engine=engine)
        assert (stay.item, stay.value, stay.n) == ("lead", 0.01, 1), engine


def test_lead_velocity_against_the_equal_period_before(world: World) -> None:
    """MQLs in March: c1, c2, c3; in the 31 days before (from 30 January): c4 and c5."""
    ws = world.ws.pk
    assert values(ws, "lead_velocity") == [growth("", 3, 2)]
    (overall,) = values(ws, "lead_velocity")
    assert overall.value == pytest.approx(0.5)
    by_source = values(ws, "lead_velocity", "source")
    assert by_source == [
        growth("", 0, 1),
        Value("paid_search", None, n=2, reason="nothing in the previous period"),
        growth("webinar", 1, 1),
    ]
    assert by_source[0].value == -1.0


def test_retention_and_churn(world: World) -> None:
    """Customers on 1 March: c5 and c6 (c1 became one during March). c5 moved out of customer
    on 15 March."""
    ws = world.ws.pk
    assert values(ws, "retention") == [rate("", 1, 2)]
    assert values(ws, "churn") == [rate("", 1, 2)]
    assert values(ws, "retention", "source") == [
        rate("paid_search", 1, 1), rate("webinar", 0, 1)
    ]  # fmt: skip
    assert values(ws, "churn", "source") == [rate("paid_search", 0, 1), rate("webinar", 1, 1)]
    assert values(ws, "churn", "segment") == [rate("", 1, 1), rate("smb", 0, 1)]
    april = values(ws, "retention", start=at(4, 1), end=at(5, 1))  # c1 and c6 now
    assert april == [rate("", 2, 2)]


def test_marketing_spend(world: World) -> None:
    """Costs dated in March: 1,000.00 and 500.50 (spring search), 300.30 (webinar); not the
    15 February or 1 April costs, nor the other workspace's 5,555.00 under the same UTM."""
    ws = world.ws.pk
    assert values(ws, "marketing_spend") == [Value("", Decimal("1800.80"))]
    assert values(ws, "marketing_spend", "source") == [
        Value("paid_search", Decimal("1500.50")),
        Value("webinar", Decimal("300.30")),
    ]
    assert values(ws, "marketing_spend", "campaign") == [
        Value("spring-search", Decimal("1500.50")),
        Value("webinar-q1", Decimal("300.30")),
    ]
    one_day = values(ws, "marketing_spend", start=at(3, 20, 9), end=at(3, 20, 17))
    assert one_day == [Value("", Decimal("500.50"))]  # a cost is dated by day


@pytest.mark.parametrize(
    ("metric", "overall", "by_source"),
    [
        # 1,800.80 over 3 leads (c2, c3, c7): 600.2666…
        ("cost_per_lead", ("600.27", 3), {"paid_search": ("1500.50", 1),
                                          "webinar": ("300.30", 1)}),
        ("cost_per_mql", ("600.27", 3), {"paid_search": ("750.25", 2),
                                         "webinar": ("300.30", 1)}),
        ("cost_per_sql", ("1800.80", 1), {"paid_search": ("1500.50", 1), "webinar": None}),
        ("cost_per_customer", ("1800.80", 1), {"paid_search": ("1500.50", 1),
                                               "webinar": None}),
    ],
)  # fmt: skip
def test_cost_per_stage(
    world: World,
    metric: str,
    overall: tuple[str, int],
    by_source: dict[str, tuple[str, int] | None],
) -> None:
    ws = world.ws.pk
    stage = CATALOGUE[metric].key.removeprefix("cost_per_")
    assert values(ws, metric) == [Value("", Decimal(overall[0]), n=overall[1])]
    expected = [
        Value(d, None, n=0, reason=f"spend of 300.30 but no {stage}s")
        if found is None
        else Value(d, Decimal(found[0]), n=found[1])
        for d, found in by_source.items()
    ]
    assert values(ws, metric, "source") == expected
    by_campaign = [replace(v, dimension={"paid_search": "spring-search",
                                         "webinar": "webinar-q1"}[v.dimension])
                   for v in expected]  # fmt: skip
    assert values(ws, metric, "campaign") == by_campaign


def test_cac_counts_each_new_account_once(world: World) -> None:
    """First won deals in March: Mid (D2) and Big (D3, then D10: one account). Small's first
    won deal closed in January (D5), so D1 does not make it new."""
    ws = world.ws.pk
    assert values(ws, "cac") == [Value("", Decimal("900.40"), n=2)]
    # A contact without a company is an account of its own.
    lone = world.contacts["c7"]
    deal(world.ws, lone, "10.00", at(3, 2), status="won", closed=at(3, 3))
    deal(world.ws, lone, "20.00", at(3, 2), status="won", closed=at(3, 4))
    assert values(ws, "cac") == [Value("", Decimal("600.27"), n=3)]


# The handoff's measures, as the handoff's reports say --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_handoff_metrics_are_the_handoff_reports(workspace: Workspace) -> None:
    """Four MQLs handed to two reps on a Monday (round robin); one touched in time, the rest
    breached by the sweep; one accepted, one rejected (no budget), one recycled, one open."""
    import time_machine

    from accord.crm.services.activities import activity_create
    from accord.handoff import dispositions as decide
    from accord.handoff import routing_settings
    from accord.handoff.clocks import sweep_workspace
    from accord.handoff.models import Handoff
    from accord.handoff.reports import dispositions, sla_report
    from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor

    monday = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor, in_force_since=monday - dt.timedelta(days=30))
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )
    with time_machine.travel(monday, tick=False):
        made = [
            make_mql(floor, f"h{i}@example.org", original_source=source)
            for i, source in enumerate(["webinar", "webinar", "paid_search", "event"])
        ]
    handoffs = [Handoff.objects.for_workspace(workspace).get(contact=c) for c in made]
    assert len({h.owner_id for h in handoffs}) == 2
    with time_machine.travel(monday + dt.timedelta(hours=1), tick=False):  # logged at once
        activity_create(
            actor=floor.actor(floor.sales_manager),
            values={"kind": "call", "contact_id": made[0].pk,
                    "occurred_at": monday + dt.timedelta(hours=1)},
        )  # fmt: skip
    sweep_workspace(workspace.pk, monday + dt.timedelta(days=2))
    manager = floor.actor(floor.sales_manager)
    decide.handoff_accept(actor=manager, handoff_id=handoffs[0].pk)
    decide.handoff_reject(actor=manager, handoff_id=handoffs[1].pk, reason="no_budget")
    decide.handoff_recycle(actor=manager, handoff_id=handoffs[2].pk,
                           until=dt.date.today() + dt.timedelta(days=30))  # fmt: skip

    ws = workspace.pk
    start, end = dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC)

    def got(metric: str, breakdown: str = "none") -> list[Value]:
        return values(ws, metric, breakdown, start=start, end=end)

    report = sla_report(workspace, start, end)
    everyone = report.first_touch[-1]
    assert (everyone.met, everyone.breached) == (1, 3)
    assert got("sla_sales") == [rate("", 1, 4)]
    by_owner = [
        Value(str(row.owner_id), row.compliance.value, "", row.compliance.low,
              row.compliance.high, row.compliance.successes, row.compliance.n)
        for row in report.first_touch[:-1]
    ]  # fmt: skip
    assert got("sla_sales", "owner") == sorted(by_owner, key=lambda v: v.dimension)
    assert len(by_owner) == 2

    (volume,) = report.volume
    assert got("sla_marketing") == [
        Value("", volume.attainment, "2026-11", successes=4, n=volume.target)
    ]
    assert volume.attainment == 4 / volume.target

    assert got("acceptance_rate") == [rate("", 1, 3)]
    assert got("rejection_reasons") == [rate("", 1, 1, item="No budget")]
    for breakdown in CATALOGUE["acceptance_rate"].breakdowns[1:]:
        rows = dispositions(workspace, breakdown, start, end)  # type: ignore[arg-type]
        assert got("acceptance_rate", breakdown) == sorted(
            (
                Value(r.key, r.acceptance.value, "", r.acceptance.low, r.acceptance.high,
                      r.acceptance.successes, r.acceptance.n)
                for r in rows
                if r.acceptance.n
            ),
            key=lambda v: v.dimension,
        ), breakdown  # fmt: skip
        assert got("rejection_reasons", breakdown) == sorted(
            (
                rate(r.key, n, sum(r.reasons.values()), item=reason)
                for r in rows
                for reason, n in r.reasons.most_common()
            ),
            key=lambda v: v.dimension,
        ), breakdown
    # Without a breakdown, the leads are counted together, with no join to their contacts (a
    # year of a large workspace's handoffs made that join the slowest part), and the counts are
    # every breakdown's totals.
    with CaptureQueriesContext(connection) as queries:
        (overall,) = dispositions(workspace, "none", start, end)
        got("acceptance_rate"), got("rejection_reasons")
    assert not any("crm_contact" in q["sql"] for q in queries.captured_queries)
    assert (overall.key, overall.label, overall.handed_over) == ("", "All leads", 4)
    for breakdown in CATALOGUE["acceptance_rate"].breakdowns[1:]:
        rows = dispositions(workspace, breakdown, start, end)  # type: ignore[arg-type]
        for status in ("handed_over", "accepted", "rejected", "recycled", "open"):
            total = sum(getattr(r, status) for r in rows)
            assert total == getattr(overall, status), (breakdown, status)
        assert sum((r.reasons for r in rows), Counter()) == overall.reasons, breakdown
    by_source = {v.dimension: (v.successes, v.n) for v in got("acceptance_rate", "source")}
    assert by_source == {"webinar": (1, 2), "paid_search": (0, 1)}  # the event lead is open
    # By owner, as every owner breakdown: the user's id, labelled with the user's name.
    names = {str(m.user_id): m.user.display_name for m in floor.sellers}
    for metric in ("sla_sales", "acceptance_rate", "rejection_reasons"):
        document = metric_document(run(ws, metric, "owner", start=start, end=end))
        labelled = {(v["dimension"], v["label"]) for v in document["values"]}
        assert labelled, metric
        assert labelled <= set(names.items()), metric
    # Asking for the columnar copy changes nothing: these are read from the record store.
    spec = MetricSpec(metric="acceptance_rate", start=start, end=end)
    assert measure(ws, spec, "columnar").engine == "record_store"


# Both engines, every metric and breakdown -------------------------------------------------


@pytest.mark.parametrize("metric", COLUMNAR_METRICS)
def test_both_engines_give_identical_values(world: World, metric: str) -> None:
    ws = world.ws.pk
    seen = 0
    for breakdown in CATALOGUE[metric].breakdowns:
        stored = run(ws, metric, breakdown)
        copied = run(ws, metric, breakdown, "columnar")
        assert (stored.engine, copied.engine) == ENGINES
        assert stored.values == copied.values, (metric, breakdown)
        seen += len(stored.values)
    assert seen  # the scenario gives every metric something to measure


def test_the_copy_keeps_up_with_late_touches_and_backdated_transitions(world: World) -> None:
    """The columnar copy derives first touches and stays as facts arrive: a touch dated before
    a contact's first one, a touch that makes a deal influenced, and transitions dated before a
    contact's latest all change the numbers as they do on the record store."""
    ws = world.ws
    for metric in ("influenced_pipeline", "time_in_stage", "mqls"):
        run(ws.pk, metric, engine="columnar")  # the copy as it was
    c2, c3, c7 = (world.contacts[k] for k in ("c2", "c3", "c7"))
    touch(ws, c7, "email", at(3, 19))  # before D6 (20 March): influenced now
    touch(ws, c2, "email", at(3, 1))  # before D2 (2 March), earlier than c2's first touch
    LedgerEntry.objects.create(workspace=ws, contact=c3, from_stage="sal", to_stage="sql",
                               occurred_at=at(3, 14), source="system")  # fmt: skip
    LedgerEntry.objects.create(
        workspace=ws,
        contact=c7,
        from_stage="lead",
        to_stage="mql",
        occurred_at=at(3, 27),
        source="system",
    )  # before its 1 April one
    columnar.sync()
    (influenced,) = values(ws.pk, "influenced_pipeline", engine="columnar")
    assert (influenced.value, influenced.successes) == (Decimal("5684.76"), 6)
    assert values(ws.pk, "mqls", engine="columnar") == [Value("", 4, n=4)]
    stays = {v.item: v for v in values(ws.pk, "time_in_stage", engine="columnar")}
    assert stays["lead"].n == 5  # c7's lead: 25 to 27 March
    assert stays["sal"].n == 2  # c3's SAL: 12 to 14 March
    for metric in ("influenced_pipeline", "time_in_stage", "mqls", "sals"):
        for breakdown in ("none", "source"):
            assert run(ws.pk, metric, breakdown, "columnar").values == values(
                ws.pk, metric, breakdown
            ), (metric, breakdown)


def test_a_period_in_another_time_zone_is_the_same_instants(world: World) -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    start, end = START.astimezone(berlin), END.astimezone(berlin)
    for metric in ("mqls", "revenue", "marketing_spend", "time_in_stage", "churn"):
        for engine in ENGINES:
            assert values(world.ws.pk, metric, engine=engine, start=start, end=end) == values(
                world.ws.pk, metric
            ), (metric, engine)


# Another workspace ------------------------------------------------------------------------


def test_another_workspaces_records_are_never_counted(world: World) -> None:
    """'other' has, in March, an MQL, a churning customer, a won deal of 99,999.00 and a cost
    of 5,555.00 under the UTM name 'webinar-q1'; from 'acme' none of it shows, and from
    'other' only its own."""
    theirs = world.other.pk
    for engine in ENGINES:
        assert values(theirs, "mqls", engine=engine) == [Value("", 1, n=1)]
        assert values(theirs, "revenue", engine=engine) == [Value("", Decimal("99999.00"), n=1)]
        assert values(theirs, "churn", engine=engine) == [rate("", 1, 1)]
        assert values(theirs, "marketing_spend", "campaign", engine=engine) == [
            Value("webinar-q1", Decimal("5555.00"))
        ]
        assert values(theirs, "open_pipeline", engine=engine) == [
            Value("", Decimal("11.00"), "Discovery", n=1)
        ]
        assert values(theirs, "influenced_pipeline", engine=engine)[0].successes == 2
        ours = world.ws.pk
        assert values(ours, "mqls", "campaign", engine=engine) == [
            Value("spring-search", 2, n=2), Value("webinar-q1", 1, n=1)
        ]  # fmt: skip
        assert values(ours, "cac", engine=engine) == [Value("", Decimal("900.40"), n=2)]


# Bad input, empty periods and zero denominators -------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field_name", "message"),
    [
        ({"metric": "nonsense"}, "metric", "unknown metric 'nonsense'; see `accord report list`"),
        ({"start": dt.datetime(2024, 3, 1)}, "start", "start and end need a time zone"),
        ({"end": dt.datetime(2024, 4, 1)}, "end", "start and end need a time zone"),
        ({"start": END, "end": START}, "start", "start must be before end"),
        ({"end": START}, "start", "start must be before end"),
        ({"breakdown": "definition_version"}, "breakdown",
         "revenue cannot be broken down by 'definition_version'; choose one of: none, source, "
         "campaign, owner, team, segment"),
        ({"breakdown": "colour"}, "breakdown", "revenue cannot be broken down by 'colour'"),
        ({"engine": "columnar"}, "engine", "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_bad_specs_name_the_field(spec: dict[str, Any], field_name: str, message: str) -> None:
    given_values = {"metric": "revenue", "start": START, "end": END, **spec}
    with pytest.raises(ValidationError, match=message.split(";", maxsplit=1)[0]):
        MetricSpec(**given_values)
    with pytest.raises(ValidationFailed) as failed:
        metric_spec(given_values)
    assert list(failed.value.fields) == [field_name]
    (said,) = failed.value.fields[field_name]
    assert said.startswith(message)


@pytest.mark.parametrize(
    "period", [{"start": dt.datetime(2024, 3, 1)}, {"start": END, "end": START}]
)
def test_an_unknown_metric_is_reported_on_metric_whatever_else_is_wrong(
    period: dict[str, Any],
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        metric_spec({"metric": "nonsense", "start": START, "end": END, **period})
    assert failed.value.fields == {
        "metric": ["unknown metric 'nonsense'; see `accord report list`"]
    }


def test_every_breakdown_not_offered_is_refused() -> None:
    everything = {b for m in METRICS for b in m.breakdowns}
    for metric in METRICS:
        for breakdown in sorted(everything - set(metric.breakdowns)):
            with pytest.raises(ValidationFailed) as failed:
                metric_spec({"metric": metric.key, "start": START, "end": END,
                             "breakdown": breakdown})  # fmt: skip
            assert list(failed.value.fields) == ["breakdown"], (metric.key, breakdown)


@pytest.fixture
def sparse(workspace: Workspace) -> Workspace:
    """A workspace whose records are all in March 2024: a customer, a won deal, a cost."""
    contact = person(workspace, "only@x.example", [("lead", at(3, 1)), ("mql", at(3, 2)),
                     ("customer", at(3, 3))], source="webinar")  # fmt: skip
    campaign(workspace, "Only", "webinar", "only", {"2024-03-01": "10.00"})
    touch(workspace, contact, "webinar", at(3, 1))
    deal(workspace, contact, "100.00", at(3, 2), status="won", closed=at(3, 3), source="webinar")
    deal(workspace, contact, "50.00", at(3, 2), source="webinar")
    return workspace


EMPTY = {"start": dt.datetime(2023, 6, 1, tzinfo=UTC), "end": dt.datetime(2023, 7, 1, tzinfo=UTC)}


def test_an_empty_period_has_no_values(sparse: Workspace) -> None:
    """June 2023, before anything in the workspace happened: every metric, every breakdown,
    both engines — no values, and the document says why in words."""
    for metric in COLUMNAR_METRICS:
        for breakdown in CATALOGUE[metric].breakdowns:
            for engine in ENGINES:
                result = run(sparse.pk, metric, breakdown, engine, **EMPTY)
                assert result.values == [], (metric, breakdown, engine)
                document = metric_document(result)
                assert document["values"] == []
                assert document["not_enough_data"] == (
                    "Not enough data: nothing to measure in this period"
                    + ("" if breakdown == "none" else " for this breakdown")
                    + f". {CATALOGUE[metric].definition}"
                )


@pytest.mark.parametrize("metric", HANDOFF_METRICS)
def test_an_empty_period_of_the_handoff_metrics(workspace: Workspace, metric: str) -> None:
    result = run(workspace.pk, metric)
    assert result.values == []
    assert metric_document(result)["not_enough_data"] is not None


def test_no_value_is_ever_nan(world: World) -> None:
    import json
    import math

    for metric in METRICS:
        for breakdown in metric.breakdowns:
            for start, end in ((START, END), (at(1, 1), at(6, 1)), (at(3, 31), END)):
                document = metric_document(run(world.ws.pk, metric.key, breakdown,
                                               start=start, end=end))  # fmt: skip
                text = json.dumps(document, allow_nan=True)
                assert "NaN" not in text, (metric.key, breakdown)
                for v in document["values"]:
                    for key in ("value", "low", "high"):
                        number = v[key]
                        if isinstance(number, float):
                            assert not math.isnan(number), (metric.key, key)
                    assert (v["value"] is None) == bool(v["reason"]), (metric.key, v)


def test_spend_without_mqls_is_none_with_a_reason(workspace: Workspace) -> None:
    campaign(workspace, "Lonely", "paid_search", "lonely", {"2024-03-03": "250.00"})
    person(workspace, "lead@x.example", [("lead", at(3, 3))], source="paid_search")
    for engine in ENGINES:
        assert values(workspace.pk, "cost_per_mql", engine=engine) == [
            Value("", None, n=0, reason="spend of 250.00 but no mqls")
        ]
        assert values(workspace.pk, "cost_per_lead", engine=engine) == [
            Value("", Decimal("250.00"), n=1)
        ]
        assert values(workspace.pk, "cac", engine=engine) == [
            Value("", None, n=0, reason="no new customer accounts in the period")
        ]
        assert values(workspace.pk, "win_rate", engine=engine) == []


def test_growth_with_nothing_before_is_none_with_a_reason(workspace: Workspace) -> None:
    person(workspace, "a@x.example", [("lead", at(3, 2)), ("mql", at(3, 3))])
    person(workspace, "b@x.example", [("lead", at(3, 2)), ("mql", at(3, 4))])
    for engine in ENGINES:
        (velocity,) = values(workspace.pk, "lead_velocity", engine=engine)
        assert velocity == Value("", None, n=2, reason="nothing in the previous period")
        document = metric_document(run(workspace.pk, "lead_velocity", engine=engine))
        assert document["values"][0]["value"] is None
        assert document["values"][0]["reason"] == "nothing in the previous period"
        assert document["not_enough_data"] is None


# Random histories: both engines and a count in plain Python agree --------------------------

STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "recycled")
SOURCES = ("", "paid_search", "webinar")
BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)
P_START, P_END = BASE + dt.timedelta(days=20), BASE + dt.timedelta(days=40)
MINUTES = 60 * 24 * 60  # a history spans 60 days


@st.composite
def histories(draw: Callable[..., Any]) -> dict[str, Any]:
    contacts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(SOURCES),
                st.lists(
                    st.tuples(st.sampled_from(STAGES), st.integers(0, MINUTES)),
                    min_size=1,
                    max_size=5,
                ),
            ),
            min_size=1,
            max_size=6,
        )
    )
    deals = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(contacts) - 1),
                st.sampled_from(("open", "won", "lost")),
                st.integers(1, 10_000_00),  # cents
                st.integers(0, MINUTES),  # created
                st.integers(0, 30 * 24 * 60),  # minutes to close
            ),
            max_size=5,
        )
    )
    return {"contacts": contacts, "deals": deals}


def minutes(n: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=n)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories())
def test_random_histories_agree_on_both_engines_and_with_plain_python(
    history: dict[str, Any],
) -> None:
    ws = cast(Workspace, WorkspaceFactory(slug=f"prop-{uuid.uuid4().hex[:12]}"))
    made: list[Contact] = []
    transitions: list[tuple[int, str, dt.datetime]] = []  # (contact index, stage, when)
    for i, (source, steps) in enumerate(history["contacts"]):
        ordered = sorted(steps, key=lambda s: s[1])
        path = [(stage, minutes(m)) for stage, m in ordered]
        made.append(person(ws, f"p{i}@x.example", path, source=source))
        transitions += [(i, stage, when) for stage, when in path]
    won_amounts: list[Decimal] = []
    closed = won = 0
    for index, status, amount_cents, created, to_close in history["deals"]:
        amount = Decimal(amount_cents) / 100
        created_at = minutes(created)
        closed_at = created_at + dt.timedelta(minutes=to_close) if status != "open" else None
        deal(ws, made[index], str(amount), created_at, status=status, closed=closed_at,
             source=history["contacts"][index][0])  # fmt: skip
        if closed_at is not None and P_START <= closed_at < P_END:
            closed += 1
            if status == "won":
                won += 1
                won_amounts.append(amount)
    columnar.sync()  # the copy syncs at most every 2 s; each example must see its own rows

    def both(metric: str, breakdown: str = "none") -> list[Value]:
        stored = run(ws.pk, metric, breakdown, start=P_START, end=P_END)
        copied = run(ws.pk, metric, breakdown, "columnar", start=P_START, end=P_END)
        assert copied.engine == "columnar"
        assert stored.values == copied.values, (metric, breakdown)
        return stored.values

    for key, stage in (("leads", "lead"), ("mqls", "mql"), ("sals", "sal"),
                       ("customers", "customer")):  # fmt: skip
        for breakdown in ("none", "source"):
            expected: dict[str, set[int]] = {}
            for i, to, when in transitions:
                if to == stage and P_START <= when < P_END:
                    dimension = "" if breakdown == "none" else history["contacts"][i][0]
                    expected.setdefault(dimension, set()).add(i)
            assert [(v.dimension, v.value) for v in both(key, breakdown)] == sorted(
                (d, len(who)) for d, who in expected.items()
            ), (key, breakdown)
    assert both("win_rate") == ([rate("", won, closed)] if closed else [])
    both("win_rate", "source")
    assert both("revenue") == (
        [Value("", sum(won_amounts, Decimal(0)), n=len(won_amounts))] if won_amounts else []
    )
    stays: dict[str, int] = {}
    for i, _ in enumerate(made):
        # In ledger order: by time, then as written (a contact's path was written in order).
        mine = [(when, stage) for j, stage, when in transitions if j == i]
        for (_, stage), (left, _) in itertools.pairwise(mine):
            if P_START <= left < P_END:
                stays[stage] = stays.get(stage, 0) + 1
    found = both("time_in_stage")
    assert {v.item: v.n for v in found} == stays
