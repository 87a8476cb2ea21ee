"""Helpers the record services share: loading a record of the actor's workspace for writing."""

from __future__ import annotations

from typing import Any

from django.db import models

from accord.core.errors import NotFound
from accord.identity.actor import Actor


def locked[M: models.Model](model: type[M], actor: Actor, pk: int, label: str) -> M:
    """Load a record of the actor's workspace with a row lock, or raise NotFound. A record of
    another workspace is reported exactly like a missing one."""
    manager: Any = model._default_manager
    record: M | None = (
        manager.for_workspace(actor.workspace).select_for_update().filter(pk=pk).first()
    )
    if record is None:
        raise NotFound(f"No {label} with id {pk} in this workspace.")
    return record


def apply(record: models.Model, cleaned: dict[str, Any]) -> list[str]:
    """Set cleaned values on a record and return the names of the fields that changed."""
    changed = []
    for name, value in cleaned.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return changed
