"""A bulk job's inputs read from the columnar copy (DuckDB) instead of the record store.

A full re-score or a back-test reads every contact and every scored event of the workspace.
Through the record store that is one Python tuple per row: about 13 s for ten million events
on SQLite. The copy hands the same rows back as columns (Arrow and numpy, no object per row) in
well under a second. It is offered, up to date, for large workspaces outside a transaction
(`core.bulk_copy`, `metrics.bulk_reads`). Otherwise — a small workspace, the copy's file held
by another process — and for the contacts of a definition that reads custom fields (the copy
does not keep them), the record store is read; both give the same rows (tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from accord.core import bulk_copy
from accord.definitions.contact_loading import ContactTable, encode_column, read_attributes
from accord.definitions.document import LeadDefinitionDocument
from accord.definitions.event_loading import KINDS, EventNeeds, EventTable, wanted_kinds


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pa.Table:
    return con.sql(sql, params=params).to_arrow_table()  # columns, no copy through rows


def _reads_custom_fields(doc: LeadDefinitionDocument) -> bool:
    return any("custom:" in rule.attribute for rule in doc.fit_rules)


def _contact_sql(names: list[str], domains: bool) -> str:
    columns = [
        f"coalesce(CAST(co.{name.split('.', 1)[1]} AS VARCHAR), '')"
        if name.startswith("company.")
        else f"c.{name}"
        for name in names
    ]
    domain = "coalesce(c.email_domain, '')" if domains else "''"
    # Unsorted: sorting the ids afterwards is faster than DuckDB sorting every column.
    return (
        f"SELECT c.id, {domain}, {', '.join(columns)} FROM crm_contact c "  # noqa: S608 - fixed names
        "LEFT JOIN crm_company co ON co.id = c.company_id WHERE c.workspace_id = ?"
    )


def _contacts(
    con: duckdb.DuckDBPyConnection, workspace_id: int, doc: LeadDefinitionDocument
) -> ContactTable:
    names = read_attributes(doc, only_used=True)
    signals = doc.negative_signals
    domains = bool(signals.competitor or signals.student)  # only domain signals read them
    table = _arrow(con, _contact_sql(names, domains), [workspace_id])
    ids = table.column(0).to_numpy().astype(np.int64)
    order = np.argsort(ids, kind="stable")  # nearly sorted already: a few runs to merge

    def encoded(column: int) -> tuple[np.ndarray, np.ndarray]:
        uniques, codes = encode_column(table.column(column).combine_chunks())
        return uniques, codes[order]

    distinct = {name: encoded(i + 2) for i, name in enumerate(names)}
    return ContactTable(ids=ids[order], distinct=distinct, domains=encoded(1))


_SOURCES = {"touchpoint": ("marketing_touchpoint", "type"), "activity": ("crm_activity", "kind")}


def _event_sql(
    workspace_id: int, prefix: str, values: list[str], needs: EventNeeds
) -> tuple[str, list[Any]]:
    """Contact, kind code and epoch of the wanted events; the campaign and utm_content only
    when a rule reads them (every column carried through the sort costs)."""
    table, kind_column = _SOURCES[prefix]
    cases = " ".join(f"WHEN ? THEN {KINDS.index(f'{prefix}:{v}')}" for v in values)
    touchpoint = prefix == "touchpoint"
    extra = ""
    if needs.campaigns:
        campaign = "coalesce(campaign_id, -1)" if touchpoint else "-1"
        extra += f", CAST({campaign} AS BIGINT) AS campaign"
    if needs.utm:
        content = "coalesce(utm_content, '')" if touchpoint else "''"
        extra += f", {content} AS content"
    marks = ", ".join("?" for _ in values)
    source = list(_SOURCES).index(prefix)
    sql = (
        f"SELECT contact_id, CAST(CASE {kind_column} {cases} END AS TINYINT) AS code, "  # noqa: S608 - fixed names
        f"epoch_us(occurred_at) / 1e6 AS epoch{extra}, {source} AS source, id FROM {table} "
        f"WHERE workspace_id = ? AND contact_id IS NOT NULL AND {kind_column} IN ({marks})"
    )
    return sql, [*values, workspace_id, *values]


def _events(
    con: duckdb.DuckDBPyConnection, workspace_id: int, doc: LeadDefinitionDocument
) -> EventTable:
    """The events in the event table's order (contact, time; touchpoints before activities
    and then by id at one instant), sorted by DuckDB."""
    needs = EventNeeds.of(doc)
    wanted = wanted_kinds(needs.kinds)
    parts: list[str] = []
    params: list[Any] = []
    for prefix in _SOURCES:
        values = [k.split(":", 1)[1] for k in KINDS if k in wanted and k.startswith(prefix)]
        if values:
            sql, more = _event_sql(workspace_id, prefix, values, needs)
            parts.append(sql)
            params += more
    if not parts:
        return _no_events(wanted)
    union = " UNION ALL ".join(parts)
    rows = _arrow(con, f"{union} ORDER BY contact_id, epoch, source, id", params)
    if not rows.num_rows:
        return _no_events(wanted)
    campaign = (
        rows.column("campaign").to_numpy().astype(np.int64)
        if needs.campaigns
        else np.full(rows.num_rows, -1, dtype=np.int64)
    )
    content = None
    if needs.utm:
        content = rows.column("content").to_numpy(zero_copy_only=False).astype(np.str_)
    return EventTable(
        contact_id=rows.column("contact_id").to_numpy().astype(np.int64),
        code=rows.column("code").to_numpy().astype(np.int8),
        timestamp=rows.column("epoch").to_numpy().astype(np.float64),
        campaign_id=campaign,
        utm_content=content,
        kinds=frozenset(wanted),
        campaigns=needs.campaigns,
    )


def _no_events(wanted: set[str]) -> EventTable:
    empty = np.zeros(0, dtype=np.int64)
    return EventTable(empty, np.zeros(0, np.int8), np.zeros(0), empty, None, frozenset(wanted))


def _created(con: duckdb.DuckDBPyConnection, workspace_id: int) -> tuple[np.ndarray, np.ndarray]:
    table = _arrow(
        con,
        "SELECT id, epoch_us(created_at) / 1e6 FROM crm_contact WHERE workspace_id = ?",
        [workspace_id],
    )
    return table.column(0).to_numpy().astype(np.int64), table.column(1).to_numpy()


def _reached(
    con: duckdb.DuckDBPyConnection, workspace_id: int, stages: Sequence[str], end: dt.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """(contact id, stage) for each stage of `stages` a contact's ledger reached by `end`."""
    marks = ", ".join("?" for _ in stages)
    table = _arrow(
        con,
        "SELECT DISTINCT contact_id, to_stage FROM crm_ledgerentry WHERE workspace_id = ? "  # noqa: S608 - placeholders only
        f"AND to_stage IN ({marks}) AND occurred_at <= ?",
        [workspace_id, *stages, end.astimezone(dt.UTC).replace(tzinfo=None)],
    )
    stage = table.column(1).to_numpy(zero_copy_only=False).astype(np.str_)
    return table.column(0).to_numpy().astype(np.int64), stage


@dataclass(frozen=True)
class CopyInputs:
    """What a bulk job read from the copy: contacts (None when the definition reads custom
    fields), every scored event, and when asked for each contact's creation time and the
    ledger stages contacts reached."""

    contacts: ContactTable | None
    events: EventTable
    created: tuple[np.ndarray, np.ndarray] | None = None
    reached: tuple[np.ndarray, np.ndarray] | None = None


def read_from_copy(
    workspace_id: int,
    doc: LeadDefinitionDocument,
    *,
    created: bool = False,
    reached: tuple[Sequence[str], dt.datetime] | None = None,
) -> CopyInputs | None:
    """The bulk inputs `doc` needs, from the analytics copy; None when there is no copy that
    may answer now (read the record store instead). With `created`, each contact's creation
    time; with `reached` (stages, end), which of those stages contacts reached by the end."""
    with bulk_copy.open_copy(workspace_id) as con:
        if con is None:
            return None
        contacts = None if _reads_custom_fields(doc) else _contacts(con, workspace_id, doc)
        return CopyInputs(
            contacts,
            _events(con, workspace_id, doc),
            _created(con, workspace_id) if created else None,
            _reached(con, workspace_id, *reached) if reached else None,
        )
