"""Metric results are cached by (spec, workspace, engine, data version): asked again with
nothing changed, a metric runs no query; a change committed through a service (a domain event)
or a rule change (an audit entry) is never answered from the cache; a rolled-back change leaves
the cache as it was; a change the process never heard of (another process's) shows once the
entry expires. The rest of the suite runs with the cache off (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.core import data_version
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services import contacts as contact_services
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Membership, Workspace
from accord.metrics import result_cache
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.funnel import FunnelSpec, funnel
from accord.metrics.goals import goal_delete, goal_set
from accord.metrics.planning import dashboard_goals

pytestmark = pytest.mark.django_db
START = timezone.now() - dt.timedelta(days=30)
END = timezone.now() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def cache_on(settings: Any) -> None:
    settings.ACCORD_METRICS_CACHE_SECONDS = 60


def leads(workspace: Workspace) -> int:
    spec = MetricSpec(metric="leads", start=START, end=END)
    (value,) = measure(workspace.pk, spec).values or [None]
    return 0 if value is None else int(value.value or 0)


def add_lead(actor: Actor, email: str, capture: Callable[..., Any]) -> None:
    """Through the write path, with its on-commit work run (as a committed request's is)."""
    with capture(execute=True):
        contact_services.contact_create(actor=actor, values={"email": email})


def test_asked_again_with_nothing_changed_a_metric_runs_no_query(
    actor: Actor, django_assert_num_queries: Callable[[int], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    assert leads(actor.workspace) == 1
    with django_assert_num_queries(0):
        assert leads(actor.workspace) == 1


def test_a_committed_change_is_never_answered_from_the_cache(
    actor: Actor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    assert leads(actor.workspace) == 0
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    assert leads(actor.workspace) == 1
    add_lead(actor, "b@firm.example", django_capture_on_commit_callbacks)
    assert leads(actor.workspace) == 2


def test_a_rolled_back_change_leaves_the_version_and_the_cache_as_they_were(
    actor: Actor, django_capture_on_commit_callbacks: Callable[..., Any],
    django_assert_num_queries: Callable[[int], Any],
) -> None:  # fmt: skip
    assert leads(actor.workspace) == 0
    before = data_version.current(actor.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                contact_services.contact_create(actor=actor, values={"email": "a@firm.example"})
                raise RuntimeError("refused later in the same transaction")
        except RuntimeError:
            pass
    assert callbacks == []  # nothing ran: the transaction did not commit
    assert data_version.current(actor.workspace.pk) == before
    with django_assert_num_queries(0):
        assert leads(actor.workspace) == 0


def test_a_rule_change_recorded_in_the_audit_log_moves_the_version(
    actor: Actor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    before = data_version.current(actor.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit.record(actor, "sla_agreement.activated", object_type="SLA agreement", object_id=1)
    assert data_version.current(actor.workspace.pk) != before


def test_each_workspace_and_each_spec_is_cached_on_its_own(
    actor: Actor, other_workspace: Workspace,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    assert leads(actor.workspace) == 1
    assert leads(other_workspace) == 0
    older = MetricSpec(metric="leads", start=START - dt.timedelta(days=60), end=START)
    assert measure(actor.workspace.pk, older).values == []
    # A change in the other workspace leaves this one's entries in place.
    other = Actor.system(other_workspace)
    add_lead(other, "z@other.example", django_capture_on_commit_callbacks)
    assert leads(other_workspace) == 1
    assert leads(actor.workspace) == 1


def test_a_change_another_process_committed_shows_once_the_entry_expires(
    actor: Actor, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    settings.ACCORD_METRICS_CACHE_SECONDS = 0.5
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    assert leads(actor.workspace) == 1
    # Written the way another process's change looks from here: no event in this process.
    contact = Contact.objects.create(workspace=actor.workspace, email="b@firm.example",
                                     lifecycle_stage="lead")  # fmt: skip
    LedgerEntry.objects.create(workspace=actor.workspace, contact=contact, from_stage="",
                               to_stage="lead", occurred_at=timezone.now(),
                               source="system")  # fmt: skip
    assert leads(actor.workspace) == 1  # still the cached answer
    time.sleep(0.6)
    assert leads(actor.workspace) == 2


def test_off_when_the_setting_is_zero(
    actor: Actor, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    settings.ACCORD_METRICS_CACHE_SECONDS = 0
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    Contact.objects.create(workspace=actor.workspace, email="b@firm.example",
                           lifecycle_stage="lead")  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        leads(actor.workspace)
    assert len(queries) >= 1


def test_a_second_dashboard_view_runs_far_fewer_queries(admin: Membership) -> None:
    client = Client()
    client.force_login(admin.user)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/dashboard/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/dashboard/").status_code == 200
    # The headline, pipeline, SLA, quality and cost metrics come from the cache; what is left
    # is the session, the member, the funnel and the goals.
    assert len(second) <= len(first) - 20, (len(first), len(second))


def test_the_funnel_is_cached_and_recomputed_after_a_change(
    actor: Actor, django_assert_num_queries: Callable[[int], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    spec = FunnelSpec(view="period", start=START, end=END)
    add_lead(actor, "a@firm.example", django_capture_on_commit_callbacks)
    (row,) = funnel(actor.workspace.pk, spec).rows
    assert row.counts["lead"] == 1
    with django_assert_num_queries(0):
        assert funnel(actor.workspace.pk, spec).rows == [row]
    add_lead(actor, "b@firm.example", django_capture_on_commit_callbacks)
    (row,) = funnel(actor.workspace.pk, spec).rows
    assert row.counts["lead"] == 2


def test_a_sign_in_or_an_export_leaves_cached_results_in_place(
    actor: Actor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    before = data_version.current(actor.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit.record(actor, "auth.signed_in", object_type="user", object_id=1)
        audit.record(actor, "export.requested", object_type="contacts", object_id="")
    assert data_version.current(actor.workspace.pk) == before


def test_goal_pacing_is_cached_until_a_goal_changes(
    actor: Actor, django_assert_num_queries: Callable[[int], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    today = dt.date(2026, 10, 15)
    assert dashboard_goals(actor.workspace.pk, today) == []
    with django_capture_on_commit_callbacks(execute=True):
        goal = goal_set(actor=actor, values={"period": "quarter", "period_start": "2026-10-01",
                                             "revenue": 600000})  # fmt: skip
    (pacing,) = dashboard_goals(actor.workspace.pk, today)
    assert pacing.goal_id == goal.pk
    with django_assert_num_queries(0):
        assert dashboard_goals(actor.workspace.pk, today) == [pacing]
    with django_capture_on_commit_callbacks(execute=True):
        goal_delete(actor=actor, goal_id=goal.pk)
    assert dashboard_goals(actor.workspace.pk, today) == []


def _in_threads(count: int, call: Callable[[], Any]) -> list[Any]:
    """`call` in `count` threads started together; their results, or the exceptions raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # returned for the test to inspect
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_threads_asking_for_the_same_missing_result_at_once_compute_it_once() -> None:
    runs: list[int] = []

    def slow() -> int:
        runs.append(1)
        time.sleep(0.3)
        return 42

    results = _in_threads(4, lambda: result_cache.cached(9001, "slow", slow))
    assert results == [42, 42, 42, 42]
    assert len(runs) == 1
    assert result_cache._flights == {}  # nothing left behind


def test_when_the_computing_thread_fails_the_waiting_ones_compute_for_themselves() -> None:
    runs: list[int] = []

    def first_fails() -> int:
        runs.append(1)
        time.sleep(0.2)
        if len(runs) == 1:
            raise RuntimeError("the database went away")
        return 7

    results = _in_threads(3, lambda: result_cache.cached(9002, "flaky", first_fails))
    assert sum(isinstance(r, RuntimeError) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, Exception)) == [7, 7]
    assert result_cache._flights == {}
