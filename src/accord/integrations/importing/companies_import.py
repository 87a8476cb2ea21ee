"""Importing companies (accounts) through the company service.

A row of an Accord export matches the company with its `id`. Otherwise, and when no company of
the workspace has that id, a row matches an existing company by normalised web domain, else by
external id, else by name
(case-insensitive) — for a row with a domain, only a company with no domain yet (one a deal
import created by name, say), which gets the domain under fill-empty or overwrite. A created
date (HubSpot's 'Create Date') is set on a new company only: a matched company keeps its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.crm.selectors import company_list
from accord.crm.services.companies import COMPANY_FIELDS, company_create, company_update
from accord.identity.actor import Actor
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.references import Companies, Members, country_code, domain_of
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

# Fields a matched company may be updated with (custom fields are merged separately).
_UPDATABLE = ("name", "domain", "industry", "employee_count", "country", "owner_id", "external_id")


@dataclass
class CompanyItem(Prepared):
    custom: dict[str, Any]
    accord_id: int | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        values = self.values
        return values.get("domain", ""), values.get("external_id", ""), values["name"]


@register("companies")
class CompanyImporter(ServiceImporter):
    record_type = "companies"
    field_targets = {"owner_id": ("owner",)}

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        super().__init__(actor, mapping, on_match=on_match, rule=rule)
        self.members = Members(actor.workspace)
        self.companies = Companies(actor)

    def build(self, check: RowCheck, custom: dict[str, str]) -> CompanyItem | None:
        fields: dict[str, Any] = {"name": check.get("name") or ""}
        for name in ("industry", "external_id"):
            if (text := check.get(name)) is not None:
                fields[name] = text
        if (domain := domain_of(check, "domain")) != "":
            fields["domain"] = domain
        if (employees := check.integer("employee_count")) is not None:
            fields["employee_count"] = employees
        if (country := country_code(check, "country")) is not None:
            fields["country"] = country
        if (owner_id := self.members.resolve(check, "owner")) is not None:
            fields["owner_id"] = owner_id
        if (created_at := check.datetime("created_at")) is not None:
            fields["created_at"] = created_at  # used on creation only: it is fixed after that
        accord_id = check.accord_id()
        custom_fields = check.custom_fields(custom)
        cleaned = check.clean(COMPANY_FIELDS, fields, self.workspace.pk, required=["name"])
        if cleaned is None or check.errors:
            return None
        return CompanyItem(check.row, cleaned, custom_fields, accord_id)

    def key(self, item: CompanyItem) -> str:
        if item.accord_id is not None:
            return f"accord id {item.accord_id}"
        domain, external_id, name = item.identity
        if domain:
            return f"domain {domain}"
        if external_id:
            return f"id {external_id}"
        return f"name {name.lower()}"

    def save(self, item: CompanyItem) -> str:
        domain, external_id, name = item.identity
        existing = by_accord_id(
            company_list(self.workspace), item.accord_id, item.values, ("domain", "name")
        )
        if existing is None:
            existing = self.companies.find(domain=domain, external_id=external_id, name=name)
        if existing is None:
            values = {**item.values, "custom_fields": item.custom} if item.custom else item.values
            company_create(actor=self.actor, values=values)
            return CREATED
        wanted = {k: v for k, v in item.values.items() if k in _UPDATABLE}
        current = current_values(existing, (*_UPDATABLE, "custom_fields"))
        decision = decide(current, wanted, self.on_match, custom=item.custom)
        if decision.outcome == UPDATED:
            company_update(actor=self.actor, company_id=existing.pk, values=decision.changes)
        return decision.outcome
