"""The funnel over the REST API (`GET /api/v1/metrics/funnel`) and the CLI (`accord report
funnel`): one document for one spec, whichever entry point and engine; exact numbers and labels;
bad input refused with the fields at fault; readable by every member and nobody else; another
workspace's contacts never counted."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accord.core.intervals import wilson
from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.identity.actor import Actor, Source
from accord.identity.models import ApiToken, Membership
from accord.metrics.funnel import DEFINITIONS, FunnelSpec, funnel
from accord.metrics.presentation import funnel_document
from tests.api.conftest import Api, fast_password_hashing, make_token

__all__ = ["fast_password_hashing"]

pytestmark = pytest.mark.django_db
START = "2020-01-01T00:00:00Z"
END = "2100-01-01T00:00:00Z"
SPAN = {"start": START, "end": END}
BREAKDOWNS = ("none", "source", "campaign", "owner", "team", "segment", "definition_version")
TIME_ZONE = "start and end need a time zone (e.g. 2026-01-01T00:00:00Z)"


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)


def lead(actor: Actor, email: str, path: tuple[str, ...], **values: Any) -> int:
    contact = contact_services.contact_create(
        actor=actor, values={"email": email, "lifecycle_stage": path[0], **values}
    )
    for stage in path[1:]:
        version = "v2" if stage == "mql" else ""
        change_stage(actor=actor, contact_id=contact.pk, to_stage=stage, definition_version=version)
    return contact.pk


@pytest.fixture
def rep(member_factory: Any) -> Membership:
    return member_factory("sales_rep", email="rep@acme.example")  # type: ignore[no-any-return]


@pytest.fixture
def history(
    workspace: Any, other_workspace: Any, actor: Actor, rep: Membership, member_factory: Any
) -> None:
    """Four contacts in 'acme', and a customer in 'other' that must never show up there."""
    lead(actor, "a@x.example", ("lead", "mql", "sal", "sql"), original_source="webinar",
         owner_id=rep.user_id)  # fmt: skip
    lead(actor, "b@x.example", ("lead", "mql", "disqualified"), original_source="webinar")
    lead(actor, "c@x.example", ("subscriber", "lead"), original_source="paid_search",
         owner_id=rep.user_id)  # fmt: skip
    lead(actor, "d@x.example", ("mql",))  # imported straight as an MQL, source unknown
    elsewhere = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.API)
    path = ("lead", "mql", "sal", "sql", "opportunity", "customer")
    lead(elsewhere, "e@x.example", path, original_source="webinar")


@pytest.fixture
def api(admin: Membership) -> Api:
    return Api(make_token(admin)[1])


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def cli_document(*args: str, workspace: str = "acme") -> Any:
    return json.loads(report("funnel", "--workspace", workspace, "--format", "json", *args))


def rate(successes: int, n: int) -> dict[str, Any]:
    """A conversion as the document writes it, with its 95% Wilson interval."""
    low, high = wilson(successes, n)
    value = successes / n if n else None
    return {"successes": successes, "n": n, "value": value, "low": low, "high": high}


# One document for one spec ---------------------------------------------------------------


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("engine", ["record_store", "columnar"])
@pytest.mark.parametrize("view", ["cohort", "period"])
@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_api_cli_and_direct_call_give_one_document(
    api: Api, workspace: Any, engine: str, view: str, breakdown: str
) -> None:
    reply = api.get("/metrics/funnel", view=view, breakdown=breakdown, engine=engine, **SPAN)
    assert reply.status == 200, reply.body
    cli = cli_document("--view", view, "--by", breakdown, "--engine", engine,
                       "--start", START, "--end", END)  # fmt: skip
    spec = FunnelSpec.model_validate({"view": view, "breakdown": breakdown, **SPAN})
    direct = funnel_document(funnel(workspace.pk, spec, engine=engine))  # type: ignore[arg-type]
    assert reply.body == cli == direct
    assert reply.body["engine"] == engine
    assert (reply.body["start"], reply.body["end"]) == (START, END)


@pytest.mark.usefixtures("history")
def test_both_engines_agree_on_the_numbers(api: Api) -> None:
    documents = [
        api.get("/metrics/funnel", breakdown="source", engine=engine, **SPAN).body
        for engine in ("record_store", "columnar")
    ]
    stored, copied = documents
    assert stored["rows"] == copied["rows"]
    assert (stored["engine"], copied["engine"]) == ("record_store", "columnar")


# Exact numbers and labels ------------------------------------------------------------------


@pytest.mark.usefixtures("history")
def test_the_cohort_document(api: Api) -> None:
    body = api.get("/metrics/funnel", view="cohort", **SPAN).body
    assert body["definition"] == DEFINITIONS["cohort"]
    assert (body["view"], body["breakdown"], body["engine"]) == ("cohort", "none", "record_store")
    assert body["stages"] == ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"]
    (row,) = body["rows"]
    assert (row["dimension"], row["label"]) == ("", "All contacts")
    assert row["counts"] == {
        "subscriber": 4, "lead": 4, "mql": 3, "sal": 1, "sql": 1, "opportunity": 0, "customer": 0
    }  # fmt: skip
    assert row["conversions"] == {
        "subscriber→lead": rate(4, 4),
        "lead→mql": rate(3, 4),
        "mql→sal": rate(1, 3),
        "sal→sql": rate(1, 1),
        "sql→opportunity": rate(0, 1),
        "opportunity→customer": rate(0, 0),
    }
    lead_to_mql = row["conversions"]["lead→mql"]
    assert (round(lead_to_mql["low"], 4), round(lead_to_mql["high"], 4)) == (0.3006, 0.9544)
    assert row["conversions"]["opportunity→customer"] == {
        "successes": 0, "n": 0, "value": None, "low": 0.0, "high": 1.0
    }  # fmt: skip


@pytest.mark.usefixtures("history")
def test_labels_of_each_breakdown(api: Api, rep: Membership) -> None:
    def labelled(breakdown: str) -> list[tuple[str, str, int]]:
        body = api.get("/metrics/funnel", breakdown=breakdown, **SPAN).body
        return [(r["dimension"], r["label"], r["counts"]["mql"]) for r in body["rows"]]

    assert labelled("source") == [
        ("webinar", "Webinar", 2),
        ("", "Unknown source", 1),
        ("paid_search", "Paid search", 0),
    ]
    assert labelled("owner") == [  # ordered by size: the rep's two went further
        (str(rep.user_id), rep.user.display_name, 1),
        ("", "No owner", 2),
    ]
    assert labelled("definition_version") == [("v2", "v2", 2), ("", "no version", 1)]


@pytest.mark.usefixtures("history")
def test_the_period_document_counts_transitions(api: Api) -> None:
    body = api.get("/metrics/funnel", view="period", **SPAN).body
    assert body["definition"] == DEFINITIONS["period"]
    main = ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"]
    assert body["stages"] == [*main, "disqualified"]
    (row,) = body["rows"]
    assert row["counts"] == {
        "subscriber": 1, "lead": 3, "mql": 3, "sal": 1, "sql": 1, "opportunity": 0,
        "customer": 0, "disqualified": 1,
    }  # fmt: skip
    assert row["conversions"] == {}


@pytest.mark.usefixtures("history")
def test_the_default_period_is_the_last_90_days(api: Api) -> None:
    # The dashboard's "last 90 days": whole UTC days, today included.
    tomorrow = timezone.now().astimezone(dt.UTC).date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(), tzinfo=dt.UTC)
    body = api.get("/metrics/funnel").body
    start = dt.datetime.fromisoformat(body["start"])
    end = dt.datetime.fromisoformat(body["end"])
    assert (start, end) == (midnight - dt.timedelta(days=90), midnight)
    assert body["rows"][0]["counts"]["mql"] == 3  # created just now, so inside it
    cli = cli_document()
    assert (cli["start"], cli["end"]) == (body["start"], body["end"])
    assert cli["rows"] == body["rows"]
    # With an end given, the start is 90 days before it.
    given = api.get("/metrics/funnel", end="2026-03-01T00:00:00Z").body
    assert given["start"].startswith("2025-12-01T00:00:00")


def test_an_empty_period_has_no_rows(api: Api, actor: Actor) -> None:
    lead(actor, "a@x.example", ("lead", "mql"))
    body = api.get("/metrics/funnel", start="2021-01-01T00:00:00Z", end="2021-02-01T00:00:00Z")
    assert body.status == 200
    assert body.body["rows"] == []
    out = report("funnel", "--workspace", "acme", "--start", "2021-01-01T00:00:00Z",
                 "--days", "31")  # fmt: skip
    assert out.strip().endswith("No contacts were created in this period.")
    assert "2021-01-01 00:00 → 2021-02-01 00:00 UTC" in out


# The CLI's table and CSV -------------------------------------------------------------------


def cells(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


@pytest.mark.usefixtures("history")
def test_the_table_shows_the_definition_counts_and_conversions() -> None:
    out = report("funnel", "--workspace", "acme", "--by", "source", "--start", START,
                 "--end", END)  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == f"Funnel, cohort view: {DEFINITIONS['cohort']}"
    assert lines[1] == "2020-01-01 00:00 → 2100-01-01 00:00 UTC · by source · engine: record_store"
    table = cells("\n".join(lines[3:7]))
    assert table == [
        ["source", "subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer",
         "subscriber→lead", "lead→mql", "mql→sal", "sal→sql", "sql→opportunity",
         "opportunity→customer"],
        ["Webinar", "2", "2", "2", "1", "1", "0", "0",
         "100.0%", "100.0%", "50.0%", "100.0%", "0.0%", "-"],
        ["Unknown source", "1", "1", "1", "0", "0", "0", "0",
         "100.0%", "100.0%", "0.0%", "-", "-", "-"],
        ["Paid search", "1", "1", "0", "0", "0", "0", "0",
         "100.0%", "0.0%", "-", "-", "-", "-"],
    ]  # fmt: skip
    assert "95% intervals" in lines[-1]


@pytest.mark.usefixtures("history")
def test_the_period_table_has_counts_only() -> None:
    out = report("funnel", "--workspace", "acme", "--view", "period", "--start", START,
                 "--end", END, "--engine", "columnar")  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == f"Funnel, period view: {DEFINITIONS['period']}"
    assert lines[1].endswith("engine: columnar")
    assert cells("\n".join(lines[3:])) == [
        ["subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "disqualified"],
        ["All contacts", "1", "3", "3", "1", "1", "0", "0", "1"],
    ]


@pytest.mark.usefixtures("history")
def test_the_csv_has_counts_and_rates_with_intervals() -> None:
    out = report("funnel", "--workspace", "acme", "--start", START, "--end", END,
                 "--format", "csv")  # fmt: skip
    header, row = (line.split(",") for line in out.splitlines())
    assert header[:9] == ["dimension", "label", "subscriber", "lead", "mql", "sal", "sql",
                          "opportunity", "customer"]  # fmt: skip
    assert header[12:15] == ["lead→mql", "lead→mql low", "lead→mql high"]
    assert row[:9] == ["", "All contacts", "4", "4", "3", "1", "1", "0", "0"]
    assert row[12] == "0.75"
    assert row[-3:] == ["", "0.0", "1.0"]  # opportunity→customer: 0 of 0


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"start": END, "end": START}, {"start": ["start must be before end"]}),
        ({"start": START, "end": START}, {"start": ["start must be before end"]}),
        ({"start": "2026-01-01T00:00:00", "end": END}, {"start": [TIME_ZONE]}),
        ({"end": "2026-01-01T00:00:00"}, {"end": [TIME_ZONE]}),
        (
            {"start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00"},
            {"start": [TIME_ZONE], "end": [TIME_ZONE]},
        ),
        ({"view": "sideways"}, {"view": ["Input should be 'cohort' or 'period'"]}),
        (
            {"breakdown": "colour"},
            {
                "breakdown": [
                    "Input should be 'none', 'source', 'campaign', 'owner', 'team', 'segment' "
                    "or 'definition_version'"
                ]
            },
        ),
        (
            {"engine": "fast"},
            {"engine": ["Input should be 'auto', 'record_store', 'columnar' or 'analytics'"]},
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_fields(
    api: Api, params: dict[str, str], fields: dict[str, list[str]]
) -> None:
    reply = api.get("/metrics/funnel", **params)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert reply.fields == fields


def test_a_time_that_is_not_a_time_is_a_400(api: Api) -> None:
    reply = api.get("/metrics/funnel", start="yesterday")
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) == ["start"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", END, "--end", START), "--start: start must be before end"),
        (("--start", "2026-01-01"), "'2026-01-01' has no time zone"),
        (("--end", "soon"), "'soon' is not a time"),
        (("--days", "0"), "give at least 1 day"),
        (("--end", END, "--days", "3"), "not allowed with argument"),
        (("--by", "colour"), "invalid choice: 'colour'"),
        (("--view", "sideways"), "invalid choice: 'sideways'"),
    ],
)
def test_bad_cli_input_is_a_command_error(
    workspace: Any, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        report("funnel", "--workspace", "acme", *args)


def test_an_unknown_workspace_is_a_command_error(workspace: Any) -> None:
    with pytest.raises(
        CommandError, match=re.escape("No workspace 'nope'. Known workspaces: acme.")
    ):
        report("funnel", "--workspace", "nope")


# Who may read ------------------------------------------------------------------------------


@pytest.mark.usefixtures("history")
def test_a_viewer_with_a_read_token_can_read(member_factory: Any) -> None:
    viewer = Api(make_token(member_factory("viewer"), scope=ApiToken.Scope.READ)[1])
    reply = viewer.get("/metrics/funnel", **SPAN)
    assert reply.status == 200
    assert reply.body["rows"][0]["counts"]["mql"] == 3
    assert viewer.get("/metrics").status == 200


@pytest.mark.parametrize("path", ["/metrics", "/metrics/funnel"])
def test_an_anonymous_request_is_a_401(workspace: Any, path: str) -> None:
    reply = Api(None).get(path, **SPAN)
    assert reply.status == 401
    assert reply.error["code"] == "unauthenticated"


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("engine", ["record_store", "columnar"])
def test_another_workspace_is_never_counted(
    api: Api, other_workspace: Any, member_factory: Any, engine: str
) -> None:
    ours = api.get("/metrics/funnel", view="period", engine=engine, **SPAN).body
    assert ours["rows"][0]["counts"]["customer"] == 0
    assert ours["rows"][0]["counts"]["lead"] == 3
    theirs_api = Api(make_token(member_factory("viewer", ws=other_workspace))[1])
    theirs = theirs_api.get("/metrics/funnel", engine=engine, breakdown="source", **SPAN).body
    assert [(r["label"], r["counts"]["lead"], r["counts"]["customer"]) for r in theirs["rows"]] == [
        ("Webinar", 1, 1)
    ]
    cli = cli_document("--engine", engine, "--by", "source", "--start", START, "--end", END,
                       workspace="other")  # fmt: skip
    assert cli == theirs


# The catalogue -----------------------------------------------------------------------------


def test_the_catalogue_lists_the_funnel_with_its_definitions(api: Api) -> None:
    reply = api.get("/metrics")
    assert reply.status == 200
    metric = reply.body["metrics"][0]
    assert metric["name"] == "funnel"
    assert metric["path"] == "/api/v1/metrics/funnel"
    assert metric["views"] == [
        {"view": "cohort", "definition": DEFINITIONS["cohort"]},
        {"view": "period", "definition": DEFINITIONS["period"]},
    ]
    assert metric["breakdowns"] == list(BREAKDOWNS)
    out = report("list")
    assert f"  cohort: {DEFINITIONS['cohort']}" in out
    assert f"  period: {DEFINITIONS['period']}" in out


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("breakdown", BREAKDOWNS[1:])
def test_every_breakdown_prints_as_a_table(breakdown: str) -> None:
    out = report("funnel", "--workspace", "acme", "--start", START, "--end", END,
                 "--by", breakdown)  # fmt: skip
    header = out.splitlines()[3]
    assert header.split()[0] == breakdown.split("_", maxsplit=1)[0]
