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

from django.core.cache import cache
from django.db import transaction

KEY = "accord:data-version:{}"
KEEP_SECONDS = 24 * 3600  # a version outlives any result keyed by it


def current(workspace_id: int) -> str:
    return cache.get(KEY.format(workspace_id)) or "0"


def bump(workspace_id: int) -> None:
    """A new version now (outside a transaction) or when the current transaction commits, so a
    rolled-back change leaves the version, and the results keyed by it, as they were."""

    def new_version() -> None:
        cache.set(KEY.format(workspace_id), uuid.uuid4().hex, KEEP_SECONDS)

    transaction.on_commit(new_version)
