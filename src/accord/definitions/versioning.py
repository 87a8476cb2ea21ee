"""The write path shared by every document both teams approve (lead definitions, SLA
agreements): drafts, proposal, two-sided approval, activation, rollback.

draft → proposed → approved (a marketing manager AND a sales manager) → active → retired.
Only drafts are editable; a proposed version's document never changes. Rolling back proposes an
earlier version's document as a new version, which needs the same two approvals. Each kind of
document is one `DocumentWorkflow` naming its models, its validator and its noun; callers wrap
the methods in their own transaction (`transaction.atomic`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils import timezone

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.definitions.document import DocumentInvalid
from accord.definitions.models import (
    ApprovalSide,
    DefinitionStatus,
    DocumentApproval,
    VersionedDocument,
)
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role, Workspace
from accord.identity.permissions import Action

# What a new version's audit entry holds.
AUDITED_FIELDS = ("version", "status", "document", "comment", "based_on")


def invalid_document(exc: DocumentInvalid, noun: str) -> ValidationFailed:
    """A document's field errors as the entry points show them: `document.<path>`."""
    fields = {
        "document" if path == "document" else f"document.{path}": messages
        for path, messages in exc.fields.items()
    }
    return ValidationFailed(f"The {noun} is not valid; nothing was saved.", fields=fields)


def clean_comment(comment: str) -> str:
    text = (comment or "").strip()
    if len(text) > 500:
        raise ValidationFailed.single("comment", "At most 500 characters.")
    return text


def approval_side(actor: Actor, noun: str = "lead definition") -> ApprovalSide:
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
            "Only a manager of this workspace's marketing team or sales team can approve "
            f"{'an' if noun[0] in 'aeiouAEIOUS' else 'a'} {noun}."
        )
    return ApprovalSide(team.kind)


