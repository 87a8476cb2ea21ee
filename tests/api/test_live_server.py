"""The API over real HTTP (the standard library's urllib against a live server): tokens,
sessions with CSRF, errors, and a full record lifecycle."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils.crypto import get_random_string

from accord.crm.models import Contact, LedgerEntry
from accord.identity.models import Membership
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class HttpReply:
    status: int
    body: Any
    headers: Any


def http(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> HttpReply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(
        f"{base}/api/v1{path}", data=data, method=method, headers=headers or {}
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            content = response.read()
            return HttpReply(
                response.status, json.loads(content) if content else None, response.headers
            )
    except urllib.error.HTTPError as error:
        content = error.read()
        return HttpReply(error.code, json.loads(content) if content else None, error.headers)


@pytest.fixture
def base(live_server: Any) -> str:
    return str(live_server.url)


def test_token_crud_over_http(base: str, admin: Membership, workspace: Any) -> None:
    _, token = make_token(admin)
    auth = {"Authorization": f"Bearer {token}"}

    created = http(base, "POST", "/contacts", {"email": "Live@HTTP.example"}, headers=auth)
    assert created.status == 201, created.body
    assert created.headers["Content-Type"] == "application/json; charset=utf-8"
    pk = created.body["id"]
    assert created.body["email"] == "live@http.example"

    fetched = http(base, "GET", f"/contacts/{pk}", headers=auth)
    assert (fetched.status, fetched.body["email"]) == (200, "live@http.example")

    patched = http(base, "PATCH", f"/contacts/{pk}", {"first_name": "Liv"}, headers=auth)
    assert (patched.status, patched.body["first_name"]) == (200, "Liv")

    moved = http(base, "POST", f"/contacts/{pk}/lifecycle", {"to_stage": "mql"}, headers=auth)
    assert moved.status == 201
    entry = LedgerEntry.objects.for_workspace(workspace).get(pk=moved.body["entry"]["id"])
    assert (entry.to_stage, entry.source, entry.actor_user_id) == ("mql", "api", admin.user_id)

    listed = http(base, "GET", "/contacts?ordering=email&limit=10", headers=auth)
    assert listed.status == 200
    assert [r["id"] for r in listed.body["results"]] == [pk]
    assert listed.body["next_cursor"] is None

    deleted = http(base, "DELETE", f"/contacts/{pk}", headers=auth)
    assert (deleted.status, deleted.body) == (204, None)
    assert Contact.objects.for_workspace(workspace).count() == 0


def test_pagination_over_http(base: str, admin: Membership) -> None:
    _, token = make_token(admin)
    auth = {"Authorization": f"Bearer {token}"}
    for i in range(7):
        assert http(base, "POST", "/companies", {"name": f"Co {i}"}, headers=auth).status == 201
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = http(base, "GET", f"/companies?ordering=name&limit=3&cursor={cursor}", headers=auth)
        assert page.status == 200
        seen.extend(r["name"] for r in page.body["results"])
        if page.body["next_cursor"] is None:
            break
        cursor = urllib.parse.quote(page.body["next_cursor"])
    assert seen == [f"Co {i}" for i in range(7)]


def test_errors_over_http(base: str, admin: Membership, workspace: Any) -> None:
    missing = http(base, "GET", "/contacts")
    assert missing.status == 401
    assert missing.body["error"]["code"] == "unauthenticated"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="accord"'

    _, read_token = make_token(admin, scope="read", name="reader")
    refused = http(
        base,
        "POST",
        "/contacts",
        {"email": "r@x.example"},
        headers={"Authorization": f"Bearer {read_token}"},
    )
    assert refused.status == 403
    assert refused.body["error"]["code"] == "permission_denied"

    _, token = make_token(admin)
    auth = {"Authorization": f"Bearer {token}"}
    malformed = http(base, "POST", "/contacts", raw=b'{"email": ', headers=auth)
    assert malformed.status == 400
    assert malformed.body["error"]["code"] == "malformed_json"
    typed = http(base, "POST", "/deals", {"name": "D", "amount": "plenty"}, headers=auth)
    assert typed.status == 400
    assert list(typed.body["error"]["fields"]) == ["amount"]
    assert Contact.objects.for_workspace(workspace).count() == 0


def _session_cookie(membership: Membership) -> str:
    """A signed-in session, as the web app's login would create it."""
    user = membership.user
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["accord_workspace_id"] = membership.workspace_id
    store.save()
    return str(store.session_key)


def test_session_with_csrf_over_http(base: str, admin: Membership, workspace: Any) -> None:
    session = _session_cookie(admin)
    csrf = get_random_string(32)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"

    me = http(base, "GET", "/me", headers={"Cookie": cookie})
    assert me.status == 200
    assert me.body["auth"]["method"] == "session"
    assert me.body["workspace"]["id"] == workspace.pk

    no_header = http(
        base, "POST", "/contacts", {"email": "s@x.example"}, headers={"Cookie": cookie}
    )
    assert no_header.status == 403
    assert no_header.body["error"]["message"].startswith("CSRF check failed")
    assert Contact.objects.for_workspace(workspace).count() == 0

    with_header = http(
        base,
        "POST",
        "/contacts",
        {"email": "s@x.example"},
        headers={"Cookie": cookie, "X-CSRFToken": csrf},
    )
    assert with_header.status == 201, with_header.body
    assert Contact.objects.for_workspace(workspace).get().email == "s@x.example"


def test_openapi_over_http(base: str) -> None:
    reply = http(base, "GET", "/openapi.json")
    assert reply.status == 200
    assert "/api/v1/contacts/{contact_id}/lifecycle" in reply.body["paths"]
