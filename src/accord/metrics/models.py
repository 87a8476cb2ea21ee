"""Stored revenue goals: the number both teams work back from (`metrics.planning` turns one into
each team's numbers and paces it; `metrics.goals` is the write path)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager
from accord.crm.segments import SEGMENTS

QUARTER_MONTHS = (1, 4, 7, 10)


class GoalPeriod(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class GoalSegment(models.TextChoices):
    """Company-size segments (`crm.segments.SEGMENTS`); a goal's "" means every segment."""

    SMB = "smb", SEGMENTS["smb"]
    MID_MARKET = "mid_market", SEGMENTS["mid_market"]
    ENTERPRISE = "enterprise", SEGMENTS["enterprise"]


def period_end(period: str, start: dt.date) -> dt.date:
    """The last day (inclusive) of the month or quarter that begins on `start`."""
    months = 3 if period == GoalPeriod.QUARTER else 1
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def period_title(period: str, start: dt.date) -> str:
    """'December 2026' or 'Q4 2026'."""
    if period == GoalPeriod.QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start:%B %Y}"


class Goal(WorkspaceOwned):
    """A revenue goal for one month or quarter, for the whole workspace or one segment."""

    period = models.CharField(max_length=8, choices=GoalPeriod.choices)
    period_start = models.DateField(help_text="The first day of the month or quarter.")
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    segment = models.CharField(max_length=16, blank=True, default="", choices=GoalSegment.choices)
    lookback_days = models.PositiveIntegerField(
        default=365, help_text="Days of history the plan's rates and deal size come from."
    )
    channels = models.JSONField(
        default=list,
        blank=True,
        help_text="The channel mix the plan's history is drawn from (original sources); "
        "empty for every channel.",
    )
    note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-period_start", "period", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "period", "period_start", "segment"],
                name="goal_period_segment_unique",
            ),
            models.CheckConstraint(condition=models.Q(revenue__gt=0), name="goal_revenue_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period_end(self) -> dt.date:
        return period_end(self.period, self.period_start)

    @property
    def segment_label(self) -> str:
        return SEGMENTS.get(self.segment, "All segments")

    @property
    def title(self) -> str:
        """'December 2026 · All segments'."""
        return f"{period_title(self.period, self.period_start)} · {self.segment_label}"

    def contains(self, day: dt.date) -> bool:
        return self.period_start <= day <= self.period_end


class DigestChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"


class DigestDelivery(WorkspaceOwned):
    """One weekly digest sent on one channel: an email to one recipient, or the Slack message
    (the `digest.weekly` event). Written once the send succeeded, so the worker never sends a
    week twice and retries only what failed (`metrics.digest_send`)."""

    week_ending = models.DateField(help_text="The last day (a Sunday) of the week reported.")
    channel = models.CharField(max_length=8, choices=DigestChannel.choices)
    recipient = models.CharField(
        max_length=254, blank=True, default="", help_text="The email address; '' for Slack."
    )
    sent_at = models.DateTimeField()

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "week_ending", "channel", "recipient"],
                name="digest_delivery_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week_ending} {self.channel} {self.recipient}".strip()
