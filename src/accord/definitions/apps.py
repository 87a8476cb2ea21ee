from __future__ import annotations

from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "accord.definitions"
    label = "definitions"
    verbose_name = "Lead definitions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.core.events import subscribe
        from accord.definitions.subscribers import on_record_event

        # Scores follow the records: a changed contact or new engagement is re-scored on commit.
        subscribe(on_record_event)
