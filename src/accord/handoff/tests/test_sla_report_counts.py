"""The SLA report's sales figures, recomputed row by row in Python: a decided lead is never a
running clock (QA finding 6), the attempts rate counts only attempts made by the attempts
deadline (8), and a clock counts for the owner who held the lead when it was met or breached,
not whoever holds it now (12)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import time_machine

from accord.crm.models import Activity
from accord.crm.services.activities import activity_create
from accord.handoff import routing_settings
from accord.handoff.clocks import (
    LATE_ENTRY_GRACE,
    TOUCH_KINDS,
    handoff_pause,
    selling_members,
    sweep_workspace,
)
from accord.handoff.departures import requeue_leads_of_former_members
from accord.handoff.dispositions import handoff_reassign
from accord.handoff.models import Handoff, HandoffStatus, RejectionReason, SlaState
from accord.handoff.reports import sla_report
from accord.handoff.routing_settings import ensure_default_reasons
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor
from accord.identity.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # ALWAYS_OPEN: due 4 hours after
HOUR = dt.timedelta(hours=1)
PERIOD = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def _floor(workspace: Any) -> Any:
    floor = sales_floor(workspace, sellers=2)
    with time_machine.travel(T0 - 24 * HOUR, tick=False):
        activate_sla(floor)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "Rep 0", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    return floor


def _lead(floor: Any, email: str, at: dt.datetime) -> Handoff:
    with time_machine.travel(at, tick=False):
        contact = make_mql(floor, email)
    return Handoff.objects.for_workspace(floor.workspace).get(contact=contact)


def _touch(floor: Any, member: Membership, handoff: Handoff, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        activity_create(
            actor=floor.actor(member),
            values={"kind": "call", "contact_id": handoff.contact_id, "occurred_at": at},
        )


def _decide(handoff: Handoff, status: str, at: dt.datetime, **fields: Any) -> None:
    """A decision as rows written before decisions resolved the clock left it: still 'due'."""
    Handoff.objects.for_workspace(handoff.workspace_id).filter(pk=handoff.pk).update(
        status=status, decided_at=at, **fields
    )


def _recount(workspace: Any) -> Counter[str]:
    """Independently, from each row: an open lead's due or paused clock runs; a decided lead's
    clock ended at the decision (met when made by the due time or while paused)."""
    counts: Counter[str] = Counter()
    for h in Handoff.objects.for_workspace(workspace).exclude(sla_state=SlaState.UNTIMED):
        if h.sla_state in (SlaState.MET, SlaState.BREACHED):
            counts[h.sla_state] += 1
        elif h.status == HandoffStatus.OPEN:
            counts["running"] += 1
        elif h.sla_state == SlaState.PAUSED or h.decided_at <= h.first_touch_due_at:
            counts["met"] += 1
        else:
            counts["breached"] += 1
    return counts


def test_a_decided_lead_is_never_a_running_clock(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(workspace)
    accepted = _lead(floor, "accepted@example.org", T0)
    late = _lead(floor, "late@example.org", T0)
    paused = _lead(floor, "paused@example.org", T0)
    _lead(floor, "open@example.org", T0)
    touched = _lead(floor, "touched@example.org", T0)
    _decide(accepted, HandoffStatus.ACCEPTED, T0 + HOUR)  # before the due time: met
    _decide(late, HandoffStatus.REJECTED, T0 + 5 * HOUR)  # after it, never swept: breached
    with time_machine.travel(T0 + HOUR, tick=False):
        handoff_pause(actor=floor.actor(floor.sellers[0]), handoff_id=paused.pk, reason="OOO")
    _decide(paused, HandoffStatus.RECYCLED, T0 + 6 * HOUR)  # while paused: met
    _touch(floor, floor.sellers[0], touched, T0 + 2 * HOUR)
    report = sla_report(workspace, *PERIOD)
    everyone = report.first_touch[-1]
    recount = _recount(workspace)
    assert recount == Counter(met=3, breached=1, running=1)
    assert (everyone.handed_over, everyone.met, everyone.breached, everyone.due) == (
        5,
        recount["met"],
        recount["breached"],
        recount["running"],
    )
    assert (everyone.compliance.successes, everyone.compliance.n) == (3, 4)


def _unresponsive(workspace: Any) -> RejectionReason:
    ensure_default_reasons(workspace.pk)
    return RejectionReason.objects.for_workspace(workspace).get(needs_attempts=True)


def _attempts_made(handoff: Handoff) -> int:
    """Independently: the sellers' (or owner's) touches made by the deadline, logged by it
    plus the grace and before the decision."""
    sellers = set(selling_members(handoff.workspace_id).values_list("user_id", flat=True))
    handoff.refresh_from_db()
    assert handoff.attempts_due_at is not None and handoff.decided_at is not None
    return sum(
        1
        for a in Activity.objects.for_workspace(handoff.workspace_id).filter(
            contact_id=handoff.contact_id, kind__in=TOUCH_KINDS
        )
        if handoff.assigned_at <= a.occurred_at <= handoff.attempts_due_at
        and a.created_at <= min(handoff.attempts_due_at + LATE_ENTRY_GRACE, handoff.decided_at)
        and (a.user_id == handoff.owner_id or a.user_id in sellers)
    )


def test_the_attempts_rate_counts_attempts_made_by_the_deadline(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(workspace)
    reason = _unresponsive(workspace)
    rep, marketer = floor.sellers[0], floor.marketer
    in_time = _lead(floor, "in-time@example.org", T0)
    burst = _lead(floor, "burst@example.org", T0)
    marketing = _lead(floor, "marketing@example.org", T0)
    deadline = in_time.attempts_due_at
    assert deadline is not None
    for k in range(3):
        _touch(floor, rep, in_time, T0 + (k + 1) * HOUR)
        _touch(floor, rep, burst, deadline + (k + 1) * HOUR)  # a burst after the window
        _touch(floor, marketer, marketing, T0 + (k + 1) * HOUR)
    decided = deadline + 5 * HOUR
    for handoff in (in_time, burst, marketing):
        _decide(handoff, HandoffStatus.REJECTED, decided, reason=reason)
    # Each lead's counter holds what the clock counted: 3, 3 (after the window) and 0.
    attempts = dict(Handoff.objects.for_workspace(workspace).values_list("pk", "attempts"))
    assert [attempts[h.pk] for h in (in_time, burst, marketing)] == [3, 3, 0]
    made = [_attempts_made(h) for h in (in_time, burst, marketing)]
    assert made == [3, 0, 0]
    report = sla_report(workspace, *PERIOD)
    assert (report.attempts.successes, report.attempts.n) == (sum(m >= 3 for m in made), 3)


def _rows(workspace: Any) -> dict[str, tuple[int, int, int, int]]:
    report = sla_report(workspace, *PERIOD)
    return {r.owner: (r.handed_over, r.met, r.breached, r.due) for r in report.first_touch}


def test_a_clock_counts_for_the_owner_who_held_the_lead_then(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = _floor(workspace)
    rep0, rep1 = floor.sellers
    name0, name1 = rep0.user.display_name, rep1.user.display_name
    manager = floor.actor(floor.sales_manager)
    breached = _lead(floor, "breached@example.org", T0)
    met = _lead(floor, "met@example.org", T0)
    moved_early = _lead(floor, "moved-early@example.org", T0)
    running = _lead(floor, "running@example.org", T0 + 10 * HOUR)
    _touch(floor, rep0, met, T0 + HOUR)
    with time_machine.travel(T0 + HOUR, tick=False):  # before its due time: rep 1's clock
        handoff_reassign(actor=manager, handoff_id=moved_early.pk, user_id=rep1.user_id)
    assert sweep_workspace(workspace.pk, T0 + 4 * HOUR + dt.timedelta(seconds=1)).breached == 2
    # After the breach and the first touch, both leads go to rep 1; so does the running one.
    with time_machine.travel(T0 + 6 * HOUR, tick=False):
        for handoff in (breached, met):
            handoff_reassign(actor=manager, handoff_id=handoff.pk, user_id=rep1.user_id)
    with time_machine.travel(T0 + 11 * HOUR, tick=False):
        handoff_reassign(actor=manager, handoff_id=running.pk, user_id=rep1.user_id)
    owners = dict(Handoff.objects.for_workspace(workspace).values_list("pk", "owner_id"))
    assert {owners[h.pk] for h in (breached, met, moved_early, running)} == {rep1.user_id}
    assert _rows(workspace) == {
        name0: (2, 1, 1, 0),  # the breach and the touch happened on rep 0's watch
        name1: (2, 0, 1, 1),  # the early reassignment's breach, and the running clock
        "Everyone": (4, 1, 2, 1),
    }
    # Rep 1 leaves: the open leads go to the fallback queue, their breaches stay rep 1's.
    with time_machine.travel(T0 + 12 * HOUR, tick=False):
        Membership.objects.for_workspace(workspace).filter(user_id=rep1.user_id).delete()
        assert requeue_leads_of_former_members(workspace.pk) == 4
    assert _rows(workspace) == {
        name0: (2, 1, 1, 0),
        name1: (1, 0, 1, 0),
        "Fallback queue": (1, 0, 0, 1),  # only the clock still running is the queue's
        "Everyone": (4, 1, 2, 1),
    }
