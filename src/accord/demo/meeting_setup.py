"""The demo's joint meetings: a weekly cadence (Monday 10:00 in the workspace's time zone), the
past eight weeks of held meetings — each agenda generated as of its day, a few notes and
decisions — action items owned by the sales and marketing managers (most done on time, some
late, two overdue and still open), and the next meeting scheduled with its agenda generated.
Deterministic from the seed."""

from __future__ import annotations

import datetime as dt
import random

from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, TeamKind, Workspace
from accord.meetings import services
from accord.meetings.schedule import local_day, next_meeting_at

WEEKS = 8
ACTIONS = (
    "Review the rejected webinar leads with the SDRs",
    "Tighten the company-size fit rule",
    "Share the call script B results with marketing",
    "Clean the fallback queue",
    "Add the pricing page visit to the engagement score",
    "Agree the Q-end campaign calendar with sales",
    "Send the lost-deal reasons to marketing",
    "Fix the demo request form's country field",
    "Check first-touch times on the enterprise team",
    "Draft next quarter's MQL target",
)
DECISIONS = (
    "Enterprise leads go to the named-account team first.",
    "Webinar leads under 50 employees go to nurture, not to sales.",
    "Call script B becomes the default for discovery calls.",
    "First touch within 4 business hours stays the SLA.",
)
NOTES = (
    "Rejections from paid search are up; marketing checks the targeting.",
    "Both teams agree to review the fit rules before the next definition version.",
    "Sales asks for the webinar attendee list a day earlier.",
)


def _managers(workspace: Workspace) -> list[int]:
    found = dict(
        Membership.objects.filter(workspace=workspace, role="manager").values_list(
            "team__kind", "user_id"
        )
    )
    return [u for u in (found.get(TeamKind.SALES), found.get(TeamKind.MARKETING)) if u]


def set_up_demo_meetings(workspace: Workspace, as_of: dt.datetime, seed: int) -> int:
    """Returns the number of meetings written (0 without a manager to own the items)."""
    owners = _managers(workspace)
    if not owners:
        return 0
    rng = random.Random(seed * 7919 + 11)
    actor = Actor.system(workspace, Source.DEMO, rule="demo")
    start = (as_of - dt.timedelta(weeks=WEEKS + 1)).date()
    cadence = services.cadence_set(actor=actor, values={
        "title": "Weekly revenue sync", "weekday": "monday", "local_time": "10:00",
        "time_zone": workspace.timezone or "UTC", "duration_minutes": 45,
        "starts_on": start.isoformat()})  # fmt: skip
    # The meetings in [as_of - WEEKS, as_of): the first at or after the window's start, so
    # that a demo ending exactly at meeting time still has WEEKS held meetings.
    moment = next_meeting_at(cadence, as_of - dt.timedelta(weeks=WEEKS, microseconds=1))
    # An item not yet due at as_of is due on the next meeting's day at the earliest, so the
    # next agenda's overdue items are the two planted below whatever the weekday of as_of.
    next_day = local_day(next_meeting_at(cadence, as_of - dt.timedelta(microseconds=1)),
                         workspace.pk)  # fmt: skip
    meetings = 0
    while moment < as_of:
        meeting = services.meeting_schedule(actor=actor, values={"scheduled_at": moment},
                                            now=moment - dt.timedelta(hours=1))  # fmt: skip
        held_at = moment + dt.timedelta(minutes=45)
        services.notes_save(actor=actor, meeting_id=meeting.pk, notes=rng.choice(NOTES))
        if rng.random() < 0.5:
            services.decision_add(actor=actor, meeting_id=meeting.pk, text=rng.choice(DECISIONS))
        for n in range(rng.randint(1, 2)):
            due = moment.date() + dt.timedelta(days=rng.choice((4, 7, 10)))
            if dt.datetime.combine(due, dt.time(16), tzinfo=dt.UTC) >= as_of:
                due = max(due, next_day)
            item = services.action_add(actor=actor, values={
                "title": rng.choice(ACTIONS), "owner_id": rng.choice(owners),
                "due_on": due.isoformat(), "meeting_id": meeting.pk})  # fmt: skip
            due_at = dt.datetime.combine(due, dt.time(16), tzinfo=dt.UTC)
            if due_at >= as_of:
                continue  # not due yet: stays open
            if n == 0 and meetings in (2, 4):
                continue  # the two items left overdue and open
            late = rng.random() < 0.25
            done_at = due_at + dt.timedelta(days=rng.randint(1, 4) if late else -rng.randint(0, 2))
            services.action_complete(actor=actor, item_id=item.pk, at=min(done_at, as_of))
        services.meeting_hold(actor=actor, meeting_id=meeting.pk, held_at=held_at,
                              schedule_next=False)  # fmt: skip
        meetings += 1
        moment = next_meeting_at(cadence, moment)
    services.meeting_schedule(actor=actor, values={"scheduled_at": moment}, now=as_of)
    return meetings + 1
