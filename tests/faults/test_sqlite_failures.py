"""SQLite read-only or full: a write gets a clear 503 (API) or error message (CLI), nothing is
written, and the database stays intact.

The tests run as root in CI, where a chmod does not stop writes, so the read-only file is
simulated with `PRAGMA query_only` (SQLite answers exactly as for a read-only file:
SQLITE_READONLY, "attempt to write a readonly database") and the full disk with
`PRAGMA max_page_count` (SQLITE_FULL, "database or disk is full")."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accord.crm.models import Contact
from accord.crm.tests.factories import ContactFactory
from accord.identity.models import Workspace

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's read-only and full database errors"
)


@pytest.fixture
def token(admin) -> str:  # type: ignore[no-untyped-def]
    from accord.identity.actor import Actor, Source
    from accord.identity.services import api_token_create

    return api_token_create(
        actor=Actor.for_membership(admin, Source.WEB), name="faults", scope="write"
    )[1]


def _post_contact(token: str, email: str) -> Any:
    return Client().post(
        "/api/v1/contacts",
        {"email": email, "first_name": "X" * 100, "last_name": "Y" * 100, "title": "Z" * 150},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )


def _pragma(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def _emails(workspace: Workspace) -> list[str]:
    return sorted(Contact.objects.for_workspace(workspace).values_list("email", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_read_only_database_answers_503_and_stays_intact(workspace, token) -> None:  # type: ignore[no-untyped-def]
    ContactFactory(workspace=workspace, email="before@firm.example")
    assert _post_contact(token, "ok@firm.example").status_code == 201
    _pragma("PRAGMA query_only = ON")
    try:
        reply = _post_contact(token, "refused@firm.example")
        listing = Client().get("/api/v1/contacts", headers={"authorization": f"Bearer {token}"})
    finally:
        _pragma("PRAGMA query_only = OFF")
    assert reply.status_code == 503
    assert reply["Retry-After"] == "5"
    assert reply.json()["error"]["code"] == "database_read_only"
    assert reply.json()["error"]["message"].startswith("The database is read-only")
    assert listing.status_code == 200  # reads still work
    assert _pragma("PRAGMA integrity_check") == [("ok",)]
    assert _emails(workspace) == ["before@firm.example", "ok@firm.example"]


@pytest.mark.django_db(transaction=True)
def test_a_full_database_answers_503_and_stays_intact(workspace, token) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        ContactFactory(workspace=workspace, email=f"before{i}@firm.example")
    # Earlier tests in this database leave free pages behind (each test's rows are deleted);
    # the cap counts every page, so those must go first or the writes below fill them instead.
    _pragma("VACUUM")
    assert _pragma("PRAGMA freelist_count") == [(0,)]
    (pages,) = _pragma("PRAGMA page_count")[0]
    _pragma(f"PRAGMA max_page_count = {pages}")
    replies = []
    try:
        for i in range(200):  # until the free pages are used up
            reply = _post_contact(token, f"new{i}@firm.example")
            replies.append(reply.status_code)
            if reply.status_code != 201:
                break
    finally:
        _pragma("PRAGMA max_page_count = 1073741823")
    assert replies[-1] == 503, replies
    assert set(replies[:-1]) <= {201}
    assert reply.json()["error"]["code"] == "database_full"
    assert _pragma("PRAGMA integrity_check") == [("ok",)]
    emails = _emails(workspace)
    assert [e for e in emails if e.startswith("before")] == [
        f"before{i}@firm.example" for i in range(5)
    ]
    assert len(emails) == 5 + len(replies) - 1  # the refused write left nothing behind
    assert _post_contact(token, "after@firm.example").status_code == 201  # space is back


@pytest.mark.django_db(transaction=True)
def test_the_cli_says_the_database_is_read_only(workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    from accord.cli.main import main

    _pragma("PRAGMA query_only = ON")
    try:
        with pytest.raises(SystemExit) as exited:
            main(["createworkspace", "Refused Co", "--slug", "refused"])
    finally:
        _pragma("PRAGMA query_only = OFF")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: The database is read-only, so nothing was changed.")
    assert "attempt to write a readonly database" in err
    assert not Workspace.objects.filter(slug="refused").exists()
    assert _pragma("PRAGMA integrity_check") == [("ok",)]
