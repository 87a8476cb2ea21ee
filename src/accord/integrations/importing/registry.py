"""The registry of record importers other than contacts: record type -> importer class.

Each importer module registers itself with `@register("<type>")`; `records` imports them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RECORD_IMPORTERS: dict[str, Callable[..., Any]] = {}


def register[T: type](record_type: str) -> Callable[[T], T]:
    def wrap(cls: T) -> T:
        RECORD_IMPORTERS[record_type] = cls
        return cls

    return wrap
