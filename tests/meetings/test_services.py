"""The meeting write path: the cadence and the next meeting from it, the permission matrix
(viewers read only, organising is for managers and admins), another workspace's meeting and
items not found, bad input writing nothing, action items through their states, and marking a
meeting held carrying its open items over to the next meeting's agenda."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.identity.actor import Actor, Source
from accord.meetings import services
from accord.meetings.models import (
    ActionItem,
    Decision,
    Meeting,
    MeetingCadence,
    MeetingStatus,
)
from tests.meetings.conftest import MEETING_AT, Team

pytestmark = pytest.mark.django_db
CADENCE = {"title": "Weekly revenue sync", "weekday": "monday", "local_time": "10:00",
           "time_zone": "Europe/Paris", "starts_on": "2026-01-05"}  # fmt: skip


def section(meeting: Meeting, key: str) -> dict[str, Any]:
    return next(s for s in meeting.agenda["sections"] if s["key"] == key)


def test_cadence_and_the_next_meeting_from_it(team: Team) -> None:
    manager = team.actor("manager")
    cadence = services.cadence_set(actor=manager, values=CADENCE)
    assert (cadence.weekday, cadence.local_time, cadence.every_weeks) == (0, dt.time(10), 1)
    # Wednesday 4 March 2026: the next Monday 10:00 in Paris is 9 March 09:00 UTC.
    meeting = services.meeting_schedule(actor=manager, now=dt.datetime(2026, 3, 4, tzinfo=dt.UTC))
    assert meeting.scheduled_at == dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    assert meeting.title == "Weekly revenue sync"
    assert meeting.agenda["schema_version"] == 1  # generated on creation
    with pytest.raises(Conflict, match="already scheduled"):
        services.meeting_schedule(actor=manager, now=dt.datetime(2026, 3, 4, tzinfo=dt.UTC))
    services.cadence_set(actor=manager, values={"every_weeks": 2})
    later = services.meeting_schedule(actor=manager, now=dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC))
    # Every two weeks from Monday 5 January: 19 Jan, ..., 2 Mar, 16 Mar.
    assert later.scheduled_at == dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    assert MeetingCadence.objects.for_workspace(team.workspace).count() == 1


def test_bad_cadence_writes_nothing(team: Team) -> None:
    bad = {"weekday": "someday", "local_time": "25:99", "time_zone": "Mars/Olympus",
           "every_weeks": 0, "colour": "red"}  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        services.cadence_set(actor=team.actor("admin"), values=bad)
    assert sorted(caught.value.fields) == [
        "colour",
        "every_weeks",
        "local_time",
        "time_zone",
        "weekday",
    ]
    assert not MeetingCadence.objects.for_workspace(team.workspace).exists()
    with pytest.raises(ValidationFailed, match="cadence first"):
        services.meeting_schedule(actor=team.actor("admin"))
    assert not Meeting.objects.for_workspace(team.workspace).exists()


def test_permission_matrix(team: Team) -> None:
    meeting = Meeting.objects.create(workspace=team.workspace, title="m", scheduled_at=MEETING_AT)
    for who in ("viewer", "rep", "marketer"):
        with pytest.raises(PermissionDenied):
            services.cadence_set(actor=team.actor(who), values=CADENCE)
        with pytest.raises(PermissionDenied):
            services.meeting_hold(actor=team.actor(who), meeting_id=meeting.pk)
    viewer = team.actor("viewer")
    item_values = {"title": "x", "owner_id": team.rep.user_id, "due_on": "2026-03-20"}
    for call in (
        lambda: services.agenda_generate(actor=viewer, meeting_id=meeting.pk),
        lambda: services.notes_save(actor=viewer, meeting_id=meeting.pk, notes="n"),
        lambda: services.decision_add(actor=viewer, meeting_id=meeting.pk, text="d"),
        lambda: services.action_add(actor=viewer, values=item_values),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not ActionItem.objects.for_workspace(team.workspace).exists()
    assert not Decision.objects.for_workspace(team.workspace).exists()
    # Reps and marketers take part.
    item = services.action_add(
        actor=team.actor("rep"), values=item_values | {"meeting_id": meeting.pk}
    )
    services.decision_add(actor=team.actor("marketer"), meeting_id=meeting.pk, text="Ship it")
    services.notes_save(actor=team.actor("rep"), meeting_id=meeting.pk, notes="Talked.")
    with pytest.raises(PermissionDenied):
        services.action_complete(actor=viewer, item_id=item.pk)
    assert ActionItem.objects.for_workspace(team.workspace).get().status == "open"


def test_another_workspaces_meeting_is_not_found(
    team: Team, other_workspace: Any, member_factory: Any
) -> None:
    theirs = Meeting.objects.create(workspace=other_workspace, title="m", scheduled_at=MEETING_AT)
    stranger = member_factory("manager", ws=other_workspace, email="x@other.example")
    item = ActionItem.objects.create(workspace=other_workspace, title="t", owner=stranger.user,
                                     due_on=dt.date(2026, 3, 1))  # fmt: skip
    manager = team.actor("manager")
    for call in (
        lambda: services.agenda_generate(actor=manager, meeting_id=theirs.pk),
        lambda: services.meeting_hold(actor=manager, meeting_id=theirs.pk),
        lambda: services.decision_add(actor=manager, meeting_id=theirs.pk, text="d"),
        lambda: services.action_complete(actor=manager, item_id=item.pk),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(ValidationFailed) as caught:
        services.action_add(actor=manager, values={"title": "t", "owner_id": stranger.user_id,
                                                   "due_on": "2026-03-20",
                                                   "meeting_id": theirs.pk})  # fmt: skip
    assert sorted(caught.value.fields) == ["meeting_id", "owner_id"]
    assert ActionItem.objects.for_workspace(other_workspace).get().status == "open"
    assert Meeting.objects.for_workspace(other_workspace).get().status == "scheduled"


def test_bad_action_item_writes_nothing(team: Team) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.action_add(actor=team.actor("rep"), values={"title": " ", "owner_id": "abc",
                                                              "due_on": "2026-02-31"})  # fmt: skip
    assert sorted(caught.value.fields) == ["due_on", "owner_id", "title"]
    with pytest.raises(ValidationFailed) as caught:
        services.action_add(actor=team.actor("rep"), values={"title": "x"})
    assert sorted(caught.value.fields) == ["due_on", "owner_id"]
    # A viewer could never mark it done: not an owner.
    viewer_owned = {"title": "x", "owner_id": team.viewer.user_id, "due_on": "2026-03-20"}
    with pytest.raises(ValidationFailed, match="could not complete it"):
        services.action_add(actor=team.actor("rep"), values=viewer_owned)
    assert not ActionItem.objects.for_workspace(team.workspace).exists()
    item = services.action_add(
        actor=team.actor("rep"), values={**viewer_owned, "owner_id": team.rep.user_id}
    )
    with pytest.raises(ValidationFailed, match="could not complete it"):
        services.action_reassign(actor=team.actor("rep"), item_id=item.pk,
                                 values={"owner_id": team.viewer.user_id})  # fmt: skip


def test_action_item_states(team: Team) -> None:
    rep = team.actor("rep")
    values = {"title": "Send the list", "owner_id": team.rep.user_id, "due_on": "2026-03-20"}
    item = services.action_add(actor=rep, values=values)
    moved = services.action_reassign(actor=rep, item_id=item.pk,
                                     values={"owner_id": team.marketer.user_id,
                                             "due_on": "2026-03-27"})  # fmt: skip
    assert (moved.owner_id, moved.due_on) == (team.marketer.user_id, dt.date(2026, 3, 27))
    with time_machine.travel(MEETING_AT, tick=False):
        done = services.action_complete(actor=team.actor("marketer"), item_id=item.pk)
    assert (done.status, done.completed_at) == ("done", MEETING_AT)
    with pytest.raises(Conflict, match="done already"):
        services.action_drop(actor=rep, item_id=item.pk)
    with pytest.raises(Conflict):
        services.action_reassign(actor=rep, item_id=item.pk, values={"due_on": "2026-04-01"})
    other = services.action_add(actor=rep, values=values)
    assert services.action_drop(actor=rep, item_id=other.pk).status == "dropped"


def test_mark_held_carries_open_items_to_the_next_agenda(team: Team) -> None:
    manager = team.actor("manager")
    services.cadence_set(actor=manager, values=CADENCE | {"time_zone": "UTC"})
    first = services.meeting_schedule(actor=manager, values={"scheduled_at": MEETING_AT},
                                      now=MEETING_AT - dt.timedelta(days=1))  # fmt: skip
    open_one = services.action_add(actor=team.actor("rep"), values={
        "title": "Call the webinar leads", "owner_id": team.rep.user_id,
        "due_on": "2026-03-20", "meeting_id": first.pk})  # fmt: skip
    done_one = services.action_add(actor=team.actor("rep"), values={
        "title": "Share the list", "owner_id": team.rep.user_id,
        "due_on": "2026-03-10", "meeting_id": first.pk})  # fmt: skip
    services.action_complete(actor=team.actor("rep"), item_id=done_one.pk)
    held_at = MEETING_AT + dt.timedelta(minutes=50)
    services.meeting_hold(actor=manager, meeting_id=first.pk, held_at=held_at)
    upcoming = Meeting.objects.for_workspace(team.workspace).get(status=MeetingStatus.SCHEDULED)
    assert upcoming.scheduled_at == MEETING_AT + dt.timedelta(days=7)
    assert upcoming.agenda["since"] == held_at.isoformat()
    carried = section(upcoming, "action_items")["items"]
    assert [(i["action_item_id"], i["state"]) for i in carried] == [(open_one.pk, "carried_over")]
    with pytest.raises(Conflict):
        services.meeting_hold(actor=manager, meeting_id=first.pk)
    # Cancelled meetings take no items or decisions.
    services.meeting_cancel(actor=manager, meeting_id=upcoming.pk)
    with pytest.raises(Conflict):
        services.decision_add(actor=manager, meeting_id=upcoming.pk, text="d")
    assert not Decision.objects.for_workspace(team.workspace).exists()


def test_system_actor_organises(team: Team) -> None:
    system = Actor.system(team.workspace, Source.DEMO)
    cadence = services.cadence_set(actor=system, values=CADENCE)
    assert cadence.updated_by is None
