"""Deals: created, moved through pipeline stages, won or lost, only here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.channels import Channel
from accord.core.errors import PermissionDenied, ValidationFailed
from accord.core.events import publish
from accord.crm.models import (
    Company,
    Contact,
    Deal,
    DealOutcome,
    DealStageChange,
    Pipeline,
    PipelineStage,
)
from accord.crm.services.records import apply, locked
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.models import Role
from accord.identity.permissions import Action

DEAL_FIELDS: dict[str, c.Cleaner] = {
    "name": c.Text(200, required=True),
    "pipeline_id": c.Ref(Pipeline, "pipeline"),
    "stage_id": c.Ref(PipelineStage, "pipeline stage"),
    "amount": c.amount,
    "currency": c.currency,
    "owner_id": member,
    "company_id": c.Ref(Company, "company"),
    "primary_contact_id": c.Ref(Contact, "contact"),
    "expected_close_date": c.date,
    "closed_at": c.datetime,
    "source": c.Choice(Channel),
    "close_reason": c.Text(300),
    "external_id": c.Text(100),
    "custom_fields": c.json_object,
    "created_at": c.datetime,
}


def _resolve_stage(actor: Actor, cleaned: dict[str, Any], deal: Deal | None) -> None:
    """Fill in pipeline and stage defaults and check the stage belongs to the pipeline."""
    ws = actor.workspace
    pipeline_id = cleaned.get("pipeline_id") or (deal.pipeline_id if deal else None)
    if pipeline_id is None:
        default = (
            Pipeline.objects.for_workspace(ws)
            .order_by("-is_default", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if default is None:
            raise ValidationFailed.single("pipeline_id", "This workspace has no pipeline yet.")
        pipeline_id = default
    cleaned["pipeline_id"] = pipeline_id
    stages = PipelineStage.objects.for_workspace(ws).filter(pipeline_id=pipeline_id)
    stage_id = cleaned.get("stage_id") or (deal.stage_id if deal else None)
    if stage_id is None:
        stage_id = stages.order_by("position").values_list("pk", flat=True).first()
    stage = stages.filter(pk=int(stage_id)).first() if stage_id is not None else None
    if stage is None:
        raise ValidationFailed.single("stage_id", "That stage is not in the deal's pipeline.")
    cleaned["stage_id"] = stage.pk
    cleaned["status"] = stage.outcome
    if stage.outcome == DealOutcome.OPEN:
        if cleaned.get("closed_at") is not None:
            raise ValidationFailed.single(
                "closed_at",
                f"An open deal has no close time: stage '{stage.label}' is open. Move the deal "
                "to a won or lost stage, or leave closed_at out.",
            )
        cleaned["closed_at"] = None
    elif not cleaned.get("closed_at") and (deal is None or deal.closed_at is None):
        cleaned["closed_at"] = timezone.now()


def _record_stage(actor: Actor, deal: Deal, from_stage_id: int | None) -> None:
    DealStageChange.objects.create(
        workspace=actor.workspace,
        deal=deal,
        from_stage_id=from_stage_id,
        to_stage_id=deal.stage_id,
        amount=deal.amount,
        occurred_at=deal.closed_at
        if deal.status != DealOutcome.OPEN and deal.closed_at
        else (deal.created_at if from_stage_id is None else timezone.now()),
        actor_user=actor.user,
        source=actor.source.value,
    )


# The deal's commercial terms and outcome are sales' to set: marketers may create and describe
# deals but not set their amount, stage or close.
SALES_ONLY_FIELDS = frozenset({"amount", "stage_id", "pipeline_id", "closed_at", "close_reason"})


def _require_sales_terms(actor: Actor, values: Mapping[str, Any]) -> None:
    if actor.role == Role.MARKETER and (touched := sorted(SALES_ONLY_FIELDS & set(values))):
        raise PermissionDenied(
            f"Marketers cannot set a deal's {', '.join(touched)}: ask the deal's owner or a "
            "manager."
        )


@transaction.atomic
def deal_create(*, actor: Actor, values: Mapping[str, Any]) -> Deal:
    actor.require(Action.WRITE_RECORDS)
    _require_sales_terms(actor, values)
    cleaned = c.clean(DEAL_FIELDS, values, actor.workspace.pk, required=["name"])
    cleaned.setdefault("currency", actor.workspace.default_currency)
    if cleaned.get("created_at") is None:
        cleaned.pop("created_at", None)
    _resolve_stage(actor, cleaned, None)
    deal = Deal.objects.create(workspace=actor.workspace, **cleaned)
    _record_stage(actor, deal, None)
    publish(actor.workspace.pk, "deal.created", _deal_event(deal))
    if deal.status != DealOutcome.OPEN:
        publish(actor.workspace.pk, f"deal.{deal.status}", _deal_event(deal))
    return deal


def _deal_event(deal: Deal) -> dict[str, Any]:
    return {
        "deal_id": deal.pk,
        "name": deal.name,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "status": deal.status,
        "owner_id": deal.owner_id,
        "company_id": deal.company_id,
        "primary_contact_id": deal.primary_contact_id,
        "close_reason": deal.close_reason,
    }


@transaction.atomic
def deal_update(*, actor: Actor, deal_id: int, values: Mapping[str, Any]) -> Deal:
    actor.require(Action.WRITE_RECORDS)
    _require_sales_terms(actor, values)
    deal = locked(Deal, actor, deal_id, "deal")
    cleaned = c.clean(DEAL_FIELDS, values, actor.workspace.pk)
    if "created_at" in cleaned:
        raise ValidationFailed.single("created_at", "The creation time cannot be changed.")
    if "name" in cleaned and not cleaned["name"]:
        raise ValidationFailed.single("name", "This field is required.")
    if "pipeline_id" in cleaned and "stage_id" not in cleaned:
        cleaned["stage_id"] = None  # a new pipeline starts at its first stage
    _resolve_stage(actor, cleaned, deal)
    previous_stage, previous_amount, status_before = deal.stage_id, deal.amount, deal.status
    if changed := apply(deal, cleaned):
        deal.save(update_fields=[*changed, "updated_at"])
    if deal.stage_id != previous_stage or deal.amount != previous_amount:
        _record_stage(actor, deal, previous_stage)
    if deal.status not in (status_before, DealOutcome.OPEN):
        publish(actor.workspace.pk, f"deal.{deal.status}", _deal_event(deal))
    return deal


@transaction.atomic
def deal_delete(*, actor: Actor, deal_id: int) -> None:
    actor.require(Action.DELETE_RECORDS)
    deal = locked(Deal, actor, deal_id, "deal")
    audit.record(actor, "deal.deleted", deal, before=audit.all_fields(deal))
    deal.delete()
