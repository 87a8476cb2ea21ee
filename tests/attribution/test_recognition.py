"""Recognition: a won deal names the campaigns and marketers whose touches helped, with their
credit under the workspace's chosen model, next to the seller — written when the deal is won
(the `deal.won` event), rewritten rather than duplicated, caught up by `recognise_missing`, and
sent to Slack as one readable line. And the workspace's settings that choose the model."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accord.attribution.models import AttributionSettings, Recognition
from accord.attribution.services import recognise, recognise_missing, settings_for, settings_update
from accord.core.errors import PermissionDenied, ValidationFailed
from accord.crm.selectors import pipeline_stages
from accord.crm.services import activities, contacts, deals
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.integrations.webhooks.slack import SlackContext, slack_message
from accord.marketing.models import Campaign, Touchpoint
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(member_factory: Any) -> dict[str, Membership]:
    return {
        "maya": member_factory("marketer", email="maya@acme.example"),
        "leo": member_factory("marketer", email="leo@acme.example"),
        "sam": member_factory("sales_rep", email="sam@acme.example"),
        "boss": member_factory("manager", email="boss@acme.example"),
    }


@pytest.fixture
def story(workspace: Workspace, actor: Actor, team: dict[str, Membership]) -> dict[str, Any]:
    """Ana: a webinar (Maya's campaign) brought her in, an email (Leo's) created the lead, a
    direct visit (no campaign) came just before the deal; Sam owns the open deal."""
    webinar = Campaign.objects.create(
        workspace=workspace,
        name="Masterclass",
        channel="webinar",
        currency="USD",
        owner=team["maya"].user,
    )
    email = Campaign.objects.create(
        workspace=workspace, name="Nurture", channel="email", currency="USD", owner=team["leo"].user
    )
    ana = contacts.contact_create(
        actor=actor, values={"email": "ana@x.example", "created_at": day(2)}
    ).pk
    for channel, campaign, at in (
        ("webinar", webinar, 1),
        ("email", email, 2),
        ("direct", None, 9),
    ):
        Touchpoint.objects.create(
            workspace=workspace,
            contact_id=ana,
            channel=channel,
            campaign=campaign,
            type="form_submit",
            occurred_at=day(at),
        )
    stages = {s.key: s for s in pipeline_stages(workspace)}
    deal = deals.deal_create(
        actor=actor,
        values={
            "name": "Ana's company",
            "amount": "1000.00",
            "primary_contact_id": ana,
            "owner_id": team["sam"].user.pk,
            "created_at": day(10),
            "stage_id": stages["proposal"].pk,
        },
    )
    return {"deal": deal, "ana": ana, "stages": stages, "webinar": webinar, "email": email}


def win(actor: Actor, story: dict[str, Any], capture: Any, at: float = 20) -> None:
    with capture(execute=True):
        deals.deal_update(
            actor=actor,
            deal_id=story["deal"].pk,
            values={"stage_id": story["stages"]["closed_won"].pk, "closed_at": day(at)},
        )


def test_a_won_deal_names_its_campaigns_and_marketers_next_to_the_seller(
    workspace: Workspace,
    actor: Actor,
    story: dict[str, Any],
    team: dict[str, Membership],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[Any] = []
    from accord.core import events

    events.subscribe(sent.append)
    try:
        win(actor, story, django_capture_on_commit_callbacks)
    finally:
        events._subscribers.remove(sent.append)
    entry = Recognition.objects.for_workspace(workspace).get()
    assert (entry.deal_id, entry.model, entry.sales_owner_id) == (
        story["deal"].pk,
        "w_shaped",
        team["sam"].user.pk,
    )
    # W-shaped: first touch (webinar) 30, lead creation (email, day 2) 30, opportunity creation
    # (direct, day 9) 30 and nothing in between, so the rest follows the milestones.
    # The cent left over goes to the earliest touch.
    assert entry.channels == [
        {"channel": "webinar", "credit": "333.34"},
        {"channel": "direct", "credit": "333.33"},
        {"channel": "email", "credit": "333.33"},
    ]
    assert [(c["name"], c["credit"]) for c in entry.campaigns] == [
        ("Masterclass", "333.34"),
        ("Nurture", "333.33"),
    ]
    assert [(m["name"], m["credit"]) for m in entry.marketers] == [
        (team["maya"].user.display_name, "333.34"),
        (team["leo"].user.display_name, "333.33"),
    ]
    assert entry.marketing_credit == Decimal("1000.00")  # the direct visit is marketing's too
    recognised = [e for e in sent if e.name == "deal.recognised"]
    assert len(recognised) == 1 and recognised[0].data["campaigns"][0]["name"] == "Masterclass"
    # The Slack line names the deal, the seller, the campaigns and the marketers.
    text = slack_message(
        "deal.recognised", recognised[0].data, SlackContext("Acme", owner_name="Sam")
    ).get("text")
    assert text.startswith("🏆 Won together: Ana's company — $1,000 (owner Sam)")
    assert "campaigns: Masterclass $333.34, Nurture $333.33" in text and "marketers: " in text


def test_the_chosen_model_decides_the_credit_and_a_rewin_rewrites(
    workspace: Workspace,
    actor: Actor,
    story: dict[str, Any],
    team: dict[str, Membership],
    django_capture_on_commit_callbacks: Any,
) -> None:
    boss = Actor.for_membership(team["boss"], Source.WEB)
    settings_update(actor=boss, values={"model": "first_touch"})
    win(actor, story, django_capture_on_commit_callbacks)
    entry = Recognition.objects.for_workspace(workspace).get()
    assert [(c["name"], c["credit"]) for c in entry.campaigns] == [("Masterclass", "1000.00")]
    assert entry.marketers[0]["credit"] == "1000.00" and len(entry.marketers) == 1
    # Reopened: it leaves the feed (the deal is no longer won); won again: rewritten, not twice.
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_update(
            actor=actor,
            deal_id=story["deal"].pk,
            values={"stage_id": story["stages"]["proposal"].pk, "closed_at": None},
        )
    from accord.attribution.selectors import recognition_feed

    assert list(recognition_feed(workspace)) == []
    settings_update(actor=boss, values={"model": "last_touch"})
    win(actor, story, django_capture_on_commit_callbacks, at=25)
    entry = Recognition.objects.for_workspace(workspace).get()
    assert entry.model == "last_touch" and entry.campaigns == []  # the direct visit: no campaign
    assert entry.marketing_credit == Decimal("1000.00")


def test_sales_activities_count_when_the_workspace_says_so(
    workspace: Workspace,
    actor: Actor,
    story: dict[str, Any],
    team: dict[str, Membership],
    django_capture_on_commit_callbacks: Any,
) -> None:
    activities.activity_create(
        actor=actor,
        values={
            "kind": "call",
            "contact_id": story["ana"],
            "occurred_at": day(15),
            "subject": "Demo",
        },
    )
    activities.activity_create(
        actor=actor,
        values={"kind": "note", "contact_id": story["ana"], "occurred_at": day(16), "subject": "n"},
    )
    settings_update(
        actor=Actor.for_membership(team["boss"], Source.WEB),
        values={"model": "last_touch", "include_activities": True},
    )
    win(actor, story, django_capture_on_commit_callbacks)
    entry = Recognition.objects.for_workspace(workspace).get()
    assert entry.channels == [
        {"channel": "sales_call", "credit": "1000.00"},
        {"channel": "direct", "credit": "0.00"},
        {"channel": "email", "credit": "0.00"},
        {"channel": "webinar", "credit": "0.00"},
    ]
    assert entry.marketing_credit == Decimal("0.00")  # a note is not a touch; the call is sales'
    assert entry.note == "Only sales activities touched this deal."


def test_a_deal_without_a_touch_is_recognised_with_its_note_and_catch_up_is_idempotent(
    workspace: Workspace, actor: Actor, story: dict[str, Any]
) -> None:
    bare = deals.deal_create(
        actor=actor,
        values={
            "name": "Walk-in",
            "amount": "500.00",
            "stage_id": story["stages"]["closed_won"].pk,
            "created_at": day(5),
            "closed_at": day(6),
        },
    )
    assert recognise_missing(workspace, since=day(0)) == 1  # the open deal is not won
    entry = Recognition.objects.for_workspace(workspace).get(deal_id=bare.pk)
    assert entry.note == "No marketing touch in the look-back window."
    assert (entry.campaigns, entry.marketing_credit) == ([], Decimal("0.00"))
    assert recognise_missing(workspace, since=day(0)) == 0
    assert recognise(workspace, story["deal"].pk) is None  # not won: nothing to recognise
    assert Recognition.objects.for_workspace(workspace).count() == 1


def test_only_managers_and_admins_choose_the_model_and_bad_input_writes_nothing(
    workspace: Workspace, team: dict[str, Membership], actor: Actor
) -> None:
    assert settings_for(workspace).pk is None and settings_for(workspace).model == "w_shaped"
    for who in ("maya", "sam"):
        with pytest.raises(PermissionDenied):
            settings_update(
                actor=Actor.for_membership(team[who], Source.WEB), values={"model": "linear"}
            )
    boss = Actor.for_membership(team["boss"], Source.WEB)
    bad = {
        "model": "magic",
        "lookback_days": 0,
        "half_life_days": "nan",
        "include_activities": "maybe",
        "colour": "red",
    }
    with pytest.raises(ValidationFailed) as caught:
        settings_update(actor=boss, values=bad)
    assert set(caught.value.fields) == set(bad)
    assert "'magic' is not one of" in caught.value.fields["model"][0]
    for field, value in (
        ("half_life_days", -1),
        ("half_life_days", 400),
        ("lookback_days", 4000),
        ("half_life_days", True),
        ("lookback_days", "ten"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            settings_update(actor=boss, values={field: value})
        assert list(caught.value.fields) == [field]
    assert not AttributionSettings.objects.for_workspace(workspace).exists()
    chosen = settings_update(
        actor=boss, values={"model": "time_decay", "half_life_days": "14", "lookback_days": "90"}
    )
    assert (chosen.model, chosen.half_life_days, chosen.lookback_days) == ("time_decay", 14, 90)
    assert chosen.updated_by == team["boss"].user
    settings_update(actor=actor, values={"include_activities": "yes"})  # an admin may too
    assert (
        settings_for(workspace).include_activities and settings_for(workspace).model == "time_decay"
    )
    assert AttributionSettings.objects.for_workspace(workspace).count() == 1


def test_settings_and_the_feed_over_the_api_and_the_cli(  # noqa: PLR0917 - fixtures
    workspace: Workspace,
    actor: Actor,
    story: dict[str, Any],
    team: dict[str, Membership],
    other_workspace: Workspace,
    member_factory: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    boss, maya = Api(make_token(team["boss"])[1]), Api(make_token(team["maya"])[1])
    assert maya.get("/attribution/settings").body == {
        "model": "w_shaped",
        "lookback_days": 365,
        "half_life_days": 7.0,
        "include_activities": False,
        "updated_at": None,
    }
    assert maya.patch("/attribution/settings", {"model": "linear"}).status == 403
    refused = boss.patch("/attribution/settings", {"model": "linear", "half_life_days": 0})
    assert refused.status == 400 and list(refused.fields) == ["half_life_days"]
    assert boss.patch("/attribution/settings", {"colour": "red"}).fields == {
        "colour": ["Unknown field."]
    }
    changed = boss.patch("/attribution/settings", {"model": "linear"})
    assert changed.status == 200 and changed.body["model"] == "linear"
    # The report defaults to the chosen model.
    assert maya.get("/attribution").body["model"] == "linear"

    win(actor, story, django_capture_on_commit_callbacks)
    feed = maya.all_pages("/attribution/recognitions", limit=1)
    assert [(e["deal_name"], e["sales_owner"]["name"]) for e in feed] == [
        ("Ana's company", team["sam"].user.display_name)
    ]
    assert feed[0]["marketers"][0]["credit"] == "333.34"  # linear, three touches
    stranger = Api(make_token(member_factory("admin", ws=other_workspace))[1])
    assert stranger.get("/attribution/recognitions").body["results"] == []
    assert Api(None).get("/attribution/recognitions").status == 401

    out = io.StringIO()
    call_command("attribution", "feed", "--workspace", "acme", "--format", "json", stdout=out)
    assert [e["deal_id"] for e in json.loads(out.getvalue())] == [story["deal"].pk]
    out = io.StringIO()
    call_command(
        "attribution",
        "settings",
        "--workspace",
        "acme",
        "--as",
        "boss@acme.example",
        "--model",
        "u_shaped",
        "--activities",
        "yes",
        stdout=out,
    )
    assert "model: u_shaped" in out.getvalue() and "touches: yes" in out.getvalue()
    with pytest.raises(CommandError, match="does not allow"):
        call_command(
            "attribution",
            "settings",
            "--workspace",
            "acme",
            "--as",
            "maya@acme.example",
            "--model",
            "linear",
        )
    with pytest.raises(CommandError, match="half-life"):
        call_command(
            "attribution",
            "settings",
            "--workspace",
            "acme",
            "--as",
            "boss@acme.example",
            "--half-life",
            "-3",
        )
    with pytest.raises(CommandError, match="--as"):
        call_command("attribution", "settings", "--workspace", "acme", "--model", "linear")
    assert settings_for(workspace).model == "u_shaped"


def test_a_deal_explains_its_journey_milestones_and_credit(
    workspace: Workspace,
    actor: Actor,
    story: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from accord.attribution.explain import explain_deal
    from accord.crm.services.ledger import change_stage

    with time_machine.travel(day(8), tick=False):
        change_stage(actor=actor, contact_id=story["ana"], to_stage="mql")
    open_deal = explain_deal(workspace, story["deal"].pk)
    assert open_deal.milestone == "opportunity" and open_deal.model == "w_shaped"
    assert [(t.channel, t.campaign, t.milestones) for t in open_deal.touches] == [
        ("webinar", "Masterclass", ("first touch",)),
        ("email", "Nurture", ("lead created", "MQL")),
        ("direct", "", ("opportunity created",)),
    ]
    assert sum(t.credit or 0 for t in open_deal.touches) == Decimal("1000.00")
    win(actor, story, django_capture_on_commit_callbacks)
    won = explain_deal(workspace, story["deal"].pk)
    assert won.milestone == "close" and won.touches[-1].milestones == (
        "opportunity created",
        "close",
    )
    bare = deals.deal_create(actor=actor, values={"name": "Walk-in", "amount": "10"})
    assert explain_deal(workspace, bare.pk).note.startswith("No marketing touch")
