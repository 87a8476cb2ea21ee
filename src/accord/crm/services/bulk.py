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
    """A row that matched an existing contact, as `_merge` compares it."""

    row: int
    email: str
    fields: dict[str, Any]  # a subset of CONTACT_COLUMNS
    custom_fields: dict[str, Any]
    lifecycle_stage: str | None  # None: keep the existing stage
    company_id: int | None


# One import row: (row number, email, lifecycle stage or None for the default, created at as
# naive UTC ISO text or None for now, anything (the importer keeps the company's key there),
# custom fields or None, *the values of the batch's columns). Plain tuples, because a million
# of them cross a process boundary and are bound straight into executemany.
ContactValues = tuple[Any, ...]
VALUES_AT = 6  # where a row's column values start


@dataclass
class ContactBatch:
    columns: tuple[str, ...]  # the CONTACT_COLUMNS each row's trailing values set, in order
    rows: Sequence[ContactValues]  # emails unique within the batch
    company_ids: Sequence[int | None]  # one per row

    def matched_row(self, index: int) -> ContactRow:
        values = self.rows[index]
        return ContactRow(
            row=values[0],
            email=values[1],
            fields={
                name: value
                for name, value in zip(self.columns, values[VALUES_AT:], strict=True)
                if value not in ("", None)
            },
            custom_fields=values[5] or {},
            lifecycle_stage=values[2],
            company_id=self.company_ids[index],
        )


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
    if connection.vendor != "sqlite":
        return value
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


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

    def ledger_row(
        self, contact_id: int, from_stage: str, to_stage: str, at: Any, why: str
    ) -> tuple[Any, ...]:
        return (
            self.ws, contact_id, from_stage, to_stage, at, self.user_id, self.source, self.rule,
            "", why, self.now_ts, self.now_ts,
        )  # fmt: skip


_LEDGER_COLUMNS = (
    "workspace_id, contact_id, from_stage, to_stage, occurred_at, actor_user_id, source, rule, "
    "definition_version, reason, created_at, updated_at"
)


def contacts_import_batch(
    *,
    actor: Actor,
    batch: ContactBatch,
    on_match: str,
    default_stage: str,
    rule: str,
) -> BatchCounts:
    """Create or update a batch of contacts (emails unique within the batch). Call inside a
    transaction: the caller decides whether a batch or a whole file is atomic."""
    actor.require(Action.WRITE_RECORDS)
    if on_match not in ON_MATCH:
        raise ValueError(f"on_match must be one of {ON_MATCH}")
    if not set(batch.columns) <= set(CONTACT_COLUMNS):  # they are written into the SQL
        raise ValueError(f"Unknown contact columns: {set(batch.columns) - set(CONTACT_COLUMNS)}")
    now = timezone.now()
    shared = _Batch(
        ws=actor.workspace.pk,
        user_id=actor.user.pk if actor.user else None,
        source=actor.source.value,
        rule=rule,
        default_stage=default_stage,
        now=now,
        now_ts=_ts(now),
    )
    counts = BatchCounts()
    existing = _existing_contacts(shared.ws, [r[1] for r in batch.rows])
    new = [i for i, r in enumerate(batch.rows) if r[1] not in existing]
    if new:
        _insert_new(shared, batch, new)
    counts.created = len(new)
    counts.created_rows = [batch.rows[i][0] for i in new]
    matched = [batch.matched_row(i) for i, r in enumerate(batch.rows) if r[1] in existing]
    ledger_rows = _update_matched(shared, matched, existing, on_match, counts)
    if ledger_rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO crm_ledgerentry ({_LEDGER_COLUMNS}) "  # noqa: S608 - fixed names
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                ledger_rows,
            )
    return counts


def _stored_time(text: str | None, now_ts: Any) -> Any:
    """A row's creation time (naive UTC ISO text) as the backend stores it: SQLite keeps the
    text as it is, PostgreSQL takes an aware datetime."""
    if text is None:
        return now_ts
    if connection.vendor == "sqlite":
        return text
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _insert_new(shared: _Batch, batch: ContactBatch, new: list[int]) -> None:
    """Insert the new contacts of a batch and their first ledger rows."""
    absent = [c for c in CONTACT_COLUMNS if c not in batch.columns]
    columns = (
        "workspace_id, email, lifecycle_stage, company_id, custom_fields, created_at, "
        f"updated_at, {', '.join((*batch.columns, *absent))}"
    )
    # Columns no row of the batch sets are SQL literals: fewer values to bind per row.
    literals = ", ".join("NULL" if c == "owner_id" else "''" for c in absent)
    marks = ", ".join(["%s"] * (7 + len(batch.columns)))
    sql = f"INSERT INTO crm_contact ({columns}) VALUES ({marks}{', ' if absent else ''}{literals})"  # noqa: S608 - checked column names
    ws, default, now_ts, rows, company_ids = (
        shared.ws, shared.default_stage, shared.now_ts, batch.rows, batch.company_ids,
    )  # fmt: skip
    empty_json = _json({})
    if len(new) == len(rows):
        selected, ids = rows, company_ids
    else:
        selected, ids = [rows[i] for i in new], [company_ids[i] for i in new]
    if connection.vendor == "sqlite":
        times = [r[3] or now_ts for r in selected]  # SQLite stores the naive UTC text itself
    else:
        times = [_stored_time(r[3], now_ts) for r in selected]
    params = [
        (
            ws, r[1], r[2] or default, company_id, _json(r[5]) if r[5] else empty_json, at,
            now_ts, *r[VALUES_AT:],
        )
        for r, company_id, at in zip(selected, ids, times, strict=True)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        ends = (params[0][1], params[-1][1])
        first = _consecutive_ids(cursor, "crm_contact", "email", ends, len(params))
        if first is not None:
            # The ledger rows come from the rows just written (same stage and time), in SQL:
            # no Python tuple per contact.
            cursor.execute(
                f"INSERT INTO crm_ledgerentry ({_LEDGER_COLUMNS}) "  # noqa: S608 - fixed names
                "SELECT workspace_id, id, '', lifecycle_stage, created_at, %s, %s, %s, '', "
                "'created', %s, %s FROM crm_contact "
                "WHERE workspace_id = %s AND id BETWEEN %s AND %s",
                [shared.user_id, shared.source, shared.rule, now_ts, now_ts, ws, first,
                 first + len(params) - 1],
            )  # fmt: skip
            return
    contact_ids = _contact_ids(ws, [p[1] for p in params])
    ledger_rows = [shared.ledger_row(contact_ids[p[1]], "", p[2], p[5], "created") for p in params]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO crm_ledgerentry ({_LEDGER_COLUMNS}) "  # noqa: S608 - fixed names
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            ledger_rows,
        )


