"""REST endpoints of the CRM: contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, aware
from accord.core.channels import Channel
from accord.crm import selectors
from accord.crm.api.rendering import display_name
from accord.crm.models import (
    Contact,
    LeadStatus,
)
from accord.crm.services import contacts

router = Router()


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    full_name: str
    title: str
    seniority: str
    department: str
    phone: str
    company_id: int | None
    company_name: str | None
    country: str
    owner_id: int | None
    owner_name: str | None
    lifecycle_stage: str
    lead_status: str
    original_source: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_company_name(obj: Contact) -> str | None:
        return obj.company.name if obj.company is not None else None

    @staticmethod
    def resolve_owner_name(obj: Contact) -> str | None:
        return display_name(obj.owner)


class ContactPatch(InSchema):
    email: str | None = Field(None, description="Normalised to lower case; unique per workspace.")
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    seniority: str | None = None
    department: str | None = None
    phone: str | None = None
    company_id: RecordId | None = None
    country: str | None = None
    owner_id: RecordId | None = None
    lifecycle_stage: str | None = Field(
        None,
        description="A stage key of the workspace. A change is recorded in the ledger (use "
        "POST /contacts/{id}/lifecycle to give a reason).",
    )
    lead_status: str | None = None
    original_source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    custom_fields: dict[str, Any] | None = None


class ContactIn(ContactPatch):
    email: str
    lifecycle_stage: str | None = Field(None, description="Default: lead.")
    created_at: dt.datetime | None = Field(
        None, description="For imports of historical records; default: now."
    )


class ContactListParams(ListParams):
    ordering: Literal[
        "created_at", "-created_at", "updated_at", "-updated_at", "email", "-email",
        "last_name", "-last_name",
    ] = "-created_at"  # fmt: skip
    q: str = Field("", description="Search in email, names and company name.")
    lifecycle_stage: str = ""
    owner_id: RecordId | None = None
    company_id: RecordId | None = None
    original_source: Channel | None = None
    lead_status: LeadStatus | None = None
    country: str = ""
    created_after: dt.datetime | None = Field(None, description="Inclusive.")
    created_before: dt.datetime | None = Field(None, description="Exclusive.")

    def filters(self) -> selectors.ContactFilters:
        return selectors.ContactFilters(
            q=self.q,
            lifecycle_stage=self.lifecycle_stage,
            owner_id=self.owner_id,
            company_id=self.company_id,
            original_source=self.original_source or "",
            lead_status=self.lead_status or "",
            country=self.country,
            created_after=aware(self.created_after),
            created_before=aware(self.created_before),
        )


@router.get("/contacts", response=Page[ContactOut], tags=["contacts"])
def list_contacts(request: HttpRequest, params: Query[ContactListParams]) -> PageResult[Contact]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.contact_list(workspace, params.filters()), params)


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"])
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[Any]:
    actor = request_actor(request)
    contact = contacts.contact_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.contact_get(actor.workspace, contact.pk))


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def get_contact(request: HttpRequest, contact_id: RecordId) -> Contact:
    return selectors.contact_get(request_membership(request).workspace, contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def update_contact(request: HttpRequest, contact_id: RecordId, payload: ContactPatch) -> Contact:
    actor = request_actor(request)
    contacts.contact_update(actor=actor, contact_id=contact_id, values=payload.to_values())
    return selectors.contact_get(actor.workspace, contact_id)


@router.delete("/contacts/{contact_id}", response={204: None}, tags=["contacts"])
def delete_contact(request: HttpRequest, contact_id: RecordId) -> Status[None]:
    """Erase a contact with its touchpoints, activities and ledger rows."""
    contacts.contact_delete(actor=request_actor(request), contact_id=contact_id)
    return Status(204, None)
