from __future__ import annotations

from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "accord.meetings"
    label = "meetings"
    verbose_name = "Joint meetings"
    default_auto_field = "django.db.models.BigAutoField"
