"""The journal of in-place changes the analytics copies must replay (`models.CopyChange`).

The columnar copies (DuckDB, ClickHouse) are fed incrementally: append-only facts by new ids,
changing records by `updated_at`, deletions of the big records by their counts. Some changes
escape all three: a touchpoint edited or deleted (touchpoints are fed by id), a campaign
deleted with its costs. The services making such changes call `note` in their transaction,
and each copy's sync replays the journal: the named rows are deleted from the copy and copied
again from the record store if they still exist. Replaying is idempotent, so a copy replays a
recent window again at every sync (an entry can commit after a later one was seen) and a
failed sync simply replays more.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from accord.core.models import CopyChange

KEEP = dt.timedelta(days=7)  # a copy not synced for longer is rebuilt (see `stale_copy`)
REPLAY_WINDOW = 1_000  # entries before the last one seen, replayed while they are recent
REPLAY_FOR = dt.timedelta(minutes=10)  # an entry commits within seconds of being written


def note(table_name: str, row_ids: Iterable[int]) -> None:
    """Record that these rows of `table_name` changed in place or were deleted."""
    now = timezone.now()
    rows = [CopyChange(table_name=table_name, row_id=i, recorded_at=now) for i in set(row_ids)]
    CopyChange.objects.bulk_create(rows, batch_size=1_000)


def latest_id() -> int:
    return CopyChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def since(last_seen: int) -> tuple[int, dict[str, list[int]]]:
    """The entries a copy that has replayed up to `last_seen` must replay: the newer ones and
    the recent window before them. Returns (the largest id, row ids per table)."""
    recent = timezone.now() - REPLAY_FOR
    entries = CopyChange.objects.filter(
        Q(id__gt=last_seen) | Q(id__gt=last_seen - REPLAY_WINDOW, recorded_at__gte=recent)
    ).values_list("id", "table_name", "row_id")
    newest = last_seen
    per_table: dict[str, set[int]] = defaultdict(set)
    for entry_id, table_name, row_id in entries.iterator(chunk_size=10_000):
        newest = max(newest, entry_id)
        per_table[table_name].add(row_id)
    return newest, {name: sorted(ids) for name, ids in per_table.items()}


def stale_copy(last_synced: dt.datetime | None) -> bool:
    """Whether a copy last synced at `last_synced` (naive means UTC) may have missed pruned
    entries."""
    if last_synced is None:
        return False
    if last_synced.tzinfo is None:
        last_synced = last_synced.replace(tzinfo=dt.UTC)
    return last_synced < timezone.now() - KEEP


def prune(now: dt.datetime | None = None) -> int:
    """Delete the entries older than KEEP (the worker's hourly maintenance)."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _ = CopyChange.objects.filter(recorded_at__lt=cutoff).delete()
    return deleted
