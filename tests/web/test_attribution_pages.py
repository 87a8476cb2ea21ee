"""The attribution pages: the report per channel, campaign and content (one model or all side
by side), the workspace's model (only managers and admins change it; bad input saves nothing),
the recognition feed, and the dashboard's panel — every member reads, names are escaped."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.attribution.models import AttributionSettings
from accord.attribution.services import recognise, settings_for
from accord.crm.selectors import pipeline_stages
from accord.crm.services import contacts, deals
from accord.identity.actor import Actor
from accord.identity.models import Membership, Workspace
from accord.marketing.models import Campaign, Touchpoint

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def won(workspace: Workspace, actor: Actor, member_factory: Any) -> dict[str, Any]:
    """A deal won yesterday after a touch of a campaign named with a script tag."""
    maya = member_factory("marketer", email="maya@acme.example")
    now = timezone.now()
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=f"Launch {XSS}",
        channel="webinar",
        currency="USD",
        owner=maya.user,
    )
    ana = contacts.contact_create(actor=actor, values={"email": "ana@x.example"}).pk
    Touchpoint.objects.create(
        workspace=workspace,
        contact_id=ana,
        channel="webinar",
        campaign=campaign,
        utm_content=XSS,
        type="webinar",
        occurred_at=now - dt.timedelta(days=5),
    )
    stage = {s.key: s for s in pipeline_stages(workspace)}["closed_won"]
    deal = deals.deal_create(
        actor=actor,
        values={
            "name": f"Deal {XSS}",
            "amount": "2500.00",
            "stage_id": stage.pk,
            "primary_contact_id": ana,
            "owner_id": actor.user.pk if actor.user else None,
            "created_at": now - dt.timedelta(days=3),
            "closed_at": now - dt.timedelta(days=1),
        },
    )
    recognise(workspace, deal.pk)
    return {"deal": deal, "campaign": campaign, "maya": maya}


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("role", ["viewer", "marketer", "sales_rep", "manager"])
def test_every_member_reads_the_pages(
    role: str, won: dict[str, Any], login: Any, member_factory: Any
) -> None:
    client = login(member_factory(role))
    for url in (
        "/attribution/",
        "/attribution/?model=all&by=campaign",
        "/attribution/?by=content&milestone=opportunity&level=account&days=30",
        "/attribution/recognition/",
        "/attribution/panel/",
        "/dashboard/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert XSS not in body, url
        if "by=campaign" in url or "content" in url or "recognition" in url or "panel" in url:
            assert "&lt;script&gt;" in body, url
    body = text(client.get("/attribution/"))
    assert "$2,500" in body and "Webinar" in body and 'id="credit-chart"' in body
    assert ('id="read-only"' in body) == (role != "manager")
    feed = text(client.get("/attribution/recognition/"))
    assert won["maya"].user.display_name in feed and f"/deals/{won['deal'].pk}/" in feed
    deal = text(client.get(f"/deals/{won['deal'].pk}/"))
    assert "Marketing's part" in deal and "first touch" in deal and "$2,500" in deal
    dashboard = text(client.get("/dashboard/"))
    assert 'id="attribution-panel" hx-get="/attribution/panel/?start=' in dashboard
    panel = text(client.get("/attribution/panel/"))  # the dashboard fetches it once shown
    assert 'id="attribution-chart"' in panel and won["maya"].user.display_name in panel
    assert "$2,500" in panel
    # Days as the dashboard gives them; nonsense falls back, a reversed range is turned round.
    for query in ("?start=2026-01-01&end=not-a-day", "?start=2999-01-01&end=2000-01-01"):
        assert client.get(f"/attribution/panel/{query}").status_code == 200


def test_nonsense_filters_fall_back_to_the_defaults(
    won: dict[str, Any], admin_client: Client
) -> None:
    body = text(admin_client.get("/attribution/?model=nope&by=x&milestone=y&level=z&days=-4"))
    assert "W-shaped (30/30/30 + 10) · by channel" in body and "of the last 365 days" in body


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_only_managers_and_admins_change_the_model(
    workspace: Workspace, member_factory: Any, admin: Membership
) -> None:
    for role in ("marketer", "sales_rep", "viewer"):
        page = signed_in(member_factory(role)).post("/attribution/settings/", {"model": "linear"})
        assert page.status_code == 403, role
    admin_client = signed_in(admin)
    assert not AttributionSettings.objects.for_workspace(workspace).exists()
    bad = admin_client.post(
        "/attribution/settings/", {"model": "linear", "lookback_days": "0", "half_life_days": "abc"}
    )
    assert bad.status_code == 400
    body = text(bad)
    assert "Nothing was saved." in body and "lookback_days" in body and "half_life_days" in body
    assert not AttributionSettings.objects.for_workspace(workspace).exists()
    manager = signed_in(member_factory("manager"))
    saved = manager.post(
        "/attribution/settings/",
        {
            "model": "time_decay",
            "lookback_days": "90",
            "half_life_days": "14",
            "include_activities": "on",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/attribution/#settings"
    chosen = settings_for(workspace)
    assert (
        chosen.model,
        chosen.lookback_days,
        chosen.half_life_days,
        chosen.include_activities,
    ) == ("time_decay", 90, 14.0, True)
    body = text(manager.get("/attribution/"))
    assert "halves every 14 days" in body


def test_the_settings_form_needs_its_csrf_token(workspace: Workspace, admin: Membership) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    assert client.post("/attribution/settings/", {"model": "linear"}).status_code == 403
    assert settings_for(workspace).pk is None


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in ("/attribution/", "/attribution/recognition/", "/attribution/panel/"):
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith("/login/"), url


def test_an_empty_workspace_says_not_enough_data(admin_client: Client) -> None:
    body = text(admin_client.get("/attribution/"))
    assert "Not enough data: no deal was won in this period." in body
    assert "No won deal recognised yet" in text(admin_client.get("/attribution/recognition/"))
