"""Who may do what with joint meetings. The identity permissions table has no meeting action,
so the matrix lives here, next to the services it guards (fail closed: a role not listed is
refused):

| action                                                        | roles                    |
|---------------------------------------------------------------|--------------------------|
| read meetings, agendas, notes, decisions, action items        | every member             |
| generate the agenda, notes, decisions, add / complete / drop / | admin, manager, sales    |
| reassign action items                                          | rep, SDR, marketer       |
| set the cadence, schedule, cancel, mark held                   | admin, manager           |

Trusted system actors (the demo, the worker) may do everything.
"""

from __future__ import annotations

from accord.core.errors import PermissionDenied
from accord.identity.actor import Actor
from accord.identity.models import Role
from accord.identity.permissions import Action

PARTICIPANTS = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES_REP, Role.SDR, Role.MARKETER})
ORGANISERS = frozenset({Role.ADMIN, Role.MANAGER})


def _allowed(actor: Actor, roles: frozenset[Role]) -> bool:
    if actor.user is None:
        return actor.can(Action.READ)  # trusted system sources only
    return actor.role in roles


def can_participate(actor: Actor) -> bool:
    return _allowed(actor, PARTICIPANTS)


def can_organise(actor: Actor) -> bool:
    return _allowed(actor, ORGANISERS)


def require_participant(actor: Actor) -> None:
    if not can_participate(actor):
        raise PermissionDenied(
            f"Your role ({actor.role or 'none'}) reads meetings only: notes, decisions and "
            "action items are for the teams' members."
        )


def require_organiser(actor: Actor) -> None:
    if not can_organise(actor):
        raise PermissionDenied(
            f"Your role ({actor.role or 'none'}) does not organise meetings: ask a manager or "
            "an admin to set the cadence, schedule, cancel or mark a meeting held."
        )
