"""Marketing channels: one vocabulary for a contact's original source, a campaign's channel and
a touchpoint's channel, so that every breakdown lines up."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    ORGANIC_SEARCH = "organic_search", "Organic search"
    ORGANIC_SOCIAL = "organic_social", "Organic social"
    EMAIL = "email", "Email marketing"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    CONTENT = "content", "Content syndication"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    DIRECT = "direct", "Direct traffic"
    OUTBOUND = "outbound", "Sales outbound"
    OTHER = "other", "Other"
