"""REST endpoints of lead definitions: versions, their diffs, proposal, two-sided approval,
activation, and a contact's score explanation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId
from accord.core.errors import NotFound
from accord.definitions import selectors, services
from accord.definitions.backtest import Backtest, VersionOutcome, backtest, backtest_version
from accord.definitions.evaluation import contact_score_explanation
from accord.definitions.models import (
    DefinitionStatus,
    DocumentApproval,
    LeadDefinition,
    RescoreJob,
    VersionedDocument,
)
from accord.definitions.rescoring import rescore_queue

router = Router()


class ApprovalOut(Schema):
    team_kind: str
    user_id: int
    user_name: str
    decided_at: dt.datetime


class VersionOut(Schema):
    """One version of a document both teams approve (lead definitions, SLA agreements)."""

    id: int
    version: int
    status: DefinitionStatus
    schema_version: int
    document: dict[str, Any]
    author_id: int | None
    comment: str
    based_on_id: int | None
    created_at: dt.datetime
    proposed_at: dt.datetime | None
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None


class DefinitionOut(VersionOut):
    """A lead definition version."""


class DefinitionDetailOut(DefinitionOut):
    diff: list[str] = Field(description="Plain-language changes against based_on.")
    approvals: list[ApprovalOut]


class DefinitionIn(InSchema):
    document: dict[str, Any] = Field(description="A lead definition document (schema_version 1).")
    comment: str = ""


class DocumentPatch(InSchema):
    """A draft's new document and/or comment."""

    document: dict[str, Any] | None = None
    comment: str | None = None


class RollbackIn(InSchema):
    comment: str = ""


class VersionListParams(ListParams):
    ordering: Literal["-created_at", "created_at"] = "-created_at"


def version_detail(
    version: VersionedDocument, approvals: Iterable[DocumentApproval]
) -> dict[str, Any]:
    """A version's fields (as `VersionOut`) and its approvals (as `ApprovalOut`)."""
    rows = [
        {
            "team_kind": a.team_kind,
            "user_id": a.user_id,
            "user_name": a.user.display_name,
            "decided_at": a.decided_at,
        }
        for a in approvals
    ]
    return {name: getattr(version, name) for name in VersionOut.model_fields} | {"approvals": rows}


def _detail(definition: LeadDefinition) -> dict[str, Any]:
    data = version_detail(definition, selectors.definition_approvals(definition))
    return data | {"diff": selectors.definition_diff(definition)}


@router.get("/definitions", response=Page[DefinitionOut], tags=["definitions"])
def list_definitions(
    request: HttpRequest, params: Query[VersionListParams]
) -> PageResult[LeadDefinition]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.definition_list(workspace), params)


@router.post("/definitions", response={201: DefinitionDetailOut}, tags=["definitions"])
def create_definition(request: HttpRequest, payload: DefinitionIn) -> Status[Any]:
    """Create a draft version (validated; a bad document writes nothing)."""
    actor = request_actor(request)
    draft = services.definition_create_draft(
        actor=actor, document=payload.document, comment=payload.comment
    )
    return Status(201, _detail(draft))


class RateOut(Schema):
    successes: int
    n: int
    value: float | None
    low: float
    high: float


class VersionOutcomeOut(Schema):
    label: str
    mqls: int
    per_month: list[int]
    rates: dict[str, RateOut]
    per_rep_week: float | None
    peak_week: int


class ChangedContactOut(Schema):
    id: int
    email: str
    name: str


class BacktestOut(Schema):
    start: dt.datetime
    end: dt.datetime
    months: list[str]
    contacts: int
    reps: int
    proposed: VersionOutcomeOut = Field(description="The version (or document) replayed.")
    active: VersionOutcomeOut | None = Field(
        description="The version it is compared with, null when there is none: the active "
        "version, or, when the replayed version is itself the active one, the version it was "
        "based on (now retired). `baseline_role` says which."
    )
    baseline_role: Literal["active", "previous"] | None = Field(
        description="What the compared version (`active`) is: `active` (the active version) or "
        "`previous` (the version the active one was based on); null when nothing is compared."
    )
    gained: int = Field(description="Contacts that are MQLs under `proposed` only.")
    lost: int = Field(description="Contacts that are MQLs under the compared version only.")
    gained_examples: list[ChangedContactOut]
    lost_examples: list[ChangedContactOut]


class BacktestParams(Schema):
    months: int = Field(12, ge=1, le=36, description="calendar months to replay, up to now")


class WhatIfIn(InSchema):
    document: dict[str, Any]
    months: int = Field(12, ge=1, le=36)


def _outcome_out(outcome: VersionOutcome) -> dict[str, Any]:
    rates = {
        name: {"successes": r.successes, "n": r.n, "value": r.value, "low": r.low, "high": r.high}
        for name, r in outcome.rates.items()
    }
    return vars(outcome) | {"rates": rates}


def _backtest_out(result: Backtest) -> dict[str, Any]:
    data = vars(result).copy()
    data["proposed"] = _outcome_out(result.proposed)
    data["active"] = _outcome_out(result.active) if result.active else None
    data["gained_examples"] = [vars(c) for c in result.gained_examples]
    data["lost_examples"] = [vars(c) for c in result.lost_examples]
    return data


