from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "accord.metrics"
    label = "metrics"
    verbose_name = "Metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.core import bulk_copy
        from accord.metrics.bulk_reads import open_for_bulk

        bulk_copy.provide(open_for_bulk)
