"""The handoff: SLA agreements, routing settings, handed-off leads, disputes, escalations and
contact-cap violations."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager
from accord.definitions.models import DocumentApproval, VersionedDocument

_USER = settings.AUTH_USER_MODEL


class SlaAgreement(VersionedDocument):
    """One version of the workspace's two-way SLA (document: `sla_document.SlaDocument`)."""

    objects = WorkspaceManager()

    class Meta(VersionedDocument.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "version"], name="sla_agreement_version_unique"
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(status="active"),
                name="sla_agreement_one_active",
            ),
        ]


class SlaApproval(DocumentApproval):
    agreement = models.ForeignKey(SlaAgreement, on_delete=models.CASCADE, related_name="approvals")

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "team_kind"], name="sla_approval_kind_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_kind} approval of SLA {self.agreement_id}"


# Routing settings -------------------------------------------------------------------------


class RoutingRule(WorkspaceOwned):
    """One ordered rule: when every condition matches, the lead goes to a person or rotates
    inside a team. Conditions are `routing.Condition` values stored as JSON."""

    position = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    conditions = models.JSONField(default=list)
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="routing_rule_name_unique"),
            models.CheckConstraint(
                condition=models.Q(team__isnull=True, user__isnull=False)
                | models.Q(team__isnull=False, user__isnull=True),
                name="routing_rule_team_xor_user",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SellerSettings(WorkspaceOwned):
    """How a member takes leads: share of the rotation, most open handoffs at once."""

    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="+")
    weight = models.FloatField(default=1.0)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    accepts_leads = models.BooleanField(default=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="seller_settings_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: weight {self.weight:g}"


class OutOfOffice(WorkspaceOwned):
    """Inclusive dates a member is away: the rotation skips them."""

    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="ooo_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} away {self.starts_on}-{self.ends_on}"


class TeamRotation(WorkspaceOwned):
    """A team's rotation state (`rotation.RotationState`), kept between assignments."""

    team = models.OneToOneField("identity.Team", on_delete=models.CASCADE, related_name="+")
    credit = models.JSONField(default=dict)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"rotation of team {self.team_id}"


class ReasonOutcome(models.TextChoices):
    DISQUALIFIED = "disqualified", "Disqualified"
    RECYCLED = "recycled", "Recycled to nurture"


class RejectionReason(WorkspaceOwned):
    """A reason code sales picks when rejecting a lead; marketing learns from the counts."""

    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    outcome = models.CharField(max_length=12, choices=ReasonOutcome.choices)
    needs_attempts = models.BooleanField(default=False)  # "unresponsive": the SLA's K attempts
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"], name="rejection_reason_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


# Handoffs ---------------------------------------------------------------------------------


class HandoffStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    RECYCLED = "recycled", "Recycled to nurture"


class SlaState(models.TextChoices):
    UNTIMED = "untimed", "No SLA"  # no active agreement when the lead was handed over
    DUE = "due", "Due"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"


class Handoff(WorkspaceOwned):
    """One MQL handed to sales: who got it and why, its SLA clock, and what sales decided."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="handoffs")
    owner = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # None: the fallback queue
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routing_rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_by = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.OPEN
    )
    assigned_at = models.DateTimeField()
    definition_version = models.CharField(max_length=40, blank=True)
    agreement = models.ForeignKey(
        SlaAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The sales side's clock: first touch within H business hours, K attempts within D days.
    sla_state = models.CharField(max_length=10, choices=SlaState.choices, default=SlaState.UNTIMED)
    first_touch_due_at = models.DateTimeField(null=True, blank=True)
    first_touched_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    attempts_due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 1 owner, 2 manager told
    manager_escalation_at = models.DateTimeField(null=True, blank=True)  # breach + grace
    # Sales' decision.
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.ForeignKey(
        RejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.CharField(max_length=1000, blank=True)
    recycle_until = models.DateField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(status="open"),
                name="handoff_one_open_per_contact",
            ),
        ]
        indexes = [
            # An owner's (or the queue's: no owner) open handoffs, oldest first, without a sort.
            models.Index(
                fields=["workspace", "owner", "status", "assigned_at"],
                name="handoff_ws_owner_status_time",
            ),
            models.Index(
                fields=["workspace", "sla_state", "first_touch_due_at"], name="handoff_ws_sla_due"
            ),
            # The inbox order read straight from the index: a bulk hand-over assigns many at once.
            models.Index(fields=["workspace", "assigned_at", "id"], name="handoff_ws_assigned_id"),
            # The period's outcomes (acceptance, rejection reasons) read from the index alone.
            models.Index(
                fields=["workspace", "assigned_at", "status", "reason"],
                name="handoff_ws_assigned_outcome",
            ),
            # The period's decisions (acceptance, feedback and adoption figures).
            models.Index(fields=["workspace", "decided_at"], name="handoff_ws_decided"),
            # An owner's latest decisions (the inbox's "recently decided"), without a sort.
            models.Index(
                fields=["workspace", "owner", "decided_at"], name="handoff_ws_owner_decided"
            ),
        ]

    def __str__(self) -> str:
        return f"handoff {self.pk} of contact {self.contact_id} ({self.status})"


class DisputeOutcome(models.TextChoices):
    PENDING = "pending", "Awaiting the manager"
    UPHELD = "upheld", "Rejection upheld"
    OVERTURNED = "overturned", "Rejection overturned"


class Dispute(WorkspaceOwned):
    """Marketing questions one rejection, once; a manager resolves it."""

    handoff = models.OneToOneField(Handoff, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(max_length=1000)
    outcome = models.CharField(
        max_length=12, choices=DisputeOutcome.choices, default=DisputeOutcome.PENDING
    )
    resolved_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=1000, blank=True)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"dispute of handoff {self.handoff_id} ({self.outcome})"


class EscalationKind(models.TextChoices):
    BREACH_OWNER = "breach_owner", "First-touch SLA breached (owner told)"
    BREACH_MANAGER = "breach_manager", "Breach not fixed after the grace period (manager told)"
    UNASSIGNED = "unassigned", "No owner available: lead in the fallback queue"
    DISPUTE = "dispute", "Marketing disputes a rejection"


class Escalation(WorkspaceOwned):
    """One notice sent about a handoff: in-app (this row), by email and to Slack."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(max_length=16, choices=EscalationKind.choices)
    recipient = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500)
    delivered_at = models.DateTimeField(null=True, blank=True)  # emailed and announced
    emailed = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "recipient", "read_at"], name="escalation_ws_inbox"),
            models.Index(fields=["delivered_at"], name="escalation_undelivered"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for handoff {self.handoff_id}"


class ContactCapViolation(WorkspaceOwned):
    """A touch logged although it took the contact over the buyer's cap (after the warning)."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(
        "crm.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touches = models.PositiveIntegerField()  # in the window, this one included
    limit = models.PositiveIntegerField()
    window_hours = models.FloatField()
    agreement = models.ForeignKey(SlaAgreement, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"contact {self.contact_id}: {self.touches} touches (cap {self.limit})"
