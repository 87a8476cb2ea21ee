"""Small rendering helpers shared by the CRM endpoints."""

from __future__ import annotations

from typing import Any


def display_name(user: Any) -> str | None:
    return user.display_name if user is not None else None
