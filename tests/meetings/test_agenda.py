"""The generated agenda on a hand-built history: the window's SLA breaches by owner with exact
counts (breaches outside the window left out), marketing's lead volume against the SLA target,
a rejection spike flagged and a steady reason not, the experiment concluded in the window, the
proposals awaiting approval, the overdue action items and the open items carried over; then
regeneration until the meeting is held and the agenda frozen after."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import Conflict
from accord.definitions.models import LeadDefinition
from accord.experiments.models import Experiment, Learning
from accord.handoff import agreements
from accord.handoff.models import SlaAgreement
from accord.handoff.tests.factories import sla_document
from accord.meetings import services
from accord.meetings.agenda import generate_agenda
from accord.meetings.models import ActionItem, Meeting, MeetingStatus
from tests.meetings.conftest import (
    MEETING_AT,
    PREVIOUS_HELD_AT,
    Team,
    handoff,
    held_meeting,
    reason,
)

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def section(agenda: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in agenda["sections"] if s["key"] == key)


@pytest.fixture
def history(team: Team) -> dict[str, Any]:
    ws = team.workspace
    previous = held_meeting(ws, PREVIOUS_HELD_AT - dt.timedelta(minutes=30), PREVIOUS_HELD_AT)
    # First-touch breaches: 3 of Sam's and 1 of Rita's in the window, 2 outside it.
    in_window = [PREVIOUS_HELD_AT + dt.timedelta(hours=1), MEETING_AT - dt.timedelta(hours=1),
                 PREVIOUS_HELD_AT + 3 * DAY]  # fmt: skip
    for at in in_window:
        handoff(ws, team.rep, assigned_at=at - dt.timedelta(hours=5), breached_at=at)
    handoff(ws, team.rep2, assigned_at=MEETING_AT - 2 * DAY, breached_at=MEETING_AT - DAY)
    just_before = PREVIOUS_HELD_AT - dt.timedelta(minutes=1)
    handoff(ws, team.rep, assigned_at=PREVIOUS_HELD_AT - DAY, breached_at=just_before)
    handoff(ws, team.rep2, assigned_at=MEETING_AT, breached_at=MEETING_AT + dt.timedelta(hours=4))
    # Rejections: 'Wrong region' from paid search spikes (4 now, 1 in the 4 windows before);
    # 'No budget' from events is steady (3 now, 12 before: 3 a window).
    region = reason(ws, "mtg-region", "Wrong region")
    budget = reason(ws, "mtg-budget", "No budget")
    since = PREVIOUS_HELD_AT
    length = MEETING_AT - since
    for i in range(4):
        handoff(ws, team.rep, source="paid_search", assigned_at=since, reason=region,
                rejected_at=since + (i + 1) * dt.timedelta(hours=7))  # fmt: skip
    handoff(ws, team.rep, source="paid_search", assigned_at=since - 3 * length, reason=region,
            rejected_at=since - 2 * length)  # fmt: skip
    for i in range(3):
        handoff(ws, team.rep2, source="events", assigned_at=since, reason=budget,
                rejected_at=since + (i + 1) * dt.timedelta(hours=9))  # fmt: skip
    for w in range(4):
        for i in range(3):
            at = since - (w + 1) * length + (i + 1) * dt.timedelta(hours=9)
            handoff(ws, team.rep2, source="events", assigned_at=since - 5 * length,
                    reason=budget, rejected_at=at)  # fmt: skip
    # An experiment concluded in the window, one concluded before it.
    for key, when in (("call-script-b", since + 2 * DAY), ("old-test", since - 3 * DAY)):
        experiment = Experiment.objects.create(
            workspace=ws, key=key, name=f"Experiment {key}", hypothesis="h",
            subject="call_script", primary_metric="sql_rate", status="concluded",
        )  # fmt: skip
        Learning.objects.create(workspace=ws, experiment=experiment, outcome="won",
                                decision=f"Ship {key}", result="r", learned="l",
                                created_at=when)  # fmt: skip
    # An SLA agreement proposed, and a lead definition version proposed.
    manager = team.actor("manager")
    draft = agreements.sla_create_draft(actor=manager, document=sla_document(),
                                        comment="Faster first touch")  # fmt: skip
    agreements.sla_propose(actor=manager, agreement_id=draft.pk)
    LeadDefinition.objects.create(workspace=ws, version=7, document={}, status="proposed")
    # Action items: two overdue (one from the previous meeting), one carried over, one done.
    items = {
        "overdue": ActionItem.objects.create(
            workspace=ws, meeting=previous, title="Fix the webinar form", owner=team.marketer.user,
            due_on=dt.date(2026, 3, 6)),
        "overdue2": ActionItem.objects.create(
            workspace=ws, title="Call back the fallback queue", owner=team.rep.user,
            due_on=dt.date(2026, 3, 8)),
        "carried": ActionItem.objects.create(
            workspace=ws, meeting=previous, title="Draft the new SLA", owner=team.manager.user,
            due_on=dt.date(2026, 3, 20)),
        "done": ActionItem.objects.create(
            workspace=ws, meeting=previous, title="Agree the reasons", owner=team.rep.user,
            due_on=dt.date(2026, 3, 4), status="done"),
    }  # fmt: skip
    meeting = Meeting.objects.create(workspace=ws, title="Weekly revenue sync",
                                     scheduled_at=MEETING_AT)  # fmt: skip
    return {"meeting": meeting, "previous": previous, "items": items}


def test_window_runs_from_the_previous_held_meeting(history: dict[str, Any]) -> None:
    agenda = generate_agenda(history["meeting"], now=MEETING_AT - DAY)
    assert agenda["schema_version"] == 1
    assert agenda["since"] == PREVIOUS_HELD_AT.isoformat()
    assert agenda["until"] == MEETING_AT.isoformat()
    assert agenda["generated_at"] == (MEETING_AT - DAY).isoformat()
    assert [s["key"] for s in agenda["sections"]] == [
        "sla_breaches", "rejection_spikes", "goal_pacing", "experiments_concluded",
        "awaiting_approval", "action_items",
    ]  # fmt: skip


def test_window_is_the_last_seven_days_without_a_previous_meeting(team: Team) -> None:
    meeting = Meeting.objects.create(workspace=team.workspace, title="m", scheduled_at=MEETING_AT)
    agenda = generate_agenda(meeting)
    assert agenda["since"] == (MEETING_AT - 7 * DAY).isoformat()


def test_lists_the_weeks_sla_breaches_by_owner(history: dict[str, Any], team: Team) -> None:
    sla = section(generate_agenda(history["meeting"]), "sla_breaches")
    breaches = [i for i in sla["items"] if i["kind"] == "first_touch"]
    assert [(i["owner"], i["count"]) for i in breaches] == [
        (team.rep.user.display_name, 3), (team.rep2.user.display_name, 1),
    ]  # fmt: skip
    assert breaches[0]["text"] == f"{team.rep.user.display_name}: 3 first-touch SLA breaches"
    assert breaches[0]["link"] == "/handoffs/sla/"


def test_marketing_volume_against_the_active_target(history: dict[str, Any], team: Team) -> None:
    SlaAgreement.objects.create(workspace=team.workspace, version=99, document=sla_document(),
                                status="active")  # fmt: skip
    sla = section(generate_agenda(history["meeting"]), "sla_breaches")
    volume = [i for i in sla["items"] if i["kind"] == "lead_volume"]
    # 200 MQLs a month; by 9 March 10:00, 8 days and 10 hours of 31 are gone.
    expected = 200 * (8 + 10 / 24) / 31
    assert len(volume) == 1
    assert volume[0]["period"] == "2026-03"
    assert volume[0]["count"] == 0
    assert volume[0]["expected"] == round(expected, 1)
    assert volume[0]["behind"] is True
    assert sla["count"] == 4 + 1  # four breaches and one volume target behind


def test_a_meeting_still_ahead_is_paced_as_of_now(history: dict[str, Any], team: Team) -> None:
    SlaAgreement.objects.create(workspace=team.workspace, version=99, document=sla_document(),
                                status="active")  # fmt: skip
    # Generated three days before the meeting: the MQLs are counted to now, so is the target.
    with time_machine.travel(MEETING_AT - 3 * DAY, tick=False):
        sla = section(generate_agenda(history["meeting"]), "sla_breaches")
    (volume,) = [i for i in sla["items"] if i["kind"] == "lead_volume"]
    assert volume["expected"] == round(200 * (5 + 10 / 24) / 31, 1)
    # A meeting next month is not "behind" on a month that has not begun.
    history["meeting"].scheduled_at = MEETING_AT + 30 * DAY
    with time_machine.travel(MEETING_AT, tick=False):
        sla = section(generate_agenda(history["meeting"]), "sla_breaches")
    (volume,) = [i for i in sla["items"] if i["kind"] == "lead_volume"]
    assert volume["period"] == "2026-03"


def test_marketing_volume_is_owed_from_when_the_sla_began(
    history: dict[str, Any], team: Team
) -> None:
    began = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    SlaAgreement.objects.create(workspace=team.workspace, version=99, document=sla_document(),
                                status="active", activated_at=began)  # fmt: skip
    sla = section(generate_agenda(history["meeting"]), "sla_breaches")
    (volume,) = [i for i in sla["items"] if i["kind"] == "lead_volume"]
    # 200 MQLs a month prorated to 27 of March's 31 days, of which 4 days 10 hours are gone.
    owed = 200 * 27 / 31
    assert volume["target"] == round(owed)
    assert volume["expected"] == round(owed * (4 + 10 / 24) / 27, 1)
    assert "2026-03 since 5 Mar, when the SLA began" in volume["text"]


def test_rejection_spike_flagged_and_steady_reason_not(history: dict[str, Any]) -> None:
    spikes = section(generate_agenda(history["meeting"]), "rejection_spikes")
    rows = [(i["source"], i["reason"], i["count"], i["earlier_average"], i["spike"])
            for i in spikes["items"]]  # fmt: skip
    assert rows == [
        ("paid_search", "Wrong region", 4, 0.25, True),
        ("events", "No budget", 3, 3.0, False),
    ]
    assert spikes["count"] == 1
    assert "at least 3 rejections" in spikes["rule"]
    assert spikes["items"][0]["text"].endswith("(spike)")


def test_concluded_experiments_and_waiting_proposals(history: dict[str, Any]) -> None:
    agenda = generate_agenda(history["meeting"])
    experiments = section(agenda, "experiments_concluded")
    assert [(i["experiment_key"], i["decision"]) for i in experiments["items"]] == [
        ("call-script-b", "Ship call-script-b")
    ]
    assert experiments["items"][0]["link"] == "/experiments/call-script-b/"
    waiting = section(agenda, "awaiting_approval")
    assert [(i["kind"], i["version"], i["status"]) for i in waiting["items"]] == [
        ("definition", 7, "proposed"), ("sla_agreement", 1, "proposed"),
    ]  # fmt: skip
    assert "Faster first touch" in waiting["items"][1]["text"]


def test_lists_overdue_and_carried_over_action_items(history: dict[str, Any]) -> None:
    actions = section(generate_agenda(history["meeting"]), "action_items")
    items = history["items"]
    assert [(i["action_item_id"], i["state"]) for i in actions["items"]] == [
        (items["overdue"].pk, "overdue"), (items["overdue2"].pk, "overdue"),
        (items["carried"].pk, "carried_over"),
    ]  # fmt: skip
    assert (actions["count"], actions["overdue"], actions["carried_over"]) == (2, 2, 1)
    assert actions["items"][0]["link"] == f"/meetings/{history['previous'].pk}/"


def test_regenerated_until_held_then_frozen(history: dict[str, Any], team: Team) -> None:
    meeting = history["meeting"]
    manager = team.actor("manager")
    with time_machine.travel(MEETING_AT - DAY, tick=False):
        first = services.agenda_generate(actor=team.actor("rep"), meeting_id=meeting.pk)
    assert section(first.agenda, "action_items")["overdue"] == 2
    services.action_complete(actor=team.actor("marketer"), item_id=history["items"]["overdue"].pk)
    with time_machine.travel(MEETING_AT - dt.timedelta(hours=1), tick=False):
        second = services.agenda_generate(actor=manager, meeting_id=meeting.pk)
    assert section(second.agenda, "action_items")["overdue"] == 1
    assert second.agenda_generated_at == MEETING_AT - dt.timedelta(hours=1)
    held = services.meeting_hold(actor=manager, meeting_id=meeting.pk,
                                 held_at=MEETING_AT + dt.timedelta(minutes=45))  # fmt: skip
    assert held.status == MeetingStatus.HELD
    frozen = Meeting.objects.for_workspace(team.workspace).get(pk=meeting.pk).agenda
    assert frozen == second.agenda
    with pytest.raises(Conflict, match="frozen"):
        services.agenda_generate(actor=manager, meeting_id=meeting.pk)
    assert Meeting.objects.for_workspace(team.workspace).get(pk=meeting.pk).agenda == frozen


def test_goal_gaps_are_read_today_for_a_meeting_ahead_in_the_workspaces_money(
    team: Team,
) -> None:
    from accord.metrics.goals import goal_set
    from accord.metrics.planning import dashboard_goals

    march = {"period": "month", "period_start": "2026-03-01", "revenue": "1435000"}
    goal_set(actor=team.actor("manager"), values=march)
    meeting = Meeting.objects.create(workspace=team.workspace, title="m", scheduled_at=MEETING_AT)
    today = dt.date(2026, 3, 5)  # the meeting is on the 9th
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        gaps = section(generate_agenda(meeting), "goal_pacing")
        revenue_today = next(
            r for r in dashboard_goals(team.workspace.pk, today)[0].rows if r.stage == "revenue"
        )
    item = next(i for i in gaps["items"] if i["stage"] == "revenue")
    assert item["expected"] == revenue_today.expected  # not the 9th's, ahead of the actuals
    currency = team.workspace.default_currency
    assert item["text"].endswith(
        f"Revenue 0 {currency} against {revenue_today.expected:,.0f} {currency} expected by now "
        "(both)"
    ), item["text"]
    assert "e+" not in item["text"]
