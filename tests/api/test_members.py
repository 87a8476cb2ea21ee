"""/api/v1/members and /teams: everyone lists, admins add, change and remove; the last admin
stays; a removed member's token stops working; another workspace's members are 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accord.identity.models import Membership, Team, Workspace
from tests.api.conftest import Api, make_token


def test_everyone_lists_members_and_teams_but_only_admins_see_sign_ins(
    api: Api, api_as: Any, workspace: Workspace
) -> None:
    Team.objects.create(workspace=workspace, name="Sales", kind="sales")
    viewer = api_as("viewer")
    reply = viewer.get("/members")
    assert reply.status == 200
    rows = reply.body["results"]
    assert {r["role"] for r in rows} == {"admin", "viewer"}
    assert all(r["last_sign_in_at"] is None and r["has_password"] is None for r in rows)
    assert all(r["has_password"] is True for r in api.get("/members").body["results"])
    assert [t["name"] for t in viewer.get("/teams").body["results"]] == ["Sales"]


@pytest.mark.django_db(transaction=True)  # the invitation is emailed once the change commits
def test_an_admin_adds_someone_new_who_is_emailed_a_password_link(
    api: Api, workspace: Workspace
) -> None:
    team = Team.objects.create(workspace=workspace, name="Marketing", kind="marketing")
    reply = api.post(
        "/members",
        {"email": "New.Person@Acme.example", "role": "marketer", "team_id": team.pk},
    )
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["email"] == "new.person@acme.example" and body["role"] == "marketer"
    assert body["team_id"] == team.pk and body["has_password"] is False
    assert body["invited"] is True and "password_url" not in body
    (invitation,) = mail.outbox
    assert invitation.to == ["new.person@acme.example"]
    path = invitation.body.split("http://localhost:8000", 1)[1].split()[0]
    assert path.startswith("/password/set/")
    page = Client().get(path, follow=True)
    assert "Choose your password" in page.content.decode()
    again = api.post("/members", {"email": "new.person@acme.example", "role": "viewer"})
    assert again.status == 409 and "already a member" in again.error["message"]


def test_bad_members_are_refused(api: Api) -> None:
    count = Membership.objects.across_workspaces().count()
    for body, field in [
        ({"email": "nope", "role": "viewer"}, "email"),
        ({"email": "a@b.example", "role": "owner"}, "role"),
        ({"email": "a@b.example", "team_id": 999999}, "team_id"),
        ({"email": "a@b.example", "colour": "red"}, "colour"),
    ]:
        reply = api.post("/members", body)
        assert reply.status in (400, 422), (body, reply.body)
        assert field in reply.fields, (body, reply.body)
    assert Membership.objects.across_workspaces().count() == count


def test_an_admin_changes_a_member_but_not_the_last_admin(
    api: Api, admin: Membership, member_factory: Any, workspace: Workspace
) -> None:
    team = Team.objects.create(workspace=workspace, name="Sales", kind="sales")
    rep = member_factory("sales_rep")
    reply = api.patch(f"/members/{rep.pk}", {"team_id": team.pk})
    assert reply.status == 200 and reply.body["team_id"] == team.pk
    assert reply.body["role"] == "sales_rep"  # left out: kept
    reply = api.patch(f"/members/{rep.pk}", {"role": "manager", "team_id": None})
    assert (reply.body["role"], reply.body["team_id"]) == ("manager", None)
    reply = api.patch(f"/members/{admin.pk}", {"role": "viewer"})
    assert reply.status == 409 and "only admin" in reply.error["message"]
    assert api.delete(f"/members/{admin.pk}").status == 409
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_removing_a_member_turns_their_token_off(
    api: Api, member_factory: Any, workspace: Workspace
) -> None:
    rep = member_factory("sales_rep")
    rep_api = Api(make_token(rep)[1])
    assert rep_api.get("/me").status == 200
    assert api.delete(f"/members/{rep.pk}").status == 204
    assert rep_api.get("/me").status == 401
    assert not Membership.objects.for_workspace(workspace).filter(pk=rep.pk).exists()
    assert api.delete(f"/members/{rep.pk}").status == 404


def test_non_admins_and_other_workspaces_are_refused(
    api_as: Any, other_api: Api, member_factory: Any
) -> None:
    rep = member_factory("sales_rep")
    manager = api_as("manager")
    assert manager.post("/members", {"email": "x@y.example"}).status == 403
    assert manager.patch(f"/members/{rep.pk}", {"role": "admin"}).status == 403
    assert manager.delete(f"/members/{rep.pk}").status == 403
    assert other_api.patch(f"/members/{rep.pk}", {"role": "viewer"}).status == 404
    assert other_api.delete(f"/members/{rep.pk}").status == 404
    assert api_as("admin", scope="read").delete(f"/members/{rep.pk}").status == 403
    rep.refresh_from_db()
    assert rep.role == "sales_rep"
