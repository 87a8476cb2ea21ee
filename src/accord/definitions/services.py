"""The lead definition write path: drafts, proposal, two-sided approval, activation, rollback.

draft → proposed → approved (a marketing manager AND a sales manager) → active → retired.
Only drafts are editable; a proposed version's document never changes. Rolling back proposes an
earlier version's document as a new version, which needs the same two approvals.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.definitions.document import DocumentInvalid, dump_document, parse_document
from accord.definitions.models import (
    ApprovalSide,
    DefinitionApproval,
    DefinitionStatus,
    LeadDefinition,
)
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role, Workspace
from accord.identity.permissions import Action


def validated_document(raw: Any) -> dict[str, Any]:
    """The normalised document, or ValidationFailed (fields like `document.fit_rules.0.value`)."""
    try:
        doc = parse_document(raw)
    except DocumentInvalid as exc:
        fields = {f"document.{path}": messages for path, messages in exc.fields.items()}
        raise ValidationFailed(
            "The lead definition is not valid; nothing was saved.", fields=fields
        ) from exc
    return dump_document(doc)


def _comment(comment: str) -> str:
    text = (comment or "").strip()
    if len(text) > 500:
        raise ValidationFailed.single("comment", "At most 500 characters.")
    return text


def _locked(actor: Actor, definition_id: int) -> LeadDefinition:
    definition = (
        LeadDefinition.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=definition_id)
        .first()
    )
    if definition is None:
        raise NotFound(f"No lead definition with id {definition_id} in this workspace.")
    return definition


def _predecessor(workspace: Workspace) -> LeadDefinition | None:
    scoped = LeadDefinition.objects.for_workspace(workspace)
    active = scoped.filter(status=DefinitionStatus.ACTIVE).first()
    return active or scoped.order_by("-version").first()


def _new_version(
    actor: Actor, document: dict[str, Any], comment: str, status: DefinitionStatus
) -> LeadDefinition:
    Workspace.objects.select_for_update().filter(pk=actor.workspace.pk).first()
    scoped = LeadDefinition.objects.for_workspace(actor.workspace)
    latest = scoped.aggregate(v=Max("version"))["v"] or 0
    now = timezone.now()
    return LeadDefinition.objects.create(
        workspace=actor.workspace,
        version=latest + 1,
        document=document,
        schema_version=int(document["schema_version"]),
        status=status,
        author=actor.user,
        comment=comment,
        based_on=_predecessor(actor.workspace),
        proposed_at=now if status == DefinitionStatus.PROPOSED else None,
    )


@transaction.atomic
def definition_create_draft(*, actor: Actor, document: Any, comment: str = "") -> LeadDefinition:
    actor.require(Action.EDIT_DEFINITIONS)
    clean = validated_document(document)
    return _new_version(actor, clean, _comment(comment), DefinitionStatus.DRAFT)


@transaction.atomic
def definition_update_draft(
    *, actor: Actor, definition_id: int, document: Any = None, comment: str | None = None
) -> LeadDefinition:
    actor.require(Action.EDIT_DEFINITIONS)
    definition = _locked(actor, definition_id)
    if definition.status != DefinitionStatus.DRAFT:
        raise Conflict(
            f"Version v{definition.version} is {definition.status} and can no longer be "
            "edited; create a new draft instead."
        )
    if document is not None:
        definition.document = validated_document(document)
    if comment is not None:
        definition.comment = _comment(comment)
    definition.save(update_fields=["document", "comment", "updated_at"])
    return definition


@transaction.atomic
def definition_propose(*, actor: Actor, definition_id: int) -> LeadDefinition:
    actor.require(Action.EDIT_DEFINITIONS)
    definition = _locked(actor, definition_id)
    if definition.status != DefinitionStatus.DRAFT:
        raise Conflict(
            f"Only a draft can be proposed; v{definition.version} is {definition.status}."
        )
    validated_document(definition.document)
    definition.status = DefinitionStatus.PROPOSED
    definition.proposed_at = timezone.now()
    definition.save(update_fields=["status", "proposed_at", "updated_at"])
    return definition


def approval_side(actor: Actor) -> ApprovalSide:
    """The side the actor may approve for: a manager of a marketing or a sales team of the
    actor's workspace. Everyone else is refused."""
    membership = (
        Membership.objects.for_workspace(actor.workspace)
        .select_related("team")
        .filter(user=actor.user)
        .first()
        if actor.user is not None
        else None
    )
    team = membership.team if membership is not None else None
    if (
        membership is None
        or membership.role != Role.MANAGER
        or team is None
        or team.workspace_id != actor.workspace.pk
        or team.kind not in ApprovalSide.values
    ):
        raise PermissionDenied(
            "Only a manager of this workspace's marketing team or sales team can approve a "
            "lead definition."
        )
    return ApprovalSide(team.kind)


