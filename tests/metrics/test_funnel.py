"""The funnel spec on the record store (SQLite or PostgreSQL, whichever the suite runs on) and
on the columnar copy (DuckDB): exact counts on hand-made histories, identical on both engines,
fresh as soon as a transition is committed, and bad specs refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from pydantic import ValidationError

from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.identity.actor import Actor
from accord.metrics import columnar
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.funnel import FunnelSpec, funnel

pytestmark = pytest.mark.django_db
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)


def lead(actor: Actor, email: str, path: tuple[str, ...], source: str = "webinar") -> int:
    contact = contact_services.contact_create(
        actor=actor, values={"email": email, "lifecycle_stage": path[0], "original_source": source}
    )
    for stage in path[1:]:
        change_stage(actor=actor, contact_id=contact.pk, to_stage=stage, definition_version="v2")
    return contact.pk


def both(workspace_id: int, spec: FunnelSpec) -> list[tuple[str, dict[str, int]]]:
    stored = funnel(workspace_id, spec)
    copied = funnel(workspace_id, spec, engine="columnar")
    rows = [(r.dimension, r.counts) for r in stored.rows]
    assert rows == [(r.dimension, r.counts) for r in copied.rows]
    return rows


def test_cohort_counts_reaching_each_stage(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    lead(actor, "a@x.example", ("lead", "mql", "sal", "sql"))
    lead(actor, "b@x.example", ("lead", "mql", "disqualified"))
    lead(actor, "c@x.example", ("subscriber", "lead"))
    lead(actor, "d@x.example", ("mql",), source="paid_search")  # imported straight as MQL
    spec = FunnelSpec(view="cohort", start=START, end=END)
    (only,) = both(workspace.pk, spec)
    assert only == (
        "",
        {"subscriber": 4, "lead": 4, "mql": 3, "sal": 1, "sql": 1, "opportunity": 0,
         "customer": 0},
    )  # fmt: skip
    result = funnel(workspace.pk, spec)
    lead_to_mql = result.rows[0].conversions["lead→mql"]
    assert (lead_to_mql.successes, lead_to_mql.n) == (3, 4)
    assert result.rows[0].conversions["sql→opportunity"].value == 0.0
    assert result.rows[0].conversions["opportunity→customer"].value is None  # 0 of 0
    by_source = dict(both(workspace.pk, spec.model_copy(update={"breakdown": "source"})))
    assert by_source["paid_search"]["mql"] == 1 and by_source["webinar"]["mql"] == 2
    by_version = dict(
        both(workspace.pk, spec.model_copy(update={"breakdown": "definition_version"}))
    )
    assert by_version["v2"]["mql"] == 2 and by_version[""]["lead"] == 2


def test_period_counts_each_contact_once_per_stage(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    """As the catalogue's stage counts do (the MQLs of a period are the same number on the
    dashboard's tile and in its funnel), and as the contact list behind each number lists them."""
    lead(actor, "a@x.example", ("lead", "mql", "lead", "mql"))  # demoted and promoted again
    lead(actor, "b@x.example", ("lead",))
    spec = FunnelSpec(view="period", start=START, end=END)
    assert both(workspace.pk, spec) == [("", {"lead": 2, "mql": 1})]
    mqls = measure(workspace.pk, MetricSpec(metric="mqls", start=START, end=END))
    assert [v.value for v in mqls.values] == [1]


def test_a_new_transition_is_counted_within_seconds(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    contact = lead(actor, "a@x.example", ("lead",))
    spec = FunnelSpec(view="period", start=START, end=END)
    with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tick=False) as clock:
        assert funnel(workspace.pk, spec, engine="columnar").rows[0].counts == {"lead": 1}
        change_stage(actor=actor, contact_id=contact, to_stage="mql")
        clock.shift(columnar.FRESHNESS)  # the dashboard promises 5 s; the copy syncs every 2 s
        assert funnel(workspace.pk, spec, engine="columnar").rows[0].counts == {
            "lead": 1,
            "mql": 1,
        }


def test_deleted_contacts_leave_the_copy(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    keep = lead(actor, "keep@x.example", ("lead", "mql"))
    gone = lead(actor, "gone@x.example", ("lead", "mql"))
    spec = FunnelSpec(view="cohort", start=START, end=END)
    assert funnel(workspace.pk, spec, engine="columnar").rows[0].counts["mql"] == 2
    contact_services.contact_delete(actor=actor, contact_id=gone)
    columnar.sync()
    assert funnel(workspace.pk, spec, engine="columnar").rows[0].counts["mql"] == 1
    assert keep


def test_other_workspaces_are_not_counted(
    workspace, other_workspace, actor, member_factory
) -> None:  # type: ignore[no-untyped-def]
    from accord.identity.actor import Source

    other = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.API)
    lead(other, "elsewhere@x.example", ("lead", "mql"))
    lead(actor, "here@x.example", ("lead",))
    spec = FunnelSpec(view="period", start=START, end=END)
    assert both(workspace.pk, spec) == [("", {"lead": 1})]


def test_an_empty_period_has_no_rows(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    lead(actor, "a@x.example", ("lead", "mql"))
    spec = FunnelSpec(
        view="cohort",
        start=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime(2021, 2, 1, tzinfo=dt.UTC),
    )
    assert both(workspace.pk, spec) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start": END, "end": START}, "start must be before end"),
        ({"start": dt.datetime(2026, 1, 1), "end": END}, "time zone"),
        ({"start": START, "end": END, "view": "sideways"}, "view"),
        ({"start": START, "end": END, "breakdown": "colour"}, "breakdown"),
    ],
)
def test_bad_specs_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FunnelSpec(**values)


def test_a_busy_copy_falls_back_to_the_record_store(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    """DuckDB lets one process write a file; while another holds it, the record store answers."""
    import subprocess
    import sys

    lead(actor, "a@x.example", ("lead", "mql"))
    spec = FunnelSpec(view="period", start=START, end=END)
    path = columnar.store_path()
    columnar.sync()
    columnar.close()  # let go of the file, as an idle process does
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        columnar._last_sync.clear()  # make the next query sync (and meet the lock)
        result = funnel(workspace.pk, spec, engine="columnar")
    finally:
        holder.kill()
        holder.wait()
    assert result.engine == "record_store"
    assert [(r.dimension, r.counts) for r in result.rows] == [("", {"lead": 1, "mql": 1})]
