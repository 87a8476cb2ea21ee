"""A workspace with both teams for the alignment tests: a sales team and a marketing team (and
members answering by role alone), the people who run surveys, and a helper that makes more
people on either side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Team, TeamKind, Workspace
from accord.identity.tests.factories import MembershipFactory, UserFactory

OPENED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_actor(membership: Membership) -> Actor:
    return Actor.for_membership(membership, Source.WEB)


@dataclass
class Floor:
    workspace: Workspace
    sales_team: Team
    marketing_team: Team
    admin: Membership
    manager: Membership
    viewer: Membership
    sales: list[Membership] = field(default_factory=list)
    marketing: list[Membership] = field(default_factory=list)
    _made: int = 0

    def person(self, role: str, team: Team | None, email: str | None = None) -> Membership:
        self._made += 1
        user = UserFactory(email=email or f"p{self._made}@acme.example")
        return MembershipFactory(workspace=self.workspace, user=user, role=role, team=team)

    def add(self, side: str, count: int) -> list[Membership]:
        """`count` more members of a team, sellers or marketers by role and team."""
        role, team, into = (
            ("sales_rep", self.sales_team, self.sales)
            if side == "sales"
            else ("marketer", self.marketing_team, self.marketing)
        )
        made = [self.person(role, team) for _ in range(count)]
        into.extend(made)
        return made

    @property
    def run(self) -> Actor:
        return as_actor(self.manager)


@pytest.fixture
def make_floor(workspace: Workspace) -> Callable[..., Floor]:
    def make(sales: int = 0, marketing: int = 0) -> Floor:
        sales_team = Team.objects.create(workspace=workspace, name="Sales", kind=TeamKind.SALES)
        marketing_team = Team.objects.create(
            workspace=workspace, name="Marketing", kind=TeamKind.MARKETING
        )
        floor = Floor(
            workspace=workspace,
            sales_team=sales_team,
            marketing_team=marketing_team,
            admin=MembershipFactory(
                workspace=workspace, user=UserFactory(email="admin@acme.example"), role="admin"
            ),
            manager=MembershipFactory(
                workspace=workspace, user=UserFactory(email="boss@acme.example"), role="manager"
            ),
            viewer=MembershipFactory(
                workspace=workspace, user=UserFactory(email="vic@acme.example"), role="viewer"
            ),
        )
        floor.add("sales", sales)
        floor.add("marketing", marketing)
        return floor

    return make


def small_survey(*keys_and_kinds: tuple[str, str, bool]) -> dict[str, Any]:
    """A survey document of the given (key, kind, reverse) items, areas taken in turn."""
    areas = ["trust", "shared_time", "shared_metrics", "shared_feedback", "shared_recognition"]
    return {
        "items": [
            {"key": key, "text": f"Statement {key}.", "area": areas[i % len(areas)],
             "kind": kind, "reverse": reverse}
            for i, (key, kind, reverse) in enumerate(keys_and_kinds)
        ]
    }  # fmt: skip


THREE_ITEMS = small_survey(("q1", "likert", False), ("q2", "likert", True), ("q3", "yes_no", False))
