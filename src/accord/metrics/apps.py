from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "accord.metrics"
    label = "metrics"
    verbose_name = "Metrics"
    default_auto_field = "django.db.models.BigAutoField"
