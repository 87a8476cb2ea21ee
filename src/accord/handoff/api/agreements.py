"""REST endpoints of SLA agreements: versions, proposal, two-sided approval, activation and
rollback, on the workflow lead definitions share."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.errors import ErrorOut
from accord.api.pagination import Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId
from accord.definitions.api import (
    ApprovalOut,
    DocumentPatch,
    RollbackIn,
    VersionListParams,
    VersionOut,
    version_detail,
)
from accord.handoff import agreements
from accord.handoff import api_queries as queries
from accord.handoff.models import SlaAgreement

router = Router(tags=["handoff"])


class AgreementOut(VersionOut):
    """An SLA agreement version."""


class AgreementDetailOut(AgreementOut):
    approvals: list[ApprovalOut]


class AgreementIn(InSchema):
    document: dict[str, Any] | None = Field(
        None,
        description="An SLA agreement document (schema_version 1): marketing's MQL targets, "
        "sales' first touch and attempts, the buyer's contact cap, team calendars. Omitted: "
        "the draft starts from the default agreement.",
    )
    comment: str = ""


def _detail(agreement: SlaAgreement) -> dict[str, Any]:
    return version_detail(agreement, queries.agreement_approvals(agreement))


@router.get("/sla-agreements", response=Page[AgreementOut])
def list_sla_agreements(
    request: HttpRequest, params: Query[VersionListParams]
) -> PageResult[SlaAgreement]:
    workspace = request_membership(request).workspace
    return paginate_params(queries.agreement_list(workspace), params)


@router.post("/sla-agreements", response={201: AgreementDetailOut})
def create_sla_agreement(request: HttpRequest, payload: AgreementIn) -> Status[Any]:
    """Create a draft version (validated; a bad document writes nothing)."""
    actor = request_actor(request)
    document = (
        payload.document
        if payload.document is not None
        else agreements.default_sla(actor.workspace.timezone)
    )
    draft = agreements.sla_create_draft(actor=actor, document=document, comment=payload.comment)
    return Status(201, _detail(draft))


# Registered before /sla-agreements/{agreement_id} so that the literal path wins.
@router.get("/sla-agreements/active", response={200: AgreementDetailOut, 404: ErrorOut})
def get_active_sla_agreement(request: HttpRequest) -> dict[str, Any]:
    """The agreement that times every new handoff (404 while none is active)."""
    return _detail(queries.agreement_active(request_membership(request).workspace))


@router.get("/sla-agreements/{agreement_id}", response=AgreementDetailOut)
def get_sla_agreement(request: HttpRequest, agreement_id: RecordId) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    return _detail(queries.agreement_get(workspace, agreement_id))


@router.patch("/sla-agreements/{agreement_id}", response=AgreementDetailOut)
def update_sla_agreement(
    request: HttpRequest, agreement_id: RecordId, payload: DocumentPatch
) -> dict[str, Any]:
    """Edit a draft; proposed and later versions are immutable (409)."""
    agreement = agreements.sla_update_draft(
        actor=request_actor(request),
        agreement_id=agreement_id,
        document=payload.document,
        comment=payload.comment,
    )
    return _detail(agreement)


@router.post("/sla-agreements/{agreement_id}/propose", response=AgreementDetailOut)
def propose_sla_agreement(request: HttpRequest, agreement_id: RecordId) -> dict[str, Any]:
    actor = request_actor(request)
    return _detail(agreements.sla_propose(actor=actor, agreement_id=agreement_id))


@router.post("/sla-agreements/{agreement_id}/approve", response=AgreementDetailOut)
def approve_sla_agreement(request: HttpRequest, agreement_id: RecordId) -> dict[str, Any]:
    """Approve for your side: only a manager of a marketing or a sales team may (else 403)."""
    actor = request_actor(request)
    agreements.sla_approve(actor=actor, agreement_id=agreement_id)
    return _detail(queries.agreement_get(actor.workspace, agreement_id))


@router.post("/sla-agreements/{agreement_id}/activate", response=AgreementDetailOut)
def activate_sla_agreement(request: HttpRequest, agreement_id: RecordId) -> dict[str, Any]:
    """Make an approved version the active one: it times every handoff from now on; open
    handoffs keep the clock of the version they were handed over under."""
    actor = request_actor(request)
    return _detail(agreements.sla_activate(actor=actor, agreement_id=agreement_id))


@router.post("/sla-agreements/{agreement_id}/rollback", response={201: AgreementDetailOut})
def rollback_sla_agreement(
    request: HttpRequest, agreement_id: RecordId, payload: RollbackIn
) -> Status[Any]:
    """Propose this earlier version's document again as a new version (needs both approvals)."""
    created = agreements.sla_rollback(
        actor=request_actor(request), agreement_id=agreement_id, comment=payload.comment
    )
    return Status(201, _detail(created))
