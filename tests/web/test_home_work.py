"""The home page's "Waiting for you": each member sees their own open leads (and those past the
first-touch deadline), the fallback queue if they work leads, their unread alerts, versions
waiting for their side's approval and their open action items; each line links to its page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.definitions import services as definitions
from accord.definitions.tests.factories import sample_document
from accord.handoff import agreements, routing_settings
from accord.handoff.clocks import sweep_workspace
from accord.handoff.tests.factories import (
    SalesFloor,
    activate_sla,
    make_mql,
    sales_floor,
    sla_document,
)
from accord.identity.models import Membership, Workspace
from accord.meetings import services as meetings

pytestmark = pytest.mark.django_db(transaction=True)

Login = Callable[[Membership], Client]


def work(login: Login, membership: Membership) -> dict[str, tuple[int, int]]:
    response = login(membership).get(reverse("web:home"))
    assert response.status_code == 200
    return {item.key: (item.count, item.urgent) for item in response.context["work"]}


def route_to(floor: SalesFloor, seller: Membership) -> None:
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "First rep", "conditions": [], "user_id": seller.user_id},
    )


def test_a_rep_sees_their_open_leads_and_those_past_the_deadline(
    workspace: Workspace, login: Login
) -> None:
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)  # first touch within 4 hours, always open
    route_to(floor, floor.sellers[0])
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False):
        make_mql(floor, "yesterday@example.org")
    make_mql(floor, "today@example.org")
    assert work(login, floor.sellers[0]) == {"my-leads": (2, 1)}
    body = login(floor.sellers[0]).get(reverse("web:home")).content.decode()
    assert f'href="{reverse("web:handoffs")}"' in body
    assert "past the first-touch deadline" in body
    assert work(login, floor.sellers[1]) == {}  # another rep's leads are not theirs

    sweep_workspace(workspace.pk)  # the late one is breached: its owner is alerted
    assert work(login, floor.sellers[0]) == {"my-leads": (2, 1), "alerts": (1, 0)}


def test_leads_without_an_owner_show_to_those_who_work_leads(
    workspace: Workspace, login: Login
) -> None:
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)  # no routing rule: new MQLs wait in the fallback queue
    make_mql(floor, "nobody@example.org")
    assert work(login, floor.sellers[0])["queue"] == (1, 0)
    assert "queue" not in work(login, floor.marketer)  # marketing does not work leads


def test_a_proposed_version_waits_for_each_side_until_it_approves(
    workspace: Workspace, login: Login
) -> None:
    floor = sales_floor(workspace, sellers=1)
    author = floor.actor(floor.marketing_manager)
    draft = definitions.definition_create_draft(actor=author, document=sample_document())
    assert "approve-lead" not in work(login, floor.sales_manager)  # a draft asks nobody
    definitions.definition_propose(actor=author, definition_id=draft.pk)
    assert work(login, floor.sales_manager)["approve-lead"] == (1, 0)
    assert work(login, floor.marketing_manager)["approve-lead"] == (1, 0)
    assert "approve-lead" not in work(login, floor.sellers[0])  # only managers approve

    definitions.definition_approve(actor=author, definition_id=draft.pk)
    assert "approve-lead" not in work(login, floor.marketing_manager)
    assert work(login, floor.sales_manager)["approve-lead"] == (1, 0)
    body = login(floor.sales_manager).get(reverse("web:home")).content.decode()
    assert "lead definition v1 waiting for the sales team&#x27;s approval" in body
    assert f'href="{reverse("web:definition", args=[draft.pk])}"' in body


def test_a_proposed_sla_agreement_waits_for_both_managers(
    workspace: Workspace, login: Login
) -> None:
    floor = sales_floor(workspace, sellers=1)
    author = floor.actor(floor.sales_manager)
    draft = agreements.sla_create_draft(actor=author, document=sla_document())
    agreements.sla_propose(actor=author, agreement_id=draft.pk)
    for manager in (floor.sales_manager, floor.marketing_manager):
        assert work(login, manager)["approve-sla"] == (1, 0)
    agreements.sla_approve(actor=floor.actor(floor.marketing_manager), agreement_id=draft.pk)
    assert "approve-sla" not in work(login, floor.marketing_manager)
    body = login(floor.sales_manager).get(reverse("web:home")).content.decode()
    assert f'href="{reverse("web:agreement", args=[draft.pk])}"' in body


def test_open_action_items_and_the_overdue_ones(workspace: Workspace, login: Login) -> None:
    floor = sales_floor(workspace, sellers=1)
    owner = floor.marketer
    actor = floor.actor(floor.marketing_manager)
    today = timezone.localdate()
    for title, due in (("Fix the form", today - dt.timedelta(days=2)),
                       ("Review the list", today + dt.timedelta(days=5)),
                       ("Done already", today - dt.timedelta(days=9))):  # fmt: skip
        item = meetings.action_add(
            actor=actor, values={"title": title, "owner_id": owner.user_id, "due_on": due}
        )
    meetings.action_complete(actor=actor, item_id=item.pk)
    assert work(login, owner) == {"actions": (2, 1)}
    assert work(login, floor.marketing_manager) == {}


def test_nothing_waiting_says_so(admin_client: Client) -> None:
    response = admin_client.get(reverse("web:home"))
    assert response.context["work"] == []
    assert "Nothing is waiting for you" in response.content.decode()
