from __future__ import annotations

import factory
from django.utils import timezone

from accord.core.channels import Channel
from accord.crm.tests.factories import ContactFactory
from accord.identity.tests.factories import WorkspaceFactory
from accord.marketing.models import Campaign, Touchpoint, TouchpointType


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = Channel.PAID_SEARCH
    currency = "USD"
    budget = 1000


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    workspace = factory.SubFactory(WorkspaceFactory)
    contact = factory.SubFactory(ContactFactory, workspace=factory.SelfAttribute("..workspace"))
    channel = Channel.PAID_SEARCH
    type = TouchpointType.AD_CLICK
    occurred_at = factory.LazyFunction(timezone.now)
