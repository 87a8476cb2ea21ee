"""Companies (accounts): created, updated and deleted only here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accord.core import cleaning as c
from accord.core.errors import Conflict, ValidationFailed
from accord.crm.models import Company
from accord.crm.services.records import apply, locked
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action

COMPANY_FIELDS: dict[str, c.Cleaner] = {
    "name": c.Text(200, required=True),
    "domain": c.domain,
    "industry": c.Text(100),
    "employee_count": c.PositiveInt(10_000_000),
    "country": c.country,
    "owner_id": member,
    "external_id": c.Text(100),
    "custom_fields": c.json_object,
    "created_at": c.datetime,  # on creation only (imports of historical records)
}


def _check_domain_free(actor: Actor, domain: str, exclude_pk: int | None = None) -> None:
    if not domain:
        return
    clash = Company.objects.for_workspace(actor.workspace).filter(domain=domain)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    existing = clash.first()
    if existing is not None:
        raise Conflict(
            f"Company {existing.name} (id {existing.pk}) already has the domain {domain}.",
            fields={"domain": [f"Already used by company {existing.pk}."]},
        )


@transaction.atomic
def company_create(*, actor: Actor, values: Mapping[str, Any]) -> Company:
    actor.require(Action.WRITE_RECORDS)
    cleaned = c.clean(COMPANY_FIELDS, values, actor.workspace.pk, required=["name"])
    if cleaned.get("created_at") is None:
        cleaned.pop("created_at", None)
    _check_domain_free(actor, cleaned.get("domain", ""))
    return Company.objects.create(workspace=actor.workspace, **cleaned)


@transaction.atomic
def company_update(*, actor: Actor, company_id: int, values: Mapping[str, Any]) -> Company:
    actor.require(Action.WRITE_RECORDS)
    company = locked(Company, actor, company_id, "company")
    cleaned = c.clean(COMPANY_FIELDS, values, actor.workspace.pk)
    if "created_at" in cleaned:
        raise ValidationFailed.single("created_at", "The creation time cannot be changed.")
    if "name" in cleaned and not cleaned["name"]:
        raise ValidationFailed.single("name", "This field is required.")
    if "domain" in cleaned:
        _check_domain_free(actor, cleaned["domain"], exclude_pk=company.pk)
    if changed := apply(company, cleaned):
        company.save(update_fields=[*changed, "updated_at"])
    return company


@transaction.atomic
def company_delete(*, actor: Actor, company_id: int) -> None:
    """Delete a company. Its contacts and deals stay, with no company."""
    actor.require(Action.DELETE_RECORDS)
    company = locked(Company, actor, company_id, "company")
    audit.record(actor, "company.deleted", company, before=audit.all_fields(company))
    company.delete()
