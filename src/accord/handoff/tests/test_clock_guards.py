"""What may meet sales' first-touch clock: a seller's touch, made in time and logged in time
(within the late-entry grace). A touch logged later with an earlier time leaves the breach
standing; a marketer's email is not sales' touch (QA findings 7a and 7b)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import ValidationFailed
from accord.core.events import muted
from accord.crm.services.activities import activity_create
from accord.handoff.clocks import (
    LATE_ENTRY_GRACE,
    handoff_pause,
    sweep_workspace,
    touch_in_time,
)
from accord.handoff.models import Escalation, EscalationKind, Handoff, SlaState
from accord.handoff.tests.factories import make_mql
from accord.handoff.tests.test_clocks import MONDAY_10, routed_floor
from accord.identity.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)
DUE = MONDAY_10 + dt.timedelta(hours=4)  # 4 business hours, Monday 09-17


def _touch(  # noqa: PLR0917 - reads as a sentence at each call
    floor: Any,
    member: Membership,
    contact: Any,
    occurred: dt.datetime,
    logged: dt.datetime,
    kind: str = "call",
) -> None:
    with time_machine.travel(logged, tick=False):
        activity_create(
            actor=floor.actor(member),
            values={"kind": kind, "contact_id": contact.pk, "occurred_at": occurred},
        )


def _lead(floor: Any, email: str) -> tuple[Any, Handoff]:
    with time_machine.travel(MONDAY_10, tick=False):
        contact = make_mql(floor, email)
    return contact, Handoff.objects.for_workspace(floor.workspace).get(contact=contact)


def test_the_rule() -> None:
    made = DUE - dt.timedelta(minutes=1)
    assert touch_in_time(made, DUE, DUE)
    assert touch_in_time(made, DUE + LATE_ENTRY_GRACE, DUE)
    assert not touch_in_time(made, DUE + LATE_ENTRY_GRACE + dt.timedelta(seconds=1), DUE)
    assert not touch_in_time(DUE + dt.timedelta(seconds=1), DUE, DUE)


def test_a_touch_backdated_the_next_day_does_not_undo_the_breach(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, "backdated@example.org")
    assert sweep_workspace(workspace.pk, DUE + dt.timedelta(seconds=30)).breached == 1
    made = MONDAY_10 + dt.timedelta(hours=1)  # "I called at 11:00", logged Tuesday
    _touch(floor, floor.sellers[0], contact, made, DUE + dt.timedelta(days=1))
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.breached_at, handoff.first_touched_at, handoff.attempts) == (
        SlaState.BREACHED,
        DUE,
        made,
        1,
    )


def test_a_touch_logged_within_the_grace_turns_the_breach_into_met(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, "a-bit-late@example.org")
    assert sweep_workspace(workspace.pk, DUE + dt.timedelta(seconds=30)).breached == 1
    made = DUE - dt.timedelta(minutes=5)
    _touch(floor, floor.sellers[0], contact, made, DUE + dt.timedelta(minutes=20))
    handoff.refresh_from_db()
    # Consistent: met, with no breach time left behind.
    assert (handoff.sla_state, handoff.breached_at, handoff.first_touched_at) == (
        SlaState.MET,
        None,
        made,
    )


def test_a_late_entry_before_the_sweep_ran_is_judged_the_same(workspace) -> None:  # type: ignore[no-untyped-def]
    """The worker was down: the clock still reads due when the backdated touch arrives."""
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, "worker-down@example.org")
    made = MONDAY_10 + dt.timedelta(hours=1)
    _touch(floor, floor.sellers[0], contact, made, DUE + LATE_ENTRY_GRACE + dt.timedelta(minutes=1))
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.breached_at, handoff.first_touched_at) == (
        SlaState.BREACHED,
        DUE,
        made,
    )


def test_the_sweep_applies_the_grace_to_touches_whose_event_was_missed(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, "missed@example.org")
    made = MONDAY_10 + dt.timedelta(hours=1)
    with muted("activity.logged"):  # an import two hours after the due time
        _touch(floor, floor.sellers[0], contact, made, DUE + dt.timedelta(hours=2))
    result = sweep_workspace(workspace.pk, DUE + dt.timedelta(hours=2, minutes=1))
    handoff.refresh_from_db()
    assert (result.breached, result.met_late_logged) == (0, 1)
    assert (handoff.sla_state, handoff.breached_at, handoff.first_touched_at) == (
        SlaState.BREACHED,
        DUE,
        made,
    )
    # Within the grace the same missed touch meets it (the existing re-read's purpose).
    other, second = _lead(floor, "missed-soon@example.org")
    with muted("activity.logged"):
        _touch(floor, floor.sellers[0], other, made, DUE + dt.timedelta(minutes=10))
    sweep_workspace(workspace.pk, DUE + dt.timedelta(minutes=11))
    second.refresh_from_db()
    assert (second.sla_state, second.breached_at) == (SlaState.MET, None)


def test_a_marketers_email_is_not_sales_first_touch(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, "nurtured@example.org")
    early = MONDAY_10 + dt.timedelta(hours=1)
    _touch(floor, floor.marketer, contact, early, early, kind="email")
    _touch(floor, floor.marketing_manager, contact, early, early, kind="email")
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.attempts, handoff.first_touched_at) == (
        SlaState.DUE,
        0,
        None,
    )
    # The sweep's re-read does not count them either: an untouched breach, the owner is told.
    assert sweep_workspace(workspace.pk, DUE + dt.timedelta(seconds=5)).breached == 1
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.first_touched_at) == (SlaState.BREACHED, None)
    assert (
        Escalation.objects.for_workspace(workspace)
        .filter(handoff=handoff, kind=EscalationKind.BREACH_OWNER)
        .exists()
    )


@pytest.mark.parametrize("who", ["sales_manager", "admin", "owner"])
def test_the_owner_and_sellers_touches_count(workspace, who: str) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    contact, handoff = _lead(floor, f"{who}@example.org")
    member = floor.sellers[0] if who == "owner" else getattr(floor, who)
    early = MONDAY_10 + dt.timedelta(hours=1)
    _touch(floor, member, contact, early, early)
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.attempts) == (SlaState.MET, 1)


def test_a_pause_reason_over_200_characters_is_refused_not_cut(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = routed_floor(workspace)
    _, handoff = _lead(floor, "ooo@example.org")
    rep = floor.actor(floor.sellers[0])
    with pytest.raises(ValidationFailed) as caught:
        handoff_pause(actor=rep, handoff_id=handoff.pk, reason="x" * 201)
    assert caught.value.fields == {"reason": ["At most 200 characters."]}
    handoff.refresh_from_db()
    assert (handoff.sla_state, handoff.pause_reason, handoff.paused_at) == (SlaState.DUE, "", None)
    paused = handoff_pause(actor=rep, handoff_id=handoff.pk, reason="y" * 200)
    assert paused.pause_reason == "y" * 200
