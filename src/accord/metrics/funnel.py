"""The funnel, defined once and run on either engine.

- **cohort**: of the contacts created in the period, how many reached each stage of the main
  path (reaching a later stage counts as having passed the earlier ones: a contact imported
  straight as an MQL was a lead too), and the conversion between consecutive stages with a 95 %
  Wilson interval;
- **period**: how many transitions into each stage the ledger recorded in the period.

Breakdowns: none, source (the contact's original source), owner, or lead definition version
(period view: the version on the transition; cohort view: the version that made the contact an
MQL). The query text is DuckDB SQL transpiled to the record store's dialect (`metrics.sql`); the
engine is the record store (SQLite / PostgreSQL) or the columnar copy (`metrics.columnar`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
from django.db import connection
from pydantic import BaseModel, ConfigDict, model_validator

from accord.core.intervals import Rate, rate
from accord.metrics.sql import Dialect, transpile

logger = logging.getLogger(__name__)

MAIN_PATH = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer")
Breakdown = Literal["none", "source", "owner", "definition_version"]
Engine = Literal["record_store", "columnar"]

DEFINITIONS = {
    "cohort": "Of the contacts created in the period, how many reached each stage (by now), and "
    "the share of those at one stage who reached the next.",
    "period": "How many contacts moved into each stage during the period, whenever they were "
    "created (transitions in the lifecycle ledger).",
}


class FunnelSpec(BaseModel):
    """What to count: the same spec serves the dashboard, the API and the CLI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    view: Literal["cohort", "period"] = "cohort"
    start: dt.datetime
    end: dt.datetime
    breakdown: Breakdown = "none"

    @model_validator(mode="after")
    def _ordered(self) -> FunnelSpec:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone (e.g. 2026-01-01T00:00:00Z)")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


@dataclass
class FunnelRow:
    dimension: str  # "" for the whole workspace, or the breakdown's value
    counts: dict[str, int] = field(default_factory=dict)
    conversions: dict[str, Rate] = field(default_factory=dict)  # "lead→mql" (cohort view)


@dataclass(frozen=True)
class FunnelResult:
    spec: FunnelSpec
    engine: Engine
    stages: tuple[str, ...]
    rows: list[FunnelRow]
    definition: str


_FURTHEST = " ".join(f"WHEN '{stage}' THEN {i}" for i, stage in enumerate(MAIN_PATH))
_DIMENSIONS: dict[str, str] = {
    "none": "''",
    "source": "coalesce(c.original_source, '')",
    "owner": "coalesce(CAST(c.owner_id AS VARCHAR), '')",
    "definition_version": "coalesce(l.definition_version, '')",
}


def _cohort_sql(breakdown: str) -> str:
    # The definition version of a cohort contact: the one on its (first) MQL transition.
    dimension = (
        "max(CASE WHEN l.to_stage = 'mql' THEN l.definition_version END)"
        if breakdown == "definition_version"
        else _DIMENSIONS[breakdown]
    )
    # A constant ('' for no breakdown) may not be grouped on in PostgreSQL.
    group = f"c.id, {dimension}" if breakdown in ("source", "owner") else "c.id"
    return f"""
        WITH reached AS (
            SELECT c.id AS contact_id, {dimension} AS dimension,
                   max(CASE l.to_stage {_FURTHEST} ELSE -1 END) AS furthest
            FROM crm_contact AS c
            JOIN crm_ledgerentry AS l ON l.contact_id = c.id
            WHERE c.workspace_id = ? AND c.created_at >= ? AND c.created_at < ?
            GROUP BY {group}
        )
        SELECT coalesce(dimension, '') AS dimension, furthest, count(*) AS contacts
        FROM reached GROUP BY 1, 2
    """  # noqa: S608 - fixed fragments, values are parameters


def _period_sql(breakdown: str) -> str:
    return f"""
        SELECT {_DIMENSIONS[breakdown]} AS dimension, l.to_stage AS stage, count(*) AS moves
        FROM crm_ledgerentry AS l
        JOIN crm_contact AS c ON c.id = l.contact_id
        WHERE l.workspace_id = ? AND l.occurred_at >= ? AND l.occurred_at < ?
        GROUP BY 1, 2
    """  # noqa: S608 - fixed fragments, values are parameters


def _query(spec: FunnelSpec) -> str:
    return _cohort_sql(spec.breakdown) if spec.view == "cohort" else _period_sql(spec.breakdown)


def _record_store_rows(sql: str, workspace_id: int, spec: FunnelSpec) -> list[tuple[Any, ...]]:
    dialect: Dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    ops = connection.ops
    params = [
        workspace_id,
        ops.adapt_datetimefield_value(spec.start),
        ops.adapt_datetimefield_value(spec.end),
    ]
    with connection.cursor() as cursor:
        cursor.execute(transpile(sql, dialect), params)
        return list(cursor.fetchall())


def _columnar_rows(sql: str, workspace_id: int, spec: FunnelSpec) -> list[tuple[Any, ...]]:
    from accord.metrics.columnar import open_store, sync_if_stale

    sync_if_stale()  # a committed ledger row is counted within seconds
    naive = [v.astimezone(dt.UTC).replace(tzinfo=None) for v in (spec.start, spec.end)]
    with open_store() as con:
        return con.execute(sql, [workspace_id, *naive]).fetchall()


COLUMNAR_FROM = 200_000  # contacts: from here on the columnar copy answers faster


def choose_engine(workspace_id: int) -> Engine:
    """The record store for small workspaces, the columnar copy for large ones."""
    from accord.crm.models import Contact

    large = Contact.objects.for_workspace(workspace_id)[COLUMNAR_FROM - 1 : COLUMNAR_FROM].exists()
    return "columnar" if large else "record_store"


def funnel(
    workspace_id: int, spec: FunnelSpec, engine: Engine | Literal["auto"] = "record_store"
) -> FunnelResult:
    if engine == "auto":
        engine = choose_engine(workspace_id)
    sql = _query(spec)
    if engine == "columnar":
        try:
            raw = _columnar_rows(sql, workspace_id, spec)
        except duckdb.IOException:
            # Another process holds the copy (DuckDB allows one writer per file): answer from
            # the record store rather than fail; the numbers are the same, only slower.
            logger.warning("columnar copy busy; funnel answered from the record store")
            engine = "record_store"
            raw = _record_store_rows(sql, workspace_id, spec)
    else:
        raw = _record_store_rows(sql, workspace_id, spec)
    rows: dict[str, FunnelRow] = {}
    if spec.view == "cohort":
        furthest: dict[str, dict[int, int]] = defaultdict(dict)
        for dimension, position, contacts in raw:
            furthest[str(dimension)][int(position)] = int(contacts)
        for dimension, by_position in furthest.items():
            row = rows.setdefault(dimension, FunnelRow(dimension))
            for i, stage in enumerate(MAIN_PATH):
                row.counts[stage] = sum(n for p, n in by_position.items() if p >= i)
            for before, after in itertools.pairwise(MAIN_PATH):
                row.conversions[f"{before}→{after}"] = rate(row.counts[after], row.counts[before])
    else:
        for dimension, stage, moves in raw:
            row = rows.setdefault(str(dimension), FunnelRow(str(dimension)))
            row.counts[str(stage)] = int(moves)
    ordered = sorted(rows.values(), key=lambda r: (-sum(r.counts.values()), r.dimension))
    return FunnelResult(
        spec=spec,
        engine=engine,
        stages=MAIN_PATH,
        rows=ordered,
        definition=DEFINITIONS[spec.view],
    )
