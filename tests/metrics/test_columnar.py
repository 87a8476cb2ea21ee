"""The columnar copy keeps up with facts that commit out of id order: on PostgreSQL an id is
handed out when a row is written, so a transaction can commit a smaller id after a larger one
was copied. Such missing ids are looked for again at each sync, and what is derived from them
(stays in a stage, first touches) is recomputed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.crm.models import Contact, LedgerEntry
from accord.identity.models import Workspace
from accord.marketing.models import Touchpoint
from accord.metrics import columnar
from accord.metrics.catalogue import MetricSpec, measure

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def entry(ws: Workspace, contact: Contact, pk: int, to: str, hours: int) -> None:
    LedgerEntry.objects.create(
        id=pk, workspace=ws, contact=contact, from_stage="", to_stage=to,
        occurred_at=T0 + dt.timedelta(hours=hours), source="api",
    )  # fmt: skip


def both(ws: Workspace, metric: str) -> list[Any]:
    spec = MetricSpec(metric=metric, start=T0, end=T0 + dt.timedelta(days=30))
    stored = measure(ws.pk, spec).values
    copied = measure(ws.pk, spec, "columnar").values
    assert stored == copied
    return stored


def test_a_transition_committed_after_a_larger_id_was_copied_is_picked_up(
    workspace: Workspace,
) -> None:
    contact = Contact.objects.create(workspace=workspace, email="a@x.example")
    base = 1_000_000
    entry(workspace, contact, base + 1, "lead", 0)
    entry(workspace, contact, base + 5, "sal", 48)  # committed first, with the larger id
    columnar.sync()
    assert [(v.item, v.n) for v in both(workspace, "time_in_stage")] == [("lead", 1)]
    entry(workspace, contact, base + 3, "mql", 24)  # the smaller id commits afterwards
    columnar.sync()
    (gap,) = columnar.read("SELECT count(*) FROM crm_ledgerentry WHERE id = ?", [base + 3])
    assert gap == (1,)
    stays = both(workspace, "time_in_stage")
    assert [(v.item, v.n, v.value) for v in stays] == [("lead", 1, 1.0), ("mql", 1, 1.0)]


def test_a_late_touch_with_a_smaller_id_moves_the_first_touch(workspace: Workspace) -> None:
    contact = Contact.objects.create(workspace=workspace, email="b@x.example")
    touch = {"workspace": workspace, "contact": contact, "channel": "webinar", "type": "webinar"}
    Touchpoint.objects.create(id=2_000_010, occurred_at=T0 + dt.timedelta(days=5), **touch)
    columnar.sync()
    Touchpoint.objects.create(id=2_000_004, occurred_at=T0 + dt.timedelta(days=1), **touch)
    columnar.sync()
    found = columnar.read(
        "SELECT first_touch_at FROM marketing_firsttouch WHERE contact_id = ?", [contact.pk]
    )
    assert found == [((T0 + dt.timedelta(days=1)).replace(tzinfo=None),)]


def test_an_id_that_never_commits_is_forgotten_after_a_while(workspace: Workspace) -> None:
    contact = Contact.objects.create(workspace=workspace, email="c@x.example")
    entry(workspace, contact, 3_000_001, "lead", 0)
    entry(workspace, contact, 3_000_003, "mql", 1)
    columnar.sync()
    waiting = "SELECT id FROM accord_gap WHERE table_name = 'crm_ledgerentry' AND id = 3000002"
    assert columnar.read(waiting, []) == [(3_000_002,)]
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - columnar.GAP_PATIENCE
    with columnar.open_store() as con:
        con.execute("UPDATE accord_gap SET seen_at = ?", [old - dt.timedelta(seconds=1)])
    entry(workspace, contact, 3_000_004, "sal", 2)
    columnar.sync()
    assert columnar.read(waiting, []) == []


def test_a_long_transaction_committing_many_rows_below_copied_ids_is_picked_up(
    workspace: Workspace,
) -> None:
    """On PostgreSQL a long transaction (an import, a re-score promoting thousands) takes its
    ids first and commits last: rows of other transactions with larger ids can be copied in
    between. All of its rows are copied once it commits, however many (not only the top few
    thousand ids below the copy's largest)."""
    contact = Contact.objects.create(workspace=workspace, email="d@x.example")
    base = 4_000_000
    entry(workspace, contact, base + 30_001, "lead", 0)  # another transaction, committed first
    columnar.sync()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            id=base + i, workspace=workspace, contact=contact, from_stage="", to_stage="mql",
            occurred_at=T0 + dt.timedelta(minutes=i), source="import",
        )
        for i in range(1, 30_001)
    )  # fmt: skip  # the long transaction commits
    columnar.sync()
    (copied,) = columnar.read(
        "SELECT count(*) FROM crm_ledgerentry WHERE id > ? AND id <= ?", [base, base + 30_001]
    )
    assert copied == (30_001,)
    # Only the ids below the first copied row (never used here) are still looked for.
    assert columnar.read("SELECT id, last_id FROM accord_gap", []) == [(1, base)]
