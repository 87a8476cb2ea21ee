"""Changes the copies' own feeds cannot see — a touchpoint edited or deleted, a campaign deleted
with its costs — reach the DuckDB copy and the ClickHouse copy through the journal of in-place
changes (`core.copy_changes`): after them every shared metric is the same on all three
engines, replaying is idempotent, an entry that commits late is still replayed, and a copy idle
for longer than the journal is kept starts again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.core import copy_changes
from accord.core.models import CopyChange
from accord.identity.actor import Actor, Source
from accord.identity.models import Role
from accord.marketing import services as marketing
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from accord.metrics import clickhouse, clickhouse_copy, columnar
from accord.metrics.sql import PLACEHOLDER
from tests.metrics.test_catalogue import World, at, build
from tests.metrics.test_clickhouse_engine import (  # noqa: F401 - analytics: a fixture
    SHARED,
    agree,
    analytics,
)

# A DuckDB copy and a ClickHouse copy per test, as in the ClickHouse engine's tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analytics")]
COPIES = {"duckdb": columnar.sync, "clickhouse": clickhouse_copy.sync}


@pytest.fixture
def world(workspace: Any, other_workspace: Any, member_factory: Any) -> World:
    return build(workspace, other_workspace, member_factory)


@pytest.fixture
def admin(member_factory: Any) -> Actor:
    return Actor.for_membership(member_factory(Role.ADMIN), Source.API)


def sync_both() -> None:
    for sync in COPIES.values():
        sync()


def every_metric_agrees(world: World) -> None:
    for metric in SHARED:
        for breakdown in metric.breakdowns:
            agree(world.ws.pk, metric.key, breakdown)


def copied(sql: str, params: list[Any]) -> dict[str, Any]:
    """One query's rows in each copy (ClickHouse reads with FINAL)."""
    return {
        "duckdb": columnar.read(sql, params),
        "clickhouse": clickhouse.query(
            sql.replace(" WHERE", " FINAL WHERE", 1).replace("?", PLACEHOLDER), params
        ),
    }


def touches(world: World) -> list[Touchpoint]:
    return list(Touchpoint.objects.for_workspace(world.ws).order_by("occurred_at", "id"))


def test_edited_and_deleted_touchpoints_and_a_deleted_campaign_reach_both_copies(
    world: World, admin: Actor
) -> None:
    sync_both()
    every_metric_agrees(world)
    first, second, *_ = touches(world)
    # The earliest touch moves past its contact's deals (influence changes) and changes
    # channel; another is deleted; a campaign goes with its costs, its touches keep no campaign.
    marketing.touchpoint_update(
        actor=admin,
        touchpoint_id=first.pk,
        values={"occurred_at": at(4, 28).isoformat(), "channel": "email"},
    )
    marketing.touchpoint_delete(actor=admin, touchpoint_id=second.pk)
    spring = Campaign.objects.for_workspace(world.ws).get(utm_campaign="spring-search")
    spring_touches = list(
        Touchpoint.objects.for_workspace(world.ws)
        .filter(campaign=spring)
        .values_list("pk", flat=True)
    )
    marketing.campaign_delete(actor=admin, campaign_id=spring.pk)
    assert CampaignCost.objects.for_workspace(world.ws).filter(campaign_id=spring.pk).count() == 0

    sync_both()
    every_metric_agrees(world)
    for engine, rows in copied(
        "SELECT channel FROM marketing_touchpoint WHERE id = ?", [first.pk]
    ).items():
        assert rows == [("email",)], engine
    for engine, rows in copied(
        "SELECT count(*) FROM marketing_touchpoint WHERE id = ?", [second.pk]
    ).items():
        assert rows == [(0,)], engine
    for engine, rows in copied(
        "SELECT count(*) FROM marketing_campaigncost WHERE campaign_id = ?", [spring.pk]
    ).items():
        assert rows == [(0,)], engine
    if spring_touches:
        for engine, rows in copied(
            "SELECT count(*) FROM marketing_touchpoint WHERE campaign_id = ?", [spring.pk]
        ).items():
            assert rows == [(0,)], engine
    # Each contact's first touch is the record store's again.
    expected = sorted(
        (t.contact_id, t.occurred_at.replace(tzinfo=None))
        for t in _first_touches(Touchpoint.objects.across_workspaces().all())
    )
    for engine, rows in copied(
        "SELECT contact_id, first_touch_at FROM marketing_firsttouch WHERE contact_id > ?", [0]
    ).items():
        assert sorted((c, _naive(w)) for c, w in rows) == expected, engine


