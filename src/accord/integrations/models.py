"""Import jobs and their row errors, saved column mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all-or-nothing", "All or nothing"
    VALID_ROWS = "valid-rows", "Import the valid rows"


class OnMatch(models.TextChoices):
    SKIP = "skip", "Skip existing records"
    FILL_EMPTY = "fill-empty", "Fill empty fields of existing records"
    OVERWRITE = "overwrite", "Overwrite existing records"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class ImportJob(WorkspaceOwned):
    """One file import. Its counters are checkpointed with every committed batch, so a job that
    is interrupted resumes after the last committed row."""

    record_type = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField()
    mode = models.CharField(max_length=16, choices=ImportMode.choices)
    on_match = models.CharField(max_length=16, choices=OnMatch.choices)
    mapping = models.JSONField()
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    message = models.TextField(blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"], name="import_ws_created")]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.record_type}, {self.file_name})"

    @property
    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
        }


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(help_text="1 = the first row after the header")
    column = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["job", "row"], name="import_error_job_row")]


class SavedMapping(WorkspaceOwned):
    """A workspace's own column mapping for files that no preset recognises."""

    name = models.CharField(max_length=120)
    record_type = models.CharField(max_length=16)
    columns = models.JSONField(help_text="header -> target")
    value_maps = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="saved_mapping_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
