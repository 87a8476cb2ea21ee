"""The home dashboard and the selectors it reads: funnel counts come from the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.crm.models import DealOutcome, LedgerEntry
from accord.crm.selectors import (
    CurrencyTotal,
    deal_stage_history,
    deal_totals,
    ledger_stage_counts,
    pipeline_stages,
)
from accord.crm.services import deals, ledger
from accord.crm.tests.factories import ContactFactory
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from tests.web.conftest import Records


def entry(workspace: Workspace, to_stage: str, days_ago: float) -> LedgerEntry:
    contact = ContactFactory(workspace=workspace, lifecycle_stage="subscriber")
    return LedgerEntry.objects.create(
        workspace=workspace,
        contact=contact,
        from_stage="subscriber",
        to_stage=to_stage,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        source="system",
    )


def test_ledger_stage_counts_counts_transitions_in_the_window(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    for days_ago in (1, 5, 29.9):
        entry(workspace, "mql", days_ago)
    entry(workspace, "sql", 2)
    entry(workspace, "mql", 45)  # previous window
    entry(workspace, "mql", 61)  # outside both
    entry(other_workspace, "mql", 1)  # another workspace
    now = timezone.now()
    current = ledger_stage_counts(workspace, now - dt.timedelta(days=30), now)
    previous = ledger_stage_counts(
        workspace, now - dt.timedelta(days=60), now - dt.timedelta(days=30)
    )
    # ContactFactory writes each contact's initial "subscriber" row at creation (now).
    assert current == {"mql": 3, "sql": 1, "subscriber": 6}
    assert previous == {"mql": 1}


def test_a_contact_entering_a_stage_twice_counts_once(workspace: Workspace) -> None:
    first = entry(workspace, "mql", 3)
    LedgerEntry.objects.create(
        workspace=workspace, contact=first.contact, from_stage="lead", to_stage="mql",
        occurred_at=timezone.now() - dt.timedelta(days=1), source="system",
    )  # fmt: skip
    entry(workspace, "mql", 2)
    now = timezone.now()
    assert ledger_stage_counts(workspace, now - dt.timedelta(days=30), now, ["mql"]) == {"mql": 2}


def test_ledger_stage_counts_window_is_half_open(workspace: Workspace) -> None:
    e = entry(workspace, "customer", 3)
    assert (
        ledger_stage_counts(workspace, e.occurred_at, e.occurred_at + dt.timedelta(1))["customer"]
        == 1
    )
    assert "customer" not in ledger_stage_counts(
        workspace, e.occurred_at - dt.timedelta(1), e.occurred_at
    )


def test_deal_totals_per_currency(records: Records, admin: Membership) -> None:
    actor = Actor.for_membership(admin, Source.WEB)
    stages = {s.key: s for s in pipeline_stages(records.workspace)}
    deals.deal_create(actor=actor, values={"name": "B", "amount": "1000", "currency": "EUR"})
    deals.deal_create(actor=actor, values={"name": "C", "amount": "500", "currency": "USD"})
    won = deals.deal_create(
        actor=actor,
        values={
            "name": "D",
            "amount": "7000",
            "currency": "EUR",
            "stage_id": stages["closed_won"].pk,
        },
    )
    assert deal_totals(records.workspace, status=DealOutcome.OPEN) == [
        CurrencyTotal(currency="EUR", count=2, amount=Decimal("25000.00")),
        CurrencyTotal(currency="USD", count=1, amount=Decimal("500.00")),
    ]
    now = timezone.now()
    assert deal_totals(
        records.workspace,
        status=DealOutcome.WON,
        closed_after=now - dt.timedelta(days=30),
        closed_before=now + dt.timedelta(seconds=1),
    ) == [CurrencyTotal(currency="EUR", count=1, amount=Decimal("7000.00"))]
    assert won.closed_at is not None
    assert deal_totals(records.workspace, status=DealOutcome.WON, closed_before=won.closed_at) == []


def test_deal_stage_history_is_scoped_and_ordered(records: Records, other_records: Records) -> None:
    history = list(deal_stage_history(records.workspace, records.deal.pk))
    assert [c.to_stage.key for c in history] == ["qualification", "demo"]
    assert list(deal_stage_history(records.workspace, other_records.deal.pk)) == []


def test_home_dashboard_shows_ledger_funnel(
    admin_client: Client, records: Records, admin: Membership
) -> None:
    ledger.change_stage(
        actor=Actor.for_membership(admin, Source.WEB),
        contact_id=records.contact.pk,
        to_stage="sql",
        occurred_at=timezone.now() - dt.timedelta(days=40),
    )
    response = admin_client.get(reverse("web:home"))
    assert response.status_code == 200
    rows = {row.key: row for row in response.context["stage_rows"]}
    assert list(rows) == [
        "subscriber",
        "lead",
        "mql",
        "sal",
        "sql",
        "opportunity",
        "customer",
        "recycled",
        "disqualified",
    ]
    assert (rows["lead"].current, rows["mql"].current, rows["subscriber"].current) == (1, 1, 1)
    assert (rows["sql"].current, rows["sql"].previous) == (0, 1)
    assert rows["sql"].change_percent == -100
    body = response.content.decode()
    assert "Waiting for you" in body
    assert "€24,000" in body  # open pipeline
    assert [e.to_stage for e in response.context["recent_changes"]][:2] == ["subscriber", "mql"]


def test_home_dashboard_for_an_empty_workspace(admin_client: Client) -> None:
    response = admin_client.get(reverse("web:home"))
    assert response.status_code == 200
    assert all(row.current == 0 for row in response.context["stage_rows"])
    body = response.content.decode()
    assert "No open deals." in body
    assert "No lifecycle changes yet." in body
