"""Django admin: workspace admins manage only their workspaces; the ledger is view-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.crm.models import Contact, LedgerEntry
from accord.identity.models import Membership, Workspace
from accord.identity.tests.factories import MembershipFactory, UserFactory
from tests.web.conftest import Records


def staff(membership: Membership) -> Membership:
    membership.user.is_staff = True
    membership.user.save()
    return membership


@pytest.fixture
def ws_admin_client(client: Client, admin: Membership) -> Client:
    client.force_login(staff(admin).user)
    return client


@pytest.fixture
def superuser_client(client: Client, db: None) -> Client:
    user = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:{model.replace('.', '_')}_changelist")


def test_workspace_admin_sees_only_their_records(
    ws_admin_client: Client, records: Records, other_records: Records
) -> None:
    response = ws_admin_client.get(changelist("crm.contact"))
    assert response.status_code == 200
    shown = {c.pk for c in response.context["cl"].result_list}
    assert shown == {records.contact.pk, records.other_contact.pk}
    other_url = reverse("admin:crm_contact_change", args=[other_records.contact.pk])
    response = ws_admin_client.get(other_url)
    assert response.status_code == 302  # "does not exist", like a missing record
    assert (
        ws_admin_client.get(
            reverse("admin:crm_contact_change", args=[records.contact.pk])
        ).status_code
        == 200
    )


def test_workspace_filter_offers_only_administered_workspaces(
    ws_admin_client: Client, records: Records, other_records: Records
) -> None:
    body = ws_admin_client.get(changelist("crm.contact")).content.decode()
    assert "Acme Revenue" in body
    assert "Other Co" not in body


def test_superuser_sees_every_workspace(
    superuser_client: Client, records: Records, other_records: Records
) -> None:
    response = superuser_client.get(changelist("crm.contact"))
    assert len(response.context["cl"].result_list) == 4


@pytest.mark.parametrize(
    "model",
    [
        "identity.workspace",
        "identity.team",
        "identity.membership",
        "identity.apitoken",
        "identity.user",
        "crm.lifecyclestage",
        "crm.company",
        "crm.contact",
        "crm.ledgerentry",
        "crm.pipeline",
        "crm.pipelinestage",
        "crm.deal",
        "crm.dealstagechange",
        "crm.activity",
        "marketing.campaign",
        "marketing.campaigncost",
        "marketing.touchpoint",
        "demo.demodataset",
    ],
)
def test_every_changelist_renders_for_a_superuser(
    superuser_client: Client, records: Records, model: str
) -> None:
    assert superuser_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize(
    "model",
    [
        "crm.company",
        "crm.contact",
        "crm.deal",
        "crm.activity",
        "crm.ledgerentry",
        "marketing.campaign",
        "marketing.touchpoint",
        "identity.membership",
    ],
)
def test_scoped_changelists_render_for_a_workspace_admin(
    ws_admin_client: Client, records: Records, other_records: Records, model: str
) -> None:
    response = ws_admin_client.get(changelist(model))
    assert response.status_code == 200
    workspaces = {getattr(row, "workspace_id", None) for row in response.context["cl"].result_list}
    assert workspaces == {records.workspace.pk}


def test_workspace_admin_cannot_manage_users(ws_admin_client: Client) -> None:
    assert ws_admin_client.get(changelist("identity.user")).status_code == 403


def test_staff_without_admin_role_sees_nothing(
    client: Client, member_factory: Any, records: Records
) -> None:
    rep = staff(member_factory("sales_rep"))
    client.force_login(rep.user)
    assert client.get(changelist("crm.contact")).status_code == 403
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []


def test_member_without_staff_flag_cannot_enter(client: Client, admin: Membership) -> None:
    client.force_login(admin.user)
    response = client.get(changelist("crm.contact"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_ledger_is_read_only(ws_admin_client: Client, records: Records) -> None:
    entry = (
        LedgerEntry.objects.for_workspace(records.workspace).filter(contact=records.contact).first()
    )
    assert entry is not None
    change_url = reverse("admin:crm_ledgerentry_change", args=[entry.pk])
    view = ws_admin_client.get(change_url)
    assert view.status_code == 200  # view-only page
    assert view.context["has_change_permission"] is False
    assert ws_admin_client.get(reverse("admin:crm_ledgerentry_add")).status_code == 403
    assert ws_admin_client.post(change_url, {"reason": "rewritten"}).status_code == 403
    delete_url = reverse("admin:crm_ledgerentry_delete", args=[entry.pk])
    assert ws_admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "created"


def test_foreign_key_choices_are_scoped(
    ws_admin_client: Client, records: Records, other_records: Records
) -> None:
    response = ws_admin_client.get(reverse("admin:crm_activity_add"))
    form = response.context["adminform"].form
    assert set(form.fields["workspace"].queryset) == {records.workspace}
    assert set(form.fields["contact"].queryset) == {records.contact, records.other_contact}
    users = set(form.fields["user"].queryset)
    assert other_records.contact.owner not in users
    assert records.contact.owner in users


def test_references_across_workspaces_are_refused(
    client: Client, admin: Membership, records: Records, other_records: Records
) -> None:
    MembershipFactory(workspace=other_records.workspace, user=admin.user, role="admin")
    client.force_login(staff(admin).user)
    url = reverse("admin:crm_contact_add")
    response = client.post(
        url,
        {
            "workspace": records.workspace.pk,
            "email": "mixed@example.com",
            "company": other_records.company.pk,
            "custom_fields": "{}",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["company"] == [
        "That record belongs to another workspace."
    ]
    assert (
        not Contact.objects.for_workspace(records.workspace)
        .filter(email="mixed@example.com")
        .exists()
    )


def test_contact_added_in_admin_starts_its_ledger(
    ws_admin_client: Client, records: Records, admin: Membership
) -> None:
    response = ws_admin_client.post(
        reverse("admin:crm_contact_add"),
        {"workspace": records.workspace.pk, "email": "new@example.com", "custom_fields": "{}"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact = Contact.objects.for_workspace(records.workspace).get(email="new@example.com")
    assert contact.lifecycle_stage == "lead"
    entry = LedgerEntry.objects.for_workspace(records.workspace).get(contact=contact)
    assert (entry.from_stage, entry.to_stage, entry.source, entry.actor_user) == (
        "",
        "lead",
        "web",
        admin.user,
    )


def test_workspace_admin_cannot_add_into_a_foreign_workspace(
    ws_admin_client: Client, other_workspace: Workspace
) -> None:
    response = ws_admin_client.post(
        reverse("admin:crm_company_add"),
        {"workspace": other_workspace.pk, "name": "Intruder", "custom_fields": "{}"},
    )
    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors
