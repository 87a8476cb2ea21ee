"""Schema building blocks every context's API shares: bounded ids, request-body bases that
refuse unknown fields and text a database cannot store, and money formatting.

The pydantic layer only parses types. Domain rules (email syntax, currency codes, negative
amounts, stage names, references to other workspaces) stay in the services, which report them
field by field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from accord.core.cleaning import MAX_ID
from accord.core.errors import ValidationFailed
from accord.core.periods import OUT_OF_RANGE, in_range

# Bigger ids than a column holds would overflow in the database driver (a 500), so they are
# rejected while parsing (a 400).
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""The id of a record: a positive 64-bit integer."""

SmallCount = Annotated[int, Field(ge=0, le=2**31 - 1)]
"""A non-negative count that fits a 32-bit integer column."""


def storable_text_problem(value: str) -> str | None:
    """Why a database cannot store this text, or None. PostgreSQL refuses NUL characters and
    every driver refuses lone UTF-16 surrogates (which JSON escapes can produce)."""
    if "\x00" in value:
        return "Text cannot contain NUL (\\u0000) characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (no lone surrogate escapes)."
    return None


MAX_DEPTH = 100  # JSON values nested deeper are refused before anything recurses into them


def _check_storable(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"Values are nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        if problem := storable_text_problem(value):
            raise ValueError(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, depth + 1)
            _check_storable(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_storable(item, depth + 1)


class StorableText(Schema):
    """A base that rejects text the database cannot store, in any field, nested or not."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        _check_storable(value)
        return value


class InSchema(StorableText):
    """A request body. Unknown fields are an error (a typo must not be dropped silently)."""

    model_config = ConfigDict(extra="forbid")

    def to_values(self) -> dict[str, Any]:
        """The fields the client sent, as the mapping the services take."""
        return self.model_dump(exclude_unset=True)


class ResultList[T](Schema):
    """An unpaginated list (small configuration lists, a contact's timeline)."""

    results: list[T]


def money(value: Decimal | int | float | None) -> str:
    """Amounts leave the API as strings with two decimals, so no precision is lost."""
    return format(Decimal(value or 0), ".2f")


def in_range_or_400(**values: dt.datetime | dt.date | None) -> None:
    """Refuse (400, naming the parameter) a date or time outside the dates Accord reports on,
    before anything computes with it: a default period reaching back from an end near year 1
    would overflow."""
    for field, value in values.items():
        if value is not None and not in_range(value):
            raise ValidationFailed.single(
                field, f"'{value.isoformat()}' is out of range: {OUT_OF_RANGE}."
            )


def aware(value: dt.datetime | None, field: str = "query") -> dt.datetime | None:
    """Query parameters without an offset are read as UTC; every value goes on in UTC, so an
    offset Python accepts but the database does not (beyond +-15:59) never reaches it."""
    if value is None:
        return None
    in_range_or_400(**{field: value})
    if timezone.is_naive(value):
        return timezone.make_aware(value, dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationFailed.single(field, f"'{value}' is out of range in UTC.") from None
