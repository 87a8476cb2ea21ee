"""The lead definitions' event subscriber: scores follow the records. Apart from `rescoring`
so that start-up loads no scoring code (numpy and the evaluation modules) until an event that
can move a score arrives."""

from __future__ import annotations

from accord.core.events import Event

RESCORING_EVENTS = frozenset(
    {
        "contact.created",
        "contact.updated",
        "touchpoint.recorded",
        "touchpoints.recorded",
        "touchpoint.changed",
        "activity.logged",
        "activity.changed",
        "import.finished",
    }
)


def on_record_event(event: Event) -> None:
    if event.name in RESCORING_EVENTS:
        from accord.definitions.rescoring import on_record_event as rescore_on

        rescore_on(event)
