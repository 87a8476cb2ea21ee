"""The marketing calendar sales can see: campaigns, events, webinars, sends and launches by
date, with the leads (and MQLs) each is expected to bring."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager


class CalendarKind(models.TextChoices):
    CAMPAIGN = "campaign", "Campaign"
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    EMAIL_SEND = "email_send", "Email send"
    LAUNCH = "launch", "Launch"
    OTHER = "other", "Other"


class CalendarEntry(WorkspaceOwned):
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=CalendarKind.choices)
    campaign = models.ForeignKey(
        "marketing.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calendar_entries",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    expected_leads = models.PositiveIntegerField(default=0)
    expected_mqls = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: estimated from the lead-to-MQL rate."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "calendar entries"
        indexes = [
            models.Index(fields=["workspace", "start_date"], name="calendar_ws_start"),
        ]

    def __str__(self) -> str:
        return self.title
