from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "accord.alignment"
    label = "alignment"
    verbose_name = "Alignment"
    default_auto_field = "django.db.models.BigAutoField"
