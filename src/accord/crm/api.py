"""REST endpoints of the CRM: companies, contacts, deals, activities, the lifecycle ledger,
lifecycle stages and pipelines. Handlers are thin: parse, call a service or a selector with the
caller's workspace, render."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, ResultList, SmallCount, aware, money
from accord.core.channels import Channel
from accord.crm import selectors
from accord.crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    Deal,
    DealOutcome,
    LeadStatus,
    LedgerEntry,
)
from accord.crm.services import activities, companies, contacts, deals, ledger

router = Router()


def _name(user: Any) -> str | None:
    return user.display_name if user is not None else None


# Companies ---------------------------------------------------------------------------------


class CompanyOut(Schema):
    id: int
    name: str
    domain: str
    industry: str
    employee_count: int | None
    country: str
    owner_id: int | None
    owner_name: str | None
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner_name(obj: Company) -> str | None:
        return _name(obj.owner)


class CompanyPatch(InSchema):
    name: str | None = None
    domain: str | None = Field(None, description="A domain or a website URL; it is normalised.")
    industry: str | None = None
    employee_count: int | None = None
    country: str | None = Field(None, description="ISO 3166 two-letter code, e.g. DE.")
    owner_id: RecordId | None = Field(None, description="A user who is a workspace member.")
    custom_fields: dict[str, Any] | None = None


class CompanyIn(CompanyPatch):
    name: str
    created_at: dt.datetime | None = Field(
        None, description="For imports of historical records; default: now."
    )


class CompanyListParams(ListParams):
    ordering: Literal[
        "created_at", "-created_at", "updated_at", "-updated_at", "name", "-name",
        "employee_count", "-employee_count",
    ] = "-created_at"  # fmt: skip
    q: str = Field("", description="Search in name and domain.")
    industry: str = ""
    country: str = ""
    owner_id: RecordId | None = None
    min_employees: SmallCount | None = None
    max_employees: SmallCount | None = None

    def filters(self) -> selectors.CompanyFilters:
        return selectors.CompanyFilters(
            q=self.q,
            industry=self.industry,
            country=self.country,
            owner_id=self.owner_id,
            min_employees=self.min_employees,
            max_employees=self.max_employees,
        )


@router.get("/companies", response=Page[CompanyOut], tags=["companies"])
def list_companies(request: HttpRequest, params: Query[CompanyListParams]) -> PageResult[Company]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.company_list(workspace, params.filters()), params)


@router.post("/companies", response={201: CompanyOut}, tags=["companies"])
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[Any]:
    actor = request_actor(request)
    company = companies.company_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.company_get(actor.workspace, company.pk))


@router.get("/companies/{company_id}", response=CompanyOut, tags=["companies"])
def get_company(request: HttpRequest, company_id: RecordId) -> Company:
    return selectors.company_get(request_membership(request).workspace, company_id)


@router.patch("/companies/{company_id}", response=CompanyOut, tags=["companies"])
def update_company(request: HttpRequest, company_id: RecordId, payload: CompanyPatch) -> Company:
    actor = request_actor(request)
    companies.company_update(actor=actor, company_id=company_id, values=payload.to_values())
    return selectors.company_get(actor.workspace, company_id)


@router.delete("/companies/{company_id}", response={204: None}, tags=["companies"])
def delete_company(request: HttpRequest, company_id: RecordId) -> Status[None]:
    companies.company_delete(actor=request_actor(request), company_id=company_id)
    return Status(204, None)


# Contacts ----------------------------------------------------------------------------------


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
        return _name(obj.owner)


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


# The lifecycle ledger ----------------------------------------------------------------------


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
        return _name(obj.actor_user) or obj.rule or obj.source


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


# Deals -------------------------------------------------------------------------------------


class DealOut(Schema):
    id: int
    name: str
    pipeline_id: int
    pipeline_name: str
    stage_id: int
    stage_key: str
    stage_label: str
    status: DealOutcome
    amount: str = Field(description="Decimal amount as a string with two decimals.")
    currency: str
    owner_id: int | None
    owner_name: str | None
    company_id: int | None
    company_name: str | None
    primary_contact_id: int | None
    expected_close_date: dt.date | None
    closed_at: dt.datetime | None
    source: str
    close_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_pipeline_name(obj: Deal) -> str:
        return obj.pipeline.name

    @staticmethod
    def resolve_stage_key(obj: Deal) -> str:
        return obj.stage.key

    @staticmethod
    def resolve_stage_label(obj: Deal) -> str:
        return obj.stage.label

    @staticmethod
    def resolve_amount(obj: Deal) -> str:
        return money(obj.amount)

    @staticmethod
    def resolve_owner_name(obj: Deal) -> str | None:
        return _name(obj.owner)

    @staticmethod
    def resolve_company_name(obj: Deal) -> str | None:
        return obj.company.name if obj.company is not None else None


class DealPatch(InSchema):
    name: str | None = None
    pipeline_id: RecordId | None = Field(None, description="Default: the default pipeline.")
    stage_id: RecordId | None = Field(None, description="Default: the pipeline's first stage.")
    amount: Decimal | None = Field(None, description="Not negative; number or string.")
    currency: str | None = Field(None, description="ISO 4217; default: the workspace's.")
    owner_id: RecordId | None = None
    company_id: RecordId | None = None
    primary_contact_id: RecordId | None = None
    expected_close_date: dt.date | None = None
    closed_at: dt.datetime | None = None
    source: str | None = None
    close_reason: str | None = None


class DealIn(DealPatch):
    name: str
    created_at: dt.datetime | None = None


class DealListParams(ListParams):
    ordering: Literal[
        "created_at", "-created_at", "updated_at", "-updated_at", "name", "-name", "amount",
        "-amount", "expected_close_date", "-expected_close_date", "closed_at", "-closed_at",
    ] = "-created_at"  # fmt: skip
    q: str = Field("", description="Search in deal and company names.")
    status: DealOutcome | None = None
    pipeline_id: RecordId | None = None
    stage_id: RecordId | None = None
    owner_id: RecordId | None = None
    company_id: RecordId | None = None
    source: Channel | None = None
    closed_after: dt.datetime | None = None
    closed_before: dt.datetime | None = None

    def filters(self) -> selectors.DealFilters:
        return selectors.DealFilters(
            q=self.q,
            status=self.status or "",
            pipeline_id=self.pipeline_id,
            stage_id=self.stage_id,
            owner_id=self.owner_id,
            company_id=self.company_id,
            source=self.source or "",
            closed_after=aware(self.closed_after),
            closed_before=aware(self.closed_before),
        )


@router.get("/deals", response=Page[DealOut], tags=["deals"])
def list_deals(request: HttpRequest, params: Query[DealListParams]) -> PageResult[Deal]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.deal_list(workspace, params.filters()), params)


@router.post("/deals", response={201: DealOut}, tags=["deals"])
def create_deal(request: HttpRequest, payload: DealIn) -> Status[Any]:
    actor = request_actor(request)
    deal = deals.deal_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.deal_get(actor.workspace, deal.pk))


@router.get("/deals/{deal_id}", response=DealOut, tags=["deals"])
def get_deal(request: HttpRequest, deal_id: RecordId) -> Deal:
    return selectors.deal_get(request_membership(request).workspace, deal_id)


@router.patch("/deals/{deal_id}", response=DealOut, tags=["deals"])
def update_deal(request: HttpRequest, deal_id: RecordId, payload: DealPatch) -> Deal:
    """Moving a deal to a won or lost stage closes it; each stage or amount change is kept in
    the deal's history."""
    actor = request_actor(request)
    deals.deal_update(actor=actor, deal_id=deal_id, values=payload.to_values())
    return selectors.deal_get(actor.workspace, deal_id)


