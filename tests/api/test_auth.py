"""Authentication: API tokens (write, read-only, revoked, expired) and the web session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from accord.crm.models import Company, Contact
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.identity.actor import Actor, Source
from accord.identity.models import ApiToken, Membership, User
from accord.identity.services import api_token_revoke
from accord.identity.tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
BAD_TOKEN = "The API token is unknown, revoked or expired."


def test_no_credentials_is_401_with_the_error_body() -> None:
    reply = Api(None).get("/contacts")
    assert reply.status == 401
    assert reply.body == {
        "error": {"code": "unauthenticated", "message": UNAUTHENTICATED, "fields": {}}
    }
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="accord"'


def test_no_credentials_on_a_write_is_401_and_writes_nothing(workspace: Any) -> None:
    reply = Api(None).post("/companies", {"name": "Sneaky"})
    assert reply.status == 401
    assert reply.error["code"] == "unauthenticated"
    assert Company.objects.for_workspace(workspace).count() == 0


def test_a_write_token_reads_and_writes(admin: Membership, workspace: Any) -> None:
    api = Api(make_token(admin)[1])
    assert api.get("/contacts").status == 200
    assert api.post("/companies", {"name": "Made by token"}).status == 201
    me = api.get("/me").body
    assert me["auth"] == {"method": "token", "token_name": "test token", "token_scope": "write"}
    assert me["workspace"]["slug"] == "acme"
    assert me["user"]["email"] == "admin@acme.example"
    assert me["role"] == "admin"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer acc_nope_nope",
        "Bearer garbage",
        "Bearer ",
        "Bearer acc_",
        "Bearer acc_a_b_c_d",
    ],
)
def test_unknown_tokens_are_401(admin: Membership, header: str) -> None:
    response = Client().get("/api/v1/contacts", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_right_prefix_with_a_wrong_secret_is_401(admin: Membership) -> None:
    token, _plain = make_token(admin)
    forged = f"acc_{token.prefix}_{'x' * 43}"
    reply = Api(forged).get("/contacts")
    assert reply.status == 401
    assert reply.error["message"] == BAD_TOKEN


def test_a_revoked_token_is_401(admin: Membership) -> None:
    token, plain = make_token(admin)
    assert Api(plain).get("/contacts").status == 200
    api_token_revoke(actor=Actor.for_membership(admin, Source.WEB), token_id=token.pk)
    reply = Api(plain).get("/contacts")
    assert reply.status == 401
    assert reply.error == {"code": "unauthenticated", "message": BAD_TOKEN, "fields": {}}


def test_an_expired_token_is_401(admin: Membership, workspace: Any) -> None:
    token, plain = make_token(admin)
    ApiToken.objects.for_workspace(workspace).filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    reply = Api(plain).get("/contacts")
    assert reply.status == 401
    assert reply.error["message"] == BAD_TOKEN


def test_a_token_of_a_user_who_left_the_workspace_is_401(admin: Membership, workspace: Any) -> None:
    _token, plain = make_token(admin)
    Membership.objects.for_workspace(workspace).filter(pk=admin.pk).delete()
    assert Api(plain).get("/contacts").status == 401


def test_a_token_of_a_deactivated_user_is_401(admin: Membership) -> None:
    _token, plain = make_token(admin)
    User.objects.filter(pk=admin.user_id).update(is_active=False)
    assert Api(plain).get("/contacts").status == 401


def test_a_read_only_token_reads_but_never_writes(admin: Membership, workspace: Any) -> None:
    api = Api(make_token(admin, scope="read")[1])
    company = CompanyFactory(workspace=workspace, name="Stable")
    assert api.get("/companies").status == 200
    assert api.get(f"/companies/{company.pk}").status == 200
    me = api.get("/me").body
    assert me["auth"]["token_scope"] == "read"
    assert me["permissions"] == ["read"]  # whatever the admin role allows

    for reply in (
        api.post("/companies", {"name": "New"}),
        api.patch(f"/companies/{company.pk}", {"name": "Changed"}),
        api.delete(f"/companies/{company.pk}"),
    ):
        assert reply.status == 403
        assert reply.error["code"] == "permission_denied"
        assert reply.error["message"] == (
            "The API token 'test token' is read-only; use a token with write scope."
        )
    assert list(Company.objects.for_workspace(workspace).values_list("name", flat=True)) == [
        "Stable"
    ]


def test_a_read_only_token_cannot_change_a_lifecycle_stage(
    admin: Membership, workspace: Any
) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    api = Api(make_token(admin, scope="read")[1])
    reply = api.post(f"/contacts/{contact.pk}/lifecycle", {"to_stage": "mql"})
    assert reply.status == 403
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "lead"


def test_a_token_acts_in_its_own_workspace(admin: Membership, other_workspace: Any) -> None:
    MembershipFactory(workspace=other_workspace, user=admin.user, role="viewer")
    ContactFactory(workspace=other_workspace, email="elsewhere@x.example")
    api = Api(make_token(admin)[1])
    assert api.get("/me").body["workspace"]["slug"] == "acme"
    assert api.get("/contacts").body["results"] == []


def test_basic_auth_is_not_accepted(admin: Membership) -> None:
    response = Client().get("/api/v1/contacts", headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401


# Sessions ----------------------------------------------------------------------------------


def session_client(user: User, workspace_id: int | None = None, csrf: bool = True) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    if workspace_id is not None:
        session = client.session
        session["accord_workspace_id"] = workspace_id
        session.save()
    return client


def test_a_session_user_reads(admin: Membership, workspace: Any) -> None:
    ContactFactory(workspace=workspace, email="seen@x.example")
    client = session_client(admin.user)
    response = client.get("/api/v1/contacts")
    assert response.status_code == 200
    assert [r["email"] for r in response.json()["results"]] == ["seen@x.example"]
    me = client.get("/api/v1/me").json()
    assert me["auth"] == {"method": "session", "token_name": None, "token_scope": None}
    assert me["workspace"]["id"] == workspace.pk


def test_a_session_write_without_the_csrf_token_is_403(admin: Membership, workspace: Any) -> None:
    client = session_client(admin.user)
    response = client.post("/api/v1/companies", {"name": "Forged"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["message"].startswith("CSRF check failed")
    assert Company.objects.for_workspace(workspace).count() == 0


def test_a_session_write_with_the_csrf_token_succeeds(admin: Membership, workspace: Any) -> None:
    client = session_client(admin.user)
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    response = client.post(
        "/api/v1/companies",
        {"name": "Through the web app"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201, response.content
    assert Company.objects.for_workspace(workspace).get().name == "Through the web app"


def test_a_session_write_with_a_wrong_csrf_token_is_403(admin: Membership, workspace: Any) -> None:
    client = session_client(admin.user)
    client.cookies["csrftoken"] = get_random_string(32)
    response = client.delete(
        f"/api/v1/companies/{CompanyFactory(workspace=workspace).pk}",
        headers={"X-CSRFToken": get_random_string(32)},
    )
    assert response.status_code == 403
    assert Company.objects.for_workspace(workspace).count() == 1


def test_the_session_picks_the_selected_workspace(admin: Membership, other_workspace: Any) -> None:
    MembershipFactory(workspace=other_workspace, user=admin.user, role="viewer")
    ContactFactory(workspace=other_workspace, email="other@x.example")
    client = session_client(admin.user, workspace_id=other_workspace.pk)
    me = client.get("/api/v1/me").json()
    assert (me["workspace"]["slug"], me["role"]) == ("other", "viewer")
    emails = [r["email"] for r in client.get("/api/v1/contacts").json()["results"]]
    assert emails == ["other@x.example"]


def test_a_session_workspace_the_user_left_falls_back_to_a_membership(
    admin: Membership, other_workspace: Any
) -> None:
    client = session_client(admin.user, workspace_id=other_workspace.pk)
    me = client.get("/api/v1/me").json()
    assert me["workspace"]["slug"] == "acme"


def test_a_session_user_without_a_workspace_is_403() -> None:
    loner = UserFactory(email="loner@x.example")
    response = session_client(loner).get("/api/v1/contacts")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You are not a member of any workspace."


def test_a_presented_bad_token_does_not_fall_back_to_the_session(admin: Membership) -> None:
    client = session_client(admin.user)
    response = client.get("/api/v1/contacts", headers={"Authorization": "Bearer acc_x_y"})
    assert response.status_code == 401


def test_session_actor_is_recorded_as_api(admin: Membership, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="lead")
    client = session_client(admin.user, csrf=False)
    response = client.post(
        f"/api/v1/contacts/{contact.pk}/lifecycle",
        {"to_stage": "mql"},
        content_type="application/json",
    )
    assert response.status_code == 201
    entry = response.json()["entry"]
    assert (entry["source"], entry["actor_user_id"]) == ("api", admin.user_id)


def test_a_member_of_another_workspace_sees_nothing_of_acme(
    member_factory: Any, workspace: Any
) -> None:
    ws = WorkspaceFactory(slug="fresh")
    stranger = member_factory("admin", ws=ws)
    ContactFactory(workspace=workspace)
    assert Api(make_token(stranger)[1]).get("/contacts").body["results"] == []
    assert session_client(stranger.user).get("/api/v1/contacts").json()["results"] == []
    assert Contact.objects.for_workspace(ws).count() == 0
