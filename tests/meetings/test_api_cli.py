"""The meetings API and `accord meeting`: cadence, schedule, agenda, action items, hold; a
viewer's write refused (403), another workspace's meeting 404, bad input 400 writing nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accord.meetings.models import ActionItem, Meeting
from tests.api.conftest import Api, make_token
from tests.meetings.conftest import MEETING_AT, Team

pytestmark = pytest.mark.django_db


def test_api_round_trip(team: Team, other_workspace: object, member_factory: object) -> None:
    boss = Api(make_token(team.manager)[1])
    reply = boss.call("PUT", "/meetings/cadence", {"weekday": "monday", "local_time": "10:00",
                                                   "time_zone": "UTC"})  # fmt: skip
    assert reply.status == 200, reply.body
    assert reply.body["weekday"] == "monday" and reply.body["local_time"] == "10:00"
    reply = boss.post("/meetings", {"scheduled_at": MEETING_AT.isoformat()})
    assert reply.status == 201, reply.body
    meeting_id = reply.body["id"]
    assert reply.body["agenda"]["sections"][0]["key"] == "sla_breaches"
    body = {"title": "Fix the form", "owner_id": team.marketer.user_id, "due_on": "2026-03-16",
            "meeting_id": meeting_id}  # fmt: skip
    reply = boss.post("/meetings/action-items", body)
    assert reply.status == 201, reply.body
    item_id = reply.body["id"]
    assert boss.post(f"/meetings/{meeting_id}/decisions", {"text": "Ship B"}).status == 201
    reply = boss.get(f"/meetings/{meeting_id}")
    assert [i["id"] for i in reply.body["action_items"]] == [item_id]
    assert [d["text"] for d in reply.body["decisions"]] == ["Ship B"]
    assert boss.post(f"/meetings/action-items/{item_id}/done").body["status"] == "done"
    assert boss.post(f"/meetings/{meeting_id}/hold").body["status"] == "held"
    reply = boss.post(f"/meetings/{meeting_id}/agenda")
    assert reply.status == 409 and "frozen" in reply.error["message"]
    assert [m["id"] for m in boss.get("/meetings").body["results"]][1] == meeting_id

    viewer = Api(make_token(team.viewer)[1])
    assert viewer.get(f"/meetings/{meeting_id}").status == 200
    reply = viewer.post("/meetings/action-items", {"title": "x", "owner_id":
                        team.viewer.user_id, "due_on": "2026-03-16"})  # fmt: skip
    assert reply.status == 403
    stranger = Api(make_token(member_factory("admin", ws=other_workspace))[1])  # type: ignore[operator]
    assert stranger.get(f"/meetings/{meeting_id}").status == 404
    assert stranger.post(f"/meetings/action-items/{item_id}/drop").status == 404
    reply = boss.post("/meetings/action-items", {"title": "", "owner_id": 999999,
                                                 "due_on": "2026-03-16"})  # fmt: skip
    assert reply.status == 400 and sorted(reply.fields) == ["owner_id", "title"]
    assert ActionItem.objects.for_workspace(team.workspace).count() == 1


def test_cli(team: Team) -> None:
    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("meeting", *args, "--workspace", "acme", stdout=out)
        return out.getvalue()

    at = MEETING_AT.isoformat()
    assert "Scheduled meeting" in run("schedule", "--as", "boss@acme.example", "--at", at)
    meeting = Meeting.objects.for_workspace(team.workspace).get()
    out = run("action-add", "--as", "sam@acme.example", "--title", "Call them back", "--owner",
              "sam@acme.example", "--due", "2026-03-01", "--meeting", str(meeting.pk))  # fmt: skip
    item = ActionItem.objects.for_workspace(team.workspace).get()
    assert out.strip() == f"Action item {item.pk} added: Call them back (due 2026-03-01)."
    out = run("agenda", str(meeting.pk), "--generate", "--as", "sam@acme.example")
    assert "6. Action items (0)" in out  # raised in this meeting: not carried over to itself
    assert "Call them back" in run("list")
    with pytest.raises(CommandError, match="reads meetings only"):
        run("action-done", str(item.pk), "--as", "vic@acme.example")
    assert "done" in run("action-done", str(item.pk), "--as", "sam@acme.example")
    with pytest.raises(CommandError, match="No meeting"):
        run("hold", "999999", "--as", "boss@acme.example")
    assert "held" in run("hold", str(meeting.pk), "--as", "boss@acme.example")
