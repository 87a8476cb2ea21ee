"""API lists run a fixed number of queries, however many rows a page holds (no N+1): the token
with its membership, the page, and at most one query per related table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.handoff.models import Handoff
from accord.handoff.tests.factories import make_mql, sales_floor
from accord.identity.models import Membership, Workspace
from tests.api.conftest import Api, make_token
from tests.web.conftest import make_records

LISTS = [
    "/contacts",
    "/companies",
    "/deals",
    "/activities",
    "/campaigns",
    "/touchpoints",
    "/ledger",
    "/sla-agreements",
]
MAX_QUERIES = 6  # the token, its membership, the page and at most three related tables


def count(api: Api, path: str) -> tuple[int, int]:
    """Queries and rows of one page (the default page size)."""
    with CaptureQueriesContext(connection) as captured:
        reply = api.get(path)
    assert reply.status == 200, reply.body
    return len(captured), len(reply.body["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_api_list_queries_do_not_grow_with_rows(api: Api, admin: Membership, path: str) -> None:
    make_records(admin)
    api.get(path)  # warm: the first request of a process loads the stage catalogue once
    few_queries, few_rows = count(api, path)
    for i in range(4):
        make_records(admin, prefix=f"Bulk{i}")
    many_queries, many_rows = count(api, path)
    if path != "/sla-agreements":
        assert many_rows > few_rows
    assert many_queries == few_queries
    assert many_queries <= MAX_QUERIES


@pytest.mark.django_db(transaction=True)  # the router hands MQLs over on commit
def test_handoff_list_fetches_each_related_table_once(
    workspace: Workspace,
) -> None:
    """The page joins contact, owner, team and agreement; the disputes come in one query for
    the page, the deciders and reasons (only decided handoffs have them) in one query each."""
    floor = sales_floor(workspace, sellers=2)
    api = Api(make_token(floor.admin)[1])
    for i in range(5):
        make_mql(floor, f"lead{i}@example.org")
    handoffs = list(Handoff.objects.for_workspace(workspace).order_by("id"))
    assert len(handoffs) == 5
    api.get("/handoffs")  # the token's first use records when it was used
    assert count(api, "/handoffs") == (4, 5)
    for handoff in handoffs[:3]:
        reply = api.post(f"/handoffs/{handoff.pk}/reject", {"reason": "not_icp"})
        assert reply.status == 200, reply.body
    assert count(api, "/handoffs") == (6, 5)  # + the deciders and the reasons, once each
    marketer = Api(make_token(floor.marketer)[1])
    assert marketer.post(f"/handoffs/{handoffs[0].pk}/dispute", {"comment": "Why?"}).status == 200
    assert count(api, "/handoffs") == (6, 5)
    assert count(api, "/handoffs?status=open") == (4, 2)
