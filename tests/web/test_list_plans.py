"""List pages and API lists read their rows in order from an index, so a page costs the same
with a thousand rows or a million, and rows created together (an import batch shares one
creation time) do not make the database sort the whole batch for every page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accord.crm.models import LedgerEntry
from accord.crm.selectors import (
    ContactFilters,
    company_industries,
    contact_list,
    deal_list,
    ledger_stage_counts,
)
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.handoff.api_queries import HandoffFilters, handoff_list
from accord.handoff.models import HandoffStatus
from accord.handoff.reports import disposition_counts
from accord.identity.models import Workspace
from accord.identity.tests.factories import WorkspaceFactory
from accord.web.views import contacts, deals
from accord.web.views.listing import PAGE_SIZE, sort_queryset

pytestmark = pytest.mark.django_db

LISTS: dict[str, Callable[[Workspace], QuerySet]] = {  # type: ignore[type-arg]
    "contacts page": lambda ws: sort_queryset(
        contact_list(ws), "", contacts.SORT_COLUMNS, "-created"
    )[0],
    "contacts page, one stage": lambda ws: sort_queryset(
        contact_list(ws, ContactFilters(lifecycle_stage="mql")),
        "",
        contacts.SORT_COLUMNS,
        "-created",
    )[0],
    "contacts page, oldest first": lambda ws: sort_queryset(
        contact_list(ws), "created", contacts.SORT_COLUMNS, "-created"
    )[0],
    "deals page": lambda ws: sort_queryset(deal_list(ws), "", deals.SORT_COLUMNS, "-created")[0],
    "contacts API": lambda ws: contact_list(ws).order_by("-created_at", "-pk"),
    "deals API": lambda ws: deal_list(ws).order_by("-created_at", "-pk"),
    "handoffs API, open": lambda ws: handoff_list(ws, HandoffFilters(status=HandoffStatus.OPEN)),
    "inbox, recently decided": lambda ws: (
        handoff_list(ws, HandoffFilters(owner="1"))
        .exclude(status=HandoffStatus.OPEN)
        .order_by("-decided_at")
    ),
    "inbox queue": lambda ws: handoff_list(
        ws, HandoffFilters(status=HandoffStatus.OPEN, owner="queue")
    ).order_by("assigned_at"),
}


def plan_sorts(queryset: QuerySet) -> str | None:  # type: ignore[type-arg]
    """The plan's sort step, or None when the rows come in order from an index.

    PostgreSQL is told to avoid sorting (a sort then costs more than any plan without one):
    on a test's few rows it would otherwise sort them rather than read an index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off")
        plan = queryset.explain()
        return next((line for line in plan.splitlines() if "Sort" in line), None)
    plan = queryset.explain()
    return next((line for line in plan.splitlines() if "TEMP B-TREE FOR ORDER BY" in line), None)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_reads_its_order_from_an_index(workspace: Workspace, name: str) -> None:
    queryset = LISTS[name](workspace)[:PAGE_SIZE]
    assert plan_sorts(queryset) is None, queryset.explain()


def test_an_order_with_no_index_is_caught(workspace: Workspace) -> None:
    """The check above can fail: a list ordered by a column with no index sorts."""
    queryset = contact_list(workspace).order_by("-title", "-pk")[:PAGE_SIZE]
    assert plan_sorts(queryset) is not None


def test_industries_are_the_workspaces_distinct_ones_in_order(workspace: Workspace) -> None:
    for industry in ["Software", "Pharma", "Software", "", "Banking", "Pharma"]:
        CompanyFactory(workspace=workspace, industry=industry)
    CompanyFactory(workspace=WorkspaceFactory(), industry="Aerospace")
    assert company_industries(workspace) == ["Banking", "Pharma", "Software"]


def test_a_workspace_with_no_industries_has_none(workspace: Workspace) -> None:
    CompanyFactory(workspace=workspace, industry="")
    assert company_industries(workspace) == []


def test_the_inbox_queue_reads_only_unowned_open_handoffs(workspace: Workspace) -> None:
    """The queue (open, no owner) is a few rows among a workspace's many handoffs: its index
    leads with the owner and status, not with the time (which would read them all). PostgreSQL
    chooses by its statistics, which a test's empty tables do not have: checked on SQLite."""
    queryset = LISTS["inbox queue"](workspace)[:200]
    assert plan_sorts(queryset) is None
    if connection.vendor == "sqlite":
        assert "handoff_ws_owner_status_time" in queryset.explain()


def test_an_owners_recent_decisions_are_read_from_their_own_index(workspace: Workspace) -> None:
    """Not from the index of every decision by time, which for someone with none (an admin,
    a new rep) means reading all of the workspace's decisions to find there are none."""
    queryset = LISTS["inbox, recently decided"](workspace)[:10]
    if connection.vendor == "sqlite":
        assert "handoff_ws_owner_decided" in queryset.explain()


def test_stage_counts_of_named_stages_read_a_range_per_stage(workspace: Workspace) -> None:
    """Home's entries into each stage: only the named stages, each the same count as when
    the whole ledger is grouped, read as one index range per stage."""
    for stage in ["lead", "lead", "mql", "customer"]:
        ContactFactory(workspace=workspace, lifecycle_stage=stage)
    now = timezone.now()
    after, before = now - dt.timedelta(days=1), now + dt.timedelta(seconds=1)
    every = ledger_stage_counts(workspace, after, before)
    assert every == {"lead": 2, "mql": 1, "customer": 1}
    assert ledger_stage_counts(workspace, after, before, ["lead", "mql", "sal"]) == {
        "lead": 2,
        "mql": 1,
    }
    if connection.vendor == "sqlite":
        entries = LedgerEntry.objects.for_workspace(workspace).filter(
            to_stage__in=["lead", "mql"], occurred_at__gte=after, occurred_at__lt=before
        )
        assert "to_stage=? AND occurred_at>?" in entries.values("to_stage").explain()


def test_a_periods_outcomes_are_read_from_the_index_alone(workspace: Workspace) -> None:
    """The acceptance rate and rejection reasons without a breakdown (the dashboard's) count a
    period's handoffs by status and reason: read from one index, no table rows and no join to
    the contacts. Checked on SQLite, as the queue above."""
    now = timezone.now()
    counts = disposition_counts(workspace, "none", now - dt.timedelta(days=90), now)
    assert list(counts) == []
    if connection.vendor == "sqlite":
        plan = counts.explain()
        assert "COVERING INDEX handoff_ws_assigned_outcome" in plan, plan
