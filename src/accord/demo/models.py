"""The record of a generated demo dataset and the true parameters it was drawn from."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accord.core.scoping import WorkspaceManager


class DemoDataset(models.Model):
    workspace = models.OneToOneField(
        "identity.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    seed = models.BigIntegerField()
    contacts = models.PositiveIntegerField()
    parameters = models.JSONField(help_text="The true parameters the data was drawn from")
    summary = models.JSONField(default=dict, help_text="What was generated (row counts)")
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"Demo dataset (seed {self.seed}, {self.contacts} contacts)"
