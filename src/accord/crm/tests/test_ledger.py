"""The lifecycle ledger: every stage change appended, never rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services import contacts, ledger
from accord.identity.actor import Actor, Source


def _entries(workspace, contact):  # type: ignore[no-untyped-def]
    return list(
        LedgerEntry.objects.for_workspace(workspace)
        .filter(contact=contact)
        .order_by("occurred_at", "pk")
        .values_list("from_stage", "to_stage", "source")
    )


@pytest.mark.django_db
def test_create_then_move_forward_and_back(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="mql")
    ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="sal")
    ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="recycled", reason="Not now")
    ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="mql")
    assert _entries(workspace, contact) == [
        ("", "lead", "api"),
        ("lead", "mql", "api"),
        ("mql", "sal", "api"),
        ("sal", "recycled", "api"),
        ("recycled", "mql", "api"),
    ]
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    last = LedgerEntry.objects.for_workspace(workspace).filter(contact=contact).latest("pk")
    assert last.actor_user == actor.user


@pytest.mark.django_db
def test_same_stage_writes_nothing(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    assert ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="lead") is None
    assert len(_entries(workspace, contact)) == 1


@pytest.mark.django_db
def test_unknown_stage_is_refused_and_nothing_written(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    with pytest.raises(ValidationFailed) as err:
        ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="hot-lead")
    assert "to_stage" in err.value.fields
    assert len(_entries(workspace, contact)) == 1


@pytest.mark.django_db
def test_contact_of_another_workspace_is_not_found(actor, other_workspace) -> None:  # type: ignore[no-untyped-def]
    stranger = Actor.system(other_workspace)
    theirs = contacts.contact_create(actor=stranger, values={"email": "bo@elsewhere.example"})
    with pytest.raises(NotFound):
        ledger.change_stage(actor=actor, contact_id=theirs.pk, to_stage="mql")
    assert _entries(other_workspace, theirs) == [("", "lead", "system")]


@pytest.mark.django_db
def test_viewers_cannot_change_stages(member_factory, actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    with pytest.raises(PermissionDenied):
        ledger.change_stage(actor=viewer, contact_id=contact.pk, to_stage="mql")
    assert len(_entries(workspace, contact)) == 1


@pytest.mark.django_db
def test_stage_through_contact_update_goes_through_the_ledger(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    contacts.contact_update(
        actor=actor, contact_id=contact.pk, values={"lifecycle_stage": "mql", "title": "CTO"}
    )
    assert _entries(workspace, contact)[-1] == ("lead", "mql", "api")


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_rewrite_history(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    entry = LedgerEntry.objects.for_workspace(workspace).get(contact=contact)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.for_workspace(workspace).filter(pk=entry.pk).update(to_stage="customer")
    entry.refresh_from_db()
    assert entry.to_stage == "lead"
    assert Contact.objects.for_workspace(workspace).get(pk=contact.pk).lifecycle_stage == "lead"


@pytest.mark.django_db
def test_workspace_specific_stages(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    from accord.crm.models import LifecycleStage

    LifecycleStage.objects.create(
        workspace=workspace, key="evangelist", label="Evangelist", position=20
    )
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="evangelist")
    assert _entries(workspace, contact)[-1][:2] == ("lead", "evangelist")
