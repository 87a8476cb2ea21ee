"""Handoffs from history: for a workspace that arrives with its lifecycle ledger and sales
activities (an import, the demo), one handoff per past MQL transition — owned by the contact's
owner, first touch and attempts from the logged calls, emails and meetings, decision from the
ledger row that left MQL — timed by the active SLA agreement. Then the SLA report and the
dispositions cover the past as well. Contacts that already have a handoff are left alone.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from accord.crm.models import Activity, Contact, LedgerEntry
from accord.handoff.agreements import active_agreement
from accord.handoff.business_hours import add_business_hours
from accord.handoff.clocks import TOUCH_KINDS, start_clock
from accord.handoff.models import (
    Escalation,
    EscalationKind,
    Handoff,
    HandoffStatus,
    RejectionReason,
    SlaAgreement,
    SlaState,
)
from accord.handoff.routing_settings import other_reason
from accord.handoff.sla_document import SlaDocument
from accord.identity.models import Membership, Team, Workspace

ACCEPTED_STAGES = ("sal", "sql", "opportunity", "customer")
BATCH = 2000


def _reasons(workspace_id: int, reason_keys: Mapping[str, str]) -> dict[str, RejectionReason]:
    other = other_reason(workspace_id)
    scoped = RejectionReason.objects.for_workspace(workspace_id)
    by_key = {r.key: r for r in scoped}
    by_text = {r.label.casefold(): r for r in by_key.values()}
    for text, key in reason_keys.items():
        if key in by_key:
            by_text[text.casefold()] = by_key[key]
    by_text[""] = other
    return by_text


def backfill_handoffs(
    workspace: Workspace,
    *,
    reason_keys: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Write the handoffs of past MQLs; returns how many. `reason_keys` maps the reason texts
    in the ledger ("No budget") to reason codes ("no_budget"); unmatched texts become "other"
    with the text as comment."""
    now = now or timezone.now()
    wid = workspace.pk
    reasons = _reasons(wid, reason_keys or {})
    agreement = active_agreement(wid)
    done = set(Handoff.objects.for_workspace(wid).values_list("contact_id", flat=True).distinct())
    ledger = LedgerEntry.objects.for_workspace(wid)
    mqls = [
        row
        for row in ledger.filter(to_stage="mql")
        .order_by("contact_id", "occurred_at", "id")
        .values_list("contact_id", "occurred_at", "definition_version")
        if row[0] not in done
    ]
    exits: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for contact_id, at, to_stage, reason in (
        ledger.filter(from_stage="mql")
        .order_by("occurred_at", "id")
        .values_list("contact_id", "occurred_at", "to_stage", "reason")
    ):
        exits[contact_id].append((at, to_stage, reason))
    touches: dict[int, list[dt.datetime]] = defaultdict(list)
    for contact_id, at in (
        Activity.objects.for_workspace(wid)
        .filter(kind__in=TOUCH_KINDS, contact_id__isnull=False)
        .order_by("occurred_at")
        .values_list("contact_id", "occurred_at")
    ):
        touches[contact_id].append(at)
    owners = dict(
        Contact.objects.for_workspace(wid).filter(owner__isnull=False).values_list("id", "owner_id")
    )
    team_of = dict(Membership.objects.for_workspace(wid).values_list("user_id", "team_id"))
    team_names = dict(Team.objects.for_workspace(wid).values_list("id", "name"))
    # Each MQL transition ends at the contact's next MQL transition (if any).
    ends: dict[int, dt.datetime] = {}
    rows: list[Handoff] = []
    for index, (contact_id, assigned_at, version) in enumerate(mqls):
        following = mqls[index + 1] if index + 1 < len(mqls) else None
        ends[index] = following[1] if following and following[0] == contact_id else now
        rows.append(
            _handoff(
                wid,
                contact_id,
                assigned_at,
                ends[index],
                version,
                owner_id=owners.get(contact_id),
                exits=exits.get(contact_id, []),
                touches=touches.get(contact_id, []),
                reasons=reasons,
                agreement=agreement,
                team_of=team_of,
                team_names=team_names,
                now=now,
            )
        )
    with transaction.atomic():
        created = Handoff.objects.bulk_create(rows, batch_size=BATCH)
        Escalation.objects.bulk_create(
            (
                Escalation(
                    workspace_id=wid,
                    handoff=h,
                    kind=EscalationKind.BREACH_OWNER,
                    recipient_id=h.owner_id,
                    message="First touch was due and has not happened (before Accord).",
                    delivered_at=h.breached_at,
                    created_at=h.breached_at or now,
                )
                for h in created
                if h.status == HandoffStatus.OPEN and h.sla_state == SlaState.BREACHED
            ),
            batch_size=BATCH,
        )
    return len(created)


