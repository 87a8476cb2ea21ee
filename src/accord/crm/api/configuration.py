"""REST endpoints of the CRM: configuration (read-only)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from accord.api.auth import request_membership
from accord.api.schemas import ResultList
from accord.crm import selectors
from accord.crm.models import (
    DealOutcome,
)

router = Router()


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
