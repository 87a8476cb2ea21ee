"""REST endpoints of the CRM: companies."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, SmallCount
from accord.crm import selectors
from accord.crm.api.rendering import display_name
from accord.crm.models import (
    Company,
)
from accord.crm.services import companies

router = Router()


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
        return display_name(obj.owner)


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
