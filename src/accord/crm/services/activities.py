"""Activities (calls, emails, meetings, notes): logged, edited and removed only here."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core import copy_changes
from accord.core.errors import ValidationFailed
from accord.core.events import publish
from accord.crm.models import Activity, ActivityKind, ActivityOutcome, Contact, Deal, Direction
from accord.crm.services.records import apply, locked
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action

ACTIVITY_FIELDS: dict[str, c.Cleaner] = {
    "kind": c.Choice(ActivityKind, required=True),
    "user_id": member,
    "contact_id": c.Ref(Contact, "contact"),
    "deal_id": c.Ref(Deal, "deal"),
    "direction": c.Choice(Direction),
    "outcome": c.Choice(ActivityOutcome),
    "subject": c.Text(200),
    "body": c.Text(20_000),
    "occurred_at": c.datetime,
    "custom_fields": c.json_object,
}


# A check runs before an activity is written: it may refuse the write (raise, e.g.
# `NeedsConfirmation` when the buyer's contact cap would be exceeded) or return a callback run
# with the saved activity in the same transaction (to record a confirmed violation). Contexts
# above crm register theirs at start-up, as they subscribe to events.
type ActivityCheck = Callable[
    [Actor, Mapping[str, Any], frozenset[str]], Callable[[Activity], None] | None
]
_checks: list[ActivityCheck] = []


def register_activity_check(check: ActivityCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def _needs_subject(cleaned: dict[str, Any]) -> None:
    if not cleaned.get("contact_id") and not cleaned.get("deal_id"):
        raise ValidationFailed(
            "An activity is logged on a contact, a deal, or both.",
            fields={"contact_id": ["Give a contact_id or a deal_id."]},
        )


@transaction.atomic
def activity_create(
    *, actor: Actor, values: Mapping[str, Any], confirmed: Collection[str] = ()
) -> Activity:
    """Log an activity. `confirmed` names the warnings the user has seen and accepted (e.g.
    "contact_cap"); without them a registered check may refuse the write."""
    actor.require(Action.WRITE_RECORDS)
    cleaned = c.clean(
        ACTIVITY_FIELDS,
        values,
        actor.workspace.pk,
        required=["kind"],
        extra_checks=[_needs_subject],
    )
    if not cleaned.get("user_id") and actor.user is not None:
        cleaned["user_id"] = actor.user.pk
    cleaned["occurred_at"] = cleaned.get("occurred_at") or timezone.now()
    accepted = frozenset(confirmed)
    after = [callback for check in _checks if (callback := check(actor, cleaned, accepted))]
    activity = Activity.objects.create(workspace=actor.workspace, **cleaned)
    for callback in after:
        callback(activity)
    if activity.contact_id is not None:
        publish(
            actor.workspace.pk,
            "activity.logged",
            {"activity_id": activity.pk, "contact_id": activity.contact_id, "kind": activity.kind},
        )
    return activity


@transaction.atomic
def activity_update(*, actor: Actor, activity_id: int, values: Mapping[str, Any]) -> Activity:
    actor.require(Action.WRITE_RECORDS)
    activity = locked(Activity, actor, activity_id, "activity")
    cleaned = c.clean(ACTIVITY_FIELDS, values, actor.workspace.pk)
    merged = {"contact_id": activity.contact_id, "deal_id": activity.deal_id, **cleaned}
    _needs_subject(merged)
    if "occurred_at" in cleaned and cleaned["occurred_at"] is None:
        raise ValidationFailed.single("occurred_at", "This field is required.")
    before = activity.contact_id
    if changed := apply(activity, cleaned):
        activity.save(update_fields=[*changed, "updated_at"])
        copy_changes.note(Activity._meta.db_table, [activity.pk])  # copies feed it by id
        _publish_change(actor, activity, "updated", changed, {before, activity.contact_id})
    return activity


def _publish_change(
    actor: Actor, activity: Activity, change: str, fields: list[str], contacts: set[int | None]
) -> None:
    """An activity on a contact changed or went: its engagement score may move."""
    people = sorted(c for c in contacts if c is not None)
    if people:
        publish(
            actor.workspace.pk,
            "activity.changed",
            {"activity_id": activity.pk, "change": change, "fields": fields,
             "contact_ids": people},
        )  # fmt: skip


@transaction.atomic
def activity_delete(*, actor: Actor, activity_id: int) -> None:
    actor.require(Action.DELETE_RECORDS)
    activity = locked(Activity, actor, activity_id, "activity")
    # No subject, body or custom fields: what was said to a person does not live on in the log.
    kept = ["kind", "user", "contact", "deal", "direction", "outcome", "occurred_at", "created_at"]
    before = audit.snapshot(activity, kept)
    label = f"activity {activity.pk}"
    audit.record(actor, "activity.deleted", activity, label=label, before=before)
    _publish_change(actor, activity, "deleted", [], {activity.contact_id})
    copy_changes.note(Activity._meta.db_table, [activity.pk])
    activity.delete()
