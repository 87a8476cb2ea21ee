"""The subject access document: exact content for a contact with one of everything, every
model pointing to Contact covered, permissions, other workspaces, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from accord.core.errors import NotFound, PermissionDenied
from accord.crm.models import Contact
from accord.identity.actor import Actor, Source
from accord.identity.audit_models import AuditEntry
from accord.integrations.privacy.export import SECTIONS, personal_data_export
from tests.privacy.world import EMAIL, T0, World

pytestmark = pytest.mark.django_db


def test_every_model_pointing_to_a_contact_has_a_section() -> None:
    pointing = {
        model._meta.label
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Contact
    }
    assert pointing == set(SECTIONS)


def test_the_document_holds_everything_about_the_contact(world: World, actor: Actor) -> None:
    c = world.contact
    doc = personal_data_export(actor=actor, contact_id=c.pk)
    assert doc["schema_version"] == 1
    assert doc["workspace"] == {"id": actor.workspace.pk, "name": "Acme Revenue"}
    contact = doc["contact"]
    assert {k: contact[k] for k in ("id", "email", "first_name", "last_name", "phone",
                                    "external_id", "custom_fields", "lifecycle_stage",
                                    "created_at")} == {
        "id": c.pk, "email": EMAIL.lower(), "first_name": "Ana", "last_name": "Subject",
        "phone": "+1 555 0100", "external_id": "hs-ana", "custom_fields": {"segment": "mid-market"},
        "lifecycle_stage": "mql", "created_at": T0.isoformat(),
    }  # fmt: skip
    assert "company_id" not in contact and "workspace_id" not in contact
    assert doc["company"] == {
        "id": c.company_id,
        "name": "Northwind",
        "domain": "northwind.example",
    }
    assert doc["owner"] == {"id": c.owner_id, "name": c.owner.display_name}
    assert [(e["from_stage"], e["to_stage"]) for e in doc["ledger"]] == [
        ("", "lead"),
        ("lead", "mql"),
    ]
    assert [t["id"] for t in doc["touchpoints"]] == [world.touch.pk]
    assert doc["touchpoints"][0]["utm_campaign"] == "spring"
    assert [(a["id"], a["subject"], a["body"]) for a in doc["activities"]] == [
        (world.activity.pk, "Discovery call", "Talked budget")
    ]
    (handoff,) = doc["handoffs"]
    assert (handoff["id"], handoff["status"], handoff["reason_label"], handoff["comment"]) == (
        world.handoff.pk,
        "rejected",
        world.handoff.reason.label,
        "No budget this year",
    )
    assert handoff["first_touch_due_at"] == world.handoff.first_touch_due_at.isoformat()
    assert handoff["rejection_review"]["note"] == "Fair"
    assert [e["message"] for e in handoff["escalations"]] == ["First touch late"]
    assert handoff["dispute"] is None
    assert doc["deals"] == [{
        "id": world.deal.pk, "name": "Northwind expansion", "stage_id": world.deal.stage_id,
        "stage_label": world.deal.stage.label, "status": "won", "amount": "12000.00",
        "currency": "USD", "owner_id": None, "company_id": c.company_id,
        "created_at": world.deal.created_at.isoformat(),
        "closed_at": world.deal.closed_at.isoformat(), "source": "",
    }]  # fmt: skip
    assert [(r["id"], r["marketing_credit"]) for r in doc["recognitions"]] == [
        (world.recognition.pk, "3000.00")
    ]
    assert {k: doc["score"][k] for k in ("definition_version", "fit", "grade", "mql")} == {
        "definition_version": 1,
        "fit": 40.0,
        "grade": "B",
        "mql": True,
    }
    assert doc["score"]["definition"] is None  # version 1 was never published here
    assert (doc["prediction"]["model_version"], doc["prediction"]["probability"]) == (2, 0.25)
    assert doc["contact_cap_violations"] == []
    (assignment,) = doc["experiment_assignments"]
    assert (assignment["id"], assignment["experiment_name"], assignment["variant_key"]) == (
        world.assignment.pk,
        "Nurture B",
        "b",
    )
    assert [r["id"] for r in doc["idempotency_records"]] == [world.idempotency.pk]
    assert [d["id"] for d in doc["webhook_deliveries"]] == [world.delivery.pk]
    assert doc["imports"] == [{
        "job_id": world.job.pk, "record_type": "contacts", "file_name": "hubspot.csv",
        "status": "succeeded", "created_at": world.job.created_at.isoformat(),
        "rows": [{"row": 2, "cells": {"Email": EMAIL, "First Name": "Ana"}}],
    }]  # fmt: skip
    assert [(e["row"], e["value"]) for e in doc["import_row_errors"]] == [(2, "+1 x")]
    exported = [e for e in doc["audit_entries"] if e["action"] == "contact.personal_data_exported"]
    assert exported == []  # this export is recorded after the document is read
    # Nothing of the bystander.
    text = str(doc)
    assert "bob.other" not in text and str(world.other_delivery.event_id) not in text


def test_the_export_is_audited_without_personal_fields(world: World, actor: Actor) -> None:
    personal_data_export(actor=actor, contact_id=world.contact.pk)
    entry = AuditEntry.objects.for_workspace(actor.workspace).get(
        action="contact.personal_data_exported"
    )
    assert (entry.object_type, entry.object_id, entry.object_label) == (
        "contact",
        str(world.contact.pk),
        f"contact {world.contact.pk}",
    )
    assert entry.after["sections"]["touchpoints"] == 1
    assert "@" not in entry.after_text
    # A second export lists the first in the audit section.
    again = personal_data_export(actor=actor, contact_id=world.contact.pk)
    (first,) = [e for e in again["audit_entries"] if e["action"].startswith("contact.personal")]
    assert (first["object_id"], first["actor_label"]) == (str(world.contact.pk), entry.actor_label)


@pytest.mark.parametrize("role", ["sales_rep", "sdr", "marketer", "viewer"])
def test_only_admins_and_managers_may_export(world: World, member_factory: Any, role: str) -> None:
    who = Actor.for_membership(member_factory(role), Source.API)
    with pytest.raises(PermissionDenied):
        personal_data_export(actor=who, contact_id=world.contact.pk)
    assert (
        not AuditEntry.objects.for_workspace(who.workspace)
        .filter(action="contact.personal_data_exported")
        .exists()
    )


def test_a_manager_may_export(world: World, member_factory: Any) -> None:
    who = Actor.for_membership(member_factory("manager"), Source.API)
    assert personal_data_export(actor=who, contact_id=world.contact.pk)["contact"]["id"] == (
        world.contact.pk
    )


def test_another_workspaces_contact_is_not_found(
    world: World, other_workspace: Any, member_factory: Any
) -> None:
    stranger = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.API)
    with pytest.raises(NotFound):
        personal_data_export(actor=stranger, contact_id=world.contact.pk)
    assert not AuditEntry.objects.for_workspace(other_workspace).exists()
