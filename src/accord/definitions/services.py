"""The lead definition write path: drafts, proposal, two-sided approval, activation (which
queues a re-score of every contact), rollback — the shared `DocumentWorkflow` for lead
definitions."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accord.definitions.document import DocumentInvalid, dump_document, parse_document
from accord.definitions.models import ApprovalSide, DefinitionApproval, LeadDefinition
from accord.definitions.versioning import DocumentWorkflow, invalid_document
from accord.definitions.versioning import approval_side as shared_approval_side
from accord.identity.actor import Actor
from accord.identity.permissions import Action


def validated_document(raw: Any) -> dict[str, Any]:
    """The normalised document, or ValidationFailed (fields like `document.fit_rules.0.value`)."""
    try:
        doc = parse_document(raw)
    except DocumentInvalid as exc:
        raise invalid_document(exc, "lead definition") from exc
    return dump_document(doc)


WORKFLOW: DocumentWorkflow[LeadDefinition, DefinitionApproval] = DocumentWorkflow(
    model=LeadDefinition,
    approval_model=DefinitionApproval,
    approval_field="definition",
    noun="lead definition",
    validate=validated_document,
    edit_action=Action.EDIT_DEFINITIONS,
    audit_name="definition",
)


def approval_side(actor: Actor) -> ApprovalSide:
    return shared_approval_side(actor, WORKFLOW.noun)


@transaction.atomic
def definition_create_draft(*, actor: Actor, document: Any, comment: str = "") -> LeadDefinition:
    return WORKFLOW.create_draft(actor, document, comment)


@transaction.atomic
def definition_update_draft(
    *, actor: Actor, definition_id: int, document: Any = None, comment: str | None = None
) -> LeadDefinition:
    return WORKFLOW.update_draft(actor, definition_id, document, comment)


@transaction.atomic
def definition_propose(*, actor: Actor, definition_id: int) -> LeadDefinition:
    return WORKFLOW.propose(actor, definition_id)


@transaction.atomic
def definition_approve(*, actor: Actor, definition_id: int) -> DefinitionApproval:
    return WORKFLOW.approve(actor, definition_id)


@transaction.atomic
def definition_activate(*, actor: Actor, definition_id: int) -> LeadDefinition:
    definition = WORKFLOW.activate(actor, definition_id)
    # Every contact is re-scored under the new version by the worker.
    from accord.definitions.rescoring import rescore_queue

    rescore_queue(actor)
    return definition


@transaction.atomic
def definition_rollback(*, actor: Actor, definition_id: int, comment: str = "") -> LeadDefinition:
    """Propose an earlier version's document again, as a new version needing both approvals."""
    return WORKFLOW.rollback(actor, definition_id, comment)
