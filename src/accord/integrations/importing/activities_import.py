"""Importing activities (calls, emails, meetings, notes) through the activity service.

A row of an Accord export matches the activity with its `id`. Otherwise (and when no activity of
the workspace has that id) — activities carry no external id — a row matches an existing
activity by (kind, contact, occurred at, subject); for an activity logged on a deal only, by
(kind, deal, occurred at, subject). The contact (by email) and the deal (by name, or by its
Accord id in an export's `deal_id`) must exist."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from accord.crm.models import Activity, ActivityKind, ActivityOutcome, Direction
from accord.crm.selectors import activity_list, deal_list
from accord.crm.services.activities import ACTIVITY_FIELDS, activity_create, activity_update
from accord.identity.actor import Actor
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.references import Contacts, Members
from accord.integrations.importing.registry import register
from accord.integrations.importing.service_import import (
    CREATED,
    UPDATED,
    Prepared,
    RowCheck,
    ServiceImporter,
    by_accord_id,
    current_values,
    decide,
)
from accord.integrations.importing.vocabulary import ACTIVITY_KINDS

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")
_DIRECTIONS = {"in": "inbound", "incoming": "inbound", "out": "outbound", "outgoing": "outbound"}
_UPDATABLE = ("user_id", "direction", "outcome", "body", "deal_id")


def _time_of_day(text: str) -> dt.time | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4].lower() == "pm" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


@dataclass
class ActivityItem(Prepared):
    custom: dict[str, Any]
    accord_id: int | None = None


@register("activities")
class ActivityImporter(ServiceImporter):
    record_type = "activities"
    field_targets = {
        "user_id": ("user",),
        "contact_id": ("contact_email",),
        "deal_id": ("deal", "deal_id"),
    }

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        super().__init__(actor, mapping, on_match=on_match, rule=rule)
        self.members = Members(actor.workspace)
        self.contacts = Contacts(actor.workspace)
        self._deals: dict[str, list[int]] = {}
        self._deal_ids: dict[int, bool] = {}

    def build(self, check: RowCheck, custom: dict[str, str]) -> ActivityItem | None:
        fields: dict[str, Any] = {}
        kind = check.choice(
            "kind", self.translate, ActivityKind.values, vocabulary=ACTIVITY_KINDS, what="type"
        )
        if kind is None and "kind" not in check.failed:
            check.fail("kind", "The activity type is required (call, email, meeting or note).")
        if kind is not None:
            fields["kind"] = kind
        if (occurred_at := self._occurred_at(check)) is not None:
            fields["occurred_at"] = occurred_at
        self._subject(check, fields)
        if (user_id := self.members.resolve(check, "user")) is not None:
            fields["user_id"] = user_id
        direction = check.choice(
            "direction", self.translate, Direction.values, vocabulary=_DIRECTIONS, what="direction"
        )
        outcome = check.choice("outcome", self.translate, ActivityOutcome.values, what="outcome")
        for name, value in (
            ("direction", direction),
            ("outcome", outcome),
            ("subject", check.get("subject")),
            ("body", check.get("body")),
        ):
            if value is not None:
                fields[name] = value
        accord_id = check.accord_id()
        custom_fields = check.custom_fields(custom)
        cleaned = check.clean(ACTIVITY_FIELDS, fields, self.workspace.pk, required=["kind"])
        if cleaned is None or check.errors:
            return None
        if (external_id := check.get("external_id")) is not None:
            # Activities have no external-id field: keep the source system's id with the record.
            custom_fields["external_id"] = external_id
        return ActivityItem(check.row, cleaned, custom_fields, accord_id)

    def _occurred_at(self, check: RowCheck) -> dt.datetime | None:
        """When it happened; a separate time column (Pipedrive's 'Due time') completes a date."""
        text = check.require("occurred_at", "The activity date")
        when = check.datetime("occurred_at")
        time_text = check.get("occurred_time")
        if when is None or text is None or time_text is None or ":" in text:
            return when
        time = _time_of_day(time_text)
        if time is None:
            check.fail("occurred_time", f"'{time_text}' is not a time of day (use HH:MM).")
            return None
        return dt.datetime.combine(when.date(), time, when.tzinfo)

    def _subject(self, check: RowCheck, fields: dict[str, Any]) -> None:
        """The contact and/or deal the activity is logged on (at least one)."""
        contact_id = self.contacts.resolve(check, "contact_email", required=False)
        deal_id = self._deal(check)
        if contact_id is not None:
            fields["contact_id"] = contact_id
        if deal_id is not None:
            fields["deal_id"] = deal_id
        if contact_id is None and deal_id is None and not {"contact_email", "deal"} & check.failed:
            check.fail("contact_email", "An activity needs a contact (their email) or a deal.")

    def _deal(self, check: RowCheck) -> int | None:
        if check.get("deal_id") is not None:
            return self._deal_by_id(check)
        text = check.get("deal")
        if text is None:
            return None
        key = text.lower()
        if key not in self._deals:
            self._deals[key] = list(
                deal_list(self.workspace)
                .filter(name__iexact=text)
                .order_by("pk")
                .values_list("pk", flat=True)[:2]
            )
        found = self._deals[key]
        if len(found) != 1:
            problem = "no deal" if not found else "more than one deal"
            check.fail("deal", f"There is {problem} named '{text}' in this workspace.")
            return None
        return found[0]

    def _deal_by_id(self, check: RowCheck) -> int | None:
        """The deal an Accord export's `deal_id` names (its id in this workspace)."""
        text = check.get("deal_id") or ""
        deal_id = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0
        if deal_id and deal_id not in self._deal_ids:
            self._deal_ids[deal_id] = deal_list(self.workspace).filter(pk=deal_id).exists()
        if not deal_id or not self._deal_ids[deal_id]:
            check.fail("deal_id", f"There is no deal with id '{text}' in this workspace.")
            return None
        return deal_id

    def key(self, item: ActivityItem) -> str:
        if item.accord_id is not None:
            return f"accord id {item.accord_id}"
        v = item.values
        on = f"contact {v['contact_id']}" if v.get("contact_id") else f"deal {v.get('deal_id')}"
        return f"{v['kind']} {on} {v['occurred_at'].isoformat()} {v.get('subject', '')}"

    def _find(self, values: dict[str, Any]) -> Activity | None:
        found = activity_list(self.workspace).filter(
            kind=values["kind"],
            occurred_at=values["occurred_at"],
            subject=values.get("subject", ""),
        )
        if values.get("contact_id"):
            found = found.filter(contact_id=values["contact_id"])
        else:
            found = found.filter(contact__isnull=True, deal_id=values["deal_id"])
        return found.order_by("pk").first()

    def save(self, item: ActivityItem) -> str:
        existing = by_accord_id(
            activity_list(self.workspace),
            item.accord_id,
            item.values,
            ("contact_id", "occurred_at"),
        )
        by_id = existing is not None
        existing = existing or self._find(item.values)
        if existing is None:
            values = {**item.values, "custom_fields": item.custom} if item.custom else item.values
            activity_create(actor=self.actor, values=values)
            return CREATED
        # Matched by its id, an activity may get any field from the row (its subject, time …);
        # matched by those, only the others.
        wanted = {k: v for k, v in item.values.items() if by_id or k in _UPDATABLE}
        current = current_values(existing, (*wanted, "custom_fields"))
        decision = decide(current, wanted, self.on_match, custom=item.custom)
        if decision.outcome == UPDATED:
            activity_update(actor=self.actor, activity_id=existing.pk, values=decision.changes)
        return decision.outcome
