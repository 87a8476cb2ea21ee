"""Attribution's event subscriber: a won deal is recognised once its transaction commits.

Kept apart from `services` so that registering it at start-up loads nothing heavy: the
attribution models pull in numpy, scipy and the metric catalogue, which every process (a CLI
command, an import, a web worker) would otherwise pay for in start-up time and memory."""

from __future__ import annotations

from accord.core.events import Event


def on_event(event: Event) -> None:
    """Recognise a deal as soon as it is won."""
    if event.name == "deal.won" and isinstance(event.data.get("deal_id"), int):
        from accord.attribution.services import on_deal_won

        on_deal_won(event)