def _consecutive_ids(
    cursor: Any, table: str, column: str, ends: tuple[str, str], count: int
) -> int | None:
    """The id of the first of the `count` rows one executemany has just inserted (`ends`: their
    first and last `column` values), when the database numbered them consecutively, else None
    (the caller then looks the ids up). SQLite does:
    the transaction holds the write lock, so no other insert interleaves, and AUTOINCREMENT
    takes the next number; both ends are checked by value, so a surprise costs a lookup, not a
    wrong id. PostgreSQL sequences promise no such thing."""
    if connection.vendor != "sqlite":
        return None
    cursor.execute("SELECT last_insert_rowid()")
    last = cursor.fetchone()[0]
    first = last - count + 1
    cursor.execute(
        f"SELECT id, {column} FROM {table} WHERE id IN (%s, %s)",  # noqa: S608 - fixed names
        [first, last],
    )
    found = dict(cursor.fetchall())
    if (found.get(first), found.get(last)) != ends:
        return None
    cursor.execute(
        f"SELECT COUNT(*) FROM {table} WHERE id BETWEEN %s AND %s",  # noqa: S608 - fixed name
        [first, last],
    )
    return first if cursor.fetchone()[0] == count else None


def _update_matched(
    shared: _Batch,
    rows: Sequence[ContactRow],
    existing: dict[str, dict[str, Any]],
    on_match: str,
    counts: BatchCounts,
) -> list[tuple[Any, ...]]:
    """Apply on_match to rows that matched existing contacts; return their stage changes."""
    ledger_rows = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for r in rows:
        record = existing[r.email]
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
                shared.ledger_row(
                    record["id"], record["lifecycle_stage"], stage, shared.now_ts, "import"
                )
            )
            counts.stage_changes += 1
        if changes:
            updates.append((record["id"], changes))
            counts.updated += 1
        else:
            counts.unchanged += 1
    _apply_updates(shared.ws, updates, shared.now)
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
        # One new company per domain (or, without a domain, per name), whatever names the
        # rows give it: the first row's name wins.
        missing: dict[str, tuple[str, str]] = {}
        by_domain = self.by_domain
        for domain, name in wanted:
            if domain in by_domain or not (domain or name):
                continue  # the common case of a large import: a company seen before
            if self.lookup(domain, name) is None:
                missing.setdefault(domain or "\0" + name.lower(), (domain, name or domain))
        if not missing:
            return
        self.actor.require(Action.WRITE_RECORDS)
        now = _ts(timezone.now())
        ws = self.actor.workspace.pk
        new = list(missing.values())
        empty_json = _json({})
        params = [(ws, name[:200], domain, empty_json, now, now) for domain, name in new]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO crm_company (workspace_id, name, domain, industry, employee_count, "
                "country, owner_id, external_id, custom_fields, created_at, updated_at) "
                "VALUES (%s, %s, %s, '', NULL, '', NULL, '', %s, %s, %s)",
                params,
            )
            ends = (params[0][1], params[-1][1])
            first = _consecutive_ids(cursor, "crm_company", "name", ends, len(params))
            if first is not None:
                for offset, (domain, name) in enumerate(new):
                    self._remember(domain, name, first + offset)
            else:
                self._look_up_created(cursor, ws, new)
        self.created += len(new)

    def _remember(self, domain: str, name: str, company_id: int) -> None:
        if domain:
            self.by_domain[domain] = company_id
        else:
            self.by_name.setdefault(name.lower(), company_id)

    def _look_up_created(self, cursor: Any, ws: int, new: list[tuple[str, str]]) -> None:
        domains = [d for d, _ in new if d]
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
        names = [n for d, n in new if not d]
        for chunk in _chunks(names, _in_chunk_size()):
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT id, name FROM crm_company WHERE workspace_id = %s "  # noqa: S608
                f"AND domain = '' AND name IN ({marks}) ORDER BY id",
                [ws, *chunk],
            )
            for company_id, name in cursor.fetchall():
                self.by_name.setdefault(name.lower(), company_id)
