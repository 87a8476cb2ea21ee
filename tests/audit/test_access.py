"""Reading the audit log: the page, its CSV export, GET /api/v1/audit and `accord audit` are for
a workspace's admins only, never show another workspace's entries, record each export, and the
web and API record where a change came from."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from accord.identity import audit
from accord.identity.actor import Actor, Source
from accord.identity.audit import AuditEntry
from accord.identity.models import Membership, Team
from tests.api.conftest import Api, make_token
from tests.audit.helpers import actions

pytestmark = pytest.mark.django_db

ROLES = ["manager", "sales_rep", "sdr", "marketer", "viewer"]


def _record(actor: Actor, action: str, label: str) -> AuditEntry:
    with transaction.atomic():
        return audit.record(actor, action, object_type="thing", object_id=1, label=label)


@pytest.fixture
def seeded(workspace: Any, other_workspace: Any, admin: Membership) -> dict[str, Any]:
    ours = Actor.for_membership(admin, Source.CLI)
    theirs = Actor.system(other_workspace)
    return {
        "ours": [_record(ours, f"thing.step{i}", f"ours {i}") for i in range(3)],
        "theirs": _record(theirs, "thing.secret", "theirs"),
    }


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_non_admins_are_refused_everywhere(role: str, member_factory: Any, seeded: Any) -> None:
    member = member_factory(role)
    client = _client(member)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    _, token = make_token(member, scope="read")
    reply = Api(token).get("/audit")
    assert (reply.status, reply.error["code"]) == (403, "permission_denied")
    assert b"Audit log" not in client.get("/").content  # no nav link either
    assert actions(member.workspace, "audit.") == []  # a refused export records nothing


def test_anonymous_callers_are_refused(seeded: Any) -> None:
    assert Client().get("/audit/").status_code == 302  # to the login page
    assert Client().get("/audit/export.csv").status_code == 302
    assert Api(None).get("/audit").status == 401


def test_the_page_lists_this_workspaces_entries_newest_first(
    admin: Membership, seeded: Any
) -> None:
    client = _client(admin)
    page = client.get("/audit/").content.decode()
    assert page.index("ours 2") < page.index("ours 1") < page.index("ours 0")
    assert "theirs" not in page and "thing.secret" not in page
    assert 'id="nav-audit"' in page
    filtered = client.get("/audit/", {"action": "thing.step1"}).content.decode()
    assert "ours 1" in filtered and "ours 0" not in filtered and "ours 2" not in filtered


def test_user_text_on_the_page_is_escaped(admin: Membership, workspace: Any) -> None:
    _record(Actor.for_membership(admin, Source.WEB), "thing.x", "<script>alert(1)</script>")
    page = _client(admin).get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_csv_export_is_recorded_and_holds_only_this_workspace(
    admin: Membership, seeded: Any, workspace: Any
) -> None:
    response = _client(admin).get("/audit/export.csv", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == [
        "audit.exported",
        "auth.signed_in",  # the test client's sign-in
        "thing.step2",
        "thing.step1",
        "thing.step0",
    ]
    exported = rows[0]
    assert exported["actor"] == f"{admin.user.display_name} via web"
    assert (exported["source"], exported["remote_addr"]) == ("web", "198.51.100.4")
    assert json.loads(exported["after"]) == {"filters": {}}
    assert rows[2]["user_id"] == str(admin.user_id)


def test_a_filtered_export_names_its_filters(admin: Membership, seeded: Any) -> None:
    response = _client(admin).get("/audit/export.csv", {"action": "thing."})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["thing.step2", "thing.step1", "thing.step0"]
    entry = AuditEntry.objects.for_workspace(admin.workspace).get(action="audit.exported")
    assert entry.after == {"filters": {"action": "thing."}}


def test_the_api_pages_newest_first_with_a_cursor(admin: Membership, seeded: Any) -> None:
    made, token = make_token(admin, scope="read")
    api = Api(token)
    first = api.get("/audit", limit=2)
    assert first.status == 200
    labels = [r["object_label"] for r in first.body["results"]]
    assert labels == [f"test token ({made.prefix}\u2026)", "ours 2"]
    second = api.get("/audit", limit=2, cursor=first.body["next_cursor"])
    assert [r["object_label"] for r in second.body["results"]] == ["ours 1", "ours 0"]
    assert second.body["next_cursor"] is None
    row = second.body["results"][1]
    assert set(row) == {
        "id", "occurred_at", "actor", "user_id", "source", "remote_addr", "action",
        "object_type", "object_id", "object_label", "before", "after", "note",
    }  # fmt: skip
    assert (row["action"], row["actor"], row["source"]) == (
        "thing.step0",
        f"{admin.user.display_name} via cli",
        "cli",
    )
    only = api.get("/audit", action="thing.step1")
    assert [r["object_label"] for r in only.body["results"]] == ["ours 1"]
    by_prefix = api.get("/audit", action="api_token.")
    assert [r["action"] for r in by_prefix.body["results"]] == ["api_token.created"]


def test_the_web_and_the_api_record_the_callers_address(
    admin: Membership, member_factory: Any, workspace: Any
) -> None:
    manager = member_factory("manager")
    # A rule names someone who can work leads: a manager on a sales team.
    manager.team = Team.objects.create(workspace=workspace, name="Sales", kind="sales")
    manager.save()
    response = _client(manager).post(
        "/handoffs/routing/rule/",
        {"name": "Everyone to me", "target": f"user:{manager.user_id}"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    _, token = make_token(admin)
    client = Client(REMOTE_ADDR="192.0.2.55")
    reply = Api(token, client).post("/companies", {"name": "Initech"})
    assert reply.status == 201
    Api(token, client).delete(f"/companies/{reply.body['id']}")
    entries = AuditEntry.objects.for_workspace(workspace).exclude(action="api_token.created")
    entries = entries.exclude(action="auth.signed_in")  # the test client's sign-in
    assert [(e.action, e.source, e.remote_addr) for e in entries.order_by("id")] == [
        ("routing_rule.created", "web", "203.0.113.7"),
        ("company.deleted", "api", "192.0.2.55"),
    ]


def test_the_cli_lists_and_exports(admin: Membership, seeded: Any, tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("audit", "list", "--workspace", "acme", "--format", "json", stdout=out)
    listed = json.loads(out.getvalue())
    assert [e["object_label"] for e in listed] == ["ours 2", "ours 1", "ours 0"]
    target = tmp_path / "audit.csv"
    call_command("audit", "export", "--workspace", "acme", "--output", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["action"] for r in rows] == [
        "audit.exported",
        "thing.step2",
        "thing.step1",
        "thing.step0",
    ]
    assert rows[0]["actor"] == "accord audit via cli"
    out = io.StringIO()
    call_command("audit", "list", "--workspace", "acme", "--filter-action", "audit.", stdout=out)
    assert "audit.exported" in out.getvalue() and "thing.step" not in out.getvalue()


def test_the_cli_rejects_bad_dates(admin: Membership, seeded: Any) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("audit", "export", "--workspace", "acme", "--since", "yesterday")
    assert actions(admin.workspace, "audit.") == []


def test_the_page_and_the_api_take_as_many_queries_for_many_entries(
    admin: Membership, member_factory: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(admin)
    _, token = make_token(admin, scope="read")
    api = Api(token)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get("/audit/").status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/audit").status == 200
        return len(page), len(listed)

    _record(Actor.for_membership(admin, Source.WEB), "thing.a", "one")
    count()  # the first requests also touch the session and the token's last use
    few = count()
    for i in range(40):
        someone = member_factory("manager") if i % 10 == 0 else admin
        _record(Actor.for_membership(someone, Source.API), f"thing.kind{i % 7}", f"n{i}")
    assert count() == few
