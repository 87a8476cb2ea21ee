"""The analytics engine on the real ClickHouse engine (chDB, embedded): every metric and every
breakdown gives the same values as the record store and the DuckDB copy; the facts it holds
follow the record store incrementally (new ledger rows, changed deals, ids that commit out of
order), a deletion makes it start again, and when it cannot be reached the record store answers
with the same numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from accord.crm.models import Contact, LedgerEntry
from accord.identity.models import Workspace
from accord.marketing.models import Touchpoint
from accord.metrics import clickhouse, clickhouse_copy, columnar, engine
from accord.metrics.catalogue import METRICS, MetricResult, MetricSpec, measure
from accord.metrics.sql import PLACEHOLDER
from tests.metrics.test_catalogue import END, START, World, at, build

pytestmark = pytest.mark.django_db
SHARED = [m for m in METRICS if m.engines == "both"]


@pytest.fixture(autouse=True)
def analytics(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.DATA_DIR = tmp_path  # a DuckDB copy per test
    settings.ANALYTICS_URL = f"chdb://{tmp_path}/clickhouse"  # and a ClickHouse one
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    clickhouse.close()
    columnar.close()


@pytest.fixture
def world(workspace: Workspace, other_workspace: Workspace, member_factory: Any) -> World:
    return build(workspace, other_workspace, member_factory)


def stored(table: str) -> int:
    """Rows in the record store's table, every workspace (as the copy holds them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        (count,) = cursor.fetchone()
    return int(count)


def measured(ws: int, metric: str, breakdown: str = "none", **kw: Any) -> dict[str, MetricResult]:
    spec = MetricSpec(metric=metric, start=kw.get("start", START), end=kw.get("end", END),
                      breakdown=breakdown)  # fmt: skip
    return {e: measure(ws, spec, e) for e in ("record_store", "columnar", "analytics")}


def agree(ws: int, metric: str, breakdown: str = "none", **kw: Any) -> list[Any]:
    found = measured(ws, metric, breakdown, **kw)
    assert found["analytics"].engine == "analytics"
    assert found["analytics"].values == found["record_store"].values, (metric, breakdown)
    assert found["columnar"].values == found["record_store"].values, (metric, breakdown)
    return found["analytics"].values


def test_every_metric_and_breakdown_is_the_same_on_clickhouse(world: World) -> None:
    nonempty = 0
    for metric in SHARED:
        for breakdown in metric.breakdowns:
            nonempty += bool(agree(world.ws.pk, metric.key, breakdown))
    assert nonempty == sum(len(m.breakdowns) for m in SHARED)  # nothing passes by being empty
    # The other workspace's facts are in the same tables and never counted here.
    assert agree(world.other.pk, "revenue") != agree(world.ws.pk, "revenue")


def test_an_empty_period_is_empty_on_every_engine(world: World) -> None:
    far = {"start": at(1, 1).replace(year=2030), "end": at(2, 1).replace(year=2030)}
    for metric in SHARED:
        agree(world.ws.pk, metric.key, "none", **far)


