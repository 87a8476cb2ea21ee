"""The recognition catch-up (`accord attribution recognise`) killed with SIGKILL after some won
deals were recognised: run again, it recognises only the rest, and the end state equals a clean
run's: every won deal has exactly one recognition, each with the credit an uninterrupted run
gives, no feed entry twice and no `deal.recognised` event (a catch-up is not news)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accord.attribution.models import Recognition
from accord.attribution.selectors import recognition_feed
from accord.attribution.services import recognise_missing
from accord.core import events
from accord.crm.models import Contact, Deal
from accord.crm.selectors import pipeline_stages
from accord.identity.models import Workspace
from accord.integrations.models import WebhookDelivery, WebhookSubscription
from accord.marketing.models import Campaign, Touchpoint
from tests.faults.support import kill_when, needs_a_shared_database, python

DEALS = 300
NO_TOUCH = 10  # every tenth deal's contact has no marketing touch: recognised with its note
# (channel, touchpoint type) of the campaigns, two per marketer
CAMPAIGNS = [
    ("webinar", "webinar"),
    ("email", "email_click"),
    ("paid_search", "ad_click"),
    ("event", "event"),
    ("content", "content_download"),
    ("paid_social", "ad_click"),
]
FIELDS = (
    "deal_id", "won_at", "model", "amount", "currency", "sales_owner_id", "marketing_credit",
    "campaigns", "marketers", "channels", "note",
)  # fmt: skip


def _won_deals(workspace: Workspace, member_factory: Any) -> None:
    """DEALS won deals of the last 60 days, one seller, each with its primary contact's touches
    on one to four of six campaigns (three marketers own two each) and a direct visit."""
    marketers = [
        member_factory("marketer", email=f"{name}@acme.example").user
        for name in ("maya", "leo", "kim")
    ]
    seller = member_factory("sales_rep", email="sam@acme.example").user
    campaigns = [
        Campaign.objects.create(
            workspace=workspace, name=f"Campaign {i}", channel=channel, currency="USD",
            owner=marketers[i // 2],
        )
        for i, (channel, _type) in enumerate(CAMPAIGNS)
    ]  # fmt: skip
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(workspace=workspace, email=f"buyer{i}@firm{i}.example", lifecycle_stage="customer",
                created_at=now - dt.timedelta(days=150))
        for i in range(DEALS)
    )  # fmt: skip
    contacts = list(
        Contact.objects.for_workspace(workspace).order_by("pk").values_list("pk", flat=True)
    )
    stages = {s.key: s for s in pipeline_stages(workspace)}
    won = stages["closed_won"]
    Deal.objects.bulk_create(
        Deal(workspace=workspace, name=f"Deal {i}", pipeline=won.pipeline, stage=won,
             status="won", amount=1000 + 7 * i, currency="USD", owner=seller,
             primary_contact_id=contact, created_at=now - dt.timedelta(days=100 - i % 30),
             closed_at=now - dt.timedelta(days=i % 60, minutes=i))
        for i, contact in enumerate(contacts)
    )  # fmt: skip
    touches = []
    for i, contact in enumerate(contacts):
        if i % NO_TOUCH == 0:
            continue
        for k in range(1 + i % 4):
            campaign = campaigns[(i + k) % len(campaigns)]
            touches.append(
                Touchpoint(workspace=workspace, contact_id=contact, campaign=campaign,
                           channel=campaign.channel, type=CAMPAIGNS[(i + k) % len(CAMPAIGNS)][1],
                           occurred_at=now - dt.timedelta(days=140 - 20 * k, hours=i % 24))
            )  # fmt: skip
        touches.append(
            Touchpoint(workspace=workspace, contact_id=contact, channel="direct",
                       type="web_visit", occurred_at=now - dt.timedelta(days=70, hours=i % 24))
        )  # fmt: skip
    Touchpoint.objects.bulk_create(touches)


def _recognitions(workspace: Workspace) -> dict[int, tuple[Any, ...]]:
    rows = Recognition.objects.for_workspace(workspace).values_list(*FIELDS)
    return {row[0]: row for row in rows}


@pytest.mark.django_db(transaction=True)
def test_a_killed_recognition_run_resumes_with_nothing_lost_or_duplicated(
    workspace: Workspace, member_factory: Any
) -> None:
    needs_a_shared_database()
    _won_deals(workspace, member_factory)
    hook = WebhookSubscription.objects.create(
        workspace=workspace, url="https://hooks.acme.example/won", events=["deal.recognised"],
        salt="fault-test",
    )  # fmt: skip
    process = python(
        "from django.core.management import call_command\n"
        "call_command('attribution', 'recognise', '--workspace', 'acme', '--days', '90')\n"
    )

    def partial() -> bool:
        return DEALS // 3 <= Recognition.objects.for_workspace(workspace).count() < DEALS

    kill_when(process, partial)
    survived = {
        deal: (pk, updated)
        for deal, pk, updated in Recognition.objects.for_workspace(workspace).values_list(
            "deal_id", "pk", "updated_at"
        )
    }
    assert DEALS // 3 <= len(survived) < DEALS  # each deal is recognised in its own transaction

    # Run again, as after a crash: only the deals without a recognition are recognised.
    sent: list[events.Event] = []
    events.subscribe(sent.append)
    try:
        out = io.StringIO()
        call_command("attribution", "recognise", "--workspace", "acme", "--days", "90", stdout=out)
    finally:
        events._subscribers.remove(sent.append)
    assert out.getvalue() == (
        f"Recognised {DEALS - len(survived)} won deal(s) of the last 90 days.\n"
    )
    resumed = _recognitions(workspace)
    won = set(
        Deal.objects.for_workspace(workspace).filter(status="won").values_list("pk", flat=True)
    )
    assert set(resumed) == won and len(won) == DEALS
    twice = (
        Recognition.objects.for_workspace(workspace)
        .values("deal_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    # The killed run's recognitions were left as they were, not rewritten.
    kept = Recognition.objects.for_workspace(workspace).filter(deal_id__in=list(survived))
    assert {d: (pk, u) for d, pk, u in kept.values_list("deal_id", "pk", "updated_at")} == survived
    # The feed lists each won deal once; nobody was told of a catch-up.
    feed = [entry.deal_id for entry in recognition_feed(workspace)]
    assert sorted(feed) == sorted(won)
    assert [e.name for e in sent] == []
    assert not WebhookDelivery.objects.for_workspace(workspace).filter(subscription=hook).exists()

    # Every touch is marketing's: a touched deal credits marketing its whole amount, over the
    # campaigns of its touches; a deal without a touch is kept with its note.
    names = dict(Deal.objects.for_workspace(workspace).values_list("pk", "name"))
    for deal, row in resumed.items():
        i = int(names[deal].removeprefix("Deal "))
        touched = i % NO_TOUCH != 0
        assert row[6] == (row[3] if touched else 0), names[deal]
        assert len(row[7]) == (min(1 + i % 4, len(CAMPAIGNS)) if touched else 0), names[deal]
        assert row[10] == ("" if touched else "No marketing touch in the look-back window.")
    # And the credit is what a run never interrupted gives.
    Recognition.objects.for_workspace(workspace).delete()
    clean = dt.timedelta(days=90)
    assert recognise_missing(workspace, since=timezone.now() - clean) == DEALS
    assert _recognitions(workspace) == resumed
