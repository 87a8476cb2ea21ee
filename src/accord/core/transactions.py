"""Transaction helpers shared by every context's services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction


def atomic_service[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run a service function in one transaction: it writes everything or nothing."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic():
            return func(*args, **kwargs)

    return wrapper


def on_commit(callback: Callable[[], Any]) -> None:
    """Publish an event only once the surrounding transaction has committed."""
    transaction.on_commit(callback)
