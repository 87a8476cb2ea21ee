"""Importing deals (opportunities) through the deal service.

A row of an Accord export matches the deal with its `id`. Otherwise (and when no deal of the
workspace has that id) a row matches an existing deal by external id, else by name
(case-insensitive) and company (a deal with another external id is another deal, even with the
same name).
The company a row names (by name or domain) is created through the company service when it does
not exist yet; that is logged, and not counted among the imported deals. The primary contact
must exist (by email, or by unique full name where an export gives names)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.core.channels import Channel
from accord.crm.models import Deal, DealOutcome
from accord.crm.selectors import deal_list
from accord.crm.services.bulk import BatchCounts
from accord.crm.services.deals import DEAL_FIELDS, deal_create, deal_update
from accord.identity.actor import Actor
from accord.integrations.importing.deal_stages import StageBook, StageRef
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.references import Companies, Contacts, Members, domain_of
from accord.integrations.importing.registry import register
from accord.integrations.importing.service_import import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Prepared,
    RowCheck,
    ServiceImporter,
    by_accord_id,
    current_values,
    decide,
)
from accord.integrations.importing.vocabulary import CHANNELS

logger = logging.getLogger(__name__)


@dataclass
class DealItem(Prepared):
    company: tuple[str, str] | None  # (domain, name) of the company the row names
    custom: dict[str, Any]
    accord_id: int | None = None


@register("deals")
class DealImporter(ServiceImporter):
    record_type = "deals"
    field_targets = {
        "owner_id": ("owner",),
        "company_id": ("company_name", "company_domain"),
        "primary_contact_id": ("contact_email",),
        "stage_id": ("stage", "status"),
        "pipeline_id": ("pipeline",),
    }

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        super().__init__(actor, mapping, on_match=on_match, rule=rule)
        self.members = Members(actor.workspace)
        self.contacts = Contacts(actor.workspace)
        self.companies = Companies(actor)
        self.stages = StageBook(actor.workspace)

    def build(self, check: RowCheck, custom: dict[str, str]) -> DealItem | None:
        fields: dict[str, Any] = {"name": check.get("name") or ""}
        for name in ("currency", "close_reason", "external_id"):
            if (text := check.get(name)) is not None:
                fields[name] = text
        if (amount := check.amount("amount")) is not None:
            fields["amount"] = amount
        source = check.choice(
            "source", self.translate, Channel.values, vocabulary=CHANNELS, what="source"
        )
        if source is not None:
            fields["source"] = source
        if (owner_id := self.members.resolve(check, "owner")) is not None:
            fields["owner_id"] = owner_id
        stage = self.stages.resolve(check, self.translate)
        if stage is not None:
            fields["pipeline_id"], fields["stage_id"] = stage.pipeline_id, stage.id
        contact_id = self.contacts.resolve(check, "contact_email", required=False, names=True)
        if contact_id is not None:
            fields["primary_contact_id"] = contact_id
        company = self._company(check, fields)
        self._dates(check, fields, stage)
        accord_id = check.accord_id()
        custom_fields = check.custom_fields(custom)
        cleaned = check.clean(DEAL_FIELDS, fields, self.workspace.pk, required=["name"])
        if cleaned is None or check.errors:
            return None
        cleaned.pop("company_id", None)  # resolved again when written: the import may create it
        return DealItem(check.row, cleaned, company, custom_fields, accord_id)

    def _company(self, check: RowCheck, fields: dict[str, Any]) -> tuple[str, str] | None:
        domain = domain_of(check, "company_domain")
        name = check.get("company_name") or ""
        if len(name) > 200:
            check.fail("company_name", f"At most 200 characters (got {len(name)}).")
            return None
        if not (domain or name):
            return None
        company_id = self.companies.find_id(domain, name)
        if company_id is not None:
            fields["company_id"] = company_id
        return domain, name

    @staticmethod
    def _dates(check: RowCheck, fields: dict[str, Any], stage: StageRef | None) -> None:
        """Created, closed and expected close dates. An open deal has no close time: a close
        date given for it (HubSpot's 'Close Date') is its expected close date; a closed deal
        with only a close date (Salesforce's 'CloseDate') closed on that day."""
        created = check.datetime("created_at")
        closed = check.datetime("closed_at")
        expected = check.date("expected_close_date")
        if stage is None or stage.is_open:
            if closed is not None and expected is None:
                expected = closed.date()
            closed = None
        elif closed is None and expected is not None:
            closed = dt.datetime.combine(expected, dt.time(), dt.UTC)
        for name, value in (
            ("created_at", created),
            ("closed_at", closed),
            ("expected_close_date", expected),
        ):
            if value is not None:
                fields[name] = value

    def key(self, item: DealItem) -> str:
        if item.accord_id is not None:
            return f"accord id {item.accord_id}"
        if external_id := item.values.get("external_id"):
            return f"id {external_id}"
        domain, name = item.company or ("", "")
        return f"deal {item.values['name'].lower()} at {domain or name.lower()}"

    def _find(self, values: dict[str, Any]) -> Deal | None:
        deals = deal_list(self.workspace).order_by("pk")
        if external_id := values.get("external_id"):
            found = deals.filter(external_id=external_id).first()
            if found is not None:
                return found
            deals = deals.filter(external_id="")  # a deal with another id is another deal
        company_id: int | None = values.get("company_id")
        same_name = deals.filter(name__iexact=values["name"])
        if company_id is None:
            return same_name.filter(company__isnull=True).first()
        return same_name.filter(company_id=company_id).first()

    def save(self, item: DealItem) -> str:
        values = dict(item.values)
        if item.company is not None:
            values["company_id"] = self.companies.ensure(*item.company)
        existing = by_accord_id(
            deal_list(self.workspace), item.accord_id, values, ("name", "external_id")
        ) or self._find(values)
        if existing is None:
            if item.custom:
                values["custom_fields"] = item.custom
            deal_create(actor=self.actor, values=values)
            return CREATED
        values.pop("created_at", None)  # the creation time of a deal is fixed
        current = current_values(existing, (*values, "custom_fields"))
        decision = decide(current, values, self.on_match, custom=item.custom)
        changes = decision.changes
        if self.stages.outcome_of(changes.get("stage_id", existing.stage_id)) == DealOutcome.OPEN:
            changes.pop("closed_at", None)  # a deal that stays open keeps no close time
        if decision.outcome != UPDATED:
            return decision.outcome
        if not changes:
            return UNCHANGED
        deal_update(actor=self.actor, deal_id=existing.pk, values=changes)
        return UPDATED

    def write(self, items: Sequence[Any]) -> BatchCounts:
        before = self.companies.created
        counts = super().write(items)
        if created := self.companies.created - before:
            logger.info(
                "%s: created %d company record(s) for accounts named by deal rows",
                self.rule,
                created,
            )
        return counts
