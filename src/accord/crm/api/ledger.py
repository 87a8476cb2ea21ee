"""REST endpoints of the CRM: the lifecycle ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, aware
from accord.crm import selectors
from accord.crm.api.rendering import display_name
from accord.crm.models import (
    LedgerEntry,
)
from accord.crm.services import ledger

router = Router()


class LedgerEntryOut(Schema):
    id: int
    contact_id: int
    from_stage: str = Field(description="Empty for a contact's first entry.")
    to_stage: str
    occurred_at: dt.datetime
    actor_user_id: int | None
    actor: str = Field(description="Who moved the contact: a user's name, a rule, or a source.")
    source: str = Field(description="web, api, cli, import, rule, demo or system.")
    rule: str
    definition_version: str
    reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: LedgerEntry) -> str:
        return display_name(obj.actor_user) or obj.rule or obj.source


class ContactLedgerParams(ListParams):
    ordering: Literal["occurred_at", "-occurred_at"] = "occurred_at"
    to_stage: str = ""
    from_stage: str = ""
    source: str = ""
    after: dt.datetime | None = Field(None, description="occurred_at on or after (inclusive).")
    before: dt.datetime | None = Field(None, description="occurred_at before (exclusive).")

    def filters(self, contact_id: int | None = None) -> selectors.LedgerFilters:
        return selectors.LedgerFilters(
            contact_id=contact_id,
            to_stage=self.to_stage,
            from_stage=self.from_stage,
            source=self.source,
            after=aware(self.after),
            before=aware(self.before),
        )


class LedgerListParams(ContactLedgerParams):
    contact_id: RecordId | None = None


@router.get("/ledger", response=Page[LedgerEntryOut], tags=["ledger"])
def list_ledger(request: HttpRequest, params: Query[LedgerListParams]) -> PageResult[LedgerEntry]:
    """Every lifecycle transition of the workspace, oldest first by default."""
    workspace = request_membership(request).workspace
    filters = params.filters(contact_id=params.contact_id)
    return paginate_params(selectors.ledger_list(workspace, filters), params)


@router.get("/contacts/{contact_id}/ledger", response=Page[LedgerEntryOut], tags=["ledger"])
def list_contact_ledger(
    request: HttpRequest, contact_id: RecordId, params: Query[ContactLedgerParams]
) -> PageResult[LedgerEntry]:
    workspace = request_membership(request).workspace
    contact = selectors.contact_get(workspace, contact_id)
    filters = params.filters(contact_id=contact.pk)
    return paginate_params(selectors.ledger_list(workspace, filters), params)


class LifecycleChangeIn(InSchema):
    to_stage: str = Field(description="A lifecycle stage key of the workspace, e.g. 'mql'.")
    reason: str = Field("", description="Why, in a sentence (at most 500 characters).")


class LifecycleChangeOut(Schema):
    changed: bool = Field(description="False when the contact was already in that stage.")
    lifecycle_stage: str = Field(description="The contact's stage after the request.")
    entry: LedgerEntryOut | None = Field(description="The new ledger entry, or null.")


@router.post(
    "/contacts/{contact_id}/lifecycle",
    response={201: LifecycleChangeOut, 200: LifecycleChangeOut},
    tags=["ledger"],
)
def change_contact_lifecycle(
    request: HttpRequest, contact_id: RecordId, payload: LifecycleChangeIn
) -> Status[dict[str, Any]]:
    """Move a contact to another lifecycle stage. 201 with the new ledger entry; 200 with
    `changed: false` and no entry (nothing written) when the contact is already in that stage."""
    actor = request_actor(request)
    entry = ledger.change_stage(
        actor=actor, contact_id=contact_id, to_stage=payload.to_stage, reason=payload.reason
    )
    if entry is None:
        contact = selectors.contact_get(actor.workspace, contact_id)
        unchanged = {"changed": False, "lifecycle_stage": contact.lifecycle_stage, "entry": None}
        return Status(200, unchanged)
    return Status(201, {"changed": True, "lifecycle_stage": entry.to_stage, "entry": entry})
