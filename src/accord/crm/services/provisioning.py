"""Defaults every new workspace gets: lifecycle stages and a sales pipeline."""

from __future__ import annotations

from django.db import transaction

from accord.crm.models import (
    DEFAULT_LIFECYCLE_STAGES,
    DealOutcome,
    LifecycleStage,
    Pipeline,
    PipelineStage,
)
from accord.identity.models import Workspace

DEFAULT_PIPELINE_STAGES: list[tuple[str, str, int, str]] = [
    ("qualification", "Qualification", 10, DealOutcome.OPEN),
    ("discovery", "Discovery", 20, DealOutcome.OPEN),
    ("demo", "Demo", 40, DealOutcome.OPEN),
    ("proposal", "Proposal", 60, DealOutcome.OPEN),
    ("negotiation", "Negotiation", 80, DealOutcome.OPEN),
    ("closed_won", "Closed won", 100, DealOutcome.WON),
    ("closed_lost", "Closed lost", 0, DealOutcome.LOST),
]


@transaction.atomic
def provision_workspace(workspace: Workspace) -> None:
    """Create the default lifecycle stages and pipeline; safe to run again."""
    for position, (key, label) in enumerate(DEFAULT_LIFECYCLE_STAGES, start=1):
        LifecycleStage.objects.get_or_create(
            workspace=workspace, key=key, defaults={"label": label, "position": position}
        )
    pipeline, created = Pipeline.objects.get_or_create(
        workspace=workspace, name="Sales pipeline", defaults={"is_default": True}
    )
    if created:
        PipelineStage.objects.bulk_create(
            PipelineStage(
                workspace=workspace,
                pipeline=pipeline,
                key=key,
                label=label,
                position=position,
                probability=probability,
                outcome=outcome,
            )
            for position, (key, label, probability, outcome) in enumerate(
                DEFAULT_PIPELINE_STAGES, start=1
            )
        )
