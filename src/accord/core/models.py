"""Base model for every workspace-owned record."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkspaceOwned(models.Model):
    """A record that belongs to exactly one workspace.

    Concrete models declare ``objects = WorkspaceManager()`` so that every query must name the
    workspace (see `accord.core.scoping`). Django's internal base manager stays unscoped: it only
    follows foreign keys from an instance that was itself loaded through a scoped query.
    """

    # No single-column index: every model leads its composite indexes with the workspace.
    workspace = models.ForeignKey(
        "identity.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CopyChange(models.Model):
    """A row of a table that the analytics copies hold was changed in place or deleted by a
    service, where the copies' own feeds (new ids, a later `updated_at`, fewer rows) cannot see
    it: an edited or deleted touchpoint, a deleted campaign with its costs. Written in the
    changing transaction (`core.copy_changes.note`); each copy's sync deletes the rows named
    here and copies them again as they now are (or not at all). Not workspace data: it names
    tables and ids only, and is pruned after `copy_changes.KEEP`."""

    id = models.BigAutoField(primary_key=True)
    table_name = models.CharField(max_length=64)
    row_id = models.BigIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["recorded_at"], name="copychange_recorded")]

    def __str__(self) -> str:
        return f"{self.table_name} {self.row_id}"
