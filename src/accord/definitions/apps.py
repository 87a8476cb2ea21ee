from __future__ import annotations

from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "accord.definitions"
    label = "definitions"
    verbose_name = "Lead definitions"
    default_auto_field = "django.db.models.BigAutoField"
