"""Lead definitions: versioned documents both teams approve, and the scores they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager


class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ApprovalSide(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class VersionedDocument(WorkspaceOwned):
    """One version of a document both teams approve (a lead definition, an SLA agreement).
    Editable only while a draft; once proposed its document never changes (a change is a new
    version)."""

    version = models.PositiveIntegerField()
    document = models.JSONField()
    schema_version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=DefinitionStatus.choices, default=DefinitionStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(max_length=500, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"

    @property
    def label(self) -> str:
        return f"v{self.version}"


class DocumentApproval(WorkspaceOwned):
    """One side's sign-off on a proposed version, by a manager of that side's team. Concrete
    subclasses add the foreign key to their document as `document_version`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team_kind = models.CharField(max_length=12, choices=ApprovalSide.choices)
    decided_at = models.DateTimeField()

    class Meta:
        abstract = True


class LeadDefinition(VersionedDocument):
    """One version of a workspace's lead definition."""

    objects = WorkspaceManager()

    class Meta(VersionedDocument.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "version"], name="lead_definition_version_unique"
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(status="active"),
                name="lead_definition_one_active",
            ),
        ]


class DefinitionApproval(DocumentApproval):
    definition = models.ForeignKey(
        LeadDefinition, on_delete=models.CASCADE, related_name="approvals"
    )

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "team_kind"], name="definition_approval_kind_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_kind} approval of {self.definition_id}"


class ContactScore(WorkspaceOwned):
    """The latest scores of a contact, written in bulk by the evaluation."""

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, related_name="score")
    definition_version = models.PositiveIntegerField()
    fit = models.FloatField()
    grade = models.CharField(max_length=1)
    engagement = models.FloatField()
    mql = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "grade"], name="contact_score_ws_grade")]

    def __str__(self) -> str:
        return f"{self.contact_id}: fit {self.fit:g}, engagement {self.engagement:g}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RescoreJob(WorkspaceOwned):
    """A full re-score of a workspace, queued from the web or the CLI and run by the worker."""

    status = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    definition_version = models.PositiveIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    promoted = models.PositiveIntegerField(default=0)
    demoted = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"re-score {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class PredictiveModel(WorkspaceOwned):
    """One trained version of the workspace's predictive score: its coefficients (plain JSON,
    never a pickle) and what it measured on the held-out, later contacts."""

    version = models.PositiveIntegerField()
    target = models.CharField(max_length=20, default="sql")
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)
    parameters = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "version"], name="predictive_model_version_unique"
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(active=True),
                name="predictive_model_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"predictive model v{self.version}"


class ContactPrediction(WorkspaceOwned):
    """The latest predicted probability that a contact converts, from the active model."""

    contact = models.OneToOneField(
        "crm.Contact", on_delete=models.CASCADE, related_name="prediction"
    )
    model_version = models.PositiveIntegerField()
    probability = models.FloatField()
    computed_at = models.DateTimeField()

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.probability:.3f}"
