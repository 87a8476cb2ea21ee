"""Journeys read from the records, and the rule-based report over them: touches in the look-back
window before the milestone, milestones marked, touches after the close left out and counted,
deals without a touch and in another currency shown — never dropped silently."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accord.attribution.journeys import (
    LEAD_STAGES,
    MQL_STAGES,
    _first_entries,
    deal_journeys,
    paths,
)
from accord.attribution.report import attribution_report
from accord.crm.models import LedgerEntry
from accord.crm.selectors import pipeline_stages
from accord.crm.services import contacts, deals
from accord.crm.tests.factories import ContactFactory
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.tests.factories import WorkspaceFactory
from accord.marketing.models import Touchpoint

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
START, END = T0, T0 + dt.timedelta(days=60)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def touch(ws: Workspace, contact_id: int, channel: str, at: dt.datetime) -> None:
    Touchpoint.objects.create(workspace=ws, contact_id=contact_id, channel=channel,
                              type="form_submit", occurred_at=at)  # fmt: skip


def deal(
    actor: Actor,
    contact_id: int | None,
    amount: str,
    *,
    created: float,
    closed: float,
    currency: str = "USD",
) -> int:
    won = {s.key: s for s in pipeline_stages(actor.workspace)}["closed_won"]
    values: dict[str, Any] = {"name": f"Deal {amount}", "amount": amount, "stage_id": won.pk,
                              "created_at": day(created), "closed_at": day(closed),
                              "currency": currency}  # fmt: skip
    if contact_id is not None:
        values["primary_contact_id"] = contact_id
    return deals.deal_create(actor=actor, values=values).pk


@pytest.fixture
def history(workspace: Workspace, actor: Actor) -> dict[str, int]:
    ana = contacts.contact_create(actor=actor, values={"email": "ana@x.example",
                                                       "created_at": day(2)}).pk  # fmt: skip
    touch(workspace, ana, "webinar", day(1))
    touch(workspace, ana, "email", day(5))
    touch(workspace, ana, "direct", day(12))  # after the opportunity, before the close
    touch(workspace, ana, "paid_search", day(20))  # after the close: left out, counted
    ben = contacts.contact_create(actor=actor, values={"email": "ben@x.example"}).pk
    return {
        "ana": ana,
        "won": deal(actor, ana, "1000.00", created=10, closed=15),
        "bare": deal(actor, ben, "500.00", created=11, closed=16),
        "euro": deal(actor, ana, "700.00", created=12, closed=17, currency="EUR"),
    }


def test_journeys_before_the_close_and_before_the_opportunity(
    workspace: Workspace, history: dict[str, int]
) -> None:
    closes = {d.deal_id: d for d in deal_journeys(workspace.pk, start=START, end=END).journeys}
    won = closes[history["won"]].journey
    assert won is not None
    assert [t.channel for t in won.touches] == ["webinar", "email", "direct"]
    assert won.lead_index == 0  # the last touch at or before the contact became a lead (day 2)
    assert won.opportunity_index == 1  # the last touch at or before the deal's creation
    assert closes[history["bare"]].journey is None

    opened = deal_journeys(workspace.pk, start=START, end=END, milestone="opportunity")
    by_id = {d.deal_id: d for d in opened.journeys}
    assert [t.channel for t in by_id[history["won"]].journey.touches] == ["webinar", "email"]  # type: ignore[union-attr]

    short = deal_journeys(workspace.pk, start=START, end=END, lookback_days=12)
    assert [t.channel for t in short.journeys[0].journey.touches] == ["email", "direct"]  # type: ignore[union-attr]


def test_the_report_credits_channels_and_shows_what_it_left_out(
    workspace: Workspace, history: dict[str, int]
) -> None:
    report = attribution_report(workspace, model="linear", start=START, end=END)
    assert (report.deals, report.total) == (2, Decimal("1500.00"))
    # Ordered by credit, largest first (the cent left over went to the earliest touch).
    assert [line.key for line in report.by_channel] == ["webinar", "direct", "email"]
    credits = {line.key: line.credit for line in report.by_channel}
    assert credits == {"webinar": Decimal("333.34"), "email": Decimal("333.33"),
                       "direct": Decimal("333.33")}  # fmt: skip
    assert sum(credits.values()) + report.no_touch_amount == report.total
    assert (report.no_touch_deals, report.no_touch_amount) == (1, Decimal("500.00"))
    assert report.after_milestone == 2  # paid_search after the close, for the USD and EUR deals
    assert report.other_currency == {"EUR": 1}

    first = attribution_report(workspace, model="first_touch", start=START, end=END)
    assert {line.key: line.credit for line in first.by_channel} == {
        "webinar": Decimal("1000.00"), "email": Decimal("0.00"), "direct": Decimal("0.00"),
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown model"):
        attribution_report(workspace, model="made_up", start=START, end=END)


def test_paths_keep_the_journeys_that_did_not_convert(
    workspace: Workspace, actor: Actor, history: dict[str, int]
) -> None:
    cy = contacts.contact_create(actor=actor, values={"email": "cy@x.example",
                                                      "created_at": day(3)}).pk  # fmt: skip
    touch(workspace, cy, "webinar", day(4))
    touch(workspace, cy, "event", day(6))
    found = sorted(paths(workspace.pk, start=START, end=END))
    # Ana converted when her first deal was created (day 10): webinar, email.
    assert found == [(("webinar", "email"), 1, 0), (("webinar", "event"), 0, 1)]


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_the_data_driven_models_credit_every_touched_deal_in_full(
    workspace: Workspace, actor: Actor, history: dict[str, int], model: str
) -> None:
    # A contact whose webinar-then-event journey never converted: the models need it.
    cy = contacts.contact_create(actor=actor, values={"email": "cy@x.example",
                                                      "created_at": day(3)}).pk  # fmt: skip
    touch(workspace, cy, "webinar", day(4))
    touch(workspace, cy, "event", day(6))
    report = attribution_report(workspace, model=model, start=START, end=END)
    assert report.unfitted == ""
    credits = {line.key: line.credit for line in report.by_channel}
    assert sum(credits.values()) + report.no_touch_amount == report.total == Decimal("1500.00")
    assert set(credits) == {"webinar", "email", "direct"}
    assert all(c >= 0 for c in credits.values())


def test_a_data_driven_model_without_conversions_says_so(workspace: Workspace) -> None:
    for model in ("markov", "shapley"):
        report = attribution_report(workspace, model=model, start=START, end=END)
        assert report.deals == 0 and report.by_channel == []
        assert report.unfitted == "no contact with a marketing touch was created in the period"


def test_the_api_gives_the_clis_document(
    workspace: Workspace, admin: Any, history: dict[str, int], time_machine: Any
) -> None:
    import io
    import json

    from django.core.management import call_command

    from tests.api.conftest import Api, make_token

    time_machine.move_to(day(30))
    api = Api(make_token(admin)[1])
    reply = api.get("/attribution", model="u_shaped", days=60)
    assert reply.status == 200, reply.body
    out = io.StringIO()
    call_command("attribution", "report", "--workspace", workspace.slug, "--model", "u_shaped",
                 "--format", "json", "--days", "60", stdout=out)  # fmt: skip
    assert reply.body == json.loads(out.getvalue())
    assert reply.body["no_marketing_touch"] == {"deals": 1, "amount": "500.00"}
    assert api.get("/attribution", model="made_up").status == 400
    assert Api(None).get("/attribution").status == 401


def test_the_columnar_copy_gives_the_record_stores_paths(
    workspace: Workspace, actor: Actor, history: dict[str, int], monkeypatch: Any
) -> None:
    from accord.attribution import journeys

    for n, channels in enumerate((("event", "webinar"), ("event",), ("email", "email"))):
        pk = contacts.contact_create(actor=actor, values={"email": f"p{n}@x.example",
                                                          "created_at": day(3)}).pk  # fmt: skip
        for i, channel in enumerate(channels):
            touch(workspace, pk, channel, day(4 + i))
        if n == 1:
            deal(actor, pk, "10.00", created=4.5, closed=30)  # converted after its first touch
    stored = sorted(paths(workspace.pk, start=START, end=END))
    monkeypatch.setattr(journeys, "choose_engine", lambda _: "columnar")
    copied = sorted(paths(workspace.pk, start=START, end=END))
    assert copied == stored
    assert (("event",), 1, 0) in stored and (("email", "email"), 0, 1) in stored
    monkeypatch.setattr(journeys, "MAX_TOUCHES", 1)  # the latest touch only, in both
    assert sorted(paths(workspace.pk, start=START, end=END)) == sorted(
        journeys._record_store_paths(workspace.pk, START, END)
    )


ENTRIES = st.lists(
    st.tuples(
        st.integers(0, 3),  # which contact
        st.sampled_from(["subscriber", "lead", "mql", "sql", "customer", "other"]),
        st.integers(0, 5),  # the day: few, so that entries often share one
    ),
    max_size=20,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=ENTRIES)
def test_first_entries_match_a_reference_over_random_ledgers(
    db: Any, entries: list[tuple[int, str, int]]
) -> None:
    """When each contact first moved into a lead-or-later stage and into an MQL-or-later one,
    against the same read in Python over the ledger's rows (contacts without such an entry
    absent; another workspace's entries never read)."""
    workspace, other = WorkspaceFactory(), WorkspaceFactory()
    people = [ContactFactory(workspace=workspace) for _ in range(4)]
    stranger = ContactFactory(workspace=other)
    LedgerEntry.objects.create(
        workspace=other, contact=stranger, from_stage="", to_stage="lead", occurred_at=T0,
        source="system", reason="test",
    )  # fmt: skip
    for index, stage, n in entries:
        LedgerEntry.objects.create(
            workspace=workspace, contact=people[index], from_stage="", to_stage=stage,
            occurred_at=day(n), source="system", reason="test",
        )  # fmt: skip
    # The reference: every row of the workspace's ledger (those the contacts' creation wrote
    # too), read one by one.
    expected: list[dict[int, dt.datetime]] = [{}, {}]
    for pk, stage, at in LedgerEntry.objects.for_workspace(workspace).values_list(
        "contact_id", "to_stage", "occurred_at"
    ):
        for stages, first in zip((LEAD_STAGES, MQL_STAGES), expected, strict=True):
            if stage in stages:
                first[pk] = min(first.get(pk, at), at)
    asked = [p.pk for p in people] + [stranger.pk]
    assert _first_entries(workspace.pk, asked, LEAD_STAGES, MQL_STAGES) == expected
