"""Bulk writes for imports: contacts and companies in batches of thousands, with identity
resolution and ledger rows, through plain parameterised SQL (the ORM's per-object overhead
would dominate at a million rows). Same rules as the single-record services: emails and
domains arrive normalised, every new contact gets its first ledger row, stage changes go to the
ledger, nothing is ever duplicated."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from accord.identity.actor import Actor
from accord.identity.permissions import Action

# Columns an import may set on a contact, in SQL order (email, stage, company and timestamps
# are handled separately).
CONTACT_COLUMNS = (
    "first_name", "last_name", "title", "seniority", "department", "phone", "country",
    "owner_id", "lead_status", "original_source", "utm_source", "utm_medium", "utm_campaign",
    "utm_content", "utm_term", "external_id",
)  # fmt: skip

ON_MATCH = ("skip", "fill-empty", "overwrite")


@dataclass
class ContactRow:
    row: int
    email: str
    fields: dict[str, Any]  # a subset of CONTACT_COLUMNS
    custom_fields: dict[str, Any]
    lifecycle_stage: str | None  # None: keep (existing) or the default (new)
    company_id: int | None
    created_at: dt.datetime | None
    company_key: tuple[str, str] | None = None  # (domain, name) to resolve to company_id


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    stage_changes: int = 0
    created_rows: list[int] = field(default_factory=list)

    def add(self, other: BatchCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.stage_changes += other.stage_changes


def _chunks[T](items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_chunk_size() -> int:
    # SQLite before 3.32 allows 999 bound parameters per statement; later versions 32,766.
    if connection.vendor == "sqlite":
        import sqlite3

        return 900 if sqlite3.sqlite_version_info < (3, 32, 0) else 10_000
    return 10_000


def _ts(value: dt.datetime) -> Any:
    """A datetime as the backend stores it (what `adapt_datetimefield_value` does, without its
    per-call overhead, which dominated million-row imports): naive UTC text on SQLite."""
    return _sqlite_ts(value) if connection.vendor == "sqlite" else value


def _sqlite_ts(value: dt.datetime) -> str:
    if value.utcoffset() == _ZERO:
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def _same[T](value: T) -> T:
    return value


_ZERO = dt.timedelta(0)


def _json(value: dict[str, Any]) -> Any:
    if not value and connection.vendor == "sqlite":
        return "{}"
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return json.dumps(value, separators=(",", ":"))


def _contact_ids(workspace_id: int, emails: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(emails, _in_chunk_size()):
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT email, id FROM crm_contact "  # noqa: S608 - only placeholders vary
                f"WHERE workspace_id = %s AND email IN ({marks})",
                [workspace_id, *chunk],
            )
            ids.update(cursor.fetchall())
    return ids


def _existing_contacts(workspace_id: int, emails: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = ("id", "email", "lifecycle_stage", "company_id", "custom_fields", *CONTACT_COLUMNS)
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(emails, _in_chunk_size()):
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM crm_contact "  # noqa: S608 - fixed column names
                f"WHERE workspace_id = %s AND email IN ({marks})",
                [workspace_id, *chunk],
            )
            for values in cursor.fetchall():
                record = dict(zip(columns, values, strict=True))
                if isinstance(record["custom_fields"], str):
                    record["custom_fields"] = json.loads(record["custom_fields"] or "{}")
                found[record["email"]] = record
    return found


def _merge(existing: dict[str, Any], row: ContactRow, on_match: str) -> dict[str, Any]:
    """The column values to write for a matched contact (empty when nothing changes)."""
    changes: dict[str, Any] = {}
    candidates = dict(row.fields)
    if row.company_id is not None:
        candidates["company_id"] = row.company_id
    for name, value in candidates.items():
        if value in ("", None):
            continue
        current = existing[name]
        if on_match == "fill-empty" and current not in ("", None):
            continue
        if current != value:
            changes[name] = value
    if row.custom_fields:
        merged = dict(existing["custom_fields"] or {})
        for key, value in row.custom_fields.items():
            if value in ("", None) or (
                on_match == "fill-empty" and merged.get(key) not in ("", None)
            ):
                continue
            merged[key] = value
        if merged != existing["custom_fields"]:
            changes["custom_fields"] = merged
    return changes


@dataclass(frozen=True)
class _Batch:
    """What every row of one batch shares: who writes, when, and how times are stored."""

    ws: int
    user_id: int | None
    source: str
    rule: str
    default_stage: str
    now: dt.datetime
    now_ts: Any
    ts: Any

    def ledger_row(
        self, contact_id: int, from_stage: str, to_stage: str, at: Any, why: str
    ) -> tuple[Any, ...]:
        return (
            self.ws, contact_id, from_stage, to_stage, at, self.user_id, self.source, self.rule,
            "", why, self.now_ts, self.now_ts,
        )  # fmt: skip


def contacts_import_batch(
    *,
    actor: Actor,
    rows: Sequence[ContactRow],
    on_match: str,
    default_stage: str,
    rule: str,
) -> BatchCounts:
    """Create or update a batch of contacts (emails unique within the batch). Call inside a
    transaction: the caller decides whether a batch or a whole file is atomic."""
    actor.require(Action.WRITE_RECORDS)
    if on_match not in ON_MATCH:
        raise ValueError(f"on_match must be one of {ON_MATCH}")
    now = timezone.now()
    ts = _sqlite_ts if connection.vendor == "sqlite" else _same
    batch = _Batch(
        ws=actor.workspace.pk,
        user_id=actor.user.pk if actor.user else None,
        source=actor.source.value,
        rule=rule,
        default_stage=default_stage,
        now=now,
        now_ts=ts(now),
        ts=ts,
    )
    counts = BatchCounts()
    existing = _existing_contacts(batch.ws, [r.email for r in rows])
    new_rows = [r for r in rows if r.email not in existing]
    ledger_rows = _insert_new(batch, new_rows) if new_rows else []
    counts.created = len(new_rows)
    counts.created_rows = [r.row for r in new_rows]
    ledger_rows += _update_matched(batch, rows, existing, on_match, counts)
    if ledger_rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO crm_ledgerentry (workspace_id, contact_id, from_stage, to_stage, "
                "occurred_at, actor_user_id, source, rule, definition_version, reason, "
                "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                ledger_rows,
            )
    return counts


def _insert_new(batch: _Batch, new_rows: Sequence[ContactRow]) -> list[tuple[Any, ...]]:
    """Insert new contacts; return their first ledger rows."""
    insert_columns = (
        "workspace_id", "email", "lifecycle_stage", "company_id", "custom_fields",
        "created_at", "updated_at", *CONTACT_COLUMNS,
    )  # fmt: skip
    defaults = {c: None if c == "owner_id" else "" for c in CONTACT_COLUMNS}
    empty_json = _json({})
    ts, now_ts = batch.ts, batch.now_ts
    params = [
        (
            batch.ws, r.email, r.lifecycle_stage or batch.default_stage, r.company_id,
            _json(r.custom_fields) if r.custom_fields else empty_json,
            ts(r.created_at) if r.created_at else now_ts, now_ts,
            *(defaults | r.fields).values(),
        )
        for r in new_rows
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO crm_contact ({', '.join(insert_columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(insert_columns))})",
            params,
        )
    ids = _contact_ids(batch.ws, [r.email for r in new_rows])
    return [
        batch.ledger_row(
            ids[r.email],
            "",
            r.lifecycle_stage or batch.default_stage,
            ts(r.created_at) if r.created_at else now_ts,
            "created",
        )
        for r in new_rows
    ]


def _update_matched(
    batch: _Batch,
    rows: Sequence[ContactRow],
    existing: dict[str, dict[str, Any]],
    on_match: str,
    counts: BatchCounts,
) -> list[tuple[Any, ...]]:
    """Apply on_match to rows that matched existing contacts; return their stage changes."""
    ledger_rows = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for r in rows:
        record = existing.get(r.email)
        if record is None:
            continue
        if on_match == "skip":
            same = not _merge(record, r, "overwrite") and (
                r.lifecycle_stage in (None, record["lifecycle_stage"])
            )
            counts.unchanged += same
            counts.skipped += not same
            continue
        changes = _merge(record, r, on_match)
        stage = r.lifecycle_stage
        if on_match == "overwrite" and stage and stage != record["lifecycle_stage"]:
            changes["lifecycle_stage"] = stage
            ledger_rows.append(
                batch.ledger_row(
                    record["id"], record["lifecycle_stage"], stage, batch.now_ts, "import"
                )
            )
            counts.stage_changes += 1
        if changes:
            updates.append((record["id"], changes))
            counts.updated += 1
        else:
            counts.unchanged += 1
    _apply_updates(batch.ws, updates, batch.now)
    return ledger_rows


def _apply_updates(ws: int, updates: list[tuple[int, dict[str, Any]]], now: dt.datetime) -> None:
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for contact_id, changes in updates:
        columns = tuple(sorted(changes))
        values = tuple(_json(changes[c]) if c == "custom_fields" else changes[c] for c in columns)
        by_columns.setdefault(columns, []).append((*values, _ts(now), ws, contact_id))
    with connection.cursor() as cursor:
        for columns, params in by_columns.items():
            assignments = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE crm_contact SET {assignments}, updated_at = %s "  # noqa: S608
                "WHERE workspace_id = %s AND id = %s",
                params,
            )


class CompanyDirectory:
    """Finds or creates the companies an import refers to, by normalised domain (or, for
    companies without a domain, by exact name), remembering what it has seen in the job."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.by_domain: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, domain, name FROM crm_company WHERE workspace_id = %s",
                [actor.workspace.pk],
            )
            for company_id, domain, name in cursor.fetchall():
                if domain:
                    self.by_domain[domain] = company_id
                else:
                    self.by_name.setdefault(name.lower(), company_id)
        self.created = 0

    def lookup(self, domain: str, name: str) -> int | None:
        if domain:
            return self.by_domain.get(domain)
        return self.by_name.get(name.lower()) if name else None

    def ensure(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Create the (domain, name) companies not known yet, in one statement."""
        missing: dict[tuple[str, str], None] = {}
        for domain, name in wanted:
            if (domain or name) and self.lookup(domain, name) is None:
                missing[(domain, name if name else domain)] = None
        if not missing:
            return
        self.actor.require(Action.WRITE_RECORDS)
        now = _ts(timezone.now())
        ws = self.actor.workspace.pk
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO crm_company (workspace_id, name, domain, industry, employee_count, "
                "country, owner_id, external_id, custom_fields, created_at, updated_at) "
                "VALUES (%s, %s, %s, '', NULL, '', NULL, '', %s, %s, %s)",
                [(ws, name[:200], domain, _json({}), now, now) for domain, name in missing],
            )
            domains = [d for d, _ in missing if d]
            for chunk in _chunks(domains, _in_chunk_size()):
                marks = ",".join(["%s"] * len(chunk))
                # `NOT (domain = '')` repeats the condition of the partial unique index so that
                # SQLite uses it; without it this lookup scanned every company of the workspace.
                cursor.execute(
                    f"SELECT id, domain FROM crm_company WHERE workspace_id = %s "  # noqa: S608
                    f"AND NOT (domain = '') AND domain IN ({marks})",
                    [ws, *chunk],
                )
                self.by_domain.update({d: i for i, d in cursor.fetchall()})
            names = [n for d, n in missing if not d]
            for chunk in _chunks(names, _in_chunk_size()):
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT id, name FROM crm_company WHERE workspace_id = %s "  # noqa: S608
                    f"AND domain = '' AND name IN ({marks})",
                    [ws, *chunk],
                )
                for company_id, name in cursor.fetchall():
                    self.by_name.setdefault(name.lower(), company_id)
        self.created += len(missing)
