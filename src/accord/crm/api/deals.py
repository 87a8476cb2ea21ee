"""REST endpoints of the CRM: deals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, aware, money
from accord.core.channels import Channel
from accord.crm import selectors
from accord.crm.api.rendering import display_name
from accord.crm.models import (
    Deal,
    DealOutcome,
)
from accord.crm.services import deals

router = Router()


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
        return display_name(obj.owner)

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
