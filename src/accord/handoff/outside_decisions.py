"""Closing a handoff after a lifecycle change made outside it (a person on the contact page, an
import, a re-score took the contact out of MQL), so the lead does not sit in the inbox, breach
and escalate."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accord.crm.models import LifecycleStage
from accord.handoff.dispositions import MAX_COMMENT, close_handoff
from accord.handoff.models import Handoff, HandoffStatus, ReasonOutcome
from accord.handoff.routing_settings import other_reason
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace


def _outside_actor(workspace_id: int, user_id: int | None, source: str) -> Actor:
    """The person who moved the contact, if they are a member; else the system."""
    membership = (
        Membership.objects.for_workspace(workspace_id)
        .select_related("user", "workspace")
        .filter(user_id=user_id)
        .first()
        if user_id is not None
        else None
    )
    if membership is None:
        workspace = Workspace.objects.get(pk=workspace_id)
        return Actor.system(workspace, Source.RULE, rule="lifecycle change")
    return Actor(
        workspace=membership.workspace,
        source=Source(source) if source in set(Source) else Source.SYSTEM,
        user=membership.user,
        role=membership.role,
        rule="lifecycle change",
    )


@transaction.atomic
def handoff_close_outside(
    *,
    workspace_id: int,
    contact_id: int,
    user_id: int | None = None,
    source: str = "",
    why: str = "",
) -> Handoff | None:
    """Close the contact's open handoff after a lifecycle change outside the handoff took it out
    of MQL (a person on the contact page, an import, a re-score), so the lead does not sit in
    the inbox, breach and escalate. The move decides how: forward (SAL, SQL, opportunity,
    customer, or any stage after MQL) → accepted, by whoever moved it; disqualified → rejected
    with the reason "other"; recycled, lead, subscriber (or any stage before MQL) → recycled to
    nurture, with no re-engagement date. The clock ends as on any decision. Nothing happens if
    the contact is an MQL again by now, or has no open handoff. Returns the closed handoff."""
    handoff = (
        Handoff.objects.for_workspace(workspace_id)
        .select_for_update(of=("self",))
        .select_related("contact", "agreement")
        .filter(contact_id=contact_id, status=HandoffStatus.OPEN)
        .first()
    )
    if handoff is None or handoff.contact.lifecycle_stage == "mql":
        return None
    stage = handoff.contact.lifecycle_stage
    positions = dict(
        LifecycleStage.objects.for_workspace(workspace_id).values_list("key", "position")
    )
    note = f"moved to {stage} outside the handoff" + (f": {why}" if why else "")
    fields: dict[str, Any] = {"comment": note[:MAX_COMMENT]}
    if stage == ReasonOutcome.DISQUALIFIED:
        status = HandoffStatus.REJECTED
        fields["reason"] = other_reason(workspace_id)
    elif stage != ReasonOutcome.RECYCLED and positions.get(stage, -1) > positions.get("mql", 0):
        status = HandoffStatus.ACCEPTED
    else:
        status = HandoffStatus.RECYCLED
    actor = _outside_actor(workspace_id, user_id, source)
    return close_handoff(actor, handoff, status, **fields)
