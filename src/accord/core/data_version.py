"""A workspace's data version: a token that changes whenever a change to its records or its
rules commits, so that anything computed from them (the metrics' cached results) can be keyed
by it and is never served after a change this process has seen.

Bumped on commit by every published domain event (`core.events.publish`) and every audit entry
(`identity.audit.record`, which covers rule and setting changes that publish no event). It
lives in Django's cache: with a cache shared by all processes (see docs/deployment.md) a change
in one process is seen by the others at once; with the default per-process cache, cached
results elsewhere simply expire (`metrics.result_cache`, a few seconds).
"""

from __future__ import annotations

import uuid
from typing import Any
from weakref import WeakKeyDictionary

from django.core.cache import cache
from django.db import transaction

KEY = "accord:data-version:{}"
KEEP_SECONDS = 24 * 3600  # a version outlives any result keyed by it


def current(workspace_id: int) -> str:
    return cache.get(KEY.format(workspace_id)) or "0"


class _NewVersion:
    """The on-commit bump of one workspace's version; remembers that it ran (a test's captured
    callbacks run but stay in the connection's list)."""

    __slots__ = ("ran", "workspace_id")

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        cache.set(KEY.format(self.workspace_id), uuid.uuid4().hex, KEEP_SECONDS)


# Per connection: (workspace, savepoint scope) -> (position, callback) of the bump queued for
# the current transaction. Django drops a rolled-back savepoint's callbacks and clears the list
# after a commit, so a bump is still pending only if that position still holds it.
_Queued = dict[tuple[int, frozenset[str]], tuple[int, _NewVersion]]
_queued: WeakKeyDictionary[Any, _Queued] = WeakKeyDictionary()


def bump(workspace_id: int) -> None:
    """A new version now (outside a transaction) or when the current transaction commits, so a
    rolled-back change leaves the version, and the results keyed by it, as they were.

    A transaction publishing many events (a re-score making thousands of MQLs) queues one bump
    per workspace and savepoint scope: bumps in one scope are kept or dropped together."""
    conn = transaction.get_connection()
    callback = _NewVersion(workspace_id)
    if not conn.in_atomic_block:
        transaction.on_commit(callback)  # runs now
        return
    queued = _queued.setdefault(conn, {})
    key = (workspace_id, frozenset(conn.savepoint_ids))
    found = queued.get(key)
    pending = conn.run_on_commit
    if found and found[0] < len(pending) and pending[found[0]][1] is found[1] and not found[1].ran:
        return
    if len(queued) > 64:  # entries of finished transactions and savepoints
        queued.clear()
    transaction.on_commit(callback)
    queued[key] = (len(conn.run_on_commit) - 1, callback)