def _handoff(
    workspace_id: int,
    contact_id: int,
    assigned_at: dt.datetime,
    until: dt.datetime,
    version: str,
    *,
    owner_id: int | None,
    exits: list[tuple[dt.datetime, str, str]],
    touches: list[dt.datetime],
    reasons: dict[str, RejectionReason],
    agreement: tuple[SlaAgreement, SlaDocument] | None,
    team_of: Mapping[int, int | None],
    team_names: Mapping[int, str],
    now: dt.datetime,
) -> Handoff:
    team_id = team_of.get(owner_id) if owner_id is not None else None
    handoff = Handoff(
        workspace_id=workspace_id,
        contact_id=contact_id,
        owner_id=owner_id,
        team_id=team_id,
        chosen_by="history before Accord (contact owner)" if owner_id else "fallback: history",
        assigned_at=assigned_at,
        definition_version=version,
        created_at=assigned_at,
    )
    decision = next((e for e in exits if assigned_at <= e[0] <= until), None)
    closed_at = decision[0] if decision else now
    low = bisect.bisect_left(touches, assigned_at)
    high = bisect.bisect_right(touches, closed_at)
    handoff.attempts = high - low
    handoff.first_touched_at = touches[low] if high > low else None
    if decision is not None:
        at, to_stage, text = decision
        handoff.decided_at = at
        if to_stage in ACCEPTED_STAGES:
            handoff.status = HandoffStatus.ACCEPTED
        elif to_stage in ("disqualified", "recycled"):
            handoff.status = HandoffStatus.REJECTED
            label = text.removeprefix("rejected: ").strip()
            handoff.reason = reasons.get(label.casefold()) or reasons[""]
            handoff.comment = text[:1000]
        else:  # demoted by the lead definition: back to marketing's nurture
            handoff.status = HandoffStatus.RECYCLED
            handoff.comment = f"left MQL for {to_stage}: {text}"[:1000]
    if agreement is not None:
        record, document = agreement
        clock = start_clock(document, team_names.get(team_id) if team_id else None, assigned_at)
        handoff.agreement = record
        handoff.first_touch_due_at = clock.first_touch_due_at
        handoff.attempts_due_at = clock.attempts_due_at
        due = clock.first_touch_due_at
        touched = handoff.first_touched_at
        if touched is not None:
            handoff.sla_state = SlaState.MET if touched <= due else SlaState.BREACHED
        elif due <= (handoff.decided_at or now):
            handoff.sla_state = SlaState.BREACHED
        else:
            handoff.sla_state = SlaState.DUE
        if handoff.sla_state == SlaState.BREACHED:
            handoff.breached_at = due
            handoff.escalation_level = 1
            # As the sweep does at a breach: the manager is told after the grace period (in
            # business hours), so a lead still untouched is escalated at the next sweep.
            handoff.manager_escalation_at = add_business_hours(
                due,
                document.sales.manager_grace_hours,
                document.calendar_for(team_names.get(team_id) if team_id else None),
            )
    return handoff
