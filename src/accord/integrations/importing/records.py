"""Importers for companies, deals, activities, campaigns and touchpoints.

These go through each context's single-record services (the validation and invariants live
there); only contacts, the high-volume type, have a bulk path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord.identity.actor import Actor
from accord.integrations.importing.mapping import ColumnMapping

RECORD_IMPORTERS: dict[str, Callable[..., Any]] = {}


def register(record_type: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        RECORD_IMPORTERS[record_type] = cls
        return cls

    return wrap


def _unused(actor: Actor, mapping: ColumnMapping) -> None:  # keeps the imports typed
    return None
