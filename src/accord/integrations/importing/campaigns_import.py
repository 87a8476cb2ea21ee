"""Importing campaigns through the marketing service.

A row of an Accord export matches the campaign with its `id` (and may rename it); otherwise
(and when no campaign of the workspace has that id) a row matches an existing campaign by name
(case-insensitive). A channel is given by its key or
a common name ("Google Ads", "Trade Show"); the campaign type, when the file has none, follows
from the channel. An actual cost (Salesforce's 'Actual Cost') becomes one cost entry, dated the
campaign's end date (else its start date, else today): on a new campaign, or, on a matched one,
for the difference between the file's figure and the costs already recorded — so importing the
same file again adds nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accord.core.channels import Channel
from accord.core.errors import ValidationFailed
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.registry import register
from accord.integrations.importing.service_import import (
    CENT,
    CREATED,
    UPDATED,
    Prepared,
    RowCheck,
    ServiceImporter,
    by_accord_id,
    current_values,
    decide,
)
from accord.integrations.importing.vocabulary import CAMPAIGN_TYPES, CHANNEL_CAMPAIGN_TYPE, CHANNELS
from accord.marketing.models import Campaign, CampaignType
from accord.marketing.selectors import campaign_costs, campaign_list
from accord.marketing.services import (
    CAMPAIGN_FIELDS,
    campaign_cost_add,
    campaign_create,
    campaign_update,
)

_COST = "actual_cost"  # compared like a field: the file's figure against the recorded total


@dataclass
class CampaignItem(Prepared):
    actual_cost: Decimal | None
    type_given: bool  # False: the type was derived from the channel, only used for new ones
    custom: dict[str, Any]
    accord_id: int | None = None


@register("campaigns")
class CampaignImporter(ServiceImporter):
    record_type = "campaigns"

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        if not actor.can(Action.MANAGE_CAMPAIGNS):
            raise ValidationFailed(
                f"Your role ({actor.role or 'none'}) does not allow managing campaigns, so it "
                "cannot import them."
            )
        super().__init__(actor, mapping, on_match=on_match, rule=rule)

    def build(self, check: RowCheck, custom: dict[str, str]) -> CampaignItem | None:
        fields: dict[str, Any] = {"name": check.get("name") or ""}
        channel = check.choice(
            "channel", self.translate, Channel.values, vocabulary=CHANNELS, what="channel"
        )
        kind = check.choice(
            "type", self.translate, CampaignType.values, vocabulary=CAMPAIGN_TYPES, what="type"
        )
        if channel is not None:
            fields["channel"] = channel
        if kind is not None or channel is not None:
            fields["type"] = kind or CHANNEL_CAMPAIGN_TYPE.get(channel or "", CampaignType.OTHER)
        for name, value in (
            ("start_date", check.date("start_date")),
            ("end_date", check.date("end_date")),
            ("budget", check.amount("budget")),
            ("currency", check.get("currency")),
            ("utm_campaign", check.get("utm_campaign")),
        ):
            if value is not None:
                fields[name] = value
        actual_cost = check.amount(_COST)
        accord_id = check.accord_id()
        custom_fields = check.custom_fields(custom)
        cleaned = check.clean(CAMPAIGN_FIELDS, fields, self.workspace.pk, required=["name"])
        if "channel" not in check.failed and channel is None:
            check.fail("channel", "A channel is required (e.g. paid_search, email, event).")
        if cleaned is None or check.errors:
            return None
        item = CampaignItem(
            check.row,
            cleaned,
            actual_cost,
            type_given=kind is not None,
            custom=custom_fields,
            accord_id=accord_id,
        )
        self._check_against_existing(check, item)
        return None if check.errors else item

    def _check_against_existing(self, check: RowCheck, item: CampaignItem) -> None:
        """What the service would refuse when the row is written over the existing campaign:
        dates out of order, or an actual cost below the costs already recorded."""
        existing = self._find(item)
        if existing is None:
            start, end = item.values.get("start_date"), item.values.get("end_date")
        else:
            wanted, current = self._compare(existing, item)
            changes = decide(current, wanted, self.on_match, custom=item.custom).changes
            start = changes.get("start_date", existing.start_date)
            end = changes.get("end_date", existing.end_date)
            if _COST in changes and changes[_COST] < current[_COST]:
                check.fail(
                    _COST,
                    f"The campaign's recorded costs already total {current[_COST]}; an import "
                    "only adds costs (remove cost entries in Accord to lower the total).",
                )
        if start and end and end < start:
            check.fail("end_date", "The end date is before the start date.")

    def key(self, item: CampaignItem) -> str:
        if item.accord_id is not None:
            return f"accord id {item.accord_id}"
        return str(item.values["name"]).lower()

    def _find(self, item: CampaignItem) -> Campaign | None:
        campaigns = campaign_list(self.workspace)
        found = by_accord_id(campaigns, item.accord_id, item.values, ("name", "utm_campaign"))
        if found is not None:
            return found
        return campaigns.filter(name__iexact=item.values["name"]).order_by("pk").first()

    def _compare(
        self, existing: Campaign, item: CampaignItem
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(what the row says, what the campaign has), over the fields the row gives."""
        wanted = {
            k: v
            for k, v in item.values.items()
            if k != "name" or (item.accord_id is not None and existing.pk == item.accord_id)
        }
        if not item.type_given:
            wanted.pop("type", None)
        current = current_values(existing, (*wanted, "custom_fields"))
        if item.actual_cost is not None:
            wanted[_COST] = item.actual_cost
            recorded = campaign_costs(self.workspace, existing.pk).aggregate(total=Sum("amount"))
            current[_COST] = Decimal(recorded["total"] or 0).quantize(CENT)
        return wanted, current

    def _add_cost(self, campaign: Campaign, amount: Decimal) -> None:
        day: dt.date = campaign.end_date or campaign.start_date or timezone.now().date()
        campaign_cost_add(
            actor=self.actor,
            campaign_id=campaign.pk,
            values={"date": day, "amount": amount, "note": "Actual cost (import)"},
        )

    def save(self, item: CampaignItem) -> str:
        existing = self._find(item)
        if existing is None:
            values = {**item.values, "custom_fields": item.custom} if item.custom else item.values
            campaign = campaign_create(actor=self.actor, values=values)
            if item.actual_cost:
                self._add_cost(campaign, item.actual_cost)
            return CREATED
        wanted, current = self._compare(existing, item)
        decision = decide(current, wanted, self.on_match, custom=item.custom)
        if decision.outcome != UPDATED:
            return decision.outcome
        changes = dict(decision.changes)
        cost = changes.pop(_COST, None)
        campaign = existing
        if changes:
            campaign = campaign_update(actor=self.actor, campaign_id=existing.pk, values=changes)
        if cost is not None and cost > current[_COST]:
            self._add_cost(campaign, cost - current[_COST])
        return UPDATED
