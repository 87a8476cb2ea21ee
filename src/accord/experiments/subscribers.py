"""The experiments' event subscriber: a new contact joins the running hash-assigned
experiments. Apart from `services` so that start-up does not load the statistics code."""

from __future__ import annotations

from accord.core.events import Event


def on_event(event: Event) -> None:
    if event.name == "contact.created" and isinstance(event.data.get("contact_id"), int):
        from accord.experiments.services import on_contact_created

        on_contact_created(event)
