"""Fixtures for the REST API tests: tokens, and a small client that speaks JSON with a token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accord.identity.actor import Actor, Source
from accord.identity.models import ApiToken, Membership
from accord.identity.services import api_token_create

BASE = "/api/v1"


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]  # type: ignore[no-any-return]

    @property
    def fields(self) -> dict[str, list[str]]:
        return self.body["error"]["fields"]  # type: ignore[no-any-return]


class Api:
    """JSON requests against /api/v1 through Django's test client, with a bearer token."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.token = token
        self.client = client or Client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        url = path if path.startswith("/") and path.startswith(BASE) else f"{BASE}{path}"
        data: Any = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self._headers()}
        if method == "GET":
            response = self.client.get(url, params or {}, **kwargs)
        else:
            handler = getattr(self.client, method.lower())
            if data is not None:
                kwargs["data"] = data
                kwargs["content_type"] = "application/json"
            response = handler(url, **kwargs)
        content = response.content
        parsed = json.loads(content) if content else None
        return Reply(status=response.status_code, body=parsed, headers=response.headers)

    def get(self, path: str, **params: Any) -> Reply:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str) -> Reply:
        return self.call("DELETE", path)

    def all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a list, following next_cursor."""
        rows: list[dict[str, Any]] = []
        cursor = None
        for _ in range(1000):
            query = dict(params, **({"cursor": cursor} if cursor else {}))
            reply = self.get(path, **query)
            assert reply.status == 200, reply.body
            rows.extend(reply.body["results"])
            cursor = reply.body["next_cursor"]
            if cursor is None:
                return rows
        raise AssertionError("pagination did not end")


def make_token(
    membership: Membership, scope: str = ApiToken.Scope.WRITE, name: str = "test token"
) -> tuple[ApiToken, str]:
    return api_token_create(
        actor=Actor.for_membership(membership, Source.WEB), name=name, scope=scope
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Every member the factories create gets a password; Argon2 would make that the slowest
    part of these tests, and no test here is about passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(admin: Membership) -> Api:
    """An admin of the 'acme' workspace, calling with a write token."""
    return Api(make_token(admin)[1])


@pytest.fixture
def api_as(member_factory: Any) -> Any:
    """api_as(role, ws=None, scope='write') -> Api for a new member with that role."""

    def make(role: str, ws: Any = None, scope: str = ApiToken.Scope.WRITE) -> Api:
        membership = member_factory(role, ws=ws)
        return Api(make_token(membership, scope=scope)[1])

    return make


@pytest.fixture
def other_api(other_workspace: Any, member_factory: Any) -> Api:
    """An admin of the other workspace."""
    return Api(make_token(member_factory("admin", ws=other_workspace))[1])
