"""List pages sort NOT NULL columns without NULLS LAST, so PostgreSQL reads the page off a
(workspace, column) index instead of sorting the whole table; columns that can be empty still
sort their empty values last."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accord.crm.models import Contact, Deal
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.identity.models import Membership
from accord.web.views.listing import may_be_null


def test_may_be_null_follows_the_column_and_the_joins() -> None:
    assert may_be_null(Contact, "created_at") is False
    assert may_be_null(Contact, "email") is False
    assert may_be_null(Contact, "company__name") is True  # a contact may have no company
    assert may_be_null(Contact, "owner__full_name") is True
    assert may_be_null(Deal, "stage__position") is False  # every deal has a stage
    assert may_be_null(Contact, "no_such_annotation") is True


def list_query(client: Client, url: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    selects = [q["sql"] for q in captured.captured_queries if 'FROM "crm_contact"' in q["sql"]]
    return next(sql for sql in selects if "ORDER BY" in sql)


@pytest.mark.django_db
def test_the_default_contact_order_has_no_nulls_last(
    admin_client: Client, admin: Membership
) -> None:
    ContactFactory(workspace=admin.workspace)
    sql = list_query(admin_client, reverse("web:contacts"))
    order = sql.split("ORDER BY", 1)[1]
    assert '"crm_contact"."created_at" DESC' in order
    assert "NULLS LAST" not in order.upper()


@pytest.mark.django_db
def test_empty_values_still_sort_last(admin_client: Client, admin: Membership) -> None:
    ws = admin.workspace
    alone = ContactFactory(workspace=ws, email="alone@example.org", company=None)
    acme = ContactFactory(
        workspace=ws, email="a@acme.example", company=CompanyFactory(workspace=ws, name="Acme")
    )
    zeta = ContactFactory(
        workspace=ws, email="z@zeta.example", company=CompanyFactory(workspace=ws, name="Zeta")
    )
    for sort, expected in [("company", [acme, zeta, alone]), ("-company", [zeta, acme, alone])]:
        url = reverse("web:contacts") + f"?sort={sort}"
        assert "NULLS LAST" in list_query(admin_client, url).upper()
        rows = list(admin_client.get(url).context["rows"])
        assert rows == expected
