"""The audit table is append-only in the database itself (SQLite and PostgreSQL): UPDATE is
refused, DELETE is refused while the workspace exists; deleting the workspace takes its entries
with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from accord.identity import audit
from accord.identity.audit import AuditEntry
from accord.identity.models import Workspace
from accord.identity.tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def _entry(actor: Any) -> AuditEntry:
    with transaction.atomic():
        return audit.record(actor, "test.recorded", object_type="thing", object_id=1, label="x")


def test_update_through_the_orm_is_refused(actor: Any) -> None:
    entry = _entry(actor)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.for_workspace(actor.workspace).filter(pk=entry.pk).update(note="edit")
    entry.refresh_from_db()
    assert entry.note == ""


def test_raw_update_and_delete_are_refused(actor: Any) -> None:
    entry = _entry(actor)
    for sql in (
        "UPDATE identity_auditentry SET action = 'forged' WHERE id = %s",
        "DELETE FROM identity_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert list(AuditEntry.objects.for_workspace(actor.workspace).values_list("pk", "action")) == [
        (entry.pk, "test.recorded")
    ]


def test_orm_delete_is_refused(actor: Any) -> None:
    _entry(actor)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.for_workspace(actor.workspace).delete()
    assert AuditEntry.objects.for_workspace(actor.workspace).count() == 1


def test_deleting_the_workspace_deletes_its_entries_only(actor: Any) -> None:
    from accord.identity.actor import Actor, Source

    other = WorkspaceFactory()
    _entry(actor)
    kept = _entry(Actor.system(other, Source.SYSTEM))
    workspace_id = actor.workspace.pk
    with transaction.atomic():
        Workspace.objects.get(pk=workspace_id).delete()
    assert AuditEntry.objects.for_workspace(workspace_id).count() == 0
    assert list(AuditEntry.objects.for_workspace(other).values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db(transaction=True)
def test_the_demo_reset_deletes_a_workspace_with_entries() -> None:
    """On SQLite this takes the fast path (foreign keys off, so no cascade): the entries of the
    deleted workspace are removed after it, and the constraint check passes."""
    from accord.demo.reset import demo_workspace_delete
    from accord.identity.actor import Actor, Source

    gone, kept = WorkspaceFactory(slug="gone"), WorkspaceFactory(slug="kept")
    gone_id = gone.pk
    _entry(Actor.system(gone, Source.DEMO))
    survivor = _entry(Actor.system(kept, Source.DEMO))
    demo_workspace_delete(gone)
    assert not Workspace.objects.filter(slug="gone").exists()
    assert AuditEntry.objects.for_workspace(gone_id).count() == 0
    assert list(AuditEntry.objects.for_workspace(kept).values_list("pk", flat=True)) == [
        survivor.pk
    ]
