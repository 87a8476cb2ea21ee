"""Erasure: the contact and everything pointing to it go, its personal data kept elsewhere is
scrubbed, deals stay, the numbers on both engines agree, and no trace of its email is left
anywhere in the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from accord.alignment.models import RejectionReview
from accord.attribution.models import Recognition
from accord.core.errors import NotFound, PermissionDenied
from accord.crm.models import Activity, Contact, Deal, LedgerEntry
from accord.definitions.models import ContactPrediction, ContactScore
from accord.experiments.models import Assignment
from accord.handoff.models import Escalation, Handoff
from accord.identity.actor import Actor, Source
from accord.identity.audit_models import AuditEntry
from accord.integrations.models import (
    IdempotencyRecord,
    ImportJob,
    ImportRowError,
    WebhookDelivery,
)
from accord.integrations.privacy.erase import erase_contact
from accord.marketing.models import Touchpoint
from accord.metrics import columnar, dashboard
from tests.privacy.world import EMAIL, World

pytestmark = pytest.mark.django_db
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def every_text_in_the_database() -> str:
    """Every row of every table, as text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts += [repr(row) for row in cursor.fetchall()]
    return "\n".join(parts).lower()


def counts(world: World) -> dict[str, int]:
    c = world.contact.pk
    return {
        "contact": Contact.objects.for_workspace(world.contact.workspace_id).filter(pk=c).count(),
        "ledger": LedgerEntry.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "touchpoints": Touchpoint.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "activities": Activity.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "handoffs": Handoff.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "escalations": Escalation.objects.for_workspace(world.contact.workspace_id)
        .filter(handoff_id=world.handoff.pk)
        .count(),
        "reviews": RejectionReview.objects.for_workspace(world.contact.workspace_id)
        .filter(handoff_id=world.handoff.pk)
        .count(),
        "scores": ContactScore.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "predictions": ContactPrediction.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
        "assignments": Assignment.objects.for_workspace(world.contact.workspace_id)
        .filter(contact_id=c)
        .count(),
    }


def test_erasure_removes_the_contact_and_scrubs_its_traces(
    world: World, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    assert EMAIL.lower() in every_text_in_the_database()
    old_file = world.import_file
    with django_capture_on_commit_callbacks(execute=True):
        erasure = erase_contact(actor=actor, contact_id=world.contact.pk)
    assert erasure.as_json() == {
        "contact_id": world.contact.pk,
        "removed": {"ledger_entries": 2, "touchpoints": 1, "activities": 1, "handoffs": 1,
                    "experiment_assignments": 1},
        "scrubbed": {"webhook_deliveries": 1, "idempotency_records": 1, "import_rows": 1,
                     "import_row_errors": 1, "admin_log_entries": 0},
        "deals_kept": 1,
    }  # fmt: skip
    assert set(counts(world).values()) == {0}
    # Deals stay without their contact: won revenue and recognition do not change.
    deal = Deal.objects.for_workspace(world.contact.workspace_id).get(pk=world.deal.pk)
    assert (deal.primary_contact_id, str(deal.amount), deal.status) == (None, "12000.00", "won")
    assert (
        Recognition.objects.for_workspace(world.contact.workspace_id)
        .filter(pk=world.recognition.pk)
        .exists()
    )
    # The bystander keeps everything.
    assert (
        Contact.objects.for_workspace(world.contact.workspace_id)
        .filter(pk=world.bystander.pk)
        .exists()
    )
    deliveries = WebhookDelivery.objects.for_workspace(world.contact.workspace_id)
    assert deliveries.get(pk=world.other_delivery.pk).payload["data"] == {
        "contact_id": world.bystander.pk, "email": world.bystander.email,
    }  # fmt: skip
    delivery = WebhookDelivery.objects.for_workspace(world.contact.workspace_id).get(
        pk=world.delivery.pk
    )
    assert delivery.payload == {"id": "e1", "event": "contact.created",
                                "occurred_at": world.delivery.payload["occurred_at"],
                                "redacted": "personal data erased"}  # fmt: skip
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "Not sent: it named a contact that was erased.",
    )
    record = IdempotencyRecord.objects.for_workspace(world.contact.workspace_id).get(
        pk=world.idempotency.pk
    )
    assert (record.status, record.response_body) == (201, '{"redacted": "personal data erased"}')
    # The import file: the row is blanked, the file renamed by its new digest, the old removed.
    job = ImportJob.objects.for_workspace(world.contact.workspace_id).get(pk=world.job.pk)
    new_file = type(old_file)(job.stored_path)
    assert not old_file.exists() and new_file != old_file
    assert new_file.read_bytes() == (
        b"Email,First Name\r\nbob.other@northwind.example,Bob\r\n,\r\nnot-an-email,Nobody\r\n"
    )
    assert job.file_size == new_file.stat().st_size and job.file_sha256[:16] == new_file.stem
    errors = ImportRowError.objects.filter(job=job).order_by("row")
    assert [(e.row, e.value) for e in errors] == [(2, ""), (3, "not-an-email")]
    # No trace of the email anywhere in the database.
    assert EMAIL.lower() not in every_text_in_the_database()
    assert "bob.other@northwind.example" in every_text_in_the_database()


