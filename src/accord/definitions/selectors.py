"""Reads of lead definitions and contact scores."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.definitions.diff import diff_documents
from accord.definitions.models import DefinitionApproval, DefinitionStatus, LeadDefinition
from accord.identity.models import Workspace


def definition_list(workspace: Workspace) -> QuerySet[LeadDefinition]:
    return (
        LeadDefinition.objects.for_workspace(workspace)
        .select_related("author")
        .order_by("-version")
    )


def definition_get(workspace: Workspace, definition_id: int) -> LeadDefinition:
    definition = definition_list(workspace).filter(pk=definition_id).first()
    if definition is None:
        raise NotFound(f"No lead definition with id {definition_id} in this workspace.")
    return definition


def active_definition(workspace: Workspace | int) -> LeadDefinition | None:
    return (
        LeadDefinition.objects.for_workspace(workspace)
        .filter(status=DefinitionStatus.ACTIVE)
        .first()
    )


def definition_diff(definition: LeadDefinition) -> list[str]:
    """Plain-language changes against the version this one was based on."""
    before = None
    if definition.based_on_id is not None:
        before = (
            LeadDefinition.objects.for_workspace(definition.workspace_id)
            .filter(pk=definition.based_on_id)
            .values_list("document", flat=True)
            .first()
        )
    return diff_documents(before, definition.document)


def definition_approvals(definition: LeadDefinition) -> list[DefinitionApproval]:
    return list(
        DefinitionApproval.objects.for_workspace(definition.workspace_id)
        .filter(definition=definition)
        .select_related("user")
        .order_by("decided_at")
    )
