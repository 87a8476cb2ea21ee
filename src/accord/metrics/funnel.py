"""The funnel, defined once and run on either engine.

- **cohort**: of the contacts created in the period, how many reached each stage of the main
  path (reaching a later stage counts as having passed the earlier ones: a contact imported
  straight as an MQL was a lead too), and the conversion between consecutive stages with a 95 %
  Wilson interval;
- **period**: how many contacts moved into each stage in the period (the ledger's
  transitions; a contact that entered a stage twice counts once, as the catalogue's stage counts
  and the contact list behind each number count it).

Breakdowns: none, source (the contact's original source), campaign, owner, team, segment, or
lead definition version
(period view: the version on the transition; cohort view: the version that made the contact an
MQL). The query text is DuckDB SQL transpiled to the record store's dialect (`metrics.sql`); the
engine is the record store (SQLite / PostgreSQL) or the columnar copy (`metrics.columnar`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from accord.core.intervals import Rate, rate
from accord.core.periods import ReportedInstant
from accord.metrics import queries, result_cache
from accord.metrics.engine import Engine, EngineChoice, resolve, run

MAIN_PATH = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer")
Breakdown = Literal["none", "source", "campaign", "owner", "team", "segment", "definition_version"]

DEFINITIONS = {
    "cohort": "Of the contacts created in the period, how many reached each stage (by now), and "
    "the share of those at one stage who reached the next.",
    "period": "How many contacts moved into each stage during the period, whenever they were "
    "created (transitions in the lifecycle ledger; each contact once per stage).",
}


class FunnelSpec(BaseModel):
    """What to count: the same spec serves the dashboard, the API and the CLI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    view: Literal["cohort", "period"] = "cohort"
    start: ReportedInstant
    end: ReportedInstant
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
    workspace_id: int = 0


_FURTHEST = " ".join(f"WHEN '{stage}' THEN {i}" for i, stage in enumerate(MAIN_PATH))


def _cohort_sql(breakdown: str) -> str:
    # The definition version of a cohort contact: the one on its (first) MQL transition.
    if breakdown == "definition_version":
        dimension, joins = "max(CASE WHEN l.to_stage = 'mql' THEN l.definition_version END)", ""
    else:
        dimension, joins = queries.dimension("contact", breakdown)
    # A constant ('' for no breakdown) may not be grouped on in PostgreSQL.
    group = "c.id" if breakdown in ("none", "definition_version") else f"c.id, {dimension}"
    return f"""
        WITH reached AS (
            SELECT c.id AS contact_id, {dimension} AS dimension,
                   max(CASE l.to_stage {_FURTHEST} ELSE -1 END) AS furthest
            FROM crm_contact AS c
            JOIN crm_ledgerentry AS l ON l.contact_id = c.id {joins}
            WHERE c.workspace_id = ? AND c.created_at >= ? AND c.created_at < ?
            GROUP BY {group}
        )
        SELECT coalesce(dimension, '') AS dimension, furthest, count(*) AS contacts
        FROM reached GROUP BY 1, 2
    """  # noqa: S608 - fixed fragments, values are parameters


def _period_sql(breakdown: str) -> str:
    dimension, joins = queries.dimension("contact", breakdown)
    return f"""
        SELECT {dimension} AS dimension, l.to_stage AS stage, count(DISTINCT l.contact_id) AS moves
        FROM crm_ledgerentry AS l
        {queries.contacts_of("l", breakdown)} {joins}
        WHERE l.workspace_id = ? AND l.occurred_at >= ? AND l.occurred_at < ?
        GROUP BY 1, 2
    """  # noqa: S608 - fixed fragments, values are parameters


def _query(spec: FunnelSpec) -> str:
    return _cohort_sql(spec.breakdown) if spec.view == "cohort" else _period_sql(spec.breakdown)


def funnel(
    workspace_id: int, spec: FunnelSpec, engine: EngineChoice = "record_store"
) -> FunnelResult:
    chosen = resolve(workspace_id, engine)
    raw, engine = result_cache.cached(
        workspace_id, f"funnel|{spec.model_dump_json()}|{chosen}",
        lambda: run(_query(spec), [workspace_id, spec.start, spec.end], chosen),
    )  # fmt: skip
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
        workspace_id=workspace_id,
    )
