"""Campaigns, cost entries and touchpoints."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.channels import Channel
from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager


class CampaignType(models.TextChoices):
    ADS = "ads", "Ads"
    EMAIL = "email", "Email"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    CONTENT = "content", "Content"
    SEO = "seo", "SEO"
    REFERRAL = "referral", "Referral programme"
    OTHER = "other", "Other"


class Campaign(WorkspaceOwned):
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=24, choices=Channel.choices)
    type = models.CharField(max_length=16, choices=CampaignType.choices, default=CampaignType.OTHER)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    utm_campaign = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The marketer who runs the campaign: credited when its touches win deals.",
    )
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="campaign_name_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "channel"], name="campaign_ws_channel")]

    def __str__(self) -> str:
        return self.name


class CampaignCost(WorkspaceOwned):
    """Money spent on a campaign on one date (ad spend, sponsorship, production)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="costs", db_index=False
    )  # indexed by campaign_cost_date
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=200, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "date"], name="campaign_cost_date"),
            models.Index(fields=["workspace", "date"], name="campaign_cost_ws_date"),
        ]


class TouchpointType(models.TextChoices):
    AD_CLICK = "ad_click", "Ad click"
    FORM_FILL = "form_fill", "Form fill"
    WEBINAR = "webinar", "Webinar attended"
    EMAIL_SEND = "email_send", "Marketing email sent"  # counts against the buyer's contact cap
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    EVENT = "event", "Event scan"
    WEB_VISIT = "web_visit", "Web visit"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    CHAT = "chat", "Chat"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    BOUNCE = "bounce", "Email bounce"


class Touchpoint(WorkspaceOwned):
    """One marketing interaction of a contact."""

    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )  # indexed by touch_contact_time
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )  # indexed by touch_campaign_time
    channel = models.CharField(max_length=24, choices=Channel.choices)
    type = models.CharField(max_length=20, choices=TouchpointType.choices)
    occurred_at = models.DateTimeField()
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    landing_page = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="touch_ws_time"),
            models.Index(fields=["contact", "occurred_at"], name="touch_contact_time"),
            models.Index(fields=["campaign", "occurred_at"], name="touch_campaign_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_channel_display()})"


# The enablement library and the calendar live in their own modules; importing them here
# registers them with the app.
from accord.marketing.calendar_models import CalendarEntry, CalendarKind  # noqa: E402
from accord.marketing.enablement_models import (  # noqa: E402
    Asset,
    AssetKind,
    AssetUsage,
    AssetVersion,
)

__all__ = [
    "Asset",
    "AssetKind",
    "AssetUsage",
    "AssetVersion",
    "CalendarEntry",
    "CalendarKind",
    "Campaign",
    "CampaignCost",
    "CampaignType",
    "Touchpoint",
    "TouchpointType",
]
