"""Revenue goals: the write path (set, delete) and the reads behind the API, CLI and pages.

A goal is one revenue number for one month or quarter, for the whole workspace or one company-
size segment; setting a goal for a period and segment that already has one replaces its
revenue, look-back and note. Only managers and admins set and delete goals (the goal is what
both teams commit to); every member reads them. Bad input writes nothing and names each field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accord.core import cleaning as c
from accord.core.channels import Channel
from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
from accord.core.money import parse_amount
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.permissions import Action
from accord.metrics.models import QUARTER_MONTHS, Goal, GoalPeriod, GoalSegment

# Roles that may set and delete goals. The permissions table (identity.permissions) has no
# goal action yet, so the rule lives here, next to the only services it guards.
LOOKBACK_MIN, LOOKBACK_MAX, LOOKBACK_DEFAULT = 30, 1095, 365


def can_set_goals(actor: Actor) -> bool:
    """Managers and admins; trusted system jobs (the demo, rules) too."""
    return actor.can(Action.SET_GOALS)


def _require_setter(actor: Actor) -> None:
    if not can_set_goals(actor):
        raise PermissionDenied(
            f"Your role ({actor.role or 'none'}) does not allow setting goals: "
            "ask a manager or an admin."
        )


def _revenue(value: Any, field: str, workspace_id: int) -> Decimal:
    if value is None or value == "" or isinstance(value, bool):
        raise ValidationFailed.single(field, "Give the revenue goal as an amount, e.g. 250000.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.single(field, f"'{value}' is not an amount.") from None
    if number.is_finite() and number <= 0:
        raise ValidationFailed.single(field, "The revenue goal must be more than 0.")
    amount = parse_amount(number, field=field)  # finite, to the cent, at most MAX_AMOUNT
    if amount <= 0:
        raise ValidationFailed.single(field, "The revenue goal must be at least 0.01.")
    return amount


def _lookback(value: Any, field: str, workspace_id: int) -> int:
    if value is None or value == "":
        return LOOKBACK_DEFAULT
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValidationFailed.single(field, "Expected a whole number of days.")
    try:
        days = int(str(value).strip()) if not isinstance(value, float) else int(value)
    except ValueError:
        raise ValidationFailed.single(field, f"'{value}' is not a whole number of days.") from None
    if not LOOKBACK_MIN <= days <= LOOKBACK_MAX:
        raise ValidationFailed.single(
            field, f"The look-back must be {LOOKBACK_MIN} to {LOOKBACK_MAX} days, not {days}."
        )
    return days


def _channels(value: Any, field: str, workspace_id: int) -> list[str]:
    """A channel mix: a list (or comma-separated text) of original sources; empty for all."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationFailed.single(field, "Give the channels as a list, e.g. webinar,event.")
    chosen = [str(item).strip() for item in items if str(item).strip()]
    unknown = [item for item in chosen if item not in Channel.values]
    if unknown:
        raise ValidationFailed.single(
            field,
            f"Not a channel: {', '.join(unknown)} (choose from {', '.join(Channel.values)}).",
        )
    return sorted(set(chosen))


EARLIEST_GOAL = dt.date(2000, 1, 1)
LATEST_GOAL = dt.date(2999, 10, 1)  # the last quarter's first day


def _period_start(value: Any, field: str, workspace_id: int) -> dt.date:
    day = c.date(value, field, workspace_id)
    if day is None:
        raise ValidationFailed.single(field, "This field is required.")
    # Its plan reads up to three years of history before it, and metrics run from 1900.
    if not EARLIEST_GOAL <= day <= LATEST_GOAL:
        raise ValidationFailed.single(
            field,
            f"A goal's period starts between {EARLIEST_GOAL.isoformat()} and "
            f"{LATEST_GOAL.isoformat()}, not {day.isoformat()}.",
        )
    return day


GOAL_FIELDS: dict[str, c.Cleaner] = {
    "period": c.Choice(GoalPeriod, required=True),
    "period_start": _period_start,
    "revenue": _revenue,
    "segment": c.Choice(GoalSegment),
    "lookback_days": _lookback,
    "channels": _channels,
    "note": c.Text(500),
}


def _starts_its_period(cleaned: dict[str, Any]) -> None:
    start: dt.date = cleaned["period_start"]
    if cleaned["period"] == GoalPeriod.QUARTER:
        if start.day != 1 or start.month not in QUARTER_MONTHS:
            raise ValidationFailed.single(
                "period_start",
                "A quarter's goal starts on the first day of its quarter (1 January, 1 April, "
                f"1 July or 1 October), not {start.isoformat()}.",
            )
    elif start.day != 1:
        first = start.replace(day=1).isoformat()
        raise ValidationFailed.single(
            "period_start",
            f"A month's goal starts on the first day of its month ({first}), "
            f"not {start.isoformat()}.",
        )


