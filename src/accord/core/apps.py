from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(using: str = "default", **_: Any) -> None:
    """With ACCORD_CACHE=database, `accord migrate` creates the shared cache's table too (a
    no-op when it exists)."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.ACCORD_CACHE == "database":
        call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "accord.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
