"""The catalogue over the REST API (`GET /api/v1/metrics/{name}`) and the CLI (`accord report
NAME`): one document for one spec, whichever entry point and engine, equal to
`metric_document(measure(...))`; the CLI's CSV and table show the same values; bad input refused
with the field at fault; the list of metrics with their definitions; readable by members only,
each workspace seeing its own numbers. The data is `test_catalogue`'s hand-made scenario
(March 2024)."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.intervals import wilson
from accord.identity.models import ApiToken, Membership, Workspace
from accord.metrics.catalogue import CATALOGUE, METRICS, MetricSpec, measure
from accord.metrics.engine import Engine
from accord.metrics.funnel import DEFINITIONS
from accord.metrics.presentation import metric_document
from tests.api.conftest import Api, fast_password_hashing, make_token
from tests.metrics.test_catalogue import START, World, build

__all__ = ["fast_password_hashing"]

pytestmark = pytest.mark.django_db
SPAN = {"start": "2024-03-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"}
CLI_SPAN = ("--start", SPAN["start"], "--end", SPAN["end"])
TIME_ZONE = "start and end need a time zone (e.g. 2026-01-01T00:00:00Z)"


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)


@pytest.fixture
def world(workspace: Workspace, other_workspace: Workspace, member_factory: Any) -> World:
    return build(workspace, other_workspace, member_factory)


@pytest.fixture
def api(admin: Membership) -> Api:
    return Api(make_token(admin)[1])


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def cli_document(metric: str, *args: str, workspace: str = "acme") -> Any:
    return json.loads(
        report(metric, "--workspace", workspace, "--format", "json", *CLI_SPAN, *args)
    )


def direct(workspace_id: int, metric: str, breakdown: str, engine: Engine) -> Any:
    spec = MetricSpec.model_validate({"metric": metric, "breakdown": breakdown, **SPAN})
    # Through JSON, as both entry points hand it over.
    return json.loads(json.dumps(metric_document(measure(workspace_id, spec, engine))))


# One document for one spec ---------------------------------------------------------------

SAMPLES = [
    ("mqls", "source"),
    ("revenue", "segment"),
    ("average_deal_size", "none"),
    ("win_rate", "owner"),
    ("sales_cycle", "team"),
    ("influenced_pipeline", "source"),
    ("open_pipeline", "owner"),
    ("time_in_stage", "definition_version"),
    ("lead_velocity", "source"),
    ("churn", "segment"),
    ("cost_per_sql", "campaign"),
    ("cac", "none"),
    ("acceptance_rate", "source"),
]


@pytest.mark.parametrize(("metric", "breakdown"), SAMPLES)
def test_api_cli_and_direct_call_give_one_document(
    world: World, api: Api, metric: str, breakdown: str
) -> None:
    for engine in ("record_store", "columnar"):
        reply = api.get(f"/metrics/{metric}", breakdown=breakdown, engine=engine, **SPAN)
        assert reply.status == 200, reply.body
        cli = cli_document(metric, "--by", breakdown, "--engine", engine)
        expected = direct(world.ws.pk, metric, breakdown, engine)
        assert reply.body == cli == expected
        assert (reply.body["metric"], reply.body["breakdown"]) == (metric, breakdown)
        assert (reply.body["start"], reply.body["end"]) == (SPAN["start"], SPAN["end"])
        answered = "record_store" if CATALOGUE[metric].engines == "record_store" else engine
        assert reply.body["engine"] == answered
    if metric != "acceptance_rate":  # no handoffs in the scenario
        assert reply.body["values"], metric


def test_every_metric_and_breakdown_over_the_api_is_the_direct_document(
    world: World, api: Api
) -> None:
    for metric in METRICS:
        for breakdown in metric.breakdowns:
            reply = api.get(f"/metrics/{metric.key}", breakdown=breakdown,
                            engine="record_store", **SPAN)  # fmt: skip
            assert reply.status == 200, (metric.key, breakdown, reply.body)
            assert reply.body == direct(world.ws.pk, metric.key, breakdown, "record_store"), (
                metric.key,
                breakdown,
            )


# Exact numbers in the document, the table and the CSV --------------------------------------


def test_the_revenue_document(world: World, api: Api) -> None:
    body = api.get("/metrics/revenue", breakdown="source", **SPAN).body
    assert (body["title"], body["kind"], body["team"]) == ("Revenue", "money", "both")
    assert body["definition"] == CATALOGUE["revenue"].definition
    assert body["engine"] == "record_store"  # auto: a small workspace
    assert body["not_enough_data"] is None
    blank = {"item": "", "item_label": "", "low": None, "high": None, "successes": None,
             "reason": ""}  # fmt: skip
    assert body["values"] == [
        {"dimension": "paid_search", "label": "Paid search", "value": "3000.00", "n": 2, **blank},
        {"dimension": "webinar", "label": "Webinar", "value": "4600.20", "n": 2, **blank},
    ]


def test_labels_name_people_teams_campaigns_and_stages(world: World, api: Api) -> None:
    def labels(metric: str, breakdown: str) -> list[tuple[str, str]]:
        body = api.get(f"/metrics/{metric}", breakdown=breakdown, **SPAN).body
        return [(v["label"], v["item_label"]) for v in body["values"]]

    a, b = world.users["A"].display_name, world.users["B"].display_name
    assert sorted(labels("mqls", "owner")) == sorted([(a, ""), (b, "")])
    assert sorted(labels("mqls", "team")) == [("Alpha", ""), ("Beta", "")]
    # The campaign's name for its UTM name, this workspace's ('other' has one named alike).
    assert labels("mqls", "campaign") == [("Spring search", ""), ("Webinar Q1", "")]
    assert labels("leads", "segment") == [
        ("Unknown size", ""), ("Enterprise (1,000+)", ""), ("Mid-market (50 to 999)", "")
    ]  # fmt: skip
    stages = labels("time_in_stage", "none")
    assert stages[0] == ("All", "Lead")  # the workspace's lifecycle stage labels
    assert stages[1][0] == "All" and "MQL" in stages[1][1]
    assert labels("open_pipeline", "none") == [
        ("All", "Discovery"), ("All", "Proposal"), ("All", "Negotiation")
    ]  # fmt: skip


def cells(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def percent(value: float) -> str:
    return f"{value:.1%}"


def test_the_table_shows_the_definition_values_intervals_and_counts(world: World) -> None:
    out = report("win_rate", "--workspace", "acme", "--by", "source", *CLI_SPAN)
    lines = out.splitlines()
    assert lines[0] == f"Win rate: {CATALOGUE['win_rate'].definition}"
    assert lines[1] == "2024-03-01 00:00 → 2024-04-01 00:00 UTC · by source · engine: record_store"
    both = wilson(2, 2)
    webinar = wilson(2, 3)
    assert cells("\n".join(lines[3:])) == [
        ["source", "value", "95% interval", "n"],
        ["Paid search", "100.0%", f"{percent(both[0])} to {percent(both[1])}", "2"],
        ["Webinar", "66.7%", f"{percent(webinar[0])} to {percent(webinar[1])}", "3"],
    ]


def test_the_table_of_a_metric_with_items_and_money(world: World) -> None:
    out = report("open_pipeline", "--workspace", "acme", *CLI_SPAN, "--engine", "columnar")
    lines = out.splitlines()
    assert lines[1].endswith("engine: columnar")
    assert cells("\n".join(lines[3:])) == [
        ["pipeline stage", "value", "n"],
        ["All", "Discovery", "5,700.00", "2"],
        ["All", "Proposal", "1,234.56", "1"],
        ["All", "Negotiation", "650.00", "1"],
    ]


def test_the_table_says_why_a_value_is_missing(world: World) -> None:
    out = report("cost_per_sql", "--workspace", "acme", "--by", "source", *CLI_SPAN)
    assert cells("\n".join(out.splitlines()[3:])) == [
        ["source", "value", "n"],
        ["Paid search", "1,500.50", "1"],
        ["Webinar", "- (spend of 300.30 but no sqls)", "0"],
    ]


def test_the_table_of_an_empty_period(world: World) -> None:
    out = report("revenue", "--workspace", "acme", "--start", "2023-06-01T00:00:00Z",
                 "--days", "30")  # fmt: skip
    assert out.strip().endswith(
        f"Not enough data: nothing to measure in this period. {CATALOGUE['revenue'].definition}"
    )
    body = cli_document("revenue", "--by", "source")
    assert body["values"]  # the same command with March has values


def test_the_csv_has_every_field(world: World) -> None:
    out = report("average_deal_size", "--workspace", "acme", "--by", "source",
                 "--format", "csv", *CLI_SPAN)  # fmt: skip
    header, *rows = (line.split(",") for line in out.splitlines())
    assert header == ["dimension", "label", "item", "item_label", "value", "low", "high",
                      "successes", "n", "reason"]  # fmt: skip
    values = measure(world.ws.pk, MetricSpec(metric="average_deal_size", start=START,
                     end=START.replace(month=4), breakdown="source")).values  # fmt: skip
    assert rows == [
        [v.dimension, label, "", "", str(v.value), str(v.low), str(v.high), "", str(v.n), ""]
        for v, label in zip(values, ["Paid search", "Webinar"], strict=True)
    ]
    assert rows[0][4] == "1500.00"
    assert Decimal(rows[0][5]) < Decimal("1500.00") < Decimal(rows[0][6])


def test_the_csv_of_a_rate_with_an_item(world: World) -> None:
    out = report("time_in_stage", "--workspace", "acme", "--format", "csv", *CLI_SPAN)
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert [(r[2], r[4], r[8]) for r in rows] == [
        ("lead", "4.25", "4"), ("mql", "1.33", "3"), ("sal", "2.5", "1"), ("sql", "0.5", "1"),
        ("opportunity", "14.0", "1"), ("customer", "24.0", "1"),
    ]  # fmt: skip
    assert rows[0][3] == "Lead"


# Bad input ----------------------------------------------------------------------------------

BREAKDOWNS_OF_REVENUE = "none, source, campaign, owner, team, segment"


@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        ("/metrics/revenue", {"breakdown": "colour"},
         {"breakdown": [f"revenue cannot be broken down by 'colour'; choose one of: "
                        f"{BREAKDOWNS_OF_REVENUE}"]}),
        ("/metrics/revenue", {"breakdown": "definition_version"},
         {"breakdown": [f"revenue cannot be broken down by 'definition_version'; choose one "
                        f"of: {BREAKDOWNS_OF_REVENUE}"]}),
        ("/metrics/nonsense", {}, {"metric": ["unknown metric 'nonsense'; see `accord report "
                                              "list`"]}),
        ("/metrics/revenue", {"start": "2024-04-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"},
         {"start": ["start must be before end"]}),
        ("/metrics/revenue", {"start": "2024-03-01T00:00:00", "end": "2024-04-01T00:00:00Z"},
         {"start": [TIME_ZONE]}),
        ("/metrics/revenue", {"end": "2024-04-01T00:00:00"}, {"end": [TIME_ZONE]}),
        ("/metrics/revenue", {"engine": "fast"},
         {"engine": ["Input should be 'auto', 'record_store', 'columnar' or 'analytics'"]}),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_naming_the_field(
    api: Api, path: str, params: dict[str, str], fields: dict[str, list[str]]
) -> None:
    reply = api.get(path, **params)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert reply.fields == fields


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("revenue", "--by", "colour"), "invalid choice: 'colour'"),
        (("revenue", "--by", "definition_version"), "invalid choice: 'definition_version'"),
        (("nonsense",), "invalid choice: 'nonsense'"),
        (("revenue", "--start", "2024-04-01T00:00:00Z", "--end", "2024-03-01T00:00:00Z"),
         "--start: start must be before end"),
        (("revenue", "--start", "2024-03-01"), "'2024-03-01' has no time zone"),
    ],
)  # fmt: skip
def test_bad_cli_input_is_a_command_error(
    workspace: Workspace, args: tuple[str, ...], message: str
) -> None:
    metric, *rest = args
    with pytest.raises(CommandError, match=re.escape(message)):
        report(metric, "--workspace", "acme", *rest)


# The list of metrics ------------------------------------------------------------------------


def test_the_list_has_every_metric_with_its_definition(api: Api) -> None:
    reply = api.get("/metrics")
    assert reply.status == 200
    listed = reply.body["metrics"]
    assert [m["name"] for m in listed] == ["funnel", *CATALOGUE]
    assert listed[0]["views"] == [
        {"view": "cohort", "definition": DEFINITIONS["cohort"]},
        {"view": "period", "definition": DEFINITIONS["period"]},
    ]
    for entry, metric in zip(listed[1:], METRICS, strict=True):
        assert entry == {
            "name": metric.key,
            "title": metric.title,
            "kind": metric.kind,
            "team": metric.team,
            "path": f"/api/v1/metrics/{metric.key}",
            "command": f"accord report {metric.key}",
            "views": [{"view": "period", "definition": metric.definition}],
            "breakdowns": list(metric.breakdowns),
        }
    out = report("list")
    for metric in METRICS:
        assert (
            f"{metric.key} (accord report {metric.key}, GET /api/v1/metrics/{metric.key})\n"
            f"  period: {metric.definition}\n"
            f"  breakdowns: {', '.join(metric.breakdowns)}\n"
        ) in out


# Who may read, and whose numbers ----------------------------------------------------------


@pytest.mark.parametrize("engine", ["record_store", "columnar"])
def test_each_workspace_sees_its_own_numbers(
    world: World, api: Api, member_factory: Any, engine: str
) -> None:
    theirs = Api(make_token(member_factory("viewer", ws=world.other))[1])
    for metric, ours, other in (
        ("revenue", "7600.20", "99999.00"),
        ("marketing_spend", "1800.80", "5555.00"),
        ("mqls", 3, 1),
        ("churn", 0.5, 1.0),
    ):
        mine = api.get(f"/metrics/{metric}", engine=engine, **SPAN).body
        assert [v["value"] for v in mine["values"]] == [ours], metric
        seen = theirs.get(f"/metrics/{metric}", engine=engine, **SPAN).body
        assert [v["value"] for v in seen["values"]] == [other], metric
        assert seen == cli_document(metric, "--engine", engine, workspace="other")
    labelled = theirs.get("/metrics/marketing_spend", breakdown="campaign", **SPAN).body
    assert [(v["dimension"], v["label"]) for v in labelled["values"]] == [
        ("webinar-q1", "Other webinar")
    ]


def test_a_viewer_with_a_read_token_can_read(world: World, member_factory: Any) -> None:
    viewer = Api(make_token(member_factory("viewer"), scope=ApiToken.Scope.READ)[1])
    reply = viewer.get("/metrics/won_deals", **SPAN)
    assert reply.status == 200
    assert [v["value"] for v in reply.body["values"]] == [4]


@pytest.mark.parametrize("path", ["/metrics/revenue", "/metrics/nonsense", "/metrics"])
def test_an_anonymous_request_is_a_401(world: World, path: str) -> None:
    reply = Api(None).get(path, **SPAN)
    assert reply.status == 401
    assert reply.error["code"] == "unauthenticated"
    assert "values" not in reply.body


def test_a_revoked_or_made_up_token_is_a_401(world: World) -> None:
    reply = Api("acc_not_a_token").get("/metrics/revenue", **SPAN)
    assert reply.status == 401


def test_the_analytics_engine_without_clickhouse_is_refused_by_name(
    world: World, api: Api, settings: Any
) -> None:
    settings.ANALYTICS_URL = ""
    message = "engine 'analytics' needs ClickHouse: set ACCORD_ANALYTICS_URL"
    reply = api.get("/metrics/mqls", engine="analytics", **SPAN)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert message in json.dumps(reply.body)
    reply = api.get("/metrics/funnel", engine="analytics", **SPAN)
    assert reply.status == 400, reply.body
    with pytest.raises(CommandError, match=re.escape(f"--engine: {message}")):
        cli_document("mqls", "--engine", "analytics")
