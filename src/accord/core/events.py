"""Domain events, published by services after their transaction commits.

A service calls `publish(...)` inside its transaction; subscribers (outbound webhooks, Slack,
later the alignment feed) are called only once the transaction has committed, so nobody hears
of a change that was rolled back. Subscribers register explicitly at app start-up
(`subscribe`), which keeps the flow visible, unlike model signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import data_version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    workspace_id: int
    name: str  # e.g. "contact.became_mql", "deal.won", "import.finished"
    data: dict[str, Any]
    occurred_at: str = field(default_factory=lambda: timezone.now().isoformat())


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []

# The events Accord publishes, with a line each for the webhook settings page.
EVENT_NAMES: dict[str, str] = {
    "contact.created": "A contact was created",
    "contact.updated": "A contact's fields were changed",
    "contact.stage_changed": "A contact moved to another lifecycle stage",
    "contact.became_mql": "A contact became a marketing qualified lead",
    "contact.became_sql": "A contact became a sales qualified lead",
    "contacts.became_mql": "A batch of contacts became MQLs (a re-score)",
    "contacts.became_sql": "A batch of contacts became SQLs",
    "touchpoint.recorded": "A marketing touchpoint was recorded for a contact",
    "touchpoints.recorded": "A batch of touchpoints was recorded (inbound events)",
    "touchpoint.changed": "A touchpoint was corrected or deleted",
    "activity.logged": "A sales activity was logged on a contact",
    "activity.changed": "A sales activity was corrected or deleted",
    "handoff.assigned": "An MQL was handed to a seller (or the fallback queue)",
    "handoff.decided": "Sales accepted, rejected or recycled a handed-off lead",
    "handoff.escalated": "An SLA breach or an unassigned lead was escalated",
    "deal.created": "A deal was created",
    "deal.won": "A deal was won",
    "deal.lost": "A deal was lost",
    "deal.recognised": "Marketing's part in a won deal: the campaigns and marketers credited",
    "import.finished": "An import finished (or failed)",
    "member.added": "Someone was added to the workspace",
    "member.removed": "A member was removed from the workspace (their open leads are requeued)",
    "digest.weekly": "The weekly digest: last week's headline numbers for both teams",
}


_muted = threading.local()


@contextmanager
def muted(*names: str) -> Iterator[None]:
    """Drop the named events published by this thread inside the block. Bulk work (an import
    calling a per-row service) publishes one summary event instead of one per row."""
    before: frozenset[str] = getattr(_muted, "names", frozenset())
    _muted.names = before | frozenset(names)
    try:
        yield
    finally:
        _muted.names = before


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def publish(workspace_id: int, name: str, data: dict[str, Any]) -> None:
    data_version.bump(workspace_id)  # even when muted: the records changed all the same
    if name in getattr(_muted, "names", frozenset()):
        return
    event = Event(workspace_id=workspace_id, name=name, data=data)

    def deliver() -> None:
        for subscriber in list(_subscribers):
            try:
                subscriber(event)
            except Exception:  # one failing subscriber must not stop the others
                logger.exception("event subscriber %r failed for %s", subscriber, name)

    transaction.on_commit(deliver)
