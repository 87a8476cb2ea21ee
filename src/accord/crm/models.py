"""Core revenue records and the lifecycle ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accord.core.channels import Channel
from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager

DEFAULT_LIFECYCLE_STAGES: list[tuple[str, str]] = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("mql", "Marketing qualified lead (MQL)"),
    ("sal", "Sales accepted lead (SAL)"),
    ("sql", "Sales qualified lead (SQL)"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("recycled", "Recycled"),
    ("disqualified", "Disqualified"),
]


class LifecycleStage(WorkspaceOwned):
    """One stage of a workspace's lifecycle (the list is configurable per workspace)."""

    key = models.SlugField(max_length=32)
    label = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField()

    objects = WorkspaceManager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="lifecycle_stage_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Seniority(models.TextChoices):
    OWNER = "owner", "Owner / founder"
    EXECUTIVE = "executive", "C-level / executive"
    VP = "vp", "VP"
    DIRECTOR = "director", "Director"
    MANAGER = "manager", "Manager"
    SENIOR = "senior", "Senior individual contributor"
    ENTRY = "entry", "Entry level"
    OTHER = "other", "Other"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    ATTEMPTED = "attempted_to_contact", "Attempted to contact"
    CONNECTED = "connected", "Connected"
    OPEN_DEAL = "open_deal", "Open deal"
    UNQUALIFIED = "unqualified", "Unqualified"
    BAD_TIMING = "bad_timing", "Bad timing"


class Company(WorkspaceOwned):
    """An account, matched by its normalised web domain."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=100, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"],
                condition=~models.Q(domain=""),
                name="company_domain_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "name"], name="company_ws_name"),
            # The list order (newest first, then id) read straight from the index: rows created
            # together (an import batch) share a time, and the id keeps that tie in index order.
            models.Index(fields=["workspace", "created_at", "id"], name="company_ws_created_id"),
            # Lookups by domain: SQLite cannot use the partial unique index above for
            # `domain = ?` (it cannot prove the parameter is not ''), so it gets a plain one.
            models.Index(fields=["workspace", "domain"], name="company_ws_domain"),
            # The industry filter's choices, read by a loose index scan (selectors).
            models.Index(fields=["workspace", "industry"], name="company_ws_industry"),
            # The columnar copy picks up changed companies by this.
            models.Index(fields=["updated_at"], name="company_updated"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(WorkspaceOwned):
    """A person. A lead is a contact in an early lifecycle stage."""

    email = models.CharField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    seniority = models.CharField(max_length=16, choices=Seniority.choices, blank=True)
    department = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    country = models.CharField(max_length=2, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # covered by contact_ws_owner
    )
    # Current state only, kept in step with the ledger by crm.services; numbers come from the
    # ledger, never from this field.
    lifecycle_stage = models.SlugField(max_length=32, db_index=False)  # in contact_ws_stage
    lead_status = models.CharField(max_length=24, choices=LeadStatus.choices, blank=True)
    original_source = models.CharField(max_length=24, choices=Channel.choices, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    # The record's id in the system it came from (an import or an integration), for matching.
    external_id = models.CharField(max_length=100, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "email"], name="contact_email_unique"),
        ]
        indexes = [
            # A stage's contacts in list order, and the counts by stage from its first two columns.
            models.Index(
                fields=["workspace", "lifecycle_stage", "created_at", "id"],
                name="contact_ws_stage_created",
            ),
            models.Index(fields=["workspace", "owner"], name="contact_ws_owner"),
            models.Index(fields=["workspace", "original_source"], name="contact_ws_source"),
            # The list order read straight from the index (an import batch shares one time).
            models.Index(fields=["workspace", "created_at", "id"], name="contact_ws_created_id"),
            # Not partial: SQLite uses a partial index only when the query repeats its condition.
            models.Index(fields=["workspace", "external_id"], name="contact_ws_external_id"),
            # The columnar copy of the metrics fetches the contacts changed since its last sync.
            models.Index(fields=["updated_at"], name="contact_updated"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LedgerEntry(WorkspaceOwned):
    """One lifecycle transition. Append-only: rows are never updated (a database trigger refuses
    it), and a stage moving backwards is a new row, never a rewrite."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="ledger", db_index=False
    )  # indexed by ledger_contact_time
    # Not indexed alone: every query names the workspace (ledger_ws_time, ledger_ws_to_time), and
    # each index costs every one of the ledger's millions of inserts.
    from_stage = models.SlugField(max_length=32, blank=True, db_index=False)
    to_stage = models.SlugField(max_length=32, db_index=False)
    occurred_at = models.DateTimeField()
    # PROTECT, not SET_NULL: the ledger is never updated, so people who wrote to it are
    # deactivated rather than deleted.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    source = models.CharField(max_length=16)
    rule = models.CharField(max_length=200, blank=True)
    definition_version = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="ledger_ws_time"),
            models.Index(fields=["workspace", "to_stage", "occurred_at"], name="ledger_ws_to_time"),
            models.Index(fields=["contact", "occurred_at"], name="ledger_contact_time"),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '∅'} → {self.to_stage}"


class Pipeline(WorkspaceOwned):
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="pipeline_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class DealOutcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class PipelineStage(WorkspaceOwned):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField(help_text="Win probability in percent")
    outcome = models.CharField(max_length=8, choices=DealOutcome.choices, default=DealOutcome.OPEN)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["pipeline_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "key"], name="pipeline_stage_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Deal(WorkspaceOwned):
    name = models.CharField(max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(max_length=8, choices=DealOutcome.choices, default=DealOutcome.OPEN)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    primary_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    expected_close_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=24, choices=Channel.choices, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "closed_at"], name="deal_ws_status_closed"),
            models.Index(fields=["workspace", "owner"], name="deal_ws_owner"),
            # The list order read straight from the index (an import batch shares one time).
            models.Index(fields=["workspace", "created_at", "id"], name="deal_ws_created_id"),
            # The columnar copy picks up changed deals by this.
            models.Index(fields=["updated_at"], name="deal_updated"),
        ]

    def __str__(self) -> str:
        return self.name


class DealStageChange(WorkspaceOwned):
    """Append-only history of a deal's stage and amount, for pipeline analytics."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", db_index=False
    )  # indexed by deal_change_deal_time
    from_stage = models.ForeignKey(
        PipelineStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    occurred_at = models.DateTimeField()
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16)

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["deal", "occurred_at"], name="deal_change_deal_time"),
            models.Index(fields=["workspace", "occurred_at"], name="deal_change_ws_time"),
        ]


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class ActivityOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_VOICEMAIL = "left_voicemail", "Left voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    BOUNCED = "bounced", "Bounced"
    HELD = "held", "Held"
    NO_SHOW = "no_show", "No show"
    RESCHEDULED = "rescheduled", "Rescheduled"


class Activity(WorkspaceOwned):
    """One sales interaction logged by a user."""

    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # covered by activity_ws_user_time
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,  # covered by activity_contact_time
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=ActivityOutcome.choices, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="activity_ws_time"),
            models.Index(fields=["contact", "occurred_at"], name="activity_contact_time"),
            models.Index(fields=["workspace", "user", "occurred_at"], name="activity_ws_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
