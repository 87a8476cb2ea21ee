"""Turn a generated chunk into database rows (tuples in model-field order). No Django import:
the loader passes in the ids of what already exists (workspace, users, campaigns, stages)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from accord.demo.funnel import PIPELINE_KEYS, STAGES, deal_stage_changes
from accord.demo.generator import Chunk, CompanyBlock
from accord.demo.parameters import DemoParameters
from accord.demo.timeline import Timeline

__all__ = ["PIPELINE_KEYS", "ChunkIds", "Formatter", "Targets"]

SOURCE = "demo"
RULE = "demo generator"
Rows = tuple[tuple[str, ...], Iterator[tuple[Any, ...]], int]


@dataclass(frozen=True)
class Targets:
    workspace_id: int
    rep_user_ids: list[int]
    campaign_ids: list[int]
    pipeline_id: int
    stage_ids: list[int]  # in PIPELINE_KEYS order


@dataclass(frozen=True)
class ChunkIds:
    """The primary key of population company 0, and the first keys reserved for this chunk's
    contacts and deals."""

    company: int
    contact: int
    deal: int


def _lookup(values: Sequence[object], codes: np.ndarray) -> list[Any]:
    """values[code] for each code; -1 gives None."""
    table = np.array([*values, None], dtype=object)
    return table[np.where(codes >= 0, codes, len(values))].tolist()


def _in_order(order: np.ndarray, column: Sequence[Any] | np.ndarray) -> list[Any]:
    return np.asarray(column, dtype=object)[order].tolist()


def _offset(base: int, codes: np.ndarray) -> list[Any]:
    ids = (np.asarray(codes, dtype=np.int64) + base).astype(object)
    ids[np.asarray(codes) < 0] = None
    return ids.tolist()


class Formatter:
    """Rows of one chunk. Facts (ledger, touchpoints, activities, deal history) are written in
    time order, which keeps SQLite's time indexes appending near their end."""

    def __init__(
        self,
        parameters: DemoParameters,
        timeline: Timeline,
        targets: Targets,
        ids: ChunkIds,
        *,
        sqlite: bool,
    ) -> None:
        self.p = parameters
        self.timeline = timeline
        self.t = targets
        self.ids = ids
        self.sqlite = sqlite
        self.channels = [c.channel for c in parameters.channels]

    def stamp(self, seconds: np.ndarray) -> list[str]:
        return self.timeline.datetime_strings(seconds, sqlite=self.sqlite)

    def companies(self, block: CompanyBlock) -> Rows:
        n = len(block.name)
        created = self.stamp(block.created)
        fields = (
            "id", "workspace", "created_at", "updated_at", "name", "domain", "industry",
            "employee_count", "country", "owner", "custom_fields",
        )  # fmt: skip
        first = self.ids.company + block.start
        rows = zip(
            range(first, first + n),
            repeat(self.t.workspace_id),
            created,
            created,
            block.name,
            block.domain,
            block.industry,
            block.employees.tolist(),
            block.country,
            _lookup(self.t.rep_user_ids, block.rep),
            repeat("{}"),
        )
        return fields, rows, n

    def contacts(self, chunk: Chunk) -> Rows:
        c, tp = chunk.contacts, chunk.touchpoints
        n = len(c.email)
        first = tp.first

        def source(values: list[str]) -> list[str]:
            return np.array(values, dtype=object)[first].tolist()

        fields = (
            "id", "workspace", "created_at", "updated_at", "email", "first_name", "last_name",
            "title", "seniority", "department", "phone", "company", "country", "owner",
            "lifecycle_stage", "lead_status", "original_source", "utm_source", "utm_medium",
            "utm_campaign", "utm_content", "utm_term", "custom_fields",
        )  # fmt: skip
        rows = zip(
            range(self.ids.contact, self.ids.contact + n),
            repeat(self.t.workspace_id),
            self.stamp(c.created),
            self.stamp(c.updated),
            c.email,
            c.first_name,
            c.last_name,
            c.title,
            c.seniority,
            c.department,
            c.phone,
            _offset(self.ids.company, c.company),
            c.country,
            _lookup(self.t.rep_user_ids, c.owner),
            _lookup(STAGES, c.stage),
            c.lead_status,
            _lookup(self.channels, c.channel),
            source(tp.utm_source),
            source(tp.utm_medium),
            source(tp.utm_campaign),
            source(tp.utm_content),
            source(tp.utm_term),
            repeat("{}"),
        )
        return fields, rows, n

    def deals(self, chunk: Chunk) -> Rows:
        d, c = chunk.deals, chunk.contacts
        m = len(d.contact)
        names = [
            f"{c.company_name[i] or f'{c.first_name[i]} {c.last_name[i]}'} — {plan}"
            for i, plan in zip(d.contact.tolist(), d.plan, strict=True)
        ]
        still_open = np.isnan(d.closed)
        closed_at = np.array(self.stamp(np.nan_to_num(d.closed)), dtype=object)
        closed_at[still_open] = None
        fields = (
            "id", "workspace", "created_at", "updated_at", "name", "pipeline", "stage", "status",
            "amount", "currency", "owner", "company", "primary_contact", "expected_close_date",
            "closed_at", "source", "close_reason",
        )  # fmt: skip
        rows = zip(
            range(self.ids.deal, self.ids.deal + m),
            repeat(self.t.workspace_id),
            self.stamp(d.created),
            self.stamp(d.updated),
            names,
            repeat(self.t.pipeline_id),
            _lookup(self.t.stage_ids, d.stage),
            d.status,
            [f"{a:.2f}" for a in d.amount.tolist()],
            repeat(self.p.currency),
            _lookup(self.t.rep_user_ids, c.owner[d.contact]),
            _offset(self.ids.company, c.company[d.contact]),
            _offset(self.ids.contact, d.contact),
            self.timeline.date_strings(d.expected_close),
            closed_at.tolist(),
            _lookup(self.channels, c.channel[d.contact]),
            d.close_reason,
        )
        return fields, rows, m

    def deal_stage_changes(self, chunk: Chunk) -> Rows:
        d = chunk.deals
        deal, from_, to, at = deal_stage_changes(d)
        order = np.argsort(at, kind="stable")
        deal, from_, to, at = deal[order], from_[order], to[order], at[order]
        stamps = self.stamp(at)
        fields = (
            "workspace", "created_at", "updated_at", "deal", "from_stage", "to_stage", "amount",
            "occurred_at", "actor_user", "source",
        )  # fmt: skip
        rows = zip(
            repeat(self.t.workspace_id),
            stamps,
            stamps,
            _offset(self.ids.deal, deal),
            _lookup(self.t.stage_ids, from_),
            _lookup(self.t.stage_ids, to),
            [f"{a:.2f}" for a in d.amount[deal].tolist()],
            stamps,
            _lookup(self.t.rep_user_ids, chunk.contacts.owner[d.contact[deal]]),
            repeat(SOURCE),
        )
        return fields, rows, len(deal)

    def ledger(self, chunk: Chunk) -> Rows:
        lg = chunk.ledger
        order = np.argsort(lg.at, kind="stable")
        stamps = self.stamp(lg.at[order])
        fields = (
            "workspace", "created_at", "updated_at", "contact", "from_stage", "to_stage",
            "occurred_at", "actor_user", "source", "rule", "definition_version", "reason",
        )  # fmt: skip
        rows = zip(
            repeat(self.t.workspace_id),
            stamps,
            stamps,
            _offset(self.ids.contact, lg.contact[order]),
            _lookup(STAGES, lg.from_stage[order]),
            _lookup(STAGES, lg.to_stage[order]),
            stamps,
            _lookup(self.t.rep_user_ids, lg.actor[order]),
            repeat(SOURCE),
            repeat(RULE),
            repeat(""),
            _in_order(order, lg.reason),
        )
        return fields, rows, len(lg.contact)

    def touchpoints(self, chunk: Chunk) -> Rows:
        tp = chunk.touchpoints
        order = np.argsort(tp.at, kind="stable")
        stamps = self.stamp(tp.at[order])
        fields = (
            "workspace", "created_at", "updated_at", "contact", "campaign", "channel", "type",
            "occurred_at", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
            "landing_page", "referrer",
        )  # fmt: skip
        rows = zip(
            repeat(self.t.workspace_id),
            stamps,
            stamps,
            _offset(self.ids.contact, tp.contact[order]),
            _lookup(self.t.campaign_ids, tp.campaign[order]),
            _lookup(self.channels, tp.channel[order]),
            _in_order(order, tp.type),
            stamps,
            _in_order(order, tp.utm_source),
            _in_order(order, tp.utm_medium),
            _in_order(order, tp.utm_campaign),
            _in_order(order, tp.utm_content),
            _in_order(order, tp.utm_term),
            _in_order(order, tp.landing_page),
            _in_order(order, tp.referrer),
        )
        return fields, rows, len(tp.contact)

    def activities(self, chunk: Chunk) -> Rows:
        a = chunk.activities
        order = np.argsort(a.at, kind="stable")
        stamps = self.stamp(a.at[order])
        fields = (
            "workspace", "created_at", "updated_at", "kind", "user", "contact", "deal",
            "direction", "outcome", "subject", "body", "occurred_at",
        )  # fmt: skip
        rows = zip(
            repeat(self.t.workspace_id),
            stamps,
            stamps,
            _in_order(order, a.kind),
            _lookup(self.t.rep_user_ids, a.user[order]),
            _offset(self.ids.contact, a.contact[order]),
            _offset(self.ids.deal, a.deal[order]),
            _in_order(order, a.direction),
            _in_order(order, a.outcome),
            _in_order(order, a.subject),
            _in_order(order, a.body),
            stamps,
        )
        return fields, rows, len(a.contact)
