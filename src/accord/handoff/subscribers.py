"""The handoff's event subscriber: a new MQL is routed to sales, a logged touch counts on its
SLA clock, and a removed member's open leads return to the fallback queue — each once the
publishing transaction has committed."""

from __future__ import annotations

from accord.core.events import Event


def on_event(event: Event) -> None:
    from accord.handoff.assignment import route_contacts
    from accord.handoff.clocks import record_touch
    from accord.handoff.departures import requeue_leads_of_former_members

    data = event.data
    if event.name == "contact.became_mql" and not data.get("bulk"):
        route_contacts(
            event.workspace_id,
            [int(data["contact_id"])],
            definition_version=str(data.get("definition_version") or ""),
        )
    elif event.name == "contacts.became_mql":
        route_contacts(
            event.workspace_id,
            [int(i) for i in data["contact_ids"]],
            definition_version=str(data.get("definition_version") or ""),
        )
    elif event.name == "member.removed":
        requeue_leads_of_former_members(event.workspace_id)
    elif event.name == "activity.logged":
        record_touch(event.workspace_id, int(data["activity_id"]))
