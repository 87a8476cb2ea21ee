"""A contact with one of everything Accord can hold about it, and a bystander beside it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from accord.alignment.models import RejectionReview
from accord.attribution.models import Recognition
from accord.crm.models import Activity, Company, Contact, Deal, Pipeline
from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.definitions.models import ContactPrediction, ContactScore
from accord.experiments import services as experiments
from accord.experiments.models import Assignment
from accord.handoff.models import Escalation, Handoff, HandoffStatus, RejectionReason
from accord.identity.actor import Actor
from accord.identity.models import Membership
from accord.integrations.models import (
    IdempotencyRecord,
    ImportJob,
    ImportRowError,
    WebhookDelivery,
    WebhookSubscription,
)
from accord.marketing.models import Touchpoint

EMAIL = "Ana.Subject@northwind.example"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class World:
    contact: Contact
    bystander: Contact
    deal: Deal
    handoff: Handoff
    touch: Touchpoint
    activity: Activity
    assignment: Assignment
    delivery: WebhookDelivery
    other_delivery: WebhookDelivery
    idempotency: IdempotencyRecord
    job: ImportJob
    import_file: Path
    row_error: ImportRowError
    recognition: Recognition


def _contact(actor: Actor, email: str, company: Company, owner: Membership) -> Contact:
    contact = contact_services.contact_create(
        actor=actor,
        values={
            "email": email, "first_name": "Ana", "last_name": "Subject", "phone": "+1 555 0100",
            "company_id": company.pk, "owner_id": owner.user_id, "lifecycle_stage": "lead",
            "external_id": f"hs-{email[:3]}", "custom_fields": {"segment": "mid-market"},
            "created_at": T0,
        },
    )  # fmt: skip
    change_stage(actor=actor, contact_id=contact.pk, to_stage="mql", definition_version="v1")
    return contact


def build(actor: Actor, owner: Membership) -> World:
    ws = actor.workspace
    company = Company.objects.create(workspace=ws, name="Northwind", domain="northwind.example")
    contact = _contact(actor, EMAIL.lower(), company, owner)
    bystander = _contact(actor, "bob.other@northwind.example", company, owner)
    touch = Touchpoint.objects.create(
        workspace=ws, contact=contact, channel="webinar", type="webinar_attended",
        occurred_at=T0, utm_campaign="spring",
    )  # fmt: skip
    Touchpoint.objects.create(workspace=ws, contact=bystander, channel="webinar",
                              type="webinar_attended", occurred_at=T0)  # fmt: skip
    activity = Activity.objects.create(
        workspace=ws, kind="call", user=owner.user, contact=contact, subject="Discovery call",
        body="Talked budget", occurred_at=T0 + dt.timedelta(days=1),
    )  # fmt: skip
    reason = RejectionReason.objects.for_workspace(ws).order_by("position").first() or (
        RejectionReason.objects.create(workspace=ws, key="bad-fit", label="Bad fit",
                                       outcome="disqualify")
    )  # fmt: skip
    handoff = Handoff.objects.create(
        workspace=ws, contact=contact, owner=owner.user, chosen_by="test", assigned_at=T0,
        status=HandoffStatus.REJECTED, decided_at=T0 + dt.timedelta(hours=3),
        decided_by=owner.user, reason=reason, comment="No budget this year",
        first_touch_due_at=T0 + dt.timedelta(hours=4),
    )  # fmt: skip
    Escalation.objects.create(workspace=ws, handoff=handoff, kind="breach_owner",
                              recipient=owner.user, message="First touch late")  # fmt: skip
    RejectionReview.objects.create(workspace=ws, handoff=handoff, reviewed_by=owner.user,
                                   reviewed_at=T0 + dt.timedelta(days=1), note="Fair")  # fmt: skip
    pipeline = Pipeline.objects.for_workspace(ws).get(is_default=True)
    won = pipeline.stages.get(outcome="won")
    deal = Deal.objects.create(
        workspace=ws, name="Northwind expansion", pipeline=pipeline, stage=won, status="won",
        amount=Decimal("12000.00"), currency="USD", primary_contact=contact, company=company,
        closed_at=T0 + dt.timedelta(days=20),
    )  # fmt: skip
    recognition = Recognition.objects.create(
        workspace=ws, deal=deal, won_at=deal.closed_at, model="linear", amount=deal.amount,
        currency="USD", marketing_credit=Decimal("3000.00"),
    )  # fmt: skip
    ContactScore.objects.create(workspace=ws, contact=contact, definition_version=1, fit=40,
                                grade="B", engagement=12.5, mql=True, computed_at=T0)  # fmt: skip
    ContactPrediction.objects.create(workspace=ws, contact=contact, model_version=2,
                                     probability=0.25, computed_at=T0)  # fmt: skip
    experiment = experiments.experiment_create(actor=actor, values={
        "key": "nurture", "name": "Nurture B", "hypothesis": "Shorter nurture converts more.",
        "subject": "call_script", "primary_metric": "sql_rate", "assignment": "recorded",
        "variants": [{"key": "a", "name": "A", "is_control": True}, {"key": "b", "name": "B"}],
    })  # fmt: skip
    assignment = Assignment.objects.create(
        workspace=ws, experiment=experiment, variant=experiment.variants.get(key="b"),
        contact=contact, assigned_at=T0, source="recorded",
    )  # fmt: skip
    hook = WebhookSubscription.objects.create(workspace=ws, url="https://hooks.example/in",
                                              events=["*"], salt="s")  # fmt: skip
    delivery = WebhookDelivery.objects.create(
        workspace=ws, subscription=hook, event="contact.created", event_id=uuid.uuid4(),
        payload={"id": "e1", "event": "contact.created", "occurred_at": T0.isoformat(),
                 "data": {"contact_id": contact.pk, "email": contact.email}},
    )  # fmt: skip
    other_delivery = WebhookDelivery.objects.create(
        workspace=ws, subscription=hook, event="contact.created", event_id=uuid.uuid4(),
        payload={"id": "e2", "event": "contact.created",
                 "data": {"contact_id": bystander.pk, "email": bystander.email}},
    )  # fmt: skip
    idempotency = IdempotencyRecord.objects.create(
        workspace=ws, key="k-1", request_hash="0" * 64, status=201,
        response_body=json.dumps({"created": 1, "contacts": [{"email": contact.email}]}),
    )  # fmt: skip
    folder = Path(settings.DATA_DIR) / "imports" / str(ws.pk)
    folder.mkdir(parents=True, exist_ok=True)
    import_file = folder / "0123456789abcdef.csv"
    import_file.write_text(
        "Email,First Name\r\nbob.other@northwind.example,Bob\r\n"
        f"{EMAIL},Ana\r\nnot-an-email,Nobody\r\n", encoding="utf-8",
    )  # fmt: skip
    job = ImportJob.objects.create(
        workspace=ws, record_type="contacts", file_name="hubspot.csv",
        stored_path=str(import_file), file_sha256="0123456789abcdef" + "0" * 48,
        file_size=import_file.stat().st_size, mode="valid-rows", on_match="skip",
        mapping={}, status="succeeded",
    )  # fmt: skip
    row_error = ImportRowError.objects.create(
        job=job, row=3, column="Email", value="not-an-email", reason="Not an email"
    )
    ImportRowError.objects.create(job=job, row=2, column="Phone", value="+1 x",
                                  reason="Not a phone number")  # fmt: skip
    return World(contact, bystander, deal, handoff, touch, activity, assignment, delivery,
                 other_delivery, idempotency, job, import_file, row_error,
                 recognition)  # fmt: skip
