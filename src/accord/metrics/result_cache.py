"""Metric results cached by (spec, workspace, engine, data version): a dashboard asks for about
25 metrics, and several people opening it, or one person moving between pages, should not run
them all again when nothing changed.

The data version (`core.data_version`) changes when a change to the workspace's records or
rules commits in this process (every domain event and every audit entry bumps it), so such a
change is never answered from the cache. A change committed by another process (a worker, a
second web process) is seen once the entry expires, after `ACCORD_METRICS_CACHE_SECONDS` (5 by
default; the same few seconds the columnar copy may lag), or at once with a cache shared by all
processes. Only plain results are kept (a metric's values, a funnel's rows), not the metric
(it holds functions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from accord.core import data_version


def key(workspace_id: int, what: str) -> str:
    version = data_version.current(workspace_id)
    digest = hashlib.sha256(what.encode()).hexdigest()[:32]
    return f"accord:metric:{workspace_id}:{version}:{digest}"


def cached[T](workspace_id: int, what: str, compute: Callable[[], T]) -> T:
    """The cached result of `what` (a query's kind, spec and engine, as text) when the
    workspace's data has not changed, else `compute()`'s, kept for the next caller."""
    seconds = settings.ACCORD_METRICS_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    name = key(workspace_id, what)
    found: T | None = cache.get(name)
    if found is not None:
        return found
    result = compute()
    cache.set(name, result, seconds)
    return result
