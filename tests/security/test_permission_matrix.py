"""The permission matrix (permission_table.TABLE) run against every page and API operation:
six roles and an anonymous caller per row, on the caller's workspace's records, on records
assigned to the caller or to another member, and on another workspace's records."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.matrix import Row, api_operations, check_row, clients_for, web_routes
from tests.security.permission_table import TABLE


def test_every_page_and_operation_is_in_the_table() -> None:
    listed = {row.key for row in TABLE}
    listed_paths = {path for _, path in listed}
    missing_api = sorted(op for op in api_operations() if op not in listed)
    missing_pages = sorted(route for route in web_routes() if route not in listed_paths)
    assert missing_api == []
    assert missing_pages == []
    stale = sorted(
        key for key in listed if key not in api_operations() and key[1] not in web_routes()
    )
    assert stale == []


@pytest.fixture
def clients(world: Any, db: Any) -> Any:
    return clients_for(world)


@pytest.mark.parametrize("row", TABLE, ids=[row.id for row in TABLE])
def test_matrix_row(row: Row, world: Any, clients: Any, db: Any) -> None:
    problems = check_row(row, world, clients)
    assert not problems, row.id + "\n" + "\n".join(problems)