@router.delete("/deals/{deal_id}", response={204: None}, tags=["deals"])
def delete_deal(request: HttpRequest, deal_id: RecordId) -> Status[None]:
    deals.deal_delete(actor=request_actor(request), deal_id=deal_id)
    return Status(204, None)


# Activities --------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    user_id: int | None
    user_name: str | None
    contact_id: int | None
    deal_id: int | None
    direction: str
    outcome: str
    subject: str
    body: str
    occurred_at: dt.datetime
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_user_name(obj: Activity) -> str | None:
        return _name(obj.user)


class ActivityPatch(InSchema):
    kind: str | None = Field(None, description="call, email, meeting or note.")
    user_id: RecordId | None = Field(None, description="Default: the caller.")
    contact_id: RecordId | None = None
    deal_id: RecordId | None = None
    direction: str | None = None
    outcome: str | None = None
    subject: str | None = None
    body: str | None = None
    occurred_at: dt.datetime | None = Field(None, description="Default: now.")
    custom_fields: dict[str, Any] | None = None


class ActivityIn(ActivityPatch):
    kind: str = Field(description="call, email, meeting or note.")


class ActivityListParams(ListParams):
    ordering: Literal["occurred_at", "-occurred_at", "created_at", "-created_at"] = "-occurred_at"
    kind: ActivityKind | None = None
    user_id: RecordId | None = None
    contact_id: RecordId | None = None
    deal_id: RecordId | None = None
    after: dt.datetime | None = Field(None, description="occurred_at on or after (inclusive).")
    before: dt.datetime | None = Field(None, description="occurred_at before (exclusive).")

    def filters(self) -> selectors.ActivityFilters:
        return selectors.ActivityFilters(
            kind=self.kind or "",
            user_id=self.user_id,
            contact_id=self.contact_id,
            deal_id=self.deal_id,
            after=aware(self.after),
            before=aware(self.before),
        )


