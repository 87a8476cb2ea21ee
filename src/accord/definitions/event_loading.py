"""Loading engagement events as columns, fast: one SQL statement per table through the cursor.

Re-scoring reads every touchpoint and activity of a workspace; going through model instances or
even `values_list` would spend most of the time building datetimes. Here the database returns
epoch seconds and a small integer per event kind (small ints are shared objects in Python, so a
row costs one tuple, one id and one float), and only the kinds a definition can score are read.
The statements are parameterised; table and column names come from the models' metadata.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection

from accord.crm.models import Activity
from accord.definitions.document import ACTIVITY_KINDS, TOUCHPOINT_TYPES
from accord.definitions.scoring import EventColumns, IntArray
from accord.marketing.models import Touchpoint

KINDS: tuple[str, ...] = (
    *(f"touchpoint:{t}" for t in TOUCHPOINT_TYPES),
    *(f"activity:{k}" for k in ACTIVITY_KINDS),
)
ALWAYS = ("touchpoint:unsubscribe", "touchpoint:bounce")  # negative signals


@dataclass(frozen=True)
class _Scope:
    workspace_id: int
    contact_ids: Sequence[int] | None
    id_range: tuple[int, int] | None
    utm: bool


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    return f"(julianday({column}) - 2440587.5) * 86400.0"  # SQLite stores UTC text


def _workspace(scope: _Scope) -> str:
    """The workspace column, as written in the WHERE clause. Without statistics SQLite prefers
    the (workspace, time) index over the contact index even for a narrow contact range, and
    scans the whole workspace per slice; a unary + keeps it off that index."""
    narrowed = scope.contact_ids is not None or scope.id_range is not None
    return "+workspace_id" if narrowed and connection.vendor == "sqlite" else "workspace_id"


def _kind_code(column: str, prefix: str, wanted: Sequence[str]) -> tuple[str, list[Any]]:
    """A CASE mapping each wanted value of `column` to its index in KINDS."""
    cases = " ".join("WHEN %s THEN %s" for _ in wanted)
    params: list[Any] = []
    for value in wanted:
        params += [value, KINDS.index(f"{prefix}:{value}")]
    return f"CASE {column} {cases} END", params


def _statement(
    model: Any, prefix: str, values: Sequence[str], scope: _Scope
) -> tuple[str, list[Any]]:
    meta = model._meta
    kind_column = "type" if prefix == "touchpoint" else "kind"
    code, params = _kind_code(kind_column, prefix, values)
    campaign = "COALESCE(campaign_id, -1)" if prefix == "touchpoint" else "-1"
    content = "COALESCE(utm_content, '')" if prefix == "touchpoint" and scope.utm else "''"
    marks = ", ".join("%s" for _ in values)
    sql = (
        f"SELECT contact_id, {code}, {_epoch('occurred_at')}, {campaign}, {content} "  # noqa: S608 - fixed names; values are placeholders
        f"FROM {meta.db_table} WHERE {_workspace(scope)} = %s AND contact_id IS NOT NULL "
        f"AND {kind_column} IN ({marks})"
    )
    params += [scope.workspace_id, *values]
    if scope.id_range is not None:
        sql += " AND contact_id >= %s AND contact_id < %s"
        params += list(scope.id_range)
    if scope.contact_ids is not None:
        sql += f" AND contact_id IN ({', '.join('%s' for _ in scope.contact_ids)})"
        params += list(scope.contact_ids)
    return sql, params


def load_events(
    workspace_id: int,
    ids: IntArray,
    *,
    kinds: Collection[str] | None = None,
    contact_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    utm: bool = True,
) -> EventColumns:
    """The events of the contacts in `ids` (sorted), as columns indexed into `ids`. `kinds`
    limits the read to those kinds (plus the negative signals); None reads every kind."""
    wanted = set(KINDS) if kinds is None else set(kinds) | set(ALWAYS)
    rows: list[tuple[Any, ...]] = []
    scope = _Scope(workspace_id, contact_ids, id_range, utm)
    with connection.cursor() as cursor:
        for model, prefix in ((Touchpoint, "touchpoint"), (Activity, "activity")):
            values = [k.split(":", 1)[1] for k in KINDS if k in wanted and k.startswith(prefix)]
            if not values:
                continue
            sql, params = _statement(model, prefix, values, scope)
            cursor.execute(sql, params)
            rows += cursor.fetchall()
    if not rows or not len(ids):
        return EventColumns.empty()
    contact, code, when, campaign, content = zip(*rows, strict=True)
    contact_index = np.array(contact, dtype=np.int64)
    position = np.minimum(np.searchsorted(ids, contact_index), len(ids) - 1)
    known = ids[position] == contact_index
    return EventColumns(
        contact_index=position.astype(np.int64),
        kind=np.array(KINDS, dtype=np.str_)[np.array(code, dtype=np.int64)],
        timestamp=np.array(when, dtype=np.float64),
        campaign_id=np.array(campaign, dtype=np.int64),
        utm_content=np.array(content, dtype=np.str_),
    ).select(known)
