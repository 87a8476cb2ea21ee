"""Cleaners for references to people: an owner must be a member of the workspace."""

from __future__ import annotations

from typing import Any

from accord.core.cleaning import record_id
from accord.core.errors import ValidationFailed
from accord.identity.models import Membership


def member(value: Any, field: str, workspace_id: int) -> int | None:
    if value is None or value == "":
        return None
    user_id = record_id(value, field, "user")
    if not Membership.objects.for_workspace(workspace_id).filter(user_id=user_id).exists():
        raise ValidationFailed.single(field, f"User {user_id} is not a member of this workspace.")
    return user_id