def test_erasure_is_audited_without_personal_fields(world: World, actor: Actor) -> None:
    erase_contact(actor=actor, contact_id=world.contact.pk)
    entry = AuditEntry.objects.for_workspace(actor.workspace).get(action="contact.erased")
    assert (entry.object_type, entry.object_id, entry.object_label, entry.actor_label) == (
        "contact",
        str(world.contact.pk),
        f"contact {world.contact.pk}",
        actor.label,
    )
    assert entry.after["deals_kept"] == 1
    assert "@" not in entry.after_text and "Ana" not in entry.after_text


def test_numbers_agree_on_both_engines_after_erasure(
    world: World, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    columnar.sync()
    before = dashboard.headlines(actor.workspace.pk, START, END, engine="record_store")
    with django_capture_on_commit_callbacks(execute=True):
        erase_contact(actor=actor, contact_id=world.contact.pk)
    # The copy lost the contact's rows at once: no rebuild is needed to agree.
    assert columnar.read("SELECT count(*) FROM crm_contact WHERE id = ?", [world.contact.pk]) == [
        (0,)
    ]
    assert columnar.read(
        "SELECT count(*) FROM crm_ledgerentry WHERE contact_id = ?", [world.contact.pk]
    ) == [(0,)]
    stored = dashboard.headlines(actor.workspace.pk, START, END, engine="record_store")
    copied = dashboard.headlines(actor.workspace.pk, START, END, engine="columnar")
    assert [(h.metric.key, h.value) for h in stored] == [(h.metric.key, h.value) for h in copied]
    # Recomputed from scratch: a fresh copy gives the same numbers.
    columnar.rebuild()
    rebuilt = dashboard.headlines(actor.workspace.pk, START, END, engine="columnar")
    assert [(h.metric.key, h.value) for h in rebuilt] == [(h.metric.key, h.value) for h in stored]
    by_key = {h.metric.key: h.value for h in stored}
    was = {h.metric.key: h.value for h in before}
    assert was["mqls"] is not None and by_key["mqls"] is not None
    assert (was["mqls"].value, by_key["mqls"].value) == (2, 1)  # the bystander's MQL stays
    assert was["sourced_pipeline"] == by_key["sourced_pipeline"]


@pytest.mark.parametrize("role", ["sales_rep", "sdr", "marketer", "viewer"])
def test_only_admins_and_managers_may_erase(world: World, member_factory: Any, role: str) -> None:
    who = Actor.for_membership(member_factory(role), Source.API)
    before = counts(world)
    with pytest.raises(PermissionDenied):
        erase_contact(actor=who, contact_id=world.contact.pk)
    assert counts(world) == before
    assert (
        WebhookDelivery.objects.for_workspace(world.contact.workspace_id)
        .get(pk=world.delivery.pk)
        .payload
        == world.delivery.payload
    )
    assert (
        not AuditEntry.objects.for_workspace(world.contact.workspace_id)
        .filter(action="contact.erased")
        .exists()
    )


def test_another_workspaces_contact_is_not_found(
    world: World, other_workspace: Any, member_factory: Any
) -> None:
    stranger = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.API)
    before = counts(world)
    with pytest.raises(NotFound):
        erase_contact(actor=stranger, contact_id=world.contact.pk)
    assert counts(world) == before
    assert world.import_file.exists()


def test_an_unfinished_import_holding_the_contact_refuses_the_erasure(
    world: World, actor: Actor
) -> None:
    ImportJob.objects.for_workspace(world.contact.workspace_id).filter(pk=world.job.pk).update(
        status="running"
    )
    before = counts(world)
    with pytest.raises(Exception, match="has not finished") as caught:
        erase_contact(actor=actor, contact_id=world.contact.pk)
    assert type(caught.value).__name__ == "Conflict"
    assert counts(world) == before
    assert ImportJob.objects.for_workspace(world.contact.workspace_id).get(
        pk=world.job.pk
    ).stored_path == str(world.import_file)