def test_auto_picks_clickhouse_for_a_large_workspace_only_when_configured(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = world.ws.pk
    assert engine.resolve(ws, "auto") == "record_store"  # small
    monkeypatch.setattr(engine, "COLUMNAR_FROM", 3)  # this workspace counts as large
    assert engine.resolve(ws, "auto") == "analytics"
    spec = MetricSpec(metric="mqls", start=START, end=END)
    assert measure(ws, spec, "auto").engine == "analytics"
    settings.ANALYTICS_URL = ""
    assert engine.resolve(ws, "auto") == "columnar"
    assert engine.resolve(ws, "record_store") == "record_store"


def test_new_ledger_rows_and_changed_deals_are_shipped_incrementally(world: World) -> None:
    ws = world.ws
    first = clickhouse_copy.sync()
    assert first["crm_ledgerentry"] == stored("crm_ledgerentry") > 0
    assert clickhouse_copy.sync() == dict.fromkeys(first, 0)  # nothing new, nothing shipped
    before = agree(ws.pk, "mqls")
    c4 = world.contacts["c4"]
    LedgerEntry.objects.create(workspace=ws, contact=c4, from_stage="mql", to_stage="lead",
                               occurred_at=at(3, 14), source="system")  # fmt: skip
    LedgerEntry.objects.create(workspace=ws, contact=c4, from_stage="lead", to_stage="mql",
                               occurred_at=at(3, 15), source="system",
                               definition_version="v3")  # fmt: skip
    d7 = world.deals["D7"]
    d7.status, d7.closed_at, d7.amount = "won", at(3, 30), Decimal("5100.25")
    d7.save()
    shipped = clickhouse_copy.sync()
    assert {k: v for k, v in shipped.items() if v} == {"crm_ledgerentry": 2, "crm_deal": 1}
    columnar.sync()  # the DuckDB copy synced less than FRESHNESS ago
    after = agree(ws.pk, "mqls")
    assert [(v.dimension, v.value) for v in before] == [("", 3)]
    assert [(v.dimension, v.value) for v in after] == [("", 4)]
    revenue = agree(ws.pk, "revenue")
    assert [v.value for v in revenue] == [Decimal("12700.45")]
    stays = agree(ws.pk, "time_in_stage", "definition_version")
    assert ("v3", "mql") not in {(v.dimension, v.item) for v in stays}  # still in mql
    assert ("", "lead") in {(v.dimension, v.item) for v in stays}
    (deal_rows,) = clickhouse.query(
        "SELECT count(), max(amount) FROM crm_deal WHERE id = {?: }", [d7.pk]
    )
    assert deal_rows == (1, Decimal("5100.25"))  # the change replaced the row


def test_a_sync_interrupted_before_its_bookkeeping_counts_nothing_twice(world: World) -> None:
    clickhouse_copy.sync()
    expected = {
        m.key: agree(world.ws.pk, m.key, "owner") for m in SHARED if "owner" in m.breakdowns
    }
    clickhouse.command("TRUNCATE TABLE accord_sync")  # as if the last sync died before the end
    shipped = clickhouse_copy.sync()
    assert shipped["crm_ledgerentry"] == stored("crm_ledgerentry")  # everything again
    for key, values in expected.items():
        assert agree(world.ws.pk, key, "owner") == values


def test_a_deletion_in_the_record_store_rebuilds_the_copy(world: World) -> None:
    clickhouse_copy.sync()
    assert [v.value for v in agree(world.ws.pk, "won_deals")] == [4]
    world.deals["D10"].delete()
    Contact.objects.for_workspace(world.ws).filter(pk=world.contacts["c7"].pk).delete()
    clickhouse_copy.sync()
    columnar.sync()
    kept = clickhouse.query("SELECT count() FROM crm_deal")
    assert kept == [(stored("crm_deal"),)]
    assert [v.value for v in agree(world.ws.pk, "won_deals")] == [3]
    assert agree(world.ws.pk, "mqls")[0].value == 3  # c7's MQL in April is outside anyway
    assert clickhouse.query(
        "SELECT count() FROM crm_ledgerentry WHERE contact_id = {?: }", [world.contacts["c7"].pk]
    ) == [(0,)]


def test_a_transition_committed_after_a_larger_id_is_picked_up(workspace: Workspace) -> None:
    contact = Contact.objects.create(workspace=workspace, email="a@x.example")

    def entry(pk: int, to: str, hours: int) -> None:
        LedgerEntry.objects.create(id=pk, workspace=workspace, contact=contact, from_stage="",
                                   to_stage=to, occurred_at=START + dt.timedelta(hours=hours),
                                   source="api")  # fmt: skip

    entry(1_000_001, "lead", 0)
    entry(1_000_005, "sal", 48)  # committed first, with the larger id
    clickhouse_copy.sync()
    gaps = (
        "SELECT id, last_id FROM accord_gap FINAL "
        "WHERE table_name = 'crm_ledgerentry' AND id > 1000000 ORDER BY id"
    )
    assert clickhouse.query(gaps) == [(1_000_002, 1_000_004)]  # one run of missing ids
    assert [(v.item, v.n) for v in agree(workspace.pk, "time_in_stage")] == [("lead", 1)]
    entry(1_000_003, "mql", 24)  # the smaller id commits afterwards
    clickhouse_copy.sync()
    columnar.sync()
    assert clickhouse.query(gaps) == [(1_000_002, 1_000_002), (1_000_004, 1_000_004)]
    stays = agree(workspace.pk, "time_in_stage")
    assert [(v.item, v.n, v.value) for v in stays] == [("lead", 1, 1.0), ("mql", 1, 1.0)]
    # A gap seen long ago is forgotten (a rolled-back insert leaves one for good).
    clickhouse.command("ALTER TABLE accord_gap UPDATE seen_at = seen_at - INTERVAL 1 DAY "
                       "WHERE 1 SETTINGS mutations_sync = 1")  # fmt: skip
    entry(1_000_006, "sql", 72)
    clickhouse_copy.sync()
    assert clickhouse.query("SELECT count() FROM accord_gap") == [(0,)]


def test_a_late_touch_with_a_smaller_id_moves_the_first_touch(workspace: Workspace) -> None:
    contact = Contact.objects.create(workspace=workspace, email="b@x.example")
    touch = {"workspace": workspace, "contact": contact, "channel": "webinar", "type": "webinar"}
    Touchpoint.objects.create(id=2_000_010, occurred_at=START + dt.timedelta(days=5), **touch)
    clickhouse_copy.sync()
    Touchpoint.objects.create(id=2_000_004, occurred_at=START + dt.timedelta(days=1), **touch)
    clickhouse_copy.sync()
    found = clickhouse.query(
        "SELECT first_touch_at FROM marketing_firsttouch WHERE contact_id = {?: }", [contact.pk]
    )
    assert found == [((START + dt.timedelta(days=1)).replace(tzinfo=None),)]


@pytest.mark.parametrize("url", ["clickhouse://127.0.0.1:9/accord", "chdb://", "mysql://x/y"])
def test_when_clickhouse_cannot_be_reached_the_record_store_answers(
    world: World, settings: Any, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ANALYTICS_URL = url
    spec = MetricSpec(metric="revenue", start=START, end=END, breakdown="owner")
    answered = measure(world.ws.pk, spec, "analytics")
    assert answered.engine == "record_store"
    assert answered.values == measure(world.ws.pk, spec).values != []
    assert "analytics engine unavailable" in caplog.text
    # Not tried again at once: a page of twenty queries does not wait twenty timeouts.
    assert url in clickhouse._down_since
    assert measure(world.ws.pk, spec, "analytics").engine == "record_store"


def test_values_are_bound_as_typed_parameters_never_written_into_the_text() -> None:
    sql, named = clickhouse.bind(
        f"SELECT {PLACEHOLDER}, {PLACEHOLDER}, {PLACEHOLDER}, {PLACEHOLDER}, {PLACEHOLDER}",
        [7, "x'); DROP TABLE crm_deal; --", at(3, 1, 12, 30), dt.date(2024, 3, 1), [1, 2]],
    )
    assert sql == ("SELECT {p0:Int64}, {p1:String}, {p2:DateTime64(6, 'UTC')}, {p3:Date32}, "
                   "{p4:Array(Int64)}")  # fmt: skip
    assert named == {"p0": 7, "p1": "x'); DROP TABLE crm_deal; --",
                     "p2": "2024-03-01 12:30:00.000000", "p3": "2024-03-01",
                     "p4": [1, 2]}  # fmt: skip
    clickhouse_copy.ensure_tables()
    hostile = "x'); DROP TABLE crm_deal; --"
    assert clickhouse.query("SELECT count() FROM crm_deal WHERE status = {?: }", [hostile]) == [
        (0,)
    ]
    assert clickhouse.query("SELECT {?: }", [hostile]) == [(hostile,)]
    with pytest.raises(TypeError):
        clickhouse.bind(f"SELECT {PLACEHOLDER}", [object()])
    with pytest.raises(ValueError, match="placeholders"):
        clickhouse.bind(f"SELECT {PLACEHOLDER}", [1, 2])


def test_the_api_and_the_cli_answer_from_clickhouse_when_asked(world: World, admin: Any) -> None:
    import io
    import json

    from django.core.management import call_command

    from tests.api.conftest import Api, make_token

    span = {"start": START.isoformat(), "end": END.isoformat()}
    reply = Api(make_token(admin)[1]).get("/metrics/revenue", engine="analytics", **span)
    assert reply.status == 200, reply.body
    assert reply.body["engine"] == "analytics"
    out = io.StringIO()
    call_command("report", "revenue", "--workspace", world.ws.slug, "--format", "json",
                 "--start", span["start"], "--end", span["end"], "--engine", "analytics",
                 stdout=out)  # fmt: skip
    assert json.loads(out.getvalue()) == reply.body
    recorded = measure(world.ws.pk, MetricSpec(metric="revenue", start=START, end=END),
                       "record_store")  # fmt: skip
    assert [v["value"] for v in reply.body["values"]] == [str(v.value) for v in recorded.values]


def test_a_long_transaction_committing_many_rows_below_shipped_ids_is_picked_up(
    workspace: Workspace,
) -> None:
    """As the DuckDB copy: a block of ids committed after larger ones were shipped is shipped
    in full, however long (the old watch covered only the top 10,000 ids)."""
    contact = Contact.objects.create(workspace=workspace, email="e@x.example")
    base = 5_000_000

    def entry(pk: int) -> LedgerEntry:
        return LedgerEntry(id=pk, workspace=workspace, contact=contact, from_stage="",
                           to_stage="mql", occurred_at=START + dt.timedelta(minutes=pk - base),
                           source="import")  # fmt: skip

    entry(base + 15_001).save()  # another transaction, committed first
    clickhouse_copy.sync()
    LedgerEntry.objects.bulk_create(entry(base + i) for i in range(1, 15_001))
    clickhouse_copy.sync()
    assert clickhouse.query(
        "SELECT count() FROM crm_ledgerentry FINAL WHERE id > {?: }", [base]
    ) == [(15_001,)]
