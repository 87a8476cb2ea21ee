"""List pages run a fixed number of queries, however many rows they show (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accord.crm.tests.factories import ActivityFactory, CompanyFactory, ContactFactory
from accord.identity.models import Membership
from accord.marketing.tests.factories import CampaignFactory
from tests.web.conftest import make_records

MAX_QUERIES = 12


def add_rows(admin: Membership, n: int) -> None:
    ws = admin.workspace
    for i in range(n):
        company = CompanyFactory(workspace=ws, owner=admin.user)
        contact = ContactFactory(workspace=ws, company=company, owner=admin.user)
        ActivityFactory(workspace=ws, contact=contact)
        CampaignFactory(workspace=ws, name=f"Bulk campaign {i}")


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "name",
    ["web:home", "web:contacts", "web:companies", "web:deals", "web:campaigns", "web:ledger"],
)
def test_list_queries_do_not_grow_with_rows(
    admin_client: Client,
    admin: Membership,
    name: str,
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    make_records(admin)
    url = reverse(name)
    admin_client.get(url)  # the first request of a session also stores the workspace in it
    few = count_queries(admin_client, url)
    add_rows(admin, 12)
    for i in range(3):
        make_records(admin, prefix=f"Bulk{i}")
    # Home also counts what is waiting for the member: their leads, alerts and action items.
    extra = {"web:home": 3}.get(name, 0)
    with django_assert_max_num_queries(MAX_QUERIES + extra):
        admin_client.get(url)
    assert count_queries(admin_client, url) == few


@pytest.mark.parametrize(
    ("name", "attr"),
    [
        ("web:contact", "contact"),
        ("web:company", "company"),
        ("web:deal", "deal"),
        ("web:campaign", "campaign"),
    ],
)
def test_detail_queries_are_bounded(
    admin_client: Client,
    admin: Membership,
    name: str,
    attr: str,
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    records = make_records(admin)
    for i in range(3):
        make_records(admin, prefix=f"Bulk{i}")
    # The lead score card: is a definition active? The deal's journey card: the attribution
    # settings, the deal's row, its contact's touches and ledger entries, their campaigns.
    extra = {"web:contact": 1, "web:deal": 5}.get(name, 0)
    with django_assert_max_num_queries(MAX_QUERIES + 2 + extra):
        response = admin_client.get(reverse(name, args=[getattr(records, attr).pk]))
    assert response.status_code == 200
