"""The audit log's table: one row per audited change. Rows are only ever inserted; the
database itself refuses UPDATE, and refuses DELETE while the row's workspace exists (see the
migration `0002_auditentry`), so the only way an entry goes is with its whole workspace."""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone

from accord.core.scoping import WorkspaceManager
from accord.identity.models import User, Workspace


class AuditEntry(models.Model):
    """Who changed what, when, from where, and the fields before and after."""

    # Deleted by the database with its workspace (ON DELETE CASCADE), never row by row.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # No foreign-key constraint: an entry outlives the user who acted (the label keeps the name).
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    source = models.CharField(max_length=12)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-occurred_at", "-id"], name="audit_ws_time"),
            models.Index(fields=["workspace", "action"], name="audit_ws_action"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} by {self.actor_label}"

    @property
    def before_text(self) -> str:
        return "" if self.before is None else json.dumps(self.before, ensure_ascii=False)

    @property
    def after_text(self) -> str:
        return "" if self.after is None else json.dumps(self.after, ensure_ascii=False)
