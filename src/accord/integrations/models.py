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

    def __str__(self) -> str:
        return f"Row {self.row}: {self.reason}"


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


# Inbound events and outbound webhooks ----------------------------------------------------------


class IntegrationKey(WorkspaceOwned):
    """Identifies a marketing system that sends events (``X-Accord-Integration: <key_id>``) and
    optionally requires every request to be signed. The signing secret is never stored: it is
    derived from the server's SECRET_KEY, the public key id and the random salt of this row
    (`accord.integrations.signing.derive_secret`), so the database alone does not reveal it.
    Rotating ACCORD_SECRET_KEY therefore invalidates every signing secret."""

    name = models.CharField(max_length=120)
    key_id = models.CharField(max_length=40, unique=True)
    salt = models.CharField(max_length=64)
    require_signature = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"], name="intkey_ws_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(WorkspaceOwned):
    """The first response to a request that carried an ``Idempotency-Key``. A replay with the
    same key and the same body (SHA-256 of the raw bytes) gets this response back verbatim;
    the same key with another body is refused. Kept at least 24 hours, then pruned by the
    worker."""

    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response_body = models.TextField(help_text="The response's JSON text, returned verbatim")

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"


class WebhookKind(models.TextChoices):
    GENERIC = "generic", "Generic (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"


class WebhookSubscription(WorkspaceOwned):
    """An outbound webhook: the events a URL receives. Like an integration key's, its signing
    secret is derived (from SECRET_KEY, the subscription id and `salt`), shown once, and never
    stored."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(help_text='Event names from core.events.EVENT_NAMES, or ["*"]')
    kind = models.CharField(max_length=8, choices=WebhookKind.choices, default=WebhookKind.GENERIC)
    salt = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "active"], name="webhook_ws_active")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(WorkspaceOwned):
    """One event sent (or to be sent) to one subscription: the delivery log."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )  # indexed by webhook_delivery_sub_created
    event = models.CharField(max_length=64)
    event_id = models.UUIDField()
    payload = models.JSONField(help_text="The JSON body that is POSTed")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["subscription", "created_at"], name="webhook_delivery_sub_created"
            ),
            models.Index(fields=["workspace", "status"], name="webhook_delivery_ws_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
