"""Cohort outcomes: for a group of contacts that each joined something at their own moment (an
experiment's variant), what happened to each contact from that moment on — the pipeline
outcomes both teams read, defined once here beside the catalogue that counts them by period.

Every outcome counts only what happened at or after the contact joined:

- conversion to MQL / SAL / SQL: the contact entered that stage or a later one (the lifecycle
  ledger's stage entries, as `stage_entries` counts them);
- conversion to won: a deal with the contact as primary contact was won (as `won_deals`);
- acceptance rate: of the contacts whose first handoff since joining sales decided, the share
  accepted (the handoff's own disposition, as the catalogue's `acceptance_rate`);
- pipeline / revenue per lead: the amounts of the deals created / won, per contact (0 for a
  contact with none);
- hours to first touch: from that first handoff to the seller's first touch, when touched.

The amounts before joining are kept too: a pre-period covariate for variance reduction. The
queries are written once in DuckDB's SQL and run on the record store (the cohort's own rows,
such as experiment assignments, live only there).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from accord.metrics.engine import record_store_rows
from accord.metrics.values import money

CohortKind = Literal["experiment"]

# Who is in the cohort, in which group, since when. Params: workspace, the cohort's id. Fixed
# text chosen by kind, never user input.
_MEMBERS: dict[CohortKind, str] = {
    "experiment": (
        "SELECT a.contact_id AS contact_id, a.variant_id AS grp, a.assigned_at AS entered "
        "FROM experiments_assignment AS a WHERE a.workspace_id = ? AND a.experiment_id = ?"
    ),
}
_LATER = "'mql', 'sal', 'sql', 'opportunity', 'customer'"
REACHED: dict[str, tuple[str, ...]] = {
    "mql_rate": ("mql", "sal", "sql", "opportunity", "customer"),
    "sal_rate": ("sal", "sql", "opportunity", "customer"),
    "sql_rate": ("sql", "opportunity", "customer"),
}


def _stages_sql(kind: CohortKind) -> str:
    """Per member: the stages at MQL or later it entered since joining."""
    return f"""
        WITH k AS ({_MEMBERS[kind]})
        SELECT k.contact_id, l.to_stage
        FROM k JOIN crm_ledgerentry AS l ON l.contact_id = k.contact_id
        WHERE l.workspace_id = ? AND l.to_stage IN ({_LATER}) AND l.occurred_at >= k.entered
        GROUP BY k.contact_id, l.to_stage
    """  # noqa: S608


def _deals_sql(kind: CohortKind) -> str:
    """Per member with deals: amounts created and won since joining and before, and whether a
    deal was won since (a deal of amount 0 counts as won too)."""
    after_created = "d.created_at >= k.entered"
    won_after = "d.status = 'won' AND d.closed_at IS NOT NULL AND d.closed_at >= k.entered"
    won_before = "d.status = 'won' AND d.closed_at IS NOT NULL AND d.closed_at < k.entered"
    return f"""
        WITH k AS ({_MEMBERS[kind]})
        SELECT k.contact_id,
               coalesce(sum(CASE WHEN {after_created} THEN d.amount ELSE 0 END), 0),
               coalesce(sum(CASE WHEN {won_after} THEN d.amount ELSE 0 END), 0),
               max(CASE WHEN {won_after} THEN 1 ELSE 0 END),
               coalesce(sum(CASE WHEN NOT ({after_created}) THEN d.amount ELSE 0 END), 0),
               coalesce(sum(CASE WHEN {won_before} THEN d.amount ELSE 0 END), 0)
        FROM k JOIN crm_deal AS d ON d.primary_contact_id = k.contact_id
        WHERE d.workspace_id = ?
        GROUP BY k.contact_id
    """  # noqa: S608


def _first_handoff_sql(kind: CohortKind) -> str:
    """Per member with a handoff since joining: the first one's status and seconds from its
    assignment to the first touch (NULL when not touched)."""
    return f"""
        WITH k AS ({_MEMBERS[kind]}),
        h AS (
            SELECT k.contact_id, h.status,
                   date_diff('second', h.assigned_at, h.first_touched_at) AS seconds,
                   row_number() OVER (
                       PARTITION BY k.contact_id ORDER BY h.assigned_at, h.id
                   ) AS nth
            FROM k JOIN handoff_handoff AS h ON h.contact_id = k.contact_id
            WHERE h.workspace_id = ? AND h.assigned_at >= k.entered
        )
        SELECT contact_id, status, seconds FROM h WHERE nth = 1
    """  # noqa: S608


@dataclass
class MemberOutcome:
    contact_id: int
    group: int
    entered: dt.datetime
    stages: set[str]
    pipeline: Decimal = Decimal(0)  # since joining
    revenue: Decimal = Decimal(0)
    won: bool = False
    pipeline_before: Decimal = Decimal(0)  # before joining: the covariate
    revenue_before: Decimal = Decimal(0)
    handoff_status: str | None = None  # the first handoff since joining
    hours_to_first_touch: float | None = None

    def reached(self, metric: str) -> bool:
        """Whether the contact converted on a stage metric (`mql_rate`, `sal_rate`, `sql_rate`)."""
        return bool(self.stages.intersection(REACHED[metric]))

    @property
    def handoff_decided(self) -> bool:
        return self.handoff_status in ("accepted", "rejected")


def cohort_outcomes(workspace_id: int, kind: CohortKind, cohort_id: int) -> list[MemberOutcome]:
    """Every member of the cohort with what happened to it since it joined."""
    cohort = (workspace_id, cohort_id)
    members = {
        contact: MemberOutcome(int(contact), int(group), entered, set())
        for contact, group, entered in record_store_rows(_MEMBERS[kind], cohort)
    }
    for contact, stage in record_store_rows(_stages_sql(kind), (*cohort, workspace_id)):
        members[contact].stages.add(str(stage))
    for contact, pipeline, revenue, won, before, revenue_before in record_store_rows(
        _deals_sql(kind), (*cohort, workspace_id)
    ):
        m = members[contact]
        m.pipeline, m.revenue, m.won = money(pipeline), money(revenue), bool(won)
        m.pipeline_before, m.revenue_before = money(before), money(revenue_before)
    for contact, status, seconds in record_store_rows(
        _first_handoff_sql(kind), (*cohort, workspace_id)
    ):
        m = members[contact]
        m.handoff_status = str(status)
        m.hours_to_first_touch = None if seconds is None else float(seconds) / 3600
    return list(members.values())
