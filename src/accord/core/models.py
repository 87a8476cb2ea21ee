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
