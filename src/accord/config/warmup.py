"""Start-up work of a web process (never of a CLI command or worker, whose start stays light)."""

from __future__ import annotations

from django.urls import get_resolver


def load_url_patterns() -> None:
    """Import the URL configuration and everything it reaches (views, API schemas)."""
    get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
