"""Two demo workspaces generated once per module (home and foreign), with one member and one
API token per role in the home workspace. Each test runs in a transaction that is rolled back,
so the shared records stay as generated."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROLES = ("admin", "manager", "sales_rep", "sdr", "marketer", "viewer")
FOREIGN_DOMAIN = "foreign-matrix.example"  # appears in every foreign staff email and domain
HOME_SEED, FOREIGN_SEED, CONTACTS = 11, 12, 120


@dataclass
class World:
    home: Any  # Workspace
    foreign: Any
    members: dict[str, Any]  # role -> Membership in home
    tokens: dict[str, str]  # role -> write token
    foreign_admin: Any  # Membership in foreign


def _foreign_parameters() -> Any:
    from accord.demo.parameters import DEFAULT_PARAMETERS

    p = DEFAULT_PARAMETERS

    def move(email: str) -> str:
        return email.replace("northwind.example", FOREIGN_DOMAIN)

    return dataclasses.replace(
        p,
        workspace_name="Foreign Matrix Co",
        workspace_slug="foreign-matrix",
        company_domain=FOREIGN_DOMAIN,
        staff=tuple(dataclasses.replace(s, email=move(s.email)) for s in p.staff),
        reps=tuple(dataclasses.replace(r, email=move(r.email)) for r in p.reps),
    )


def _first(workspace: Any, role: str) -> Any:
    from accord.identity.models import Membership

    return (
        Membership.objects.for_workspace(workspace)
        .select_related("user", "workspace", "team")
        .filter(role=role)
        .order_by("pk")
        .first()
    )


def _sales_manager(workspace: Any) -> Any:
    from accord.identity.models import Membership

    return (
        Membership.objects.for_workspace(workspace)
        .select_related("user", "workspace", "team")
        .get(user__email__startswith="sales.manager@")
    )


@pytest.fixture(scope="module")
def world(  # type: ignore[no-untyped-def]
    django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[World]:
    from accord.demo.loader import demo_generate
    from accord.demo.reset import demo_workspace_delete
    from accord.identity.actor import Actor, Source
    from accord.identity.models import ApiToken, Membership, User
    from accord.identity.services import api_token_create
    from tests.security.records import add_extras

    as_of = (timezone.now() - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    with (
        override_settings(
            PASSWORD_HASHERS=FAST_HASHERS,
            DATA_DIR=tmp_path_factory.mktemp("security-data"),
            ACCORD_API_RATE_LIMIT="off",
        ),
        django_db_blocker.unblock(),
    ):
        home = demo_generate(seed=HOME_SEED, contacts=CONTACTS, as_of=as_of).dataset.workspace
        foreign = demo_generate(
            seed=FOREIGN_SEED, contacts=CONTACTS, as_of=as_of, parameters=_foreign_parameters()
        ).dataset.workspace
        add_extras(home, "home")
        add_extras(foreign, "foreign")
        viewer_user = User.objects.create_user(
            email="viewer@northwind.example", password="x", full_name="Vera Viewer"
        )
        Membership.objects.create(workspace=home, user=viewer_user, role="viewer")
        members = {role: _first(home, role) for role in ROLES}
        members["manager"] = _sales_manager(home)
        tokens = {
            role: api_token_create(
                actor=Actor.for_membership(m, Source.WEB),
                name=f"matrix {role}",
                scope=ApiToken.Scope.WRITE,
            )[1]
            for role, m in members.items()
        }
        yield World(home, foreign, members, tokens, _first(foreign, "admin"))
        demo_workspace_delete(home)
        demo_workspace_delete(foreign)
        User.objects.filter(email__endswith="@northwind.example").delete()
        User.objects.filter(email__endswith=f"@{FOREIGN_DOMAIN}").delete()
