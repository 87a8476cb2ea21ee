"""Importing touchpoints (marketing interactions of contacts) through the marketing service.

The contact (by email) must exist, and so must the campaign when the row names one (by name,
case-insensitive); a row without a channel takes its campaign's. A row of an Accord export
matches the touchpoint with its `id`; otherwise (and when no touchpoint of the workspace has
that id) a row matches an existing touchpoint by (contact, type, occurred at, channel, and
campaign when given): an identical touchpoint is left as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.core.channels import Channel
from accord.identity.actor import Actor
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.references import Contacts
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
from accord.integrations.importing.vocabulary import CHANNELS, TOUCHPOINT_TYPES
from accord.marketing.models import Touchpoint, TouchpointType
from accord.marketing.selectors import campaign_list, touchpoint_list
from accord.marketing.services import TOUCHPOINT_FIELDS, touchpoint_create, touchpoint_update

_TEXT = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "landing_page",
    "referrer",
)


@dataclass
class TouchpointItem(Prepared):
    custom: dict[str, Any]
    accord_id: int | None = None


@register("touchpoints")
class TouchpointImporter(ServiceImporter):
    record_type = "touchpoints"
    field_targets = {"contact_id": ("contact_email",), "campaign_id": ("campaign",)}

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        super().__init__(actor, mapping, on_match=on_match, rule=rule)
        self.contacts = Contacts(actor.workspace)
        self._campaigns: dict[str, tuple[int, str] | None] = {}

    def build(self, check: RowCheck, custom: dict[str, str]) -> TouchpointItem | None:
        fields: dict[str, Any] = {}
        if (contact_id := self.contacts.resolve(check, "contact_email", required=True)) is not None:
            fields["contact_id"] = contact_id
        campaign = self._campaign(check)
        channel = check.choice(
            "channel", self.translate, Channel.values, vocabulary=CHANNELS, what="channel"
        )
        if campaign is not None:
            fields["campaign_id"] = campaign[0]
            channel = channel or campaign[1]
        if channel is not None:
            fields["channel"] = channel
        elif not {"channel", "campaign"} & check.failed:
            check.fail("channel", "Give a channel or the name of an existing campaign.")
        kind = check.choice(
            "type",
            self.translate,
            TouchpointType.values,
            vocabulary=TOUCHPOINT_TYPES,
            what="touchpoint type",
        )
        if kind is None and "type" not in check.failed:
            check.fail("type", "The touchpoint type is required (e.g. form_fill, ad_click).")
        if kind is not None:
            fields["type"] = kind
        if check.require("occurred_at", "The time of the touchpoint") is not None:
            fields["occurred_at"] = check.datetime("occurred_at")
        for name in _TEXT:
            if (text := check.get(name)) is not None:
                fields[name] = text
        accord_id = check.accord_id()
        custom_fields = check.custom_fields(custom)
        cleaned = check.clean(
            TOUCHPOINT_FIELDS, fields, self.workspace.pk, required=["contact_id", "type"]
        )
        if cleaned is None or check.errors:
            return None
        return TouchpointItem(check.row, cleaned, custom_fields, accord_id)

    def _campaign(self, check: RowCheck) -> tuple[int, str] | None:
        """(id, channel) of the campaign the row names."""
        name = check.get("campaign")
        if name is None:
            return None
        key = name.lower()
        if key not in self._campaigns:
            found = (
                campaign_list(self.workspace)
                .filter(name__iexact=name)
                .order_by("pk")
                .values_list("pk", "channel")
                .first()
            )
            self._campaigns[key] = found
        campaign = self._campaigns[key]
        if campaign is None:
            check.fail(
                "campaign", f"There is no campaign named '{name}' (import the campaigns first)."
            )
        return campaign

    def key(self, item: TouchpointItem) -> str:
        if item.accord_id is not None:
            return f"accord id {item.accord_id}"
        v = item.values
        return (
            f"{v['contact_id']} {v['type']} {v['occurred_at'].isoformat()} {v['channel']} "
            f"{v.get('campaign_id') or ''}"
        )

    def _find(self, values: dict[str, Any]) -> Touchpoint | None:
        found = touchpoint_list(self.workspace).filter(
            contact_id=values["contact_id"],
            type=values["type"],
            occurred_at=values["occurred_at"],
            channel=values["channel"],
        )
        if values.get("campaign_id"):
            found = found.filter(campaign_id=values["campaign_id"])
        return found.order_by("pk").first()

    def save(self, item: TouchpointItem) -> str:
        existing = by_accord_id(
            touchpoint_list(self.workspace),
            item.accord_id,
            item.values,
            ("contact_id", "occurred_at"),
        )
        existing = existing or self._find(item.values)
        if existing is None:
            values = {**item.values, "custom_fields": item.custom} if item.custom else item.values
            touchpoint_create(actor=self.actor, values=values)
            return CREATED
        wanted = {k: v for k, v in item.values.items() if k in _TEXT}
        current = current_values(existing, (*wanted, "custom_fields"))
        decision = decide(current, wanted, self.on_match, custom=item.custom)
        if decision.outcome == UPDATED:
            touchpoint_update(actor=self.actor, touchpoint_id=existing.pk, values=decision.changes)
        return decision.outcome
