"""The `accord alignment` command: the scorecard as a table and as the API's JSON document, the
index, pulses, the survey, the weighting and the reminder pass, with errors as CommandError."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accord.alignment import services
from accord.alignment.instrument import DEFAULT_ITEMS
from accord.alignment.models import IndexWeighting, Pulse, SurveyVersion
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("alignment", *args, stdout=out)
    return out.getvalue()


def answers(likert: int, yes_no: int) -> dict[str, int]:
    return {i.key: yes_no if i.kind == "yes_no" else likert for i in DEFAULT_ITEMS}


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(member_factory: Any) -> dict[str, Any]:
    return {
        "boss": member_factory("manager", email="boss@acme.example"),
        "sales": [member_factory("sales_rep", email=f"rep{i}@acme.example") for i in range(5)],
        "marketing": [member_factory("marketer", email=f"mkt{i}@acme.example") for i in range(5)],
    }


def answered_pulse(people: dict[str, Any]) -> Pulse:
    """A pulse opened from the CLI, answered by five sellers (3, 4, 4, 5, 4 on Likert, yes on
    yes/no) and five marketers (2, 2, 1, 3, 2; yes once)."""
    run("pulse", "open", "--workspace", "acme", "--as", "boss@acme.example", "--title", "Q2")
    pulse = Pulse.objects.across_workspaces().get()
    for member, value in zip(people["sales"], (3, 4, 4, 5, 4), strict=True):
        actor = Actor.for_membership(member, Source.WEB)
        services.response_submit(actor=actor, pulse_id=pulse.pk, answers=answers(value, 1))
    for member, value, yes in zip(people["marketing"], (2, 2, 1, 3, 2), (0, 0, 1, 0, 0),
                                  strict=True):  # fmt: skip
        actor = Actor.for_membership(member, Source.WEB)
        services.response_submit(actor=actor, pulse_id=pulse.pk, answers=answers(value, yes))
    return pulse


def test_the_scorecard_as_a_table_and_as_json(people: dict[str, Any]) -> None:
    pulse = answered_pulse(people)
    table = run("scorecard", "--workspace", "acme", "--days", "30")
    assert table.startswith("Alignment scorecard of acme: survey from Q2; behaviour ")
    assert "Areas, weakest first (0-100)" in table
    assert "Behaviour, component by component" in table
    row = next(line for line in table.splitlines() if line.startswith("\u2502 Shared time"))
    # area, combined, survey, sales, marketing, change, behaviour (no meetings to measure)
    assert [cell.strip() for cell in row.strip("\u2502").split("\u2502")] == [
        "Shared time (weak)", "54.0", "54.0", "85.0", "23.0", "-", "-",
    ]  # fmt: skip
    assert "- Shared time: Get together beyond work: lunch or an event shared by both teams." in (
        table.splitlines()
    )

    document = json.loads(run("scorecard", "--workspace", "acme", "--format", "json"))
    assert document["pulse"]["id"] == pulse.pk
    time = next(a for a in document["areas"] if a["area"] == "shared_time")
    assert (time["survey"], time["survey_sales"], time["survey_marketing"]) == (54.0, 85.0, 23.0)
    assert document["behaviour"]["weighting_version"] == 0

    with pytest.raises(CommandError, match=r"^No workspace 'nowhere'"):
        run("scorecard", "--workspace", "nowhere")
    with pytest.raises(CommandError, match=r"^--days is 1 to 730\.$"):
        run("scorecard", "--workspace", "acme", "--days", "0")


def test_pulses_from_the_command_line(people: dict[str, Any]) -> None:
    with pytest.raises(CommandError) as denied:
        run("pulse", "open", "--workspace", "acme", "--as", "rep0@acme.example")
    assert str(denied.value) == "Your role (sales_rep) does not allow this action (run_surveys)."
    assert Pulse.objects.across_workspaces().count() == 0

    pulse = answered_pulse(people)
    assert pulse.title == "Q2"
    listed = run("pulse", "list", "--workspace", "acme").splitlines()
    assert listed[0].split() == ["id", "title", "status", "opened", "closes", "sales", "answered",
                                 "marketing", "answered"]  # fmt: skip
    assert listed[1].split()[:3] == [str(pulse.pk), "Q2", "open"]
    assert listed[1].split()[-2:] == ["5/5", "5/5"]

    shown = run("pulse", "show", str(pulse.pk), "--workspace", "acme")
    assert shown.splitlines()[0] == (
        "Q2 (open, survey v1): sales 5/5 answered (5 counted), marketing 5/5 answered (5 counted)"
    )
    assert next(line for line in shown.splitlines() if line.startswith("Shared time")).split() == [
        "Shared", "time", "85.0", "23.0", "54.0", "+62.0",
    ]  # fmt: skip
    document = json.loads(run("pulse", "show", str(pulse.pk), "--workspace", "acme",
                              "--format", "json"))  # fmt: skip
    assert (document["id"], document["counted"]) == (pulse.pk, {"sales": 5, "marketing": 5})

    with pytest.raises(CommandError, match=r"^No pulse 999999 in this workspace\.$"):
        run("pulse", "show", "999999", "--workspace", "acme")
    out = run("pulse", "close", str(pulse.pk), "--workspace", "acme", "--as", "boss@acme.example")
    assert out == f"Pulse {pulse.pk} 'Q2' is closed.\n"
    assert Pulse.objects.across_workspaces().get().status == "closed"
    assert run("remind") == "Closed 0 pulse(s); sent 0 reminder(s).\n"


def test_a_team_below_five_is_hidden_in_the_table(people: dict[str, Any]) -> None:
    run("pulse", "open", "--workspace", "acme", "--as", "boss@acme.example", "--days", "7")
    pulse = Pulse.objects.across_workspaces().get()
    assert pulse.title.startswith("Alignment pulse ")
    for member in people["sales"] + people["marketing"][:2]:
        services.response_submit(actor=Actor.for_membership(member, Source.WEB),
                                 pulse_id=pulse.pk, answers=answers(4, 1))  # fmt: skip
    shown = run("pulse", "show", str(pulse.pk), "--workspace", "acme").splitlines()
    assert next(line for line in shown if line.startswith("Trust")).split() == [
        "Trust", "and", "open", "communication", "65.0", "-", "-", "-",
    ]  # fmt: skip
    assert "Hidden: fewer than 5 marketing responses: hidden to keep answers anonymous." in shown


def test_the_survey_and_the_weighting(people: dict[str, Any], tmp_path: Path) -> None:
    shown = json.loads(run("survey", "show", "--workspace", "acme"))
    assert (shown["version"], shown["default"], len(shown["document"]["items"])) == (
        None, True, len(DEFAULT_ITEMS),
    )  # fmt: skip
    survey = tmp_path / "survey.json"
    survey.write_text(json.dumps({"items": shown["document"]["items"][:5]}), encoding="utf-8")
    writer = ("--workspace", "acme", "--as", "boss@acme.example")
    assert run("survey", "update", str(survey), *writer) == "Survey v1 saved (5 items).\n"
    assert json.loads(run("survey", "show", "--workspace", "acme"))["version"] == 1

    survey.write_text(json.dumps({"items": []}), encoding="utf-8")
    with pytest.raises(CommandError) as bad:
        run("survey", "update", str(survey), *writer)
    assert str(bad.value).splitlines()[0] == "The survey is not valid; nothing was saved."
    survey.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match=r"^Cannot read "):
        run("survey", "update", str(survey), *writer)
    assert SurveyVersion.objects.across_workspaces().get().document["items"][0]["key"] == (
        "same_goals"
    )

    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"crm_adoption": 3}), encoding="utf-8")
    assert run("weighting", "set", str(weights), *writer) == "Weighting v1 saved.\n"
    current = json.loads(run("weighting", "show", "--workspace", "acme"))
    assert (current["version"], current["weights"]["crm_adoption"]) == (1, 3.0)
    weights.write_text(json.dumps({"crm_adoption": 300}), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        run("weighting", "set", str(weights), *writer)
    assert str(refused.value) == (
        "The weighting is not valid; nothing was saved.\n"
        "  crm_adoption: A weight is between 0 and 100."
    )
    assert IndexWeighting.objects.across_workspaces().count() == 1


def test_the_index(people: dict[str, Membership]) -> None:
    document = json.loads(run("index", "--workspace", "acme", "--start", "2025-01-01",
                              "--end", "2025-03-01", "--format", "json"))  # fmt: skip
    assert (document["start"], document["end"]) == (
        "2025-01-01T00:00:00+00:00",
        "2025-03-01T00:00:00+00:00",
    )
    table = run("index", "--workspace", "acme", "--start", "2025-01-01", "--end", "2025-03-01")
    assert table.splitlines()[0].endswith("(2025-01-01 to 2025-03-01, weighting v0)")
    assert table.splitlines()[1].split()[:3] == ["component", "score", "change"]
    with pytest.raises(CommandError, match=r"^--start must be before --end\.$"):
        run("index", "--workspace", "acme", "--start", "2025-03-01", "--end", "2025-01-01")
    with pytest.raises(CommandError, match=r"^'March' is not a date"):
        run("index", "--workspace", "acme", "--start", "March")
