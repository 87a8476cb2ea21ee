"""Keyset (cursor) pagination with a client-chosen ordering.

A list endpoint takes ``ordering`` (one of the resource's allowed orderings, ``-`` for
descending), ``limit`` (1-500, default 50) and ``cursor`` (the ``next_cursor`` of the previous
page). Rows are ordered by the ordering field and then by id, so the order is total and a page
boundary never skips or repeats a row, even when many rows share a value. Nullable fields sort
their empty values last in both directions.

The cursor is opaque: base64 JSON of the ordering, the last row's value and the last row's id,
signed so that a client cannot hand the database a value it never produced. Each page is one
query (``LIMIT n + 1``, no COUNT), whatever the page size or the page number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from ninja import Schema
from pydantic import Field

from accord.api.schemas import MAX_ID, StorableText
from accord.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_SALT = "accord.api.cursor"


class ListParams(StorableText):
    """Paging parameters every list endpoint takes. Each resource adds ``ordering`` (a Literal
    of its allowed orderings) and its filters."""

    cursor: str | None = Field(
        None, description="The next_cursor of the previous page; omit it for the first page."
    )
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page (1-{MAX_LIMIT})."
    )


class Page[T](Schema):
    """One page of a list. ``next_cursor`` is null on the last page."""

    results: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class PageResult[M: models.Model]:
    results: list[M]
    next_cursor: str | None


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(f"{model.__name__} has no field {name!r} to order by") from None
    if not isinstance(field, models.Field) or field.is_relation:
        raise ValueError(f"{model.__name__}.{name} cannot be used as an ordering")
    return field


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(ordering: str, value: Any, pk: int) -> str:
    return signing.dumps({"o": ordering, "v": _encode_value(value), "id": pk}, salt=_SALT)


@dataclass(frozen=True)
class Cursor:
    ordering: str
    value: Any
    pk: int


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.single(
        "cursor", f"{message} Use the next_cursor of a previous page, or omit it."
    )


def decode_cursor(raw: str, model: type[models.Model]) -> Cursor:
    try:
        data = signing.loads(raw.strip(), salt=_SALT)
    except signing.BadSignature:
        raise _invalid("This cursor is not valid.") from None
    if not isinstance(data, dict) or set(data) != {"o", "v", "id"}:
        raise _invalid("This cursor is not valid.")
    ordering, value, pk = data["o"], data["v"], data["id"]
    if not isinstance(ordering, str) or not isinstance(pk, int) or isinstance(pk, bool):
        raise _invalid("This cursor is not valid.")
    if not 0 < pk <= MAX_ID:
        raise _invalid("This cursor is not valid.")
    try:
        field = _field(model, ordering.removeprefix("-"))
    except ValueError:
        raise _invalid("This cursor belongs to another list.") from None
    if value is not None:
        try:
            value = field.to_python(value)
        except DjangoValidationError:
            raise _invalid("This cursor is not valid.") from None
    return Cursor(ordering=ordering, value=value, pk=pk)


def _after(field: models.Field[Any, Any], descending: bool, cursor: Cursor) -> Q:
    """Rows that come after the cursor's row in (field, id) order, nulls last."""
    name = field.name
    gt, id_gt = ("lt", "pk__lt") if descending else ("gt", "pk__gt")
    if cursor.value is None:
        return Q(**{f"{name}__isnull": True, id_gt: cursor.pk})
    condition = Q(**{f"{name}__{gt}": cursor.value}) | Q(**{name: cursor.value, id_gt: cursor.pk})
    if field.null:
        condition |= Q(**{f"{name}__isnull": True})
    return condition


def paginate[M: models.Model](
    queryset: QuerySet[M],
    *,
    ordering: str,
    limit: int,
    cursor: str | None,
    ordering_given: bool = True,
) -> PageResult[M]:
    """One page of ``queryset`` in ``ordering`` after ``cursor``.

    ``ordering`` has been checked against the resource's allowed list by the schema. When the
    client did not choose an ordering (``ordering_given`` is false) a cursor carries its own; a
    cursor made for another ordering than the one asked for is an error.
    """
    model = queryset.model
    decoded = decode_cursor(cursor, model) if cursor else None
    if decoded is not None and decoded.ordering != ordering:
        if ordering_given:
            raise ValidationFailed.single(
                "cursor",
                f"This cursor belongs to ordering '{decoded.ordering}', not '{ordering}'. "
                "Repeat the ordering of the first page, or omit the cursor.",
            )
        ordering = decoded.ordering
    descending = ordering.startswith("-")
    field = _field(model, ordering.removeprefix("-"))
    if field.null:
        expression = (
            F(field.name).desc(nulls_last=True)
            if descending
            else F(field.name).asc(nulls_last=True)
        )
        qs = queryset.order_by(expression, "-pk" if descending else "pk")
    else:
        qs = queryset.order_by(ordering, "-pk" if descending else "pk")
    if decoded is not None:
        qs = qs.filter(_after(field, descending, decoded))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(ordering, getattr(last, field.attname), int(last.pk))
    return PageResult(results=rows, next_cursor=next_cursor)


def paginate_params[M: models.Model](queryset: QuerySet[M], params: ListParams) -> PageResult[M]:
    """`paginate` with the paging parameters of a request (``params.ordering`` included)."""
    ordering = str(getattr(params, "ordering", "-created_at"))
    return paginate(
        queryset,
        ordering=ordering,
        limit=params.limit,
        cursor=params.cursor,
        ordering_given="ordering" in params.model_fields_set,
    )