@dataclass(frozen=True)
class DocumentWorkflow[D: VersionedDocument, A: DocumentApproval]:
    model: type[D]
    approval_model: type[A]
    approval_field: str  # the approval's foreign key to the document, e.g. "definition"
    noun: str  # "lead definition", "SLA agreement"
    validate: Callable[[Any], dict[str, Any]]  # raw document → normalised JSON, or raises
    edit_action: Action
    audit_name: str = "document"  # the audit log's action prefix: "definition", "sla_agreement"

    def _audit(
        self,
        actor: Actor,
        event: str,
        document: D,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        *,
        note: str = "",
    ) -> None:
        audit.record(
            actor,
            f"{self.audit_name}.{event}",
            document,
            object_type=self.noun,
            label=f"{self.noun} {document.label}",
            before=before,
            after=after,
            note=note,
        )

    def locked(self, actor: Actor, document_id: int) -> D:
        document = (
            self.model.objects.for_workspace(actor.workspace)  # type: ignore[attr-defined]
            .select_for_update()
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            raise NotFound(f"No {self.noun} with id {document_id} in this workspace.")
        return document

    def _scoped(self, workspace: Workspace) -> Any:
        return self.model.objects.for_workspace(workspace)  # type: ignore[attr-defined]

    def approvals(self, actor: Actor, document: D) -> Any:
        return self.approval_model.objects.for_workspace(actor.workspace).filter(  # type: ignore[attr-defined]
            **{self.approval_field: document}
        )

    def _predecessor(self, workspace: Workspace) -> D | None:
        scoped = self._scoped(workspace)
        active = scoped.filter(status=DefinitionStatus.ACTIVE).first()
        return active or scoped.order_by("-version").first()

    def _new_version(
        self, actor: Actor, document: dict[str, Any], comment: str, status: DefinitionStatus
    ) -> D:
        # Lock the workspace row so two new versions never take the same number.
        Workspace.objects.select_for_update().filter(pk=actor.workspace.pk).first()
        latest = self._scoped(actor.workspace).aggregate(v=Max("version"))["v"] or 0
        now = timezone.now()
        return self.model.objects.create(  # type: ignore[attr-defined]
            workspace=actor.workspace,
            version=latest + 1,
            document=document,
            schema_version=int(document["schema_version"]),
            status=status,
            author=actor.user,
            comment=comment,
            based_on=self._predecessor(actor.workspace),
            proposed_at=now if status == DefinitionStatus.PROPOSED else None,
        )

    def create_draft(self, actor: Actor, document: Any, comment: str = "") -> D:
        actor.require(self.edit_action)
        clean = self.validate(document)
        draft = self._new_version(actor, clean, clean_comment(comment), DefinitionStatus.DRAFT)
        self._audit(actor, "draft_created", draft, after=audit.snapshot(draft, AUDITED_FIELDS))
        return draft

    def update_draft(
        self, actor: Actor, document_id: int, document: Any = None, comment: str | None = None
    ) -> D:
        actor.require(self.edit_action)
        current = self.locked(actor, document_id)
        if current.status != DefinitionStatus.DRAFT:
            raise Conflict(
                f"Version v{current.version} is {current.status} and can no longer be "
                "edited; create a new draft instead."
            )
        before = audit.snapshot(current, ["document", "comment"])
        if document is not None:
            current.document = self.validate(document)
        if comment is not None:
            current.comment = clean_comment(comment)
        current.save(update_fields=["document", "comment", "updated_at"])
        old, new = audit.changes(before, audit.snapshot(current, ["document", "comment"]))
        self._audit(actor, "draft_edited", current, before=old, after=new)
        return current

    def propose(self, actor: Actor, document_id: int) -> D:
        actor.require(self.edit_action)
        current = self.locked(actor, document_id)
        if current.status == DefinitionStatus.PROPOSED:
            raise Conflict(f"v{current.version} is already proposed.")
        if current.status != DefinitionStatus.DRAFT:
            raise Conflict(f"Only a draft can be proposed; v{current.version} is {current.status}.")
        self.validate(current.document)
        current.status = DefinitionStatus.PROPOSED
        current.proposed_at = timezone.now()
        current.save(update_fields=["status", "proposed_at", "updated_at"])
        self._audit(actor, "proposed", current, {"status": "draft"}, {"status": "proposed"})
        return current

    def approve(self, actor: Actor, document_id: int) -> A:
        side = approval_side(actor, self.noun)
        current = self.locked(actor, document_id)
        if current.status not in (DefinitionStatus.PROPOSED, DefinitionStatus.APPROVED):
            state = "a draft" if current.status == DefinitionStatus.DRAFT else current.status
            raise Conflict(
                f"Only a proposed version can be approved; v{current.version} is {state}."
            )
        approvals = self.approvals(actor, current)
        if approvals.filter(team_kind=side).exists():
            raise Conflict(
                f"The {side.label.lower()} side has already approved v{current.version}."
            )
        assert actor.user is not None  # approval_side refuses actors without a user
        approval = self.approval_model.objects.create(  # type: ignore[attr-defined]
            workspace=actor.workspace,
            user=actor.user,
            team_kind=side,
            decided_at=timezone.now(),
            **{self.approval_field: current},
        )
        status_before = current.status
        if set(approvals.values_list("team_kind", flat=True)) >= set(ApprovalSide.values):
            current.status = DefinitionStatus.APPROVED
            current.save(update_fields=["status", "updated_at"])
        self._audit(
            actor,
            "approved",
            current,
            {"status": status_before},
            {"status": current.status, "approved_by": side.value},
            note=f"{side.label} approval",
        )
        return approval

    def activate(self, actor: Actor, document_id: int) -> D:
        actor.require(self.edit_action)
        current = self.locked(actor, document_id)
        self._check_activatable(actor, current)
        now = timezone.now()
        active = self._scoped(actor.workspace).filter(status=DefinitionStatus.ACTIVE)
        retiring = list(active)
        active.update(status=DefinitionStatus.RETIRED, retired_at=now, updated_at=now)
        for old in retiring:
            note = f"replaced by v{current.version}"
            was, now_ = {"status": "active"}, {"status": "retired"}
            self._audit(actor, "retired", old, was, now_, note=note)
        current.status = DefinitionStatus.ACTIVE
        current.activated_at = now
        current.save(update_fields=["status", "activated_at", "updated_at"])
        note = f"replaces v{retiring[0].version}" if retiring else "first active version"
        was, now_ = {"status": "approved"}, {"status": "active"}
        self._audit(actor, "activated", current, was, now_, note=note)
        return current

    def _check_activatable(self, actor: Actor, current: D) -> None:
        """Refuse to activate anything but an approved version whose document still validates.
        An active or retired version has both approvals, so it is told apart first."""
        label = f"v{current.version}"
        if current.status == DefinitionStatus.ACTIVE:
            raise Conflict(f"{label} is already active.")
        if current.status == DefinitionStatus.RETIRED:
            raise Conflict(
                f"{label} is retired; roll back to it to propose it again as a new version."
            )
        if current.status != DefinitionStatus.APPROVED:
            sides = set(self.approvals(actor, current).values_list("team_kind", flat=True))
            missing = [s.label.lower() for s in ApprovalSide if s.value not in sides]
            detail = f"missing approval: {', '.join(missing)}" if missing else current.status
            raise Conflict(
                f"{label} needs a marketing and a sales manager's approval before it can become "
                f"active ({detail})."
            )
        # A version approved before a validation rule existed (e.g. the bounds on a lead
        # definition's numbers) is not made active; a new draft fixes it.
        try:
            self.validate(current.document)
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"{label} cannot become active: its {self.noun} is no longer valid; nothing was "
                "changed. Create a new draft that fixes it.",
                fields=exc.fields,
            ) from exc

    def rollback(self, actor: Actor, document_id: int, comment: str = "") -> D:
        """Propose an earlier version's document again, as a new version needing both
        approvals."""
        actor.require(self.edit_action)
        earlier = self.locked(actor, document_id)
        if earlier.status == DefinitionStatus.DRAFT:
            raise Conflict("A draft was never published; propose it instead of rolling back to it.")
        text = clean_comment(comment) or f"Roll back to v{earlier.version}"
        proposed = self._new_version(
            actor, self.validate(earlier.document), text, DefinitionStatus.PROPOSED
        )
        after = audit.snapshot(proposed, AUDITED_FIELDS)
        self._audit(actor, "rolled_back", proposed, after=after, note=f"to v{earlier.version}")
        return proposed
