"""A small, known history for the predictive score tests: contacts created over 300 days, of
which referrals convert to SQL often and paid social rarely; converters also attend a webinar
in their first days. Written with factories and the ledger service."""

from __future__ import annotations

import datetime as dt
from typing import cast

import numpy as np
from django.utils import timezone

from accord.core.channels import Channel
from accord.crm.models import Contact, LedgerEntry
from accord.crm.tests.factories import ContactFactory
from accord.identity.models import Workspace
from accord.marketing.models import Touchpoint, TouchpointType

RATES = {Channel.REFERRAL: 0.6, Channel.PAID_SOCIAL: 0.08, Channel.EMAIL: 0.25}


def make_history(
    workspace: Workspace, n: int = 240, *, seed: int = 1, convert: bool = True
) -> list[Contact]:
    rng = np.random.default_rng(seed)
    now = timezone.now()
    channels = list(RATES)
    contacts: list[Contact] = []
    touchpoints: list[Touchpoint] = []
    entries: list[LedgerEntry] = []
    for i in range(n):
        channel = channels[i % len(channels)]
        created = now - dt.timedelta(days=400 - 300 * i / n)
        contact = cast(
            Contact,
            ContactFactory(
                workspace=workspace, original_source=channel, created_at=created, seniority="vp"
            ),
        )
        contacts.append(contact)
        touchpoints.append(
            Touchpoint(
                workspace=workspace,
                contact=contact,
                channel=channel,
                type=TouchpointType.FORM_FILL,
                occurred_at=created,
            )
        )
        if convert and rng.random() < RATES[channel]:
            touchpoints.append(
                Touchpoint(
                    workspace=workspace,
                    contact=contact,
                    channel=Channel.WEBINAR,
                    type=TouchpointType.WEBINAR,
                    occurred_at=created + dt.timedelta(days=2),
                )
            )
            entries.append(
                LedgerEntry(
                    workspace=workspace,
                    contact=contact,
                    from_stage="lead",
                    to_stage="sql",
                    occurred_at=created + dt.timedelta(days=20),
                    source="system",
                )
            )
    Touchpoint.objects.bulk_create(touchpoints)
    LedgerEntry.objects.bulk_create(entries)
    return contacts