@transaction.atomic
def definition_approve(*, actor: Actor, definition_id: int) -> DefinitionApproval:
    side = approval_side(actor)
    definition = _locked(actor, definition_id)
    if definition.status not in (DefinitionStatus.PROPOSED, DefinitionStatus.APPROVED):
        raise Conflict(
            "Only a proposed version can be approved; "
            f"v{definition.version} is {definition.status}."
        )
    approvals = DefinitionApproval.objects.for_workspace(actor.workspace).filter(
        definition=definition
    )
    if approvals.filter(team_kind=side).exists():
        raise Conflict(f"The {side.label.lower()} side has already approved v{definition.version}.")
    assert actor.user is not None  # approval_side refuses actors without a user
    approval = DefinitionApproval.objects.create(
        workspace=actor.workspace,
        definition=definition,
        user=actor.user,
        team_kind=side,
        decided_at=timezone.now(),
    )
    if set(approvals.values_list("team_kind", flat=True)) >= set(ApprovalSide.values):
        definition.status = DefinitionStatus.APPROVED
        definition.save(update_fields=["status", "updated_at"])
    return approval


@transaction.atomic
def definition_activate(*, actor: Actor, definition_id: int) -> LeadDefinition:
    actor.require(Action.EDIT_DEFINITIONS)
    definition = _locked(actor, definition_id)
    if definition.status != DefinitionStatus.APPROVED:
        sides = set(
            DefinitionApproval.objects.for_workspace(actor.workspace)
            .filter(definition=definition)
            .values_list("team_kind", flat=True)
        )
        missing = [s.label.lower() for s in ApprovalSide if s.value not in sides]
        detail = f"missing approval: {', '.join(missing)}" if missing else definition.status
        raise Conflict(
            f"v{definition.version} needs a marketing and a sales manager's approval before it "
            f"can become active ({detail})."
        )
    now = timezone.now()
    LeadDefinition.objects.for_workspace(actor.workspace).filter(
        status=DefinitionStatus.ACTIVE
    ).update(status=DefinitionStatus.RETIRED, retired_at=now, updated_at=now)
    definition.status = DefinitionStatus.ACTIVE
    definition.activated_at = now
    definition.save(update_fields=["status", "activated_at", "updated_at"])
    # Every contact is re-scored under the new version by the worker.
    from accord.definitions.rescoring import rescore_queue

    rescore_queue(actor)
    return definition


@transaction.atomic
def definition_rollback(*, actor: Actor, definition_id: int, comment: str = "") -> LeadDefinition:
    """Propose an earlier version's document again, as a new version needing both approvals."""
    actor.require(Action.EDIT_DEFINITIONS)
    earlier = _locked(actor, definition_id)
    if earlier.status == DefinitionStatus.DRAFT:
        raise Conflict("A draft was never published; propose it instead of rolling back to it.")
    text = _comment(comment) or f"Roll back to v{earlier.version}"
    return _new_version(
        actor, validated_document(earlier.document), text, DefinitionStatus.PROPOSED
    )
