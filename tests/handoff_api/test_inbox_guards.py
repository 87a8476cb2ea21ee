"""The lead inbox page: a decision sends the user back only to a page of Accord (no open
redirect), the most urgent leads come first (running clocks by due time, before clocks that
are over), and a marketing manager is offered no decisions on sales' leads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.handoff.models import Handoff, SlaState
from accord.identity.models import Membership
from tests.handoff_api.conftest import Floor

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(membership: Membership) -> Client:
    browser = Client()
    browser.force_login(membership.user)
    return browser


@pytest.fixture
def routed(floor: Floor) -> Floor:
    from accord.handoff.tests.factories import activate_sla

    activate_sla(floor.floor)
    floor.route_to_rep()
    return floor


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/phish", "http:evil.example", "/\\evil.example"],
)
def test_a_decision_never_redirects_off_site(routed: Floor, target: str) -> None:
    lead = routed.lead("ada@example.org")
    response = signed_in(routed.floor.sellers[0]).post(
        reverse("web:handoff_decide", args=[lead.pk, "accept"]), {"next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:handoffs")


def test_a_decision_returns_to_a_page_of_ours(routed: Floor) -> None:
    lead = routed.lead("ada@example.org")
    back = reverse("web:contact", args=[lead.contact_id])
    response = signed_in(routed.floor.sellers[0]).post(
        reverse("web:handoff_decide", args=[lead.pk, "accept"]), {"next": back}
    )
    assert (response.status_code, response["Location"]) == (302, back)


def test_running_clocks_come_first_by_due_time(routed: Floor) -> None:
    now = timezone.now()
    met, soon, later, breached = (
        routed.lead(f"{name}@example.org") for name in ("met", "soon", "later", "breached")
    )
    scoped = Handoff.objects.for_workspace(routed.workspace)
    yesterday = now - dt.timedelta(days=1)
    scoped.filter(pk=met.pk).update(sla_state=SlaState.MET, first_touch_due_at=yesterday)
    scoped.filter(pk=soon.pk).update(first_touch_due_at=now + dt.timedelta(hours=1))
    scoped.filter(pk=later.pk).update(first_touch_due_at=now + dt.timedelta(hours=3))
    scoped.filter(pk=breached.pk).update(
        sla_state=SlaState.BREACHED, first_touch_due_at=now - dt.timedelta(hours=2)
    )
    response = signed_in(routed.floor.sellers[0]).get(reverse("web:handoffs"))
    assert [h.pk for h in response.context["mine"]] == [soon.pk, later.pk, breached.pk, met.pk]


def test_the_marketing_manager_is_offered_no_decisions(routed: Floor) -> None:
    routed.lead("ada@example.org")
    page = signed_in(routed.floor.marketing_manager).get(reverse("web:handoffs"), {"view": "team"})
    assert page.status_code == 200
    assert page.context["can_work"] is False
    sales = signed_in(routed.floor.sales_manager).get(reverse("web:handoffs"), {"view": "team"})
    assert sales.context["can_work"] is True
