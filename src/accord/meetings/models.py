"""Joint sales-and-marketing meetings: the workspace's cadence, each meeting with the agenda
generated for it, its notes and decisions, the action items raised in it, and the reminders
sent about them (one row per item, kind and day, so that a reminder is never sent twice)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager

_USER = settings.AUTH_USER_MODEL


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class MeetingCadence(WorkspaceOwned):
    """When the two teams meet: every `every_weeks` weeks on `weekday` at `local_time`."""

    title = models.CharField(max_length=120, default="Weekly revenue sync")
    every_weeks = models.PositiveSmallIntegerField(default=1)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    local_time = models.TimeField()
    starts_on = models.DateField(help_text="Meetings are counted from the first one on or after.")
    time_zone = models.CharField(max_length=64, default="UTC")
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="meeting_cadence_one_per_ws"),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(WorkspaceOwned):
    title = models.CharField(max_length=120)
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    held_at = models.DateTimeField(null=True, blank=True)
    # The agenda as generated (`meetings.agenda`): {"schema_version", "generated_at", "since",
    # "until", "sections": [...]}; regenerated on request until the meeting is held, then frozen.
    agenda = models.JSONField(default=dict, blank=True)
    agenda_generated_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the day-before reminder
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "scheduled_at"], name="meeting_ws_status"),
        ]
        ordering = ["-scheduled_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_at:%Y-%m-%d})"


class Decision(WorkspaceOwned):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.CharField(max_length=1000)
    decided_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        ordering = ["pk"]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ActionItem(WorkspaceOwned):
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "due_on"], name="action_ws_status_due"),
            models.Index(fields=["workspace", "due_on"], name="action_ws_due"),
        ]
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class ReminderKind(models.TextChoices):
    DUE_TOMORROW = "due_tomorrow", "Action item due tomorrow"
    OVERDUE = "overdue", "Action item overdue"
    MEETING_TOMORROW = "meeting_tomorrow", "Joint meeting tomorrow"


class Reminder(WorkspaceOwned):
    """One reminder sent (in-app, and by email when the user has an address). Unique per
    (recipient, kind, item or meeting, day): running the reminder pass twice sends nothing new."""

    recipient = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    action_item = models.ForeignKey(
        ActionItem, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    day = models.DateField()
    message = models.CharField(max_length=500)
    emailed = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "action_item", "day"],
                condition=models.Q(action_item__isnull=False),
                name="reminder_item_once_a_day",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "meeting", "day"],
                condition=models.Q(meeting__isnull=False),
                name="reminder_meeting_once_a_day",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "recipient", "read_at"], name="reminder_ws_user"),
        ]
