"""Metric results cached by (spec, workspace, engine), stamped with the workspace's data version:
a dashboard asks for about 25 metrics, and several people opening it, or one person moving
between pages, should not run them all again when nothing changed.

The data version (`core.data_version`) changes when a change to the workspace's records or
rules commits in this process (every domain event and every audit entry bumps it), so such a
change is never answered from the cache. A change committed by another process (a worker, a
second web process) is seen once the entry expires, after `ACCORD_METRICS_CACHE_SECONDS` (5 by
default; the same few seconds the columnar copy may lag), or at once with a cache shared by all
processes. Only plain results are kept (a metric's values, a funnel's rows), not the metric
(it holds functions).

Web pages ask with a bounded staleness (`bounded_staleness`): there a result computed within
those seconds is good even if the version moved since, unless it was computed before the
reader's own last change. A workspace whose marketing systems post events all day moves its
version every second; without this its dashboard would be computed again on every view, while
a few seconds' delay on other people's changes is what the per-process cache gives anyway. The
API, the CLI, reports and jobs ask without one and always get the current version's result.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from accord.core import data_version


@dataclass
class Staleness:
    """What a reader accepts: results at most `seconds` old and computed after `fresh_after`
    (epoch seconds: the reader's own last change). `oldest` is the computing time of the oldest
    result served from an earlier version, None when every result was current."""

    seconds: float
    fresh_after: float = 0.0
    oldest: float | None = None

    def accepts(self, computed_at: float, now: float) -> bool:
        return computed_at >= self.fresh_after and now - computed_at <= self.seconds

    def served(self, computed_at: float) -> None:
        self.oldest = computed_at if self.oldest is None else min(self.oldest, computed_at)


_staleness: ContextVar[Staleness | None] = ContextVar("accord_metric_staleness", default=None)


@contextmanager
def bounded_staleness(seconds: float, fresh_after: float = 0.0) -> Iterator[Staleness]:
    """Inside: results up to `seconds` old (see the module docstring)."""
    accepted = Staleness(seconds, fresh_after)
    token = _staleness.set(accepted)
    try:
        yield accepted
    finally:
        _staleness.reset(token)


STALE = ""  # the version stamped on a result built from stale ones; never a current version


def key(workspace_id: int, what: str) -> str:
    digest = hashlib.sha256(what.encode()).hexdigest()[:32]
    return f"accord:metric:{workspace_id}:{digest}"


def cached[T](workspace_id: int, what: str, compute: Callable[[], T]) -> T:
    """The cached result of `what` (a query's kind, spec and engine, as text) when the
    workspace's data has not changed (or, inside `bounded_staleness`, when it is recent
    enough), else `compute()`'s, kept for the next caller. Threads of one process asking for
    the same missing result at once compute it once: the others wait for it."""
    seconds = settings.ACCORD_METRICS_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    name = key(workspace_id, what)
    version = data_version.current(workspace_id)
    accepted = _staleness.get()
    found: _Found[T] | None = _usable(name, version, accepted)
    if found is not None:
        return found.result
    flight, leading = _join_flight(name)
    if not leading:
        flight.wait(FLIGHT_WAIT_SECONDS)
        found = _usable(name, version, accepted)
        if found is not None:
            return found.result
        return _compute_and_keep(name, version, accepted, compute, seconds)
    try:
        return _compute_and_keep(name, version, accepted, compute, seconds)
    finally:
        _land(name, flight)


@dataclass(frozen=True)
class _Found[T]:
    result: T


def _usable[T](name: str, version: str, accepted: Staleness | None) -> _Found[T] | None:
    found: tuple[str, float, T] | None = cache.get(name)
    if found is None:
        return None
    found_version, computed_at, result = found
    if found_version == version:
        return _Found(result)
    if accepted is not None and accepted.accepts(computed_at, time.time()):
        accepted.served(computed_at)
        return _Found(result)
    return None


def _compute_and_keep[T](
    name: str, version: str, accepted: Staleness | None, compute: Callable[[], T], seconds: float
) -> T:
    started = time.time()  # before computing: the result holds every change committed by now
    if accepted is None:
        result = compute()
    else:  # a result built from older ones (goal pacing from its metrics) is as old as they are
        with bounded_staleness(accepted.seconds, accepted.fresh_after) as inner:
            result = compute()
        if inner.oldest is not None:
            accepted.served(inner.oldest)
            started = min(started, inner.oldest)
            version = STALE  # not the current version's result: only stale readers may take it
    cache.set(name, (version, started, result), seconds)
    return result


# Results being computed in this process, by cache key: a thread that finds one waits for it
# (a dashboard's two dozen metrics expire together, and every thread of a busy process would
# otherwise compute them all at once). Only a result's own computation is waited for, and a
# result's computation only asks for others below it, so no two threads wait on each other.
FLIGHT_WAIT_SECONDS = 60.0
_flights: dict[str, threading.Event] = {}
_flights_lock = threading.Lock()


def _join_flight(name: str) -> tuple[threading.Event, bool]:
    """The computation of `name` under way, and whether this thread leads it (computes it)."""
    with _flights_lock:
        flight = _flights.get(name)
        if flight is not None:
            return flight, False
        flight = _flights[name] = threading.Event()
        return flight, True


def _land(name: str, flight: threading.Event) -> None:
    with _flights_lock:
        _flights.pop(name, None)
    flight.set()