def _one_scope(cleaned: dict[str, Any]) -> None:
    """The history is broken down one way: by segment or by channel, not both at once."""
    if cleaned.get("segment") and cleaned.get("channels"):
        raise ValidationFailed.single(
            "channels", "A goal plans from one segment or from a channel mix, not both."
        )


def _storable(values: Mapping[str, Any]) -> None:
    """PostgreSQL cannot store NUL characters: say so instead of failing on the write."""
    note = values.get("note")
    if isinstance(note, str) and "\x00" in note:
        raise ValidationFailed.single("note", "Text cannot contain NUL (\\u0000) characters.")


def goal_set(*, actor: Actor, values: Mapping[str, Any]) -> Goal:
    """`goal_save`'s goal."""
    return goal_save(actor=actor, values=values)[0]


@transaction.atomic
def goal_save(*, actor: Actor, values: Mapping[str, Any]) -> tuple[Goal, bool]:
    """Create the goal for `values`' period and segment, or replace that goal's revenue,
    look-back and note; with whether it was created, decided under the row lock, so that
    callers racing to set the same period's goal are told truly which one created it.
    Fields: period ('month' | 'quarter'), period_start (the first day of the month or
    quarter), revenue (> 0), segment ('' for all, 'smb', 'mid_market', 'enterprise'),
    lookback_days (30-1095, default 365), channels (the channel mix the history is drawn from:
    original sources, empty for all; not with a segment), note."""
    _require_setter(actor)
    _storable(values)
    cleaned = c.clean(
        GOAL_FIELDS,
        values,
        actor.workspace.pk,
        required=("period", "period_start", "revenue"),
        extra_checks=(_starts_its_period, _one_scope),
    )
    key = {
        "workspace": actor.workspace,
        "period": cleaned["period"],
        "period_start": cleaned["period_start"],
        "segment": cleaned.get("segment", ""),
    }
    existing = Goal.objects.for_workspace(actor.workspace).select_for_update().filter(**key).first()
    fields = ["period", "period_start", "segment", "revenue", "lookback_days", "channels", "note"]
    if existing is None:
        goal = Goal.objects.create(
            **key,
            revenue=cleaned["revenue"],
            lookback_days=cleaned.get("lookback_days", LOOKBACK_DEFAULT),
            channels=cleaned.get("channels", []),
            note=cleaned.get("note", ""),
            created_by=actor.user,
        )
        audit.record(actor, "goal.created", goal, after=audit.snapshot(goal, fields))
        return goal, True
    before = audit.snapshot(existing, fields)
    existing.revenue = cleaned["revenue"]
    changed = ["revenue", "updated_at"]
    for name in ("lookback_days", "channels", "note"):
        if name in cleaned:
            setattr(existing, name, cleaned[name])
            changed.append(name)
    existing.save(update_fields=changed)
    old, new = audit.changes(before, audit.snapshot(existing, fields))
    if new:
        audit.record(actor, "goal.changed", existing, before=old, after=new)
    return existing, False


@transaction.atomic
def goal_delete(*, actor: Actor, goal_id: int) -> None:
    _require_setter(actor)
    goal = (
        Goal.objects.for_workspace(actor.workspace).select_for_update().filter(pk=goal_id).first()
    )
    if goal is None:
        raise NotFound(f"No goal with id {goal_id} in this workspace.")
    audit.record(actor, "goal.deleted", goal, before=audit.all_fields(goal))
    goal.delete()


# Reads -------------------------------------------------------------------------------------


def goal_list(workspace: Workspace | int) -> QuerySet[Goal]:
    """The workspace's goals, latest period first."""
    return Goal.objects.for_workspace(workspace).select_related("created_by")


def goal_get(workspace: Workspace | int, goal_id: int) -> Goal:
    goal = goal_list(workspace).filter(pk=goal_id).first()
    if goal is None:
        raise NotFound(f"No goal with id {goal_id} in this workspace.")
    return goal


def goals_containing(workspace: Workspace | int, day: dt.date) -> list[Goal]:
    """The goals whose month or quarter contains `day` (months first, then by segment)."""
    candidates = goal_list(workspace).filter(
        period_start__lte=day, period_start__gt=day - dt.timedelta(days=93)
    )
    found = [g for g in candidates if g.contains(day)]
    return sorted(found, key=lambda g: (g.period != GoalPeriod.MONTH, g.segment))
