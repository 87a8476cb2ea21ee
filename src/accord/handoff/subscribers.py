"""The handoff's event subscriber: a new MQL is routed to sales, a contact moved out of MQL
outside the handoff has its open handoff closed, a logged touch counts on its SLA clock, and a
removed member's open leads return to the fallback queue — each once the publishing
transaction has committed."""

from __future__ import annotations

from accord.core.events import Event


def on_event(event: Event) -> None:
    from accord.handoff.assignment import route_contacts, route_contacts_isolated
    from accord.handoff.clocks import record_touch
    from accord.handoff.departures import requeue_leads_of_former_members
    from accord.handoff.outside_decisions import handoff_close_outside

    data = event.data
    if event.name == "contact.became_mql" and not data.get("bulk"):
        route_contacts(
            event.workspace_id,
            [int(data["contact_id"])],
            definition_version=str(data.get("definition_version") or ""),
        )
    elif event.name == "contacts.became_mql":
        # A batch: one lead that cannot be routed must not keep the others from sales.
        route_contacts_isolated(
            event.workspace_id,
            [int(i) for i in data["contact_ids"]],
            definition_version=str(data.get("definition_version") or ""),
        )
    elif event.name == "contact.stage_changed" and data.get("from_stage") == "mql":
        # Left MQL: closed by the handoff's own decision already, or else closed here.
        handoff_close_outside(
            workspace_id=event.workspace_id,
            contact_id=int(data["contact_id"]),
            user_id=data.get("actor_user_id"),
            source=str(data.get("source") or ""),
            why=str(data.get("reason") or ""),
        )
    elif event.name == "member.removed":
        requeue_leads_of_former_members(event.workspace_id)
    elif event.name == "activity.logged":
        record_touch(event.workspace_id, int(data["activity_id"]))
