"""Reads of the alignment survey used outside its own pages."""

from __future__ import annotations

from django.utils import timezone

from accord.alignment.models import Participation, Pulse, PulseStatus
from accord.identity.models import Membership, Role


def waiting_pulse(membership: Membership) -> Pulse | None:
    """The open pulse this member was asked in and has not answered, if any (admins and
    viewers are never asked: no query for them)."""
    if membership.role in (Role.ADMIN, Role.VIEWER):
        return None
    found = (
        Participation.objects.for_workspace(membership.workspace_id)
        .filter(
            user_id=membership.user_id,
            answered=False,
            pulse__status=PulseStatus.OPEN,
            pulse__closes_at__gt=timezone.now(),
        )
        .select_related("pulse")
        .order_by("-pulse__opened_at")
        .first()
    )
    return found.pulse if found else None
