"""Fixtures for the handoff API tests: a sales floor with an API client per member, and leads
handed over through the ledger (routing runs on commit, as in production)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accord.handoff import routing_settings
from accord.handoff.models import Handoff
from accord.handoff.tests.factories import SalesFloor, make_mql, sales_floor
from accord.identity.models import Membership
from tests.api.conftest import Api, api, api_as, fast_password_hashing, make_token, other_api

__all__ = ["Floor", "api", "api_as", "fast_password_hashing", "floor", "other_api"]


@dataclass
class Floor:
    """The sales floor of 'acme' and an API client for each of its members."""

    floor: SalesFloor
    rep: Api  # sellers[0]
    rep2: Api  # sellers[1]
    sales_manager: Api
    marketing_manager: Api
    marketer: Api
    admin: Api

    @property
    def workspace(self) -> Any:
        return self.floor.workspace

    def user_id(self, membership: Membership) -> int:
        return int(membership.user_id)

    def route_to_rep(self) -> None:
        """One rule that sends every lead to the first rep."""
        routing_settings.routing_rule_create(
            actor=self.floor.actor(self.floor.sales_manager),
            values={
                "name": "First rep",
                "conditions": [],
                "user_id": self.floor.sellers[0].user_id,
            },
        )

    def lead(self, email: str, **values: Any) -> Handoff:
        contact = make_mql(self.floor, email, **values)
        return Handoff.objects.for_workspace(self.workspace).get(contact=contact)


def iso(value: dt.datetime | None) -> str | None:
    """A time as the API writes it."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().removesuffix("+00:00") + "Z"


def client(membership: Membership) -> Api:
    return Api(make_token(membership)[1])


@pytest.fixture
def floor(workspace: Any) -> Floor:
    f = sales_floor(workspace, sellers=2)
    return Floor(
        floor=f,
        rep=client(f.sellers[0]),
        rep2=client(f.sellers[1]),
        sales_manager=client(f.sales_manager),
        marketing_manager=client(f.marketing_manager),
        marketer=client(f.marketer),
        admin=client(f.admin),
    )
