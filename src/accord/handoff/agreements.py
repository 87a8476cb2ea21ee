"""The SLA agreement write path (the shared two-sided approval workflow) and the active
agreement's reading."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.db import transaction

from accord.core.errors import ValidationFailed
from accord.definitions.document import DocumentInvalid
from accord.definitions.models import ApprovalSide, DefinitionStatus
from accord.definitions.versioning import DocumentWorkflow, invalid_document
from accord.definitions.versioning import approval_side as shared_approval_side
from accord.handoff.models import SlaAgreement, SlaApproval
from accord.handoff.sla_document import CalendarSpec, SlaDocument, parse_sla
from accord.identity.actor import Actor
from accord.identity.models import Team, Workspace
from accord.identity.permissions import Action

DEFAULT_SLA: dict[str, Any] = {
    "schema_version": 1,
    "marketing": {"targets": [{"mqls": 200, "period": "month"}]},
    "sales": {
        "first_touch_hours": 4,
        "attempts_before_unresponsive": 3,
        "attempt_days": 5,
        "manager_grace_hours": 4,
    },
    "buyer": {"max_touches": 6, "window_hours": 24},
}


def default_sla(zone: str = "UTC") -> dict[str, Any]:
    """`DEFAULT_SLA` with its business-hours calendar written out in the workspace's time zone,
    so a new draft's hours are the team's own and there to edit."""
    spec = CalendarSpec(timezone=zone)
    hours = {d: [[_clock(a), _clock(b)] for a, b in v] for d, v in spec.hours.items()}
    calendar = {"timezone": spec.timezone, "hours": hours, "holidays": []}
    return {**copy.deepcopy(DEFAULT_SLA), "calendars": {"default": calendar}}


def _clock(moment: dt.time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def validated_sla(raw: Any) -> dict[str, Any]:
    """The normalised document, or ValidationFailed (`document.sales.first_touch_hours` …)."""
    try:
        document = parse_sla(raw)
    except DocumentInvalid as exc:
        raise invalid_document(exc, "SLA agreement") from exc
    return document.model_dump(mode="json")


def _calendars_name_teams(workspace: Workspace, agreement: SlaAgreement) -> SlaAgreement:
    """Each calendar besides `default` is looked up by team name: one named after no team of
    the workspace (a typo) would silently never apply, so it is refused, naming the teams.
    (The document's own validation has no workspace; this runs where the service has one.)"""
    names = [name for name in agreement.document.get("calendars", {}) if name != "default"]
    teams = set(Team.objects.for_workspace(workspace).values_list("name", flat=True))
    unknown = [name for name in names if name not in teams]
    if unknown:
        listed = ", ".join(f"'{t}'" for t in sorted(teams)) or "none yet"
        raise ValidationFailed(
            "The SLA agreement is not valid; nothing was saved.",
            fields={
                f"document.calendars.{name}": [
                    f"No team is called '{name}'; a calendar is named after a team "
                    f"(this workspace's teams: {listed}) or is the 'default'."
                ]
                for name in unknown
            },
        )
    return agreement


WORKFLOW: DocumentWorkflow[SlaAgreement, SlaApproval] = DocumentWorkflow(
    model=SlaAgreement,
    approval_model=SlaApproval,
    approval_field="agreement",
    noun="SLA agreement",
    validate=validated_sla,
    edit_action=Action.EDIT_AGREEMENTS,
    audit_name="sla_agreement",
)


def approval_side(actor: Actor) -> ApprovalSide:
    return shared_approval_side(actor, WORKFLOW.noun)


@transaction.atomic
def sla_create_draft(*, actor: Actor, document: Any, comment: str = "") -> SlaAgreement:
    # Checked on the saved draft: a refusal rolls the whole transaction back.
    return _calendars_name_teams(actor.workspace, WORKFLOW.create_draft(actor, document, comment))


@transaction.atomic
def sla_update_draft(
    *, actor: Actor, agreement_id: int, document: Any = None, comment: str | None = None
) -> SlaAgreement:
    draft = WORKFLOW.update_draft(actor, agreement_id, document, comment)
    return _calendars_name_teams(actor.workspace, draft)


@transaction.atomic
def sla_propose(*, actor: Actor, agreement_id: int) -> SlaAgreement:
    # Again here: a team may have been renamed since the draft was written.
    return _calendars_name_teams(actor.workspace, WORKFLOW.propose(actor, agreement_id))


@transaction.atomic
def sla_approve(*, actor: Actor, agreement_id: int) -> SlaApproval:
    return WORKFLOW.approve(actor, agreement_id)


@transaction.atomic
def sla_activate(*, actor: Actor, agreement_id: int) -> SlaAgreement:
    """The new version times every handoff made from now on; open handoffs keep the clock of
    the version they were handed over under."""
    return WORKFLOW.activate(actor, agreement_id)


@transaction.atomic
def sla_rollback(*, actor: Actor, agreement_id: int, comment: str = "") -> SlaAgreement:
    return _calendars_name_teams(actor.workspace, WORKFLOW.rollback(actor, agreement_id, comment))


def active_agreement(workspace: Workspace | int) -> tuple[SlaAgreement, SlaDocument] | None:
    agreement = (
        SlaAgreement.objects.for_workspace(workspace).filter(status=DefinitionStatus.ACTIVE).first()
    )
    if agreement is None:
        return None
    return agreement, parse_sla(agreement.document)


def agreement_document(agreement: SlaAgreement) -> SlaDocument:
    return parse_sla(agreement.document)
