"""Reads of the experiment registry, for the API, the CLI and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.experiments.models import Experiment
from accord.identity.models import Workspace


def experiments_of(workspace: Workspace | int) -> QuerySet[Experiment]:
    """The workspace's experiments, latest first, with what their pages and documents show."""
    return (
        Experiment.objects.for_workspace(workspace)
        .select_related("learning", "marketing_owner", "sales_owner")
        .prefetch_related("variants")
        .order_by("-created_at", "-pk")
    )


def experiment_by_key(workspace: Workspace | int, key: str) -> Experiment:
    found = experiments_of(workspace).filter(key=key).first()
    if found is None:
        raise NotFound(f"No experiment '{key}' in this workspace.")
    return found
