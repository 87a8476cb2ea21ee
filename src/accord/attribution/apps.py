from __future__ import annotations

from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "accord.attribution"
    label = "attribution"
    verbose_name = "Attribution"
    default_auto_field = "django.db.models.BigAutoField"
