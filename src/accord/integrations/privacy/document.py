"""Rows as plain JSON for the subject access document: every stored field by its column name
(`owner_id`, not `owner`), times as ISO 8601 text, money as text with its decimals."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models


def plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def fields(obj: models.Model, *, leave_out: Iterable[str] = ("workspace",)) -> dict[str, Any]:
    """Every concrete field of `obj` but the ones named (by field name)."""
    skip = set(leave_out)
    return {
        f.attname: plain(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.name not in skip
    }


def rows(objs: Iterable[models.Model], **kwargs: Any) -> list[dict[str, Any]]:
    return [fields(obj, **kwargs) for obj in objs]
