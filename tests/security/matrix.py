"""The permission matrix engine: enumerate every page and API operation, and run one row of
the table (permission_table.py) for every role plus an anonymous caller."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver

from tests.security.conftest import FOREIGN_DOMAIN, ROLES, World
from tests.security.payloads import request_body
from tests.security.records import params_for

API = "/api/v1"
ANON = "anonymous"
# How the services word a refusal of the caller's role or relation to the record.
PERMISSION_MESSAGE = re.compile(
    r"Your role|does not allow|Only an? (manager|admin|person)|Only its recipient|Only managers|"
    r"assigned to someone else|cannot set|not a member|were not asked"
)
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Row:
    """One line of the matrix: a request on a record, and the roles whose request passes the
    permission check. Scope: "none" (a collection or a page without a record), "ws" (a record
    of the caller's workspace), "own" / "other" (a record assigned to the caller / to another
    member), "foreign" (a record of another workspace: 404 for everyone, or 403 for a role that
    may not act at all)."""

    method: str
    path: str  # "/api/v1/contacts/{contact_id}" or "/contacts/{pk}/"
    scope: str
    kind: str | None
    allowed: frozenset[str]
    fixed: tuple[tuple[str, Any], ...] = ()
    body: Any = field(default=None, compare=False)
    found: bool = True  # False: nothing exists there yet, so the allowed roles get 404

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} [{self.scope}]"


def web_routes() -> set[str]:
    """Every page's route as '/contacts/{pk}/', outside the admin and the API."""
    from accord.config.urls import urlpatterns

    found: set[str] = set()

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.add("/" + _CONVERTER.sub(r"{\1}", route))

    walk(urlpatterns, "")
    return found


@cache
def openapi() -> dict[str, Any]:
    from accord.api.router import api

    return api.get_openapi_schema()  # type: ignore[return-value]


def api_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path) for path, methods in openapi()["paths"].items() for method in methods
    }


def _body(row: Row) -> Any:
    if row.body is not None:
        return row.body
    if not row.is_api or row.method in ("GET", "DELETE"):
        return None
    schema = openapi()
    operation = schema["paths"][row.path][row.method.lower()]
    return request_body(operation, schema.get("components", {}).get("schemas", {}))


def content_of(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int
    content: bytes
    flashed_error: str  # the error message a page redirected with ("" if none)


def call(row: Row, role: str, world: World, clients: dict[str, Client]) -> Answer:
    """The answer to the row's request by `role`, in a savepoint that is rolled back."""
    with transaction.atomic():
        params: dict[str, Any] = {"home_workspace_id": world.home.pk, **dict(row.fixed)}
        if row.kind is not None:
            workspace = world.foreign if row.scope == "foreign" else world.home
            member = world.members.get(role)
            params.update(params_for(row.kind, workspace, row.scope, member))
        url = row.path.format(**params)
        client = clients[role]
        headers = {}
        if row.is_api and role != ANON:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        body = _body(row)
        if not row.is_api and isinstance(body, dict):
            body = {k: str(v).format(**params) for k, v in body.items()}
        method = getattr(client, row.method.lower())
        if row.is_api and body is not None:
            response = method(
                url, data=json.dumps(body), content_type="application/json", headers=headers
            )
        elif row.method == "POST":
            response = method(url, data=body or {}, headers=headers)
        else:
            response = method(url, headers=headers)
        content = content_of(response)
        flashed = [m for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]
        transaction.set_rollback(True)
    return Answer(response.status_code, content, " ".join(str(m) for m in flashed))


def outcome(status: int) -> str:
    if status == 403:
        return "denied"
    if status == 404:
        return "missing"
    if status >= 500 or status == 405:
        return f"broken {status}"
    return "passes"


def clients_for(world: World) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client()
        client.force_login(world.members[role].user)
        clients[role] = client
    clients[ANON] = Client()
    return clients


def check_row(row: Row, world: World, clients: dict[str, Client]) -> list[str]:
    """Every way the row's cells differ from the table, as sentences (empty: all agree)."""
    problems = []
    for role in (*ROLES, ANON):
        answer = call(row, role, world, clients)
        status, content = answer.status, answer.content
        if role == ANON:
            if row.is_api:
                signs_in = status == 401
            elif row.path in ("/login/", "/password/set/{uidb64}/{token}/"):
                signs_in = status in (200, 302)
            else:
                signs_in = status == 302
            if not signs_in:
                problems.append(f"{role}: {status}, expected to be sent to sign in")
            continue
        got = outcome(status)
        if status == 302 and answer.flashed_error:
            # A page that redirects with an error: a refusal of the role, or of the input or
            # the record's state (which passed the role check).
            got = "denied" if PERMISSION_MESSAGE.search(answer.flashed_error) else "refused"
        if row.scope == "foreign":
            # Never found, never changed: 404, or refused before the lookup.
            ok = got in ("missing", "denied", "refused") or status == 400
            expected = "missing"
        elif role in row.allowed:
            ok = got == ("passes" if row.found else "missing") or (row.found and got == "refused")
            expected = "passes" if row.found else "missing"
        else:
            # Refused: 403, or the input or the record's state was refused before the role
            # check (400 / 409). Nothing is written either way; never a 2xx or a redirect.
            ok = got in ("denied", "refused") or status in (400, 409)
            expected = "denied"
        if not ok:
            problems.append(f"{role}: {status} ({got}), expected {expected}")
        if 200 <= status < 300 and FOREIGN_DOMAIN.encode() in content:
            problems.append(f"{role}: the answer shows another workspace's records")
    return problems
