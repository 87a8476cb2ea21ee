"""Idempotent requests: the first response to an ``Idempotency-Key`` is stored and replayed.

The claim on a key and the work it guards share one transaction:

1. A completed record for (workspace, key) is replayed at once: same body (SHA-256 of the raw
   bytes) → the stored status and body, verbatim; another body → `IdempotencyKeyReused`.
2. Otherwise the request inserts its record first. The unique constraint on (workspace, key)
   makes a concurrent twin wait on that row until the first transaction ends (PostgreSQL), or
   wait for the database's write lock (SQLite); the twin then finds the committed record and
   replays it. So two identical requests racing produce one copy.
3. The work runs; its response is saved on the record and committed with the work. If the work
   fails (an invalid batch), everything rolls back, the record included: nothing is kept and
   the client may retry with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.core.errors import AccordError, ValidationFailed
from accord.identity.models import Workspace
from accord.integrations.models import IdempotencyRecord

HEADER = "Idempotency-Key"
RETENTION = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(AccordError):
    """The key was used before with another request body (answered with 422)."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str  # JSON text
    replayed: bool


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def clean_key(raw: str | None) -> str | None:
    """The key as sent, or None when absent; refuses keys that are too long or not printable
    ASCII (a UUID is a good key)."""
    if raw is None:
        return None
    key = raw.strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise ValidationFailed.single(
            HEADER, f"Use at most {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID."
        )
    return key


def _replay(record: IdempotencyRecord, digest: str) -> StoredResponse:
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            f"The {HEADER} '{record.key}' was already used with a different request body. "
            "Use a new key for a new request."
        )
    return StoredResponse(status=record.status, body=record.response_body, replayed=True)


def _completed(workspace: Workspace, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.for_workspace(workspace).filter(key=key).first()


def run_idempotent(
    *,
    workspace: Workspace,
    key: str | None,
    body: bytes,
    work: Callable[[], tuple[int, str]],
) -> StoredResponse:
    """Run ``work`` (returning status and JSON text) at most once per key and body."""
    if key is None:
        with transaction.atomic():
            status, text = work()
        return StoredResponse(status=status, body=text, replayed=False)
    digest = request_hash(body)
    if (existing := _completed(workspace, key)) is not None:
        return _replay(existing, digest)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the transaction usable
                record = IdempotencyRecord.objects.create(
                    workspace=workspace, key=key, request_hash=digest, status=0, response_body=""
                )
        except IntegrityError:
            existing = _completed(workspace, key)
            if existing is None:  # pragma: no cover - the winner's row is committed by now
                raise
            return _replay(existing, digest)
        status, text = work()
        record.status = status
        record.response_body = text
        record.save(update_fields=["status", "response_body", "updated_at"])
    return StoredResponse(status=status, body=text, replayed=False)


def prune_idempotency_records(now: dt.datetime | None = None) -> int:
    """Delete the records older than the retention (24 hours), in every workspace."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = (
        IdempotencyRecord.objects.across_workspaces().filter(created_at__lt=cutoff).delete()
    )
    return deleted
