"""Factories for identity records. Workspaces come provisioned with the CRM defaults."""

from __future__ import annotations

import factory

from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, Team, TeamKind, User, Workspace

PASSWORD = "correct-horse-battery"


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"ws-{n}")

    @factory.post_generation
    def provision(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            from accord.crm.services.provisioning import provision_workspace

            provision_workspace(self)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    kind = TeamKind.SALES


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN


def actor_for(membership: Membership, source: Source = Source.API) -> Actor:
    return Actor.for_membership(membership, source)
