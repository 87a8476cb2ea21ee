"""Where a contact is named outside the records that point to it by foreign key: stored
responses of idempotent requests, webhook deliveries, and the rows of imported files (with
their row errors). Export and erasure look in the same places, by these functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.crm.models import Contact
from accord.integrations.importing.readers import FileProblem, open_table
from accord.integrations.models import (
    IdempotencyRecord,
    ImportJob,
    ImportRowError,
    WebhookDelivery,
)


@dataclass(frozen=True)
class Identity:
    """What names a contact in text: its id, its email, and its external id."""

    contact_id: int
    email: str
    external_id: str

    @classmethod
    def of(cls, contact: Contact) -> Identity:
        return cls(contact.pk, contact.email.strip().lower(), contact.external_id.strip())

    def in_text(self, text: str) -> bool:
        lowered = text.lower()
        if self.email and self.email in lowered:
            return True
        return bool(self.external_id) and json.dumps(self.external_id) in text

    def in_cells(self, cells: list[str]) -> bool:
        for cell in cells:
            value = cell.strip()
            if self.email and value.lower() == self.email:
                return True
            if self.external_id and value == self.external_id:
                return True
        return False

    def in_event_data(self, data: Any) -> bool:
        return _id_in(data, self.contact_id)


def _payload_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def deliveries_naming(workspace_id: int, who: Identity) -> list[WebhookDelivery]:
    """Webhook deliveries whose payload names the contact: its id in the event's data, or its
    email or external id anywhere in the body (Slack messages carry text, not ids)."""
    found = []
    rows = WebhookDelivery.objects.for_workspace(workspace_id).order_by("pk")
    for delivery in rows.iterator(chunk_size=2000):
        payload = delivery.payload
        data = payload.get("data") if isinstance(payload, dict) else None
        if who.in_event_data(data) or who.in_text(_payload_text(payload)):
            found.append(delivery)
    return found


def idempotency_records_naming(workspace_id: int, who: Identity) -> list[IdempotencyRecord]:
    """Stored responses to idempotent requests (inbound event batches) that carry the
    contact's email, external id or id."""
    found = []
    rows = IdempotencyRecord.objects.for_workspace(workspace_id).order_by("pk")
    for record in rows.iterator(chunk_size=2000):
        if who.in_text(record.response_body) or _names_id(record.response_body, who.contact_id):
            found.append(record)
    return found


def _names_id(body: str, contact_id: int) -> bool:
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return any(_id_in(node, contact_id) for node in _walk(parsed))


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _id_in(node: Any, contact_id: int) -> bool:
    """An event's data (or any object in a stored body) naming the contact by id."""
    if not isinstance(node, dict):
        return False
    if node.get("contact_id") == contact_id:
        return True
    ids = node.get("contact_ids")
    return isinstance(ids, list) and contact_id in ids


@dataclass
class FileRows:
    """The rows of one stored import file that name the contact, and the jobs that read it."""

    path: Path
    header: list[str]
    rows: dict[int, list[str]] = field(default_factory=dict)  # row number -> cells
    jobs: list[ImportJob] = field(default_factory=list)
    unreadable: str = ""


def import_files_naming(workspace_id: int, who: Identity) -> list[FileRows]:
    """Every stored import file of the workspace, read row by row; the ones that hold a row
    with the contact's email or external id (in any column), with the jobs that imported
    them. A file that is gone is skipped; one that cannot be read is reported."""
    by_path: dict[str, list[ImportJob]] = {}
    for job in ImportJob.objects.for_workspace(workspace_id).order_by("pk"):
        by_path.setdefault(job.stored_path, []).append(job)
    found = []
    for stored, jobs in by_path.items():
        path = Path(stored)
        if not path.exists():
            continue
        try:
            table = open_table(path)
            rows = {n: cells for n, cells in table.rows() if who.in_cells(cells)}
        except FileProblem as exc:
            found.append(FileRows(path, [], jobs=jobs, unreadable=str(exc)))
            continue
        if rows:
            found.append(FileRows(path, list(table.header), rows, jobs))
    return found


def row_errors_naming(workspace_id: int, who: Identity) -> list[ImportRowError]:
    """Row errors of the workspace's imports whose rejected value is the contact's email or
    external id."""
    errors = ImportRowError.objects.filter(job__workspace_id=workspace_id).order_by("pk")
    return [e for e in errors.iterator(chunk_size=2000) if who.in_cells([e.value])]
