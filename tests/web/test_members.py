"""Members and API tokens on the web: an admin adds someone new, who chooses a password from
the link and signs in; roles and teams change; a removal revokes the member's tokens; the last
admin stays; members manage their own tokens, shown once; other people's records are out of
reach."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accord.identity.models import ApiToken, Membership, Team, User, Workspace
from accord.identity.services import api_token_authenticate
from accord.identity.tests.factories import PASSWORD
from tests.api.conftest import make_token

Login = Callable[[Membership], Client]
LINK = re.compile(r"http://localhost:8000(/password/set/[^/]+/[^/]+/)")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sales_team(workspace: Workspace) -> Team:
    return Team.objects.create(workspace=workspace, name="Sales", kind="sales")


def member_of(workspace: Workspace, email: str) -> Membership | None:
    return Membership.objects.for_workspace(workspace).filter(user__email=email).first()


def test_everyone_sees_the_members_but_only_admins_their_sign_ins(
    login: Login, admin: Membership, viewer: Membership
) -> None:
    page = login(viewer).get(reverse("web:members"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "admin@acme.example" in text and "viewer@acme.example" in text
    assert "Last sign-in" not in text and "Add member" not in text
    page = login(admin).get(reverse("web:members"))
    assert "Last sign-in" in page.content.decode() and 'id="add-member"' in page.content.decode()


@pytest.mark.django_db(transaction=True)  # the invitation is emailed once the change commits
def test_an_admin_adds_someone_new_who_sets_a_password_and_signs_in(
    login: Login, admin: Membership, workspace: Workspace, sales_team: Team
) -> None:
    client = login(admin)
    response = client.post(
        reverse("web:member_new"),
        {
            "email": " Sam.Seller@Acme.example ",
            "full_name": "Sam Seller",
            "role": "sales_rep",
            "team": str(sales_team.pk),
        },
        follow=True,
    )
    assert response.status_code == 200
    member = member_of(workspace, "sam.seller@acme.example")
    assert member is not None and member.role == "sales_rep" and member.team == sales_team
    assert not member.user.has_usable_password()
    page = response.content.decode()
    assert "went to sam.seller@acme.example" in page
    # The link goes to the newcomer's mailbox only: whoever holds it controls the account.
    assert not LINK.search(page) and "/password/set/" not in page
    (invitation,) = mail.outbox
    assert invitation.to == ["sam.seller@acme.example"]
    assert "Acme Revenue" in invitation.subject
    found = LINK.search(invitation.body)
    assert found, invitation.body
    link = found.group(1)
    assert (
        "/password/set/" not in client.get(reverse("web:member", args=[member.pk])).content.decode()
    )

    newcomer = Client()
    form = newcomer.get(link, follow=True)
    assert form.status_code == 200 and "Choose your password" in form.content.decode()
    weak = newcomer.post(
        form.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"}
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    done = newcomer.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-Passphrase-9", "new_password2": "a-long-Passphrase-9"},
        follow=True,
    )
    assert "Your password is set" in done.content.decode()
    assert newcomer.login(username="sam.seller@acme.example", password="a-long-Passphrase-9")
    # The link worked once.
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_adding_someone_with_an_account_gives_no_password_link(
    login: Login,
    admin: Membership,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Any,
) -> None:
    elsewhere = member_factory("admin", ws=other_workspace, email="boss@other.example")
    response = login(admin).post(
        reverse("web:member_new"), {"email": "boss@other.example", "role": "viewer"}, follow=True
    )
    page = response.content.decode()
    assert "sign in with their existing password" in page and not LINK.search(page)
    (notice,) = mail.outbox
    assert notice.to == ["boss@other.example"] and not LINK.search(notice.body)
    added = member_of(workspace, "boss@other.example")
    assert added is not None and added.user == elsewhere.user
    # Nor on request: no link for an account used in another workspace.
    response = login(admin).post(reverse("web:member_password_link", args=[added.pk]), follow=True)
    assert "has chosen a password already" in response.content.decode()
    elsewhere.user.set_unusable_password()
    elsewhere.user.save()
    response = login(admin).post(reverse("web:member_password_link", args=[added.pk]), follow=True)
    assert not LINK.search(response.content.decode())


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": "viewer"}, "email", "not a valid email"),
        ({"email": "admin@acme.example", "role": "viewer"}, "email", "already a member"),
        ({"email": "x@acme.example", "role": "owner"}, "role", "Select a valid choice"),
        ({"email": "x@acme.example", "role": "viewer", "team": "99999"}, "team", "valid choice"),
        ({"email": "x@acme.example", "role": "viewer", "full_name": "n" * 151}, "full_name", "151"),
    ],
)
def test_a_bad_new_member_is_refused_and_nothing_is_written(
    login: Login, admin: Membership, data: dict[str, str], field: str, message: str
) -> None:
    users = User.objects.count()
    memberships = Membership.objects.across_workspaces().count()
    response = login(admin).post(reverse("web:member_new"), data)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert User.objects.count() == users
    assert Membership.objects.across_workspaces().count() == memberships


def test_an_admin_changes_a_role_and_team_but_the_last_admin_stays(
    login: Login, admin: Membership, viewer: Membership, sales_team: Team
) -> None:
    client = login(admin)
    response = client.post(
        reverse("web:member", args=[viewer.pk]), {"role": "manager", "team": str(sales_team.pk)}
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == "manager" and viewer.team == sales_team
    response = client.post(reverse("web:member", args=[admin.pk]), {"role": "viewer", "team": ""})
    assert response.status_code == 400
    assert "only admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == "admin"
    response = client.post(reverse("web:member_remove", args=[admin.pk]), follow=True)
    assert "only admin" in response.content.decode()
    assert member_of(admin.workspace, admin.user.email) is not None


def test_removing_a_member_revokes_their_tokens_here_only(
    login: Login,
    admin: Membership,
    member_factory: Any,
    workspace: Workspace,
    other_workspace: Workspace,
) -> None:
    rep = member_factory("sales_rep", email="rep@acme.example")
    _, here = make_token(rep)
    elsewhere = member_factory("sales_rep", ws=other_workspace, email="rep2@other.example")
    elsewhere.user = rep.user
    elsewhere.save()
    _, there = make_token(elsewhere)
    assert api_token_authenticate(here) is not None
    response = login(admin).post(reverse("web:member_remove", args=[rep.pk]), follow=True)
    assert "was removed from the workspace" in response.content.decode()
    assert member_of(workspace, "rep@acme.example") is None
    assert api_token_authenticate(here) is None
    assert api_token_authenticate(there) is not None  # another workspace's token is untouched
    # Re-added later, the old token stays revoked.
    login(admin).post(reverse("web:member_new"), {"email": "rep@acme.example", "role": "viewer"})
    assert api_token_authenticate(here) is None


def test_members_pages_refuse_non_admins_and_other_workspaces(
    login: Login,
    admin: Membership,
    viewer: Membership,
    member_factory: Any,
    other_workspace: Workspace,
) -> None:
    manager = member_factory("manager", email="manager@acme.example")
    client = login(manager)
    assert client.get(reverse("web:member_new")).status_code == 403
    assert client.post(reverse("web:member_new"), {"email": "x@y.example"}).status_code == 403
    assert (
        client.post(reverse("web:member", args=[viewer.pk]), {"role": "admin"}).status_code == 403
    )
    assert client.post(reverse("web:member_remove", args=[viewer.pk])).status_code == 403
    viewer.refresh_from_db()
    assert viewer.role == "viewer"
    foreign = member_factory("viewer", ws=other_workspace, email="v@other.example")
    client = login(admin)
    assert client.get(reverse("web:member", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("web:member_remove", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("web:member_password_link", args=[foreign.pk])).status_code == 404
    assert member_of(other_workspace, "v@other.example") is not None


def test_a_member_creates_a_token_shown_once_and_revokes_it(
    login: Login, viewer: Membership
) -> None:
    client = login(viewer)
    response = client.post(
        reverse("web:tokens"),
        {"name": "laptop script", "scope": "read", "expires": "30"},
        follow=True,
    )
    page = response.content.decode()
    plain = re.search(r"acc_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", page)
    assert plain, page
    assert response.headers["Cache-Control"] == "no-store"
    token = ApiToken.objects.for_workspace(viewer.workspace).get(user=viewer.user)
    assert (token.name, token.scope) == ("laptop script", "read") and token.expires_at
    resolved = api_token_authenticate(plain.group(0))
    assert resolved is not None and resolved[0] == token
    assert plain.group(0) not in client.get(reverse("web:tokens")).content.decode()
    assert client.post(reverse("web:token_revoke", args=[token.pk])).status_code == 302
    assert api_token_authenticate(plain.group(0)) is None


def test_a_blank_token_name_is_refused(login: Login, viewer: Membership) -> None:
    response = login(viewer).post(reverse("web:tokens"), {"name": "  ", "scope": "write"})
    assert response.status_code == 400
    assert not ApiToken.objects.for_workspace(viewer.workspace).exists()


def test_only_an_admin_revokes_someone_elses_token(
    login: Login, admin: Membership, viewer: Membership, member_factory: Any
) -> None:
    rep = member_factory("sales_rep", email="rep@acme.example")
    token, plain = make_token(rep)
    assert login(viewer).post(reverse("web:token_revoke", args=[token.pk])).status_code == 403
    assert api_token_authenticate(plain) is not None
    page = login(admin).get(reverse("web:tokens")).content.decode()
    assert "rep@acme.example" in page or rep.user.display_name in page
    assert login(admin).post(reverse("web:token_revoke", args=[token.pk])).status_code == 302
    assert api_token_authenticate(plain) is None


def test_a_password_link_with_a_bad_token_says_so(admin: Membership) -> None:
    page = Client().get("/password/set/MQ/not-a-token/", follow=True)
    assert page.status_code == 200
    assert "This link no longer works" in page.content.decode()
    assert Client().login(username=admin.user.email, password=PASSWORD)


def test_every_page_starts_with_a_skip_link_to_its_content(login: Login, admin: Membership) -> None:
    for page in (Client().get("/login/"), login(admin).get(reverse("web:members"))):
        text = page.content.decode()
        assert text.index('class="skip-link" href="#main"') < text.index('id="main"')