def _first_touches(rows: Any) -> list[Touchpoint]:
    first: dict[int, Touchpoint] = {}
    for touch in rows:
        if touch.contact_id not in first or touch.occurred_at < first[touch.contact_id].occurred_at:
            first[touch.contact_id] = touch
    return list(first.values())


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def test_replaying_again_changes_nothing_and_a_late_entry_is_still_replayed(
    world: World, admin: Actor
) -> None:
    sync_both()
    touch = touches(world)[0]
    marketing.touchpoint_update(actor=admin, touchpoint_id=touch.pk, values={"type": "webinar"})
    sync_both()
    sync_both()  # the recent window is replayed again: same rows, nothing doubled
    for engine, rows in copied(
        "SELECT type, count(*) FROM marketing_touchpoint WHERE id = ? GROUP BY type", [touch.pk]
    ).items():
        assert rows == [("webinar", 1)], engine
    # An entry with a smaller id than one already replayed (it committed later, as can happen
    # on PostgreSQL) is replayed at the next sync.
    latest = copy_changes.latest_id()
    CopyChange.objects.create(id=latest + 10, table_name="crm_nothing", row_id=0)
    sync_both()  # both copies have now seen latest + 10
    other = touches(world)[-1]
    Touchpoint.objects.for_workspace(world.ws).filter(pk=other.pk).update(type="event")
    CopyChange.objects.create(id=latest + 5, table_name=Touchpoint._meta.db_table, row_id=other.pk)
    sync_both()
    for engine, rows in copied(
        "SELECT type FROM marketing_touchpoint WHERE id = ?", [other.pk]
    ).items():
        assert rows == [("event",)], engine
    every_metric_agrees(world)


def test_a_copy_idle_for_longer_than_the_journal_is_kept_starts_again(
    world: World, admin: Actor
) -> None:
    sync_both()
    touch = touches(world)[0]
    # A change whose journal entry was pruned before the copies synced again.
    Touchpoint.objects.for_workspace(world.ws).filter(pk=touch.pk).update(type="event")
    long_ago = dt.datetime.now(dt.UTC) - copy_changes.KEEP - dt.timedelta(hours=1)
    with columnar.open_store() as con:
        con.execute("UPDATE accord_journal SET synced_at = ?", [long_ago.replace(tzinfo=None)])
    clickhouse.command(
        "INSERT INTO accord_journal SELECT 1, last_id, {?: } FROM accord_journal FINAL",
        [long_ago],
        reads=True,
    )
    sync_both()
    for engine, rows in copied(
        "SELECT type FROM marketing_touchpoint WHERE id = ?", [touch.pk]
    ).items():
        assert rows == [("event",)], engine


def test_the_journal_is_pruned_after_a_week(workspace: Any) -> None:
    copy_changes.note("marketing_touchpoint", [1, 2, 2])
    old = CopyChange.objects.create(table_name="marketing_touchpoint", row_id=3)
    CopyChange.objects.filter(pk=old.pk).update(
        recorded_at=dt.datetime.now(dt.UTC) - copy_changes.KEEP - dt.timedelta(minutes=1)
    )
    from accord.integrations.webhooks.tasks import start_maintenance

    assert start_maintenance() == 1  # the worker's maintenance prunes the journal too
    assert sorted(CopyChange.objects.values_list("row_id", flat=True)) == [1, 2]
