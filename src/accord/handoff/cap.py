"""The buyer's side of the SLA, enforced: before a touch is logged, count the contact's touches
in every rolling window that would hold it — sales calls, emails and meetings plus marketing
email sends; the windows after it too, for a touch logged with an earlier time — and warn when
one more would exceed the agreed cap. Confirmed anyway, the touch is logged and the violation
recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from accord.core.errors import NeedsConfirmation
from accord.crm.models import Activity
from accord.handoff.agreements import active_agreement
from accord.handoff.clocks import TOUCH_KINDS
from accord.handoff.contact_cap import ContactCap
from accord.handoff.models import ContactCapViolation
from accord.identity.actor import Actor
from accord.marketing.models import Touchpoint, TouchpointType

WARNING = "contact_cap"


@dataclass(frozen=True)
class CapStatus:
    limit: int
    window_hours: float
    touches_in_window: int  # before the new touch, in the fullest window that would hold it
    next_allowed: dt.datetime  # the earliest moment one more touch stays within the cap
    agreement_id: int  # the active agreement that set the cap

    @property
    def would_exceed(self) -> bool:
        return self.touches_in_window >= self.limit


def touch_times(
    workspace_id: int, contact_id: int, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    sales = Activity.objects.for_workspace(workspace_id).filter(
        contact_id=contact_id, kind__in=TOUCH_KINDS, occurred_at__gt=since, occurred_at__lte=until
    )
    sends = Touchpoint.objects.for_workspace(workspace_id).filter(
        contact_id=contact_id,
        type=TouchpointType.EMAIL_SEND,
        occurred_at__gt=since,
        occurred_at__lte=until,
    )
    return sorted(
        [*sales.values_list("occurred_at", flat=True), *sends.values_list("occurred_at", flat=True)]
    )


def cap_status(workspace_id: int, contact_id: int, at: dt.datetime) -> CapStatus | None:
    """None when no SLA agreement is active (no cap agreed)."""
    active = active_agreement(workspace_id)
    if active is None:
        return None
    buyer = active[1].buyer
    cap = ContactCap(buyer.max_touches, dt.timedelta(hours=buyer.window_hours))
    # Every window holding `at` lies in (at - W, at + W).
    touches = touch_times(workspace_id, contact_id, at - cap.window, at + cap.window)
    return CapStatus(
        limit=cap.limit,
        window_hours=buyer.window_hours,
        touches_in_window=cap.peak_with(touches, at),
        next_allowed=cap.next_allowed(touches, at),
        agreement_id=active[0].pk,
    )


def contact_cap_check(
    actor: Actor, cleaned: Mapping[str, Any], confirmed: frozenset[str]
) -> Callable[[Activity], None] | None:
    """Registered with crm's activity checks (see `HandoffConfig.ready`)."""
    contact_id = cleaned.get("contact_id")
    if contact_id is None or cleaned.get("kind") not in TOUCH_KINDS:
        return None
    at = cleaned["occurred_at"]
    status = cap_status(actor.workspace.pk, contact_id, at)
    if status is None or not status.would_exceed:
        return None
    if WARNING not in confirmed:
        if status.next_allowed > at:
            zone = ZoneInfo(actor.workspace.timezone)
            local = status.next_allowed.astimezone(zone)
            when = (
                f"The next touch within the cap is possible from {local:%d %b %H:%M} ({zone.key})."
            )
        else:  # it is the touches logged after this one's time that fill the window
            when = "Touches logged after this time fill that window."
        raise NeedsConfirmation(
            f"This would be touch {status.touches_in_window + 1} of this contact within "
            f"{status.window_hours:g} hours; the SLA allows {status.limit}. {when} Confirm to "
            "log it anyway (it will be recorded as a violation).",
            warning=WARNING,
            details={
                "touches_in_window": status.touches_in_window,
                "limit": status.limit,
                "window_hours": status.window_hours,
                "next_allowed": status.next_allowed.isoformat(),
            },
        )

    def record(activity: Activity) -> None:
        ContactCapViolation.objects.create(
            workspace=actor.workspace,
            contact_id=contact_id,
            activity=activity,
            user_id=activity.user_id,
            touches=status.touches_in_window + 1,
            limit=status.limit,
            window_hours=status.window_hours,
            agreement_id=status.agreement_id,
            occurred_at=at,
        )

    return record