@router.get("/activities", response=Page[ActivityOut], tags=["activities"])
def list_activities(
    request: HttpRequest, params: Query[ActivityListParams]
) -> PageResult[Activity]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.activity_list(workspace, params.filters()), params)


@router.post("/activities", response={201: ActivityOut}, tags=["activities"])
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[Any]:
    actor = request_actor(request)
    activity = activities.activity_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.activity_get(actor.workspace, activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def get_activity(request: HttpRequest, activity_id: RecordId) -> Activity:
    return selectors.activity_get(request_membership(request).workspace, activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def update_activity(
    request: HttpRequest, activity_id: RecordId, payload: ActivityPatch
) -> Activity:
    actor = request_actor(request)
    activities.activity_update(actor=actor, activity_id=activity_id, values=payload.to_values())
    return selectors.activity_get(actor.workspace, activity_id)


@router.delete("/activities/{activity_id}", response={204: None}, tags=["activities"])
def delete_activity(request: HttpRequest, activity_id: RecordId) -> Status[None]:
    activities.activity_delete(actor=request_actor(request), activity_id=activity_id)
    return Status(204, None)


# Configuration (read-only) -----------------------------------------------------------------


class LifecycleStageOut(Schema):
    id: int
    key: str
    label: str
    position: int


class PipelineStageOut(Schema):
    id: int
    key: str
    label: str
    position: int
    probability: int = Field(description="Win probability in percent.")
    outcome: DealOutcome


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[PipelineStageOut]


@router.get("/lifecycle-stages", response=ResultList[LifecycleStageOut], tags=["configuration"])
def list_lifecycle_stages(request: HttpRequest) -> dict[str, Any]:
    """The workspace's lifecycle stages in funnel order (not paginated)."""
    return {"results": selectors.lifecycle_stages(request_membership(request).workspace)}


@router.get("/pipelines", response=ResultList[PipelineOut], tags=["configuration"])
def list_pipelines(request: HttpRequest) -> dict[str, Any]:
    """The workspace's deal pipelines, default first, each with its stages (not paginated)."""
    workspace = request_membership(request).workspace
    stages_of: dict[int, list[Any]] = defaultdict(list)
    for stage in selectors.pipeline_stages(workspace):
        stages_of[stage.pipeline_id].append(stage)
    return {
        "results": [
            {"id": p.pk, "name": p.name, "is_default": p.is_default, "stages": stages_of[p.pk]}
            for p in selectors.pipelines(workspace)
        ]
    }
