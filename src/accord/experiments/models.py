"""The experiment registry both teams share: experiments, their variants, the contacts
assigned to each, and what each concluded experiment taught."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager

_USER = settings.AUTH_USER_MODEL


class Subject(models.TextChoices):
    """What the experiment varies."""

    LANDING_PAGE = "landing_page", "Landing page"
    EMAIL = "email", "Email"
    OFFER = "offer", "Offer"
    CHANNEL = "channel", "Channel"
    ROUTING_RULE = "routing_rule", "Routing rule"
    FOLLOW_UP_CADENCE = "follow_up_cadence", "Follow-up cadence"
    CALL_SCRIPT = "call_script", "Call script"
    OTHER = "other", "Other"


class OutcomeMetric(models.TextChoices):
    """Pipeline outcomes an experiment is judged on (`metrics.cohorts` defines each)."""

    MQL_RATE = "mql_rate", "Conversion to MQL"
    SAL_RATE = "sal_rate", "Conversion to SAL"
    SQL_RATE = "sql_rate", "Conversion to SQL"
    WON_RATE = "won_rate", "Conversion to won"
    ACCEPTANCE_RATE = "acceptance_rate", "Acceptance rate"
    PIPELINE_PER_LEAD = "pipeline_per_lead", "Pipeline per lead"
    REVENUE_PER_LEAD = "revenue_per_lead", "Revenue per lead"
    HOURS_TO_FIRST_TOUCH = "hours_to_first_touch", "Hours to first touch"


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    CONCLUDED = "concluded", "Concluded"


class AssignmentMethod(models.TextChoices):
    HASH = "hash", "Accord assigns by hashing the contact (stable)"
    RECORDED = "recorded", "Recorded from the marketing tool (API)"


class Experiment(WorkspaceOwned):
    key = models.SlugField(max_length=60, help_text="Stable: the assignment hash uses it.")
    name = models.CharField(max_length=200)
    hypothesis = models.TextField()
    subject = models.CharField(max_length=20, choices=Subject.choices)
    marketing_owner = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sales_owner = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_metric = models.CharField(max_length=24, choices=OutcomeMetric.choices)
    guardrails = models.JSONField(default=list, blank=True, help_text="Other outcome metrics.")
    planned_sample_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Contacts per variant."
    )
    planned_days = models.PositiveIntegerField(null=True, blank=True)
    assignment = models.CharField(
        max_length=10, choices=AssignmentMethod.choices, default=AssignmentMethod.HASH
    )
    status = models.CharField(
        max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Changes to the metrics after the start, kept so that the results can warn about them.
    metric_changes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="experiment_key_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "status"], name="experiment_ws_status")]

    def __str__(self) -> str:
        return self.name


class Variant(WorkspaceOwned):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    is_control = models.BooleanField(default=False)
    weight = models.PositiveIntegerField(default=1, help_text="Share of the traffic, relative.")
    description = models.TextField(blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="variant_key_unique"),
        ]
        ordering = ["-is_control", "pk"]

    def __str__(self) -> str:
        return self.name


class Assignment(WorkspaceOwned):
    """A contact in an experiment: its variant, when it was assigned and first exposed."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="assignments")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=AssignmentMethod.choices)
    exposed_at = models.DateTimeField(null=True, blank=True)
    exposures = models.PositiveIntegerField(default=0)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "contact"], name="assignment_contact_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "contact"], name="assignment_ws_contact"),
        ]


class Outcome(models.TextChoices):
    WON = "won", "Won: the variant did better"
    LOST = "lost", "Lost: the variant did worse"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class Learning(WorkspaceOwned):
    """What a concluded experiment decided and taught — losses included."""

    experiment = models.OneToOneField(Experiment, on_delete=models.CASCADE, related_name="learning")
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    decision = models.CharField(max_length=300, help_text="e.g. ship variant B to every lead")
    result = models.TextField(help_text="The numbers, as read when the experiment concluded.")
    learned = models.TextField(help_text="What both teams take from it.")
    recorded_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()
