"""Reading the audit log: who may (admins), the filters the page, the API and the CLI share,
and the CSV export, which is itself recorded in the log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accord.core.errors import PermissionDenied
from accord.identity import audit
from accord.identity.actor import Actor, Source
from accord.identity.audit import AuditEntry
from accord.identity.permissions import Action

CSV_HEADER = [
    "id",
    "occurred_at",
    "actor",
    "user_id",
    "source",
    "remote_addr",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "before",
    "after",
    "note",
]


def require_audit_access(actor: Actor) -> None:
    """Only a workspace's admins read its audit log; on the command line, whoever runs
    `accord` on the server (who can read the database anyway)."""
    if actor.user is None and actor.source in {Source.CLI, Source.SYSTEM}:
        return
    if actor.user is None or not actor.can(Action.MANAGE_WORKSPACE):
        raise PermissionDenied("Only an admin of this workspace can see its audit log.")


@dataclass(frozen=True)
class AuditFilters:
    """`action` matches exactly, or every action under a prefix ending in a dot
    (`definition.`); `since` and `until` are dates in the workspace's time zone, both
    inclusive."""

    action: str = ""
    user_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def audit_entries(actor: Actor, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """The workspace's entries, newest first, narrowed by `filters`."""
    require_audit_access(actor)
    f = filters or AuditFilters()
    entries = AuditEntry.objects.for_workspace(actor.workspace)
    if f.action.endswith("."):
        entries = entries.filter(action__startswith=f.action)
    elif f.action:
        entries = entries.filter(action=f.action)
    if f.user_id is not None:
        entries = entries.filter(user_id=f.user_id)
    if f.object_type:
        entries = entries.filter(object_type=f.object_type)
    if f.object_id:
        entries = entries.filter(object_id=f.object_id)
    if f.since is not None:
        entries = entries.filter(occurred_at__gte=f.since)
    if f.until is not None:
        entries = entries.filter(occurred_at__lt=f.until)
    return entries.order_by("-occurred_at", "-id")


def audit_choices(actor: Actor) -> dict[str, list[Any]]:
    """The distinct actions, object types and acting users, for the page's filter menus (three
    DISTINCT queries, so the page does not read the whole log)."""
    require_audit_access(actor)
    entries = AuditEntry.objects.for_workspace(actor.workspace).order_by()
    users = entries.filter(user_id__isnull=False).values_list("user_id", "actor_label").distinct()
    seen: dict[int, str] = {}
    for user_id, label in sorted(users):
        seen.setdefault(int(user_id), label.rsplit(" via ", 1)[0])
    return {
        "actions": list(entries.values_list("action", flat=True).distinct().order_by("action")),
        "object_types": list(
            entries.values_list("object_type", flat=True).distinct().order_by("object_type")
        ),
        "users": sorted(seen.items(), key=lambda item: item[1].lower()),
    }


def audit_export(actor: Actor, filters: AuditFilters | None = None) -> Iterator[str]:
    """The entries as CSV text in chunks. The export is recorded first (in its own
    transaction), so it appears in what it exports."""
    entries = audit_entries(actor, filters)
    given = {k: v for k, v in asdict(filters or AuditFilters()).items() if v not in (None, "")}
    with transaction.atomic():
        audit.record(
            actor,
            "audit.exported",
            object_type="audit log",
            label="audit log CSV",
            after={"filters": given},
        )
    return _csv(entries)


def _csv(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for entry in entries.iterator(chunk_size=1000):
        writer.writerow(_row(entry))
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _text(value: Any) -> str:
    text = "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _neutralise(text)


def _neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _row(entry: AuditEntry) -> list[Any]:
    return [
        entry.pk,
        entry.occurred_at.isoformat(),
        _neutralise(entry.actor_label),
        entry.user_id or "",
        entry.source,
        entry.remote_addr or "",
        entry.action,
        entry.object_type,
        _neutralise(entry.object_id),
        _neutralise(entry.object_label),
        _text(entry.before),
        _text(entry.after),
        _neutralise(entry.note),
    ]


def entry_document(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the API and `accord audit list --json` give it."""
    return {
        "id": entry.pk,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": entry.actor_label,
        "user_id": entry.user_id,
        "source": entry.source,
        "remote_addr": entry.remote_addr,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
    }
