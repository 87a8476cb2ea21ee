"""Sign-in, sign-out, membership checks and the workspace switcher."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.identity.models import Membership
from accord.identity.tests.factories import PASSWORD, MembershipFactory, UserFactory
from accord.web.middleware import SESSION_KEY
from tests.web.conftest import Records

PAGES = ["web:home", "web:contacts", "web:companies", "web:deals", "web:campaigns", "web:ledger"]
DETAIL_PAGES = [
    ("web:contact", "contact"),
    ("web:company", "company"),
    ("web:deal", "deal"),
    ("web:campaign", "campaign"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client: Client, name: str) -> None:
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize(("name", "attr"), DETAIL_PAGES)
def test_anonymous_detail_is_sent_to_login(
    client: Client, records: Records, name: str, attr: str
) -> None:
    url = reverse(name, args=[getattr(records, attr).pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_post_writes_nothing(client: Client, records: Records) -> None:
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    response = client.post(url, {"to_stage": "sql"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    records.contact.refresh_from_db()
    assert records.contact.lifecycle_stage == "mql"


@pytest.mark.django_db
def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="email"' in body
    assert "csrfmiddlewaretoken" in body
    assert "Log in to Accord" in body


def test_login_with_email_and_password(client: Client, admin: Membership) -> None:
    response = client.post(
        reverse("web:login"), {"username": "admin@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    assert "Acme Revenue" in home.content.decode()


def test_login_with_wrong_password_shows_error(client: Client, admin: Membership) -> None:
    response = client.post(
        reverse("web:login"), {"username": "admin@acme.example", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(admin_client: Client) -> None:
    assert admin_client.get(reverse("web:logout")).status_code == 405
    response = admin_client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert admin_client.get(reverse("web:home")).status_code == 302


@pytest.mark.django_db
def test_user_without_membership_sees_not_a_member_page(client: Client) -> None:
    client.force_login(UserFactory(email="loner@example.com"))
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "You are not a member of any workspace" in response.content.decode()


@pytest.mark.django_db
def test_user_without_membership_cannot_post(client: Client, records: Records) -> None:
    client.force_login(UserFactory(email="loner@example.com"))
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    response = client.post(url, {"to_stage": "sql"})
    assert response.status_code == 403
    records.contact.refresh_from_db()
    assert records.contact.lifecycle_stage == "mql"


def test_shell_shows_workspace_role_and_navigation(admin_client: Client) -> None:
    body = admin_client.get(reverse("web:home")).content.decode()
    for text in ["Accord", "Acme Revenue", "Admin", "Log out", "/api/v1/docs"]:
        assert text in body
    for name in PAGES:
        assert f'href="{reverse(name)}"' in body


def test_admin_link_only_for_staff_admins(
    login: Any, admin: Membership, member_factory: Any
) -> None:
    assert 'href="/admin/"' not in login(admin).get(reverse("web:home")).content.decode()
    admin.user.is_staff = True
    admin.user.save()
    assert 'href="/admin/"' in login(admin).get(reverse("web:home")).content.decode()
    rep = member_factory("sales_rep")
    rep.user.is_staff = True
    rep.user.save()
    assert 'href="/admin/"' not in login(rep).get(reverse("web:home")).content.decode()


def test_workspace_switch(admin_client: Client, admin: Membership, other_workspace: Any) -> None:
    MembershipFactory(workspace=other_workspace, user=admin.user, role="viewer")
    body = admin_client.get(reverse("web:home")).content.decode()
    assert "Other Co" in body  # offered in the switcher
    response = admin_client.post(
        reverse("web:workspace_switch"), {"workspace_id": other_workspace.pk}
    )
    assert response.status_code == 302
    assert admin_client.session[SESSION_KEY] == other_workspace.pk
    home = admin_client.get(reverse("web:home"))
    assert home.context["workspace"] == other_workspace
    assert home.context["membership"].role == "viewer"


def test_workspace_switch_refuses_foreign_workspace(
    admin_client: Client, admin: Membership, other_workspace: Any
) -> None:
    admin_client.get(reverse("web:home"))
    response = admin_client.post(
        reverse("web:workspace_switch"), {"workspace_id": other_workspace.pk}
    )
    assert response.status_code == 403
    assert admin_client.session[SESSION_KEY] == admin.workspace_id
    bad = admin_client.post(reverse("web:workspace_switch"), {"workspace_id": "abc"})
    assert bad.status_code == 403


def test_workspace_switch_requires_csrf(admin: Membership, other_workspace: Any) -> None:
    MembershipFactory(workspace=other_workspace, user=admin.user, role="viewer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    response = client.post(reverse("web:workspace_switch"), {"workspace_id": other_workspace.pk})
    assert response.status_code == 403
