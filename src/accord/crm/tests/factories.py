from __future__ import annotations

import factory

from accord.crm.models import Activity, ActivityKind, Company, Contact, LedgerEntry
from accord.identity.tests.factories import WorkspaceFactory


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    industry = "Software"
    employee_count = 250
    country = "DE"


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact with its initial ledger row, as the service would write it."""

    class Meta:
        model = Contact
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"person{n}@buyer{n}.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = "Head of Operations"
    lifecycle_stage = "lead"

    @factory.post_generation
    def ledger(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            LedgerEntry.objects.create(
                workspace=self.workspace,
                contact=self,
                from_stage="",
                to_stage=self.lifecycle_stage,
                occurred_at=self.created_at,
                source="system",
                reason="created",
            )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    workspace = factory.SubFactory(WorkspaceFactory)
    kind = ActivityKind.CALL
    contact = factory.SubFactory(ContactFactory, workspace=factory.SelfAttribute("..workspace"))
    subject = "Intro call"
