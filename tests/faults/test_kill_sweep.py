"""The worker killed with SIGKILL in the middle of an SLA sweep over 2,000 overdue handoffs:
each chunk of breaches commits with its escalations, so the dead worker leaves whole chunks
behind; the next worker start schedules a new sweep, which breaches the rest. Every handoff is
breached once, with exactly one owner escalation, emailed and announced once."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.core import events
from accord.crm.models import Contact
from accord.handoff.models import Escalation, EscalationKind, Handoff, HandoffStatus, SlaState
from accord.handoff.tasks import sla_sweep
from accord.handoff.tests.factories import ALWAYS_OPEN, activate_sla, sales_floor, sla_document
from accord.identity.models import Workspace
from tests.faults.support import kill_when, needs_a_shared_database, python

HANDOFFS = 2000
CHUNK = 50  # lowered in the killed process so that the sweep spans 40 transactions


def _overdue_handoffs(workspace: Workspace) -> dict[int, int]:
    """HANDOFFS MQLs, each with an open handoff whose first touch fell due in the last half
    hour (4 business hours after assignment, the manager's grace of 8 hours still running) and
    no touch logged: {handoff id: owner id}."""
    floor = sales_floor(workspace, sellers=3)
    agreement = activate_sla(
        floor,
        sla_document(
            sales={"first_touch_hours": 4, "manager_grace_hours": 8},
            calendars={"default": ALWAYS_OPEN},
        ),
    )
    sellers = [m.user_id for m in floor.sellers]
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(workspace=workspace, email=f"lead{i}@buyer{i}.example", first_name="Lead",
                last_name=str(i), owner_id=sellers[i % 3], lifecycle_stage="mql")
        for i in range(HANDOFFS)
    )  # fmt: skip
    contacts = Contact.objects.for_workspace(workspace).order_by("pk").values_list("pk", "owner_id")
    handoffs = []
    for i, (contact, owner) in enumerate(contacts):
        due = now - dt.timedelta(minutes=1 + 30 * i / HANDOFFS)
        handoffs.append(
            Handoff(workspace=workspace, contact_id=contact, owner_id=owner, team=floor.team,
                    chosen_by="rule: All", status=HandoffStatus.OPEN, agreement=agreement,
                    definition_version="v1", sla_state=SlaState.DUE, first_touch_due_at=due,
                    assigned_at=due - dt.timedelta(hours=4),
                    attempts_due_at=due + dt.timedelta(days=3))
        )  # fmt: skip
    Handoff.objects.bulk_create(handoffs)
    return dict(Handoff.objects.for_workspace(workspace).values_list("pk", "owner_id"))


def _breached(workspace: Workspace) -> Any:
    return Handoff.objects.for_workspace(workspace).filter(sla_state=SlaState.BREACHED)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_leaves_whole_chunks_and_the_next_sweep_breaches_the_rest(
    workspace: Workspace,
) -> None:
    needs_a_shared_database()
    owners = _overdue_handoffs(workspace)
    assert len(owners) == HANDOFFS
    process = python(
        "from accord.handoff import clocks\n"
        f"clocks.SWEEP_CHUNK = {CHUNK}\n"
        "from django.core.management import call_command\n"
        "call_command('worker', '--once')\n"
    )

    def partial() -> bool:
        return HANDOFFS // 4 <= _breached(workspace).count() < HANDOFFS

    kill_when(process, partial)
    breached = set(_breached(workspace).values_list("pk", flat=True))
    assert HANDOFFS // 4 <= len(breached) < HANDOFFS
    assert len(breached) % CHUNK == 0  # whole chunks: breaches and escalations commit together
    escalations = Escalation.objects.for_workspace(workspace)
    survived = dict(escalations.values_list("pk", "handoff_id"))
    assert sorted(survived.values()) == sorted(breached)
    assert not escalations.filter(delivered_at__isnull=False).exists()  # the worker died first
    sweeps = DBTaskResult.objects.filter(task_path=sla_sweep.module_path)
    assert list(sweeps.values_list("status", flat=True)) == ["RUNNING"]  # and stays so

    # A new worker starts: it schedules a sweep (none is waiting), runs it and the deliveries.
    mail.outbox.clear()
    sent: list[events.Event] = []
    events.subscribe(sent.append)
    try:
        call_command("worker", "--once", stdout=io.StringIO())
    finally:
        events._subscribers.remove(sent.append)

    handoffs = Handoff.objects.for_workspace(workspace)
    assert handoffs.filter(
        sla_state=SlaState.BREACHED, breached_at=F("first_touch_due_at"), escalation_level=1
    ).count() == HANDOFFS  # fmt: skip
    assert set(escalations.values_list("kind", flat=True)) == {EscalationKind.BREACH_OWNER}
    rows = list(escalations.values_list("pk", "handoff_id", "recipient_id", "emailed"))
    assert sorted(h for _pk, h, _r, _e in rows) == sorted(owners)  # one per handoff, none twice
    assert all(recipient == owners[h] and emailed for _pk, h, recipient, emailed in rows)
    assert {pk: h for pk, h, _r, _e in rows if pk in survived} == survived  # kept, not redone
    assert not escalations.filter(delivered_at__isnull=True).exists()
    # Emailed once and announced once each.
    notices = [
        m for m in mail.outbox if m.subject == f"[Accord] {EscalationKind.BREACH_OWNER.label}"
    ]
    assert Counter(m.to[0] for m in notices) == Counter(
        f"rep{i % 3}@acme.example" for i in range(HANDOFFS)
    )
    leads = sorted(m.body.split("<", 1)[1].split(">", 1)[0] for m in notices)
    assert leads == sorted(f"lead{i}@buyer{i}.example" for i in range(HANDOFFS))
    announced = [e.data["handoff_id"] for e in sent if e.name == "handoff.escalated"]
    assert sorted(announced) == sorted(owners)
    # The dead worker's sweep stays RUNNING; the new one succeeded and scheduled the next.
    assert Counter(sweeps.values_list("status", flat=True)) == {
        "RUNNING": 1,
        "SUCCESSFUL": 1,
        "READY": 1,
    }