# Registered before /definitions/{definition_id} so that the literal path wins.
@router.post("/definitions/what-if", response=BacktestOut, tags=["definitions"])
def what_if(request: HttpRequest, payload: WhatIfIn) -> dict[str, Any]:
    """Back-test an unsaved document against the active definition (nothing is written)."""
    workspace = request_membership(request).workspace
    document = services.validated_document(payload.document)
    return _backtest_out(backtest(workspace, document, months=payload.months, label="what-if"))


@router.get("/definitions/{definition_id}", response=DefinitionDetailOut, tags=["definitions"])
def get_definition(request: HttpRequest, definition_id: RecordId) -> dict[str, Any]:
    workspace = request_membership(request).workspace
    return _detail(selectors.definition_get(workspace, definition_id))


@router.patch("/definitions/{definition_id}", response=DefinitionDetailOut, tags=["definitions"])
def update_definition(
    request: HttpRequest, definition_id: RecordId, payload: DocumentPatch
) -> dict[str, Any]:
    """Edit a draft; proposed and later versions are immutable (409)."""
    actor = request_actor(request)
    definition = services.definition_update_draft(
        actor=actor,
        definition_id=definition_id,
        document=payload.document,
        comment=payload.comment,
    )
    return _detail(definition)


@router.post(
    "/definitions/{definition_id}/propose", response=DefinitionDetailOut, tags=["definitions"]
)
def propose_definition(request: HttpRequest, definition_id: RecordId) -> dict[str, Any]:
    actor = request_actor(request)
    return _detail(services.definition_propose(actor=actor, definition_id=definition_id))


@router.post(
    "/definitions/{definition_id}/approve", response=DefinitionDetailOut, tags=["definitions"]
)
def approve_definition(request: HttpRequest, definition_id: RecordId) -> dict[str, Any]:
    """Approve for your side: only a manager of a marketing or a sales team may (else 403)."""
    actor = request_actor(request)
    services.definition_approve(actor=actor, definition_id=definition_id)
    return _detail(selectors.definition_get(actor.workspace, definition_id))


@router.post(
    "/definitions/{definition_id}/activate", response=DefinitionDetailOut, tags=["definitions"]
)
def activate_definition(request: HttpRequest, definition_id: RecordId) -> dict[str, Any]:
    """Make an approved version the active one; the previous active version is retired."""
    actor = request_actor(request)
    return _detail(services.definition_activate(actor=actor, definition_id=definition_id))


@router.post(
    "/definitions/{definition_id}/rollback",
    response={201: DefinitionDetailOut},
    tags=["definitions"],
)
def rollback_definition(
    request: HttpRequest, definition_id: RecordId, payload: RollbackIn
) -> Status[Any]:
    """Propose this earlier version's document again as a new version (needs both approvals)."""
    actor = request_actor(request)
    created = services.definition_rollback(
        actor=actor, definition_id=definition_id, comment=payload.comment
    )
    return Status(201, _detail(created))


class FiredRuleOut(Schema):
    rule_id: str
    section: str
    description: str
    points: float
    raw_points: float
    events: int
    capped: bool
    grade: str


class ScoreOut(Schema):
    contact_id: int
    definition_version: str
    fit: float
    grade: str
    engagement: float
    mql: bool
    half_life_days: float | None
    rules: list[FiredRuleOut]


@router.get("/contacts/{contact_id}/score", response=ScoreOut, tags=["definitions"])
def get_contact_score(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """Why a contact scores what it does under the active definition: the rules that fired,
    their points, the decay and caps applied."""
    workspace = request_membership(request).workspace
    result = contact_score_explanation(workspace, contact_id)
    e = result.explanation
    return {
        "contact_id": result.contact_id,
        "definition_version": f"v{result.version}",
        "fit": e.fit,
        "grade": e.grade,
        "engagement": e.engagement,
        "mql": e.mql,
        "half_life_days": e.half_life_days,
        "rules": [vars(r) for r in e.rules],
    }


@router.get("/definitions/{definition_id}/backtest", response=BacktestOut, tags=["definitions"])
def backtest_definition(
    request: HttpRequest, definition_id: RecordId, params: Query[BacktestParams]
) -> dict[str, Any]:
    """Replay this version over the last months beside the active one (the active version
    beside the version it was based on: `baseline_role` "previous"): MQLs per month, later
    SAL / SQL / won rates with 95% intervals, contacts that change class, MQLs per rep per week."""
    workspace = request_membership(request).workspace
    definition = selectors.definition_get(workspace, definition_id)
    return _backtest_out(backtest_version(workspace, definition, months=params.months))


class RescoreJobOut(Schema):
    id: int
    status: str
    definition_version: int | None
    total: int
    done: int
    percent: int
    promoted: int
    demoted: int
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.post("/rescore-jobs", response={202: RescoreJobOut}, tags=["definitions"])
def queue_rescore(request: HttpRequest) -> Status[Any]:
    """Queue a full re-score with the active definition; `accord worker` runs it."""
    return Status(202, rescore_queue(request_actor(request)))


@router.get("/rescore-jobs/{job_id}", response=RescoreJobOut, tags=["definitions"])
def get_rescore_job(request: HttpRequest, job_id: RecordId) -> RescoreJob:
    workspace = request_membership(request).workspace
    job = RescoreJob.objects.for_workspace(workspace).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No re-score job with id {job_id} in this workspace.")
    return job
