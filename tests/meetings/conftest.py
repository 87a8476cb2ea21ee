"""Hand-built history for meeting tests: a workspace whose sales floor has two sellers, handoffs
with breaches and rejections placed at known times, and a clock fixed on the meeting day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import Handoff, HandoffStatus, RejectionReason, SlaState
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.meetings.models import Meeting, MeetingStatus

# The meeting under test: Monday 9 March 2026, 10:00 UTC; the previous one was held a week
# before, at 10:30 (so the window is [2 March 10:30, 9 March 10:00)).
MEETING_AT = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
PREVIOUS_HELD_AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Team:
    workspace: Workspace
    admin: Membership
    manager: Membership
    marketer: Membership
    rep: Membership
    rep2: Membership
    viewer: Membership

    def actor(self, who: str) -> Actor:
        return Actor.for_membership(getattr(self, who), Source.WEB)


@pytest.fixture
def team(workspace: Workspace, member_factory: Any) -> Team:
    return Team(
        workspace=workspace,
        admin=member_factory("admin", email="admin@acme.example"),
        manager=member_factory("manager", email="boss@acme.example"),
        marketer=member_factory("marketer", email="maya@acme.example"),
        rep=member_factory("sales_rep", email="sam@acme.example"),
        rep2=member_factory("sales_rep", email="rita@acme.example"),
        viewer=member_factory("viewer", email="vic@acme.example"),
    )


def handoff(
    workspace: Workspace, owner: Membership | None, *, source: str = "paid_search",
    assigned_at: dt.datetime, breached_at: dt.datetime | None = None,
    rejected_at: dt.datetime | None = None, reason: RejectionReason | None = None,
) -> Handoff:  # fmt: skip
    contact = ContactFactory(workspace=workspace, original_source=source)
    return Handoff.objects.create(
        workspace=workspace, contact=contact, owner=owner.user if owner else None,
        chosen_by="test", assigned_at=assigned_at,
        sla_state=SlaState.BREACHED if breached_at else SlaState.MET,
        breached_at=breached_at,
        status=HandoffStatus.REJECTED if rejected_at else HandoffStatus.OPEN,
        decided_at=rejected_at, reason=reason,
    )  # fmt: skip


def reason(workspace: Workspace, key: str, label: str) -> RejectionReason:
    return RejectionReason.objects.create(
        workspace=workspace, key=key, label=label, outcome="disqualify"
    )


def held_meeting(workspace: Workspace, at: dt.datetime, held_at: dt.datetime) -> Meeting:
    return Meeting.objects.create(
        workspace=workspace, title="Weekly revenue sync", scheduled_at=at,
        status=MeetingStatus.HELD, held_at=held_at,
    )  # fmt: skip
