"""The data version (what cached metric results are keyed by) moves once per committed
transaction however many events it publishes (a re-score making thousands of MQLs used to queue
one cache write per event); a bump made in a savepoint that rolls back is dropped with it,
while one made outside it still counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from accord.core import data_version

Capture = Callable[..., Any]


def pending_bumps() -> list[int]:
    return [
        func.workspace_id
        for _sids, func, _robust in connection.run_on_commit
        if isinstance(func, data_version._NewVersion)
    ]


@pytest.mark.django_db
def test_a_thousand_events_in_one_transaction_queue_one_bump_per_workspace(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    before = {ws: data_version.current(ws) for ws in (1, 2)}
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1_000):
            data_version.bump(1 + n % 2)
            transaction.on_commit(lambda: None)  # other work queued between the events
        assert sorted(pending_bumps()) == [1, 2]
    assert all(data_version.current(ws) != before[ws] for ws in (1, 2))


@pytest.mark.django_db
def test_a_bump_in_a_rolled_back_savepoint_is_dropped_and_one_outside_it_kept(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    before = {ws: data_version.current(ws) for ws in (3, 4)}
    with django_capture_on_commit_callbacks(execute=True):
        data_version.bump(3)
        try:
            with transaction.atomic():
                data_version.bump(3)  # another scope: queued again, dropped with the savepoint
                data_version.bump(4)
                assert sorted(pending_bumps()) == [3, 3, 4]
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert pending_bumps() == [3]
    assert data_version.current(3) != before[3]
    assert data_version.current(4) == before[4]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_version_moves_at_once() -> None:
    assert not connection.in_atomic_block
    before = data_version.current(5)
    data_version.bump(5)
    assert data_version.current(5) != before


@pytest.mark.django_db
def test_a_bump_that_ran_is_not_taken_for_a_pending_one(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """A test's captured callbacks run but stay queued: a second change in the same test and
    scope still moves the version."""
    versions = [data_version.current(6)]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            data_version.bump(6)
        versions.append(data_version.current(6))
    assert len(set(versions)) == 3
