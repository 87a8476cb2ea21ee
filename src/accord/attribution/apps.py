from __future__ import annotations

from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "accord.attribution"
    label = "attribution"
    verbose_name = "Attribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.attribution.subscribers import on_event
        from accord.core.events import subscribe

        subscribe(on_event)
