"""REST endpoints of marketing: campaigns with their cost entries, touchpoints, and a contact's
timeline (touchpoints, activities and lifecycle changes in one list)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, ResultList, aware, money
from accord.core.channels import Channel
from accord.crm.selectors import contact_get
from accord.marketing import selectors, services
from accord.marketing.models import (
    Campaign,
    CampaignCost,
    CampaignType,
    Touchpoint,
    TouchpointType,
)

router = Router()


# Campaigns ---------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    name: str
    channel: Channel
    type: CampaignType
    start_date: dt.date | None
    end_date: dt.date | None
    budget: str = Field(description="Decimal amount as a string with two decimals.")
    currency: str
    utm_campaign: str
    owner_id: int | None = Field(description="The marketer credited for the campaign's touches.")
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_budget(obj: Campaign) -> str:
        return money(obj.budget)


class CampaignPatch(InSchema):
    name: str | None = Field(None, description="Unique in the workspace.")
    channel: str | None = None
    type: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = Field(None, description="Not before start_date.")
    budget: Decimal | None = Field(None, description="Not negative; number or string.")
    currency: str | None = Field(None, description="ISO 4217; default: the workspace's.")
    utm_campaign: str | None = None
    owner_id: int | None = Field(
        None, description="A member of the workspace (a marketer): credited in recognition."
    )
    custom_fields: dict[str, Any] | None = None


class CampaignIn(CampaignPatch):
    name: str
    channel: str


class CampaignListParams(ListParams):
    ordering: Literal[
        "created_at", "-created_at", "name", "-name", "start_date", "-start_date",
    ] = "-created_at"  # fmt: skip
    q: str = Field("", description="Search in the name.")
    channel: Channel | None = None
    type: CampaignType | None = None
    active_on: dt.date | None = Field(None, description="Running on this date.")

    def filters(self) -> selectors.CampaignFilters:
        return selectors.CampaignFilters(
            q=self.q,
            channel=self.channel or "",
            type=self.type or "",
            active_on=self.active_on,
        )


@router.get("/campaigns", response=Page[CampaignOut], tags=["campaigns"])
def list_campaigns(request: HttpRequest, params: Query[CampaignListParams]) -> PageResult[Campaign]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.campaign_list(workspace, params.filters()), params)


@router.post("/campaigns", response={201: CampaignOut}, tags=["campaigns"])
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[Any]:
    actor = request_actor(request)
    campaign = services.campaign_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.campaign_get(actor.workspace, campaign.pk))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, tags=["campaigns"])
def get_campaign(request: HttpRequest, campaign_id: RecordId) -> Campaign:
    return selectors.campaign_get(request_membership(request).workspace, campaign_id)


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, tags=["campaigns"])
def update_campaign(
    request: HttpRequest, campaign_id: RecordId, payload: CampaignPatch
) -> Campaign:
    actor = request_actor(request)
    services.campaign_update(actor=actor, campaign_id=campaign_id, values=payload.to_values())
    return selectors.campaign_get(actor.workspace, campaign_id)


@router.delete("/campaigns/{campaign_id}", response={204: None}, tags=["campaigns"])
def delete_campaign(request: HttpRequest, campaign_id: RecordId) -> Status[None]:
    """Delete a campaign and its cost entries; its touchpoints stay, without a campaign."""
    services.campaign_delete(actor=request_actor(request), campaign_id=campaign_id)
    return Status(204, None)


class CampaignCostOut(Schema):
    id: int
    campaign_id: int
    date: dt.date
    amount: str = Field(description="Decimal amount as a string with two decimals.")
    currency: str
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_amount(obj: CampaignCost) -> str:
        return money(obj.amount)


class CampaignCostIn(InSchema):
    date: dt.date
    amount: Decimal = Field(description="Not negative; number or string.")
    currency: str | None = Field(None, description="ISO 4217; default: the campaign's.")
    note: str | None = None


class CampaignCostListParams(ListParams):
    ordering: Literal["date", "-date"] = "date"


@router.get("/campaigns/{campaign_id}/costs", response=Page[CampaignCostOut], tags=["campaigns"])
def list_campaign_costs(
    request: HttpRequest, campaign_id: RecordId, params: Query[CampaignCostListParams]
) -> PageResult[CampaignCost]:
    workspace = request_membership(request).workspace
    campaign = selectors.campaign_get(workspace, campaign_id)
    return paginate_params(selectors.campaign_costs(workspace, campaign.pk), params)


@router.post("/campaigns/{campaign_id}/costs", response={201: CampaignCostOut}, tags=["campaigns"])
def add_campaign_cost(
    request: HttpRequest, campaign_id: RecordId, payload: CampaignCostIn
) -> Status[Any]:
    """Record money spent on the campaign on one date."""
    actor = request_actor(request)
    cost = services.campaign_cost_add(
        actor=actor, campaign_id=campaign_id, values=payload.to_values()
    )
    return Status(201, cost)


# Touchpoints -------------------------------------------------------------------------------


class TouchpointOut(Schema):
    id: int
    contact_id: int
    campaign_id: int | None
    campaign_name: str | None
    channel: Channel
    type: TouchpointType
    occurred_at: dt.datetime
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    landing_page: str
    referrer: str
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_campaign_name(obj: Touchpoint) -> str | None:
        return obj.campaign.name if obj.campaign is not None else None


class TouchpointPatch(InSchema):
    contact_id: RecordId | None = None
    campaign_id: RecordId | None = None
    channel: str | None = Field(None, description="Default: the campaign's channel.")
    type: str | None = None
    occurred_at: dt.datetime | None = Field(None, description="Default: now.")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    landing_page: str | None = None
    referrer: str | None = None
    custom_fields: dict[str, Any] | None = None


class TouchpointIn(TouchpointPatch):
    contact_id: RecordId
    type: str


class TouchpointListParams(ListParams):
    ordering: Literal["occurred_at", "-occurred_at", "created_at", "-created_at"] = "-occurred_at"
    contact_id: RecordId | None = None
    campaign_id: RecordId | None = None
    channel: Channel | None = None
    type: TouchpointType | None = None
    after: dt.datetime | None = Field(None, description="occurred_at on or after (inclusive).")
    before: dt.datetime | None = Field(None, description="occurred_at before (exclusive).")

    def filters(self) -> selectors.TouchpointFilters:
        return selectors.TouchpointFilters(
            contact_id=self.contact_id,
            campaign_id=self.campaign_id,
            channel=self.channel or "",
            type=self.type or "",
            after=aware(self.after),
            before=aware(self.before),
        )


@router.get("/touchpoints", response=Page[TouchpointOut], tags=["touchpoints"])
def list_touchpoints(
    request: HttpRequest, params: Query[TouchpointListParams]
) -> PageResult[Touchpoint]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.touchpoint_list(workspace, params.filters()), params)


@router.post("/touchpoints", response={201: TouchpointOut}, tags=["touchpoints"])
def create_touchpoint(request: HttpRequest, payload: TouchpointIn) -> Status[Any]:
    actor = request_actor(request)
    touchpoint = services.touchpoint_create(actor=actor, values=payload.to_values())
    return Status(201, selectors.touchpoint_get(actor.workspace, touchpoint.pk))


@router.get("/touchpoints/{touchpoint_id}", response=TouchpointOut, tags=["touchpoints"])
def get_touchpoint(request: HttpRequest, touchpoint_id: RecordId) -> Touchpoint:
    return selectors.touchpoint_get(request_membership(request).workspace, touchpoint_id)


@router.patch("/touchpoints/{touchpoint_id}", response=TouchpointOut, tags=["touchpoints"])
def update_touchpoint(
    request: HttpRequest, touchpoint_id: RecordId, payload: TouchpointPatch
) -> Touchpoint:
    actor = request_actor(request)
    services.touchpoint_update(actor=actor, touchpoint_id=touchpoint_id, values=payload.to_values())
    return selectors.touchpoint_get(actor.workspace, touchpoint_id)


@router.delete("/touchpoints/{touchpoint_id}", response={204: None}, tags=["touchpoints"])
def delete_touchpoint(request: HttpRequest, touchpoint_id: RecordId) -> Status[None]:
    services.touchpoint_delete(actor=request_actor(request), touchpoint_id=touchpoint_id)
    return Status(204, None)


# A contact's timeline ----------------------------------------------------------------------


class TimelineItemOut(Schema):
    kind: Literal["touchpoint", "activity", "lifecycle"]
    occurred_at: dt.datetime
    title: str
    detail: str
    actor: str
    record_id: int = Field(description="The id of the touchpoint, activity or ledger entry.")


@router.get(
    "/contacts/{contact_id}/timeline", response=ResultList[TimelineItemOut], tags=["contacts"]
)
def get_contact_timeline(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """Touchpoints, activities and lifecycle changes of one contact, oldest first (not
    paginated)."""
    workspace = request_membership(request).workspace
    contact = contact_get(workspace, contact_id)
    return {"results": selectors.contact_timeline(workspace, contact)}
