"""The marketing calendar's write path: add and edit entries. Managers and marketers (and
admins) do (`manage_campaigns`); everyone in the workspace, sellers included, reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accord.core import cleaning as c
from accord.core.errors import NotFound, ValidationFailed
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action
from accord.marketing.calendar_models import CalendarEntry, CalendarKind
from accord.marketing.models import Campaign

MAX_DAYS = 366

FIELDS: dict[str, c.Cleaner] = {
    "title": c.Text(200, required=True),
    "kind": c.Choice(CalendarKind, required=True),
    "campaign_id": c.Ref(Campaign, "campaign"),
    "start_date": c.date,
    "end_date": c.date,
    "expected_leads": c.PositiveInt(10_000_000),
    "expected_mqls": c.PositiveInt(10_000_000),
    "owner_id": member,
    "notes": c.Text(4000),
}


def _dates(cleaned: dict[str, Any]) -> None:
    start, end = cleaned.get("start_date"), cleaned.get("end_date")
    if start is None:
        raise ValidationFailed.single("start_date", "This field is required.")
    if end is None:
        cleaned["end_date"] = end = start
    if end < start:
        raise ValidationFailed.single("end_date", "The end date is before the start date.")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed.single("end_date", f"An entry spans at most {MAX_DAYS} days.")


@transaction.atomic
def calendar_create(*, actor: Actor, values: Mapping[str, Any]) -> CalendarEntry:
    actor.require(Action.MANAGE_CAMPAIGNS)
    cleaned = c.clean(
        FIELDS,
        values,
        actor.workspace.pk,
        required=["title", "kind", "start_date"],
        extra_checks=[_dates],
    )
    if cleaned.get("expected_leads") is None:
        cleaned["expected_leads"] = 0
    cleaned.setdefault("owner_id", actor.user.pk if actor.user else None)
    return CalendarEntry.objects.create(workspace=actor.workspace, **cleaned)


@transaction.atomic
def calendar_update(*, actor: Actor, entry_id: int, values: Mapping[str, Any]) -> CalendarEntry:
    actor.require(Action.MANAGE_CAMPAIGNS)
    entry = (
        CalendarEntry.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise NotFound(f"No calendar entry with id {entry_id} in this workspace.")
    current = {
        "start_date": entry.start_date,
        "end_date": entry.end_date,
    }

    def dates(cleaned: dict[str, Any]) -> None:
        merged = current | {k: v for k, v in cleaned.items() if k in current}
        if "start_date" in cleaned and "end_date" not in cleaned and cleaned["start_date"]:
            merged["end_date"] = max(merged["end_date"], cleaned["start_date"])
        _dates(merged)
        cleaned.update({k: merged[k] for k in current})

    cleaned = c.clean(FIELDS, values, actor.workspace.pk, extra_checks=[dates])
    for required in ("title", "kind"):
        if required in cleaned and not cleaned[required]:
            raise ValidationFailed.single(required, "This field is required.")
    if cleaned.get("expected_leads", 0) is None:
        cleaned["expected_leads"] = 0
    for name, value in cleaned.items():
        setattr(entry, name, value)
    entry.save()
    return entry
