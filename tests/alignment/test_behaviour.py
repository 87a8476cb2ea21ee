"""The behavioural alignment index on a small hand-built history: two sellers and two marketers
over two weeks (2 to 16 March 2026) and the two weeks before, with activities, decided and
rejected leads, reviews and disputes, open and won deals, recognitions, and a meeting cadence
with its meetings and action items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from accord.alignment import behaviour, services
from accord.alignment.behaviour import behaviour_index
from accord.alignment.presentation import index_document
from accord.attribution.models import Recognition
from accord.crm.models import Activity, Deal, DealOutcome, DealStageChange
from accord.crm.selectors import pipeline_stages
from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import Dispute, Handoff, HandoffStatus
from accord.identity.models import Workspace
from accord.identity.tests.factories import MembershipFactory, UserFactory
from accord.meetings import services as meetings
from tests.alignment.conftest import Floor, as_actor

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # a Monday
END = START + dt.timedelta(days=14)
BEFORE = START - dt.timedelta(days=14)


def at(days: float) -> dt.datetime:
    return START + dt.timedelta(days=days)


@dataclass
class History:
    floor: Floor
    rejected: list[Handoff]


def _activity(ws: Workspace, when: dt.datetime, user: object = None, **links: object) -> None:
    contact = links.pop("contact", None) or ContactFactory(workspace=ws)
    Activity.objects.create(workspace=ws, kind="call", user=user, contact=contact,
                            occurred_at=when, **links)  # fmt: skip


def _deal(ws: Workspace, name: str, created: dt.datetime, status: str = DealOutcome.OPEN,
          closed: dt.datetime | None = None) -> Deal:  # fmt: skip
    stages = {s.key: s for s in pipeline_stages(ws)}
    stage = stages["closed_won" if status == DealOutcome.WON else "proposal"]
    deal = Deal.objects.create(
        workspace=ws, name=name, pipeline=stage.pipeline, stage=stage, status=status,
        amount=Decimal("1000"), currency="USD", primary_contact=ContactFactory(workspace=ws),
        created_at=created, closed_at=closed,
    )  # fmt: skip
    changes = [(None, stages["proposal"], created)]
    if status == DealOutcome.WON:
        changes.append((stages["proposal"], stage, closed or created))
    for before, after, when in changes:
        DealStageChange.objects.create(workspace=ws, deal=deal, from_stage=before,
                                       to_stage=after, amount=deal.amount, occurred_at=when,
                                       source="test")  # fmt: skip
    return deal


def _rejected(ws: Workspace, decided: dt.datetime, by: object = None) -> Handoff:
    return Handoff.objects.create(
        workspace=ws, contact=ContactFactory(workspace=ws), chosen_by="test",
        assigned_at=decided - dt.timedelta(hours=2), status=HandoffStatus.REJECTED,
        decided_at=decided, decided_by=by,
    )  # fmt: skip


def _recognise(deal: Deal, credit: str, campaigns: bool) -> None:
    Recognition.objects.create(
        workspace_id=deal.workspace_id, deal=deal, won_at=deal.closed_at, model="linear",
        amount=deal.amount, currency="USD", marketing_credit=Decimal(credit),
        campaigns=[{"campaign_id": 1, "name": "Webinar", "credit": credit}] if campaigns else [],
    )  # fmt: skip


@pytest.fixture
def history(make_floor: Callable[..., Floor], other_workspace: Workspace) -> History:
    floor = make_floor(sales=2, marketing=2)
    ws = floor.workspace
    s0, s1 = (m.user for m in floor.sales)
    m0, _ = (m.user for m in floor.marketing)
    # CRM adoption. Week 1: both sellers (s1 by deciding leads), both marketers (m0 by an
    # activity and a dispute, m1 by reviewing a rejection); week 2: s0 alone.
    _activity(ws, at(1), s0)
    _activity(ws, at(2), s0)
    _activity(ws, at(3), m0)
    _activity(ws, at(9), s0)
    _activity(ws, at(9), floor.manager.user)  # not in either team
    _activity(ws, at(14), m0)  # the period's end is excluded
    _activity(ws, at(-3), s0)  # the period before: week 2 of it
    # Feedback: four leads rejected in the period, all decided by s1 in week 1.
    rejected = [_rejected(ws, at(1) + dt.timedelta(hours=h), s1) for h in (0, 1, 2, 3)]
    services.rejection_review(actor=as_actor(floor.marketing[0]), handoff_id=rejected[0].pk,
                              now=rejected[0].decided_at + dt.timedelta(hours=10))  # fmt: skip
    services.rejection_review(actor=as_actor(floor.marketing[1]), handoff_id=rejected[1].pk,
                              now=rejected[1].decided_at + dt.timedelta(hours=100))  # fmt: skip
    Dispute.objects.create(workspace=ws, handoff=rejected[2], raised_by=m0, comment="fits",
                           created_at=rejected[2].decided_at + dt.timedelta(hours=20))  # fmt: skip
    _rejected(ws, at(-2))  # the period before: one rejection, never reviewed
    # Fresh records: three open deals; the fourth opens after the period.
    fresh = _deal(ws, "Fresh by deal", at(-20))
    by_contact = _deal(ws, "Fresh by contact", at(-20))
    stale = _deal(ws, "Stale", at(-20))
    _activity(ws, at(5), deal=fresh)
    _activity(ws, at(6), contact=by_contact.primary_contact)
    _activity(ws, END - dt.timedelta(days=40), deal=stale)
    _deal(ws, "Later", at(15))
    # Won after the period, so open (and untouched) at its end: today's status does not count.
    _deal(ws, "Won later", at(-20), DealOutcome.WON, at(20))
    # Recognition: four deals won in the period, one credits marketing.
    won = [_deal(ws, f"Won {i}", at(-5), DealOutcome.WON, at(3 + i)) for i in range(4)]
    _recognise(won[0], "400.00", campaigns=True)
    _recognise(won[1], "0.00", campaigns=False)
    _recognise(won[2], "0.00", campaigns=True)
    # Another workspace's records count nowhere here.
    stranger = MembershipFactory(workspace=other_workspace, role="sales_rep",
                                 user=UserFactory(email="x@other.example"))  # fmt: skip
    _activity(other_workspace, at(1), stranger.user)
    _rejected(other_workspace, at(1))
    _deal(other_workspace, "Theirs", at(-20))
    return History(floor, rejected)


def _ws(history: History) -> int:
    return history.floor.workspace.pk


def test_crm_adoption_averages_each_teams_weekly_share(history: History) -> None:
    now = behaviour.crm_adoption(_ws(history), START, END)
    assert now.parts == {"marketing": 50.0, "sales": 75.0}  # (100 + 0) / 2 and (100 + 50) / 2
    assert now.score == 62.5
    assert now.detail == "marketing: 50 % of 2 people a week; sales: 75 % of 2 people a week"
    before = behaviour.crm_adoption(_ws(history), BEFORE, START)
    assert before.parts == {"marketing": 0.0, "sales": 25.0}
    assert before.score == 12.5


def test_fresh_records_is_the_share_of_open_deals_touched_in_30_days(history: History) -> None:
    now = behaviour.fresh_records(_ws(history), END)
    assert now.score == 50.0
    assert now.detail == "2 of 4 open deals stale"
    # At the period's start only the stale deal's old activity was recent; the four won in
    # the period were open then too.
    before = behaviour.fresh_records(_ws(history), START)
    assert (before.score, before.detail) == (12.5, "7 of 8 open deals stale")


def test_feedback_latency_counts_reviews_and_disputes_within_72_hours(history: History) -> None:
    now = behaviour.feedback_latency(_ws(history), START, END)
    assert now.score == 50.0  # 10 h and the 20 h dispute, not the 100 h review nor the silence
    assert now.detail == "2 of 4 rejections reviewed within 72 h; median 20 h to review"
    before = behaviour.feedback_latency(_ws(history), BEFORE, START)
    assert (before.score, before.detail) == (0.0, "0 of 1 rejections reviewed within 72 h")


def test_recognition_is_the_share_of_wins_crediting_marketing(history: History) -> None:
    now = behaviour.recognition(_ws(history), START, END)
    # Three of the four wins are recognised; the fourth is not held against marketing.
    assert now.score == pytest.approx(100 / 3)
    assert now.detail == "1 of 3 recognised wins; 1 not recognised yet"


def test_wins_without_any_recognition_are_not_scored(history: History) -> None:
    before = behaviour.recognition(_ws(history), BEFORE, START)
    assert (before.score, before.detail) == (None, "no deal won in the period")
    Recognition.objects.filter(workspace_id=_ws(history)).delete()
    now = behaviour.recognition(_ws(history), START, END)
    assert (now.score, now.detail) == (None, "none of 4 won deals recognised yet")


def test_nothing_to_measure_is_none_not_zero(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    ws = floor.workspace.pk
    assert behaviour.crm_adoption(ws, START, END).detail == "nobody is in a sales or marketing team"
    for component, detail in (
        (behaviour.crm_adoption(ws, START, END), "nobody is in a sales or marketing team"),
        (behaviour.fresh_records(ws, END), "no open deals"),
        (behaviour.feedback_latency(ws, START, END), "no leads rejected in the period"),
        (behaviour.goal_attainment(ws, START, END), "no shared goal in the period"),
        (behaviour.cadence(ws, START, END), "no meeting cadence agreed"),
        (behaviour.action_items(ws, START, END), "no action item due in the period"),
        (behaviour.recognition(ws, START, END), "no deal won in the period"),
    ):
        assert (component.score, component.detail) == (None, detail)
    index = behaviour_index(ws, START, END)
    assert [c.spec.key for c in index.components if c.score is not None] == []
    assert (index.score, index.weakest) == (None, None)


def test_the_index_is_the_weighted_mean_of_scored_components(history: History) -> None:
    ws = _ws(history)
    index = behaviour_index(ws, START, END)
    assert index.weighting_version == 0
    by_key = {c.spec.key: c for c in index.components}
    assert list(by_key) == [
        "crm_adoption", "fresh_records", "sla_sales", "sla_marketing", "acceptance",
        "feedback_latency", "goal_attainment", "meeting_cadence", "action_items", "recognition",
    ]  # fmt: skip
    for key in ("goal_attainment", "meeting_cadence", "action_items"):
        assert by_key[key].score is None
    assert by_key["acceptance"].score == 0.0  # four decided, none accepted
    scored = [c.score for c in index.components if c.score is not None]
    assert index.score == pytest.approx(sum(scored) / len(scored))
    # previous: each component's score over the two weeks before
    assert by_key["crm_adoption"].previous == 12.5
    assert by_key["crm_adoption"].change == 50.0
    assert by_key["fresh_records"].previous == 12.5
    assert by_key["feedback_latency"].previous == 0.0
    assert (by_key["recognition"].previous, by_key["recognition"].change) == (None, None)
    # A new weighting: only three components count, one of them with nothing to measure.
    weights = dict.fromkeys(by_key, 0) | {"crm_adoption": 1, "fresh_records": 3,
                                          "goal_attainment": 5}  # fmt: skip
    services.weighting_update(actor=history.floor.run, weights=weights)
    weighted = behaviour_index(ws, START, END)
    assert weighted.weighting_version == 1
    assert weighted.score == pytest.approx((1 * 62.5 + 3 * 50) / 4)  # 53.125
    assert weighted.weakest is not None and weighted.weakest.spec.key == "fresh_records"
    document = index_document(weighted)
    assert (document["score"], document["weighting_version"]) == (53.1, 1)
    crm = document["components"][0]
    assert (crm["score"], crm["previous"], crm["change"], crm["weight"]) == (62.5, 12.5, 50.0, 1.0)
    assert crm["parts"] == {"marketing": 50.0, "sales": 75.0}


def test_meeting_cadence_and_action_items_come_from_the_meetings(history: History) -> None:
    floor = history.floor
    ws = _ws(history)
    boss = as_actor(floor.manager)
    meetings.cadence_set(actor=boss, values={"local_time": "10:00", "weekday": "monday",
                                             "starts_on": "2026-02-02"})  # fmt: skip
    first = meetings.meeting_schedule(actor=boss, values={"scheduled_at": "2026-03-02T10:00:00Z"},
                                      now=at(-1))  # fmt: skip
    meetings.meeting_hold(actor=boss, meeting_id=first.pk, held_at=at(0) + dt.timedelta(hours=11),
                          schedule_next=False)  # fmt: skip
    cadence = behaviour.cadence(ws, START, END)
    assert (cadence.score, cadence.detail) == (50.0, "1 held of 2 expected")
    rep = as_actor(floor.sales[0])
    items = [
        meetings.action_add(
            actor=rep,
            values={"title": f"Item {i}", "owner_id": floor.sales[0].user_id, "due_on": due},
        )
        for i, due in enumerate(("2026-03-05", "2026-03-06", "2026-03-10", "2026-03-20"))
    ]
    meetings.action_complete(actor=rep, item_id=items[0].pk, at=at(2))  # on time
    meetings.action_complete(actor=rep, item_id=items[1].pk, at=at(7))  # late
    done = behaviour.action_items(ws, START, END)  # items[2] open and overdue; [3] due later
    assert done.score == pytest.approx(100 / 3)
    assert done.detail == "1 of 3 done on time; 1 late, 1 open and overdue"


def test_marketings_sla_weighs_every_target_period_in_the_window(workspace: Workspace) -> None:
    """Each month's MQLs against its target (March, in progress, against what is expected by
    now), capped at 100 %, weighted by its days in the window: February's surplus does not make
    up January's shortfall, and January counts for its 16 days in the window only."""
    import time_machine

    from accord.crm.models import LedgerEntry
    from accord.handoff.tests.factories import activate_sla, sales_floor, sla_document

    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(marketing={"targets": [{"mqls": 10, "period": "month"}]}),
                 in_force_since=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))  # fmt: skip
    for day, count in ((dt.date(2026, 1, 20), 4), (dt.date(2026, 2, 10), 15),
                       (dt.date(2026, 3, 5), 2)):  # fmt: skip
        for _ in range(count):
            LedgerEntry.objects.create(
                workspace=workspace, contact=ContactFactory(workspace=workspace),
                from_stage="lead", to_stage="mql", source="system", reason="test",
                occurred_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
            )  # fmt: skip
    end = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)
    with time_machine.travel(end, tick=False):
        component = behaviour.marketing_volume(
            workspace.pk, dt.datetime(2026, 1, 16, tzinfo=dt.UTC), end
        )
    march_due = 10 * 15 / 31
    weights = (16 / 31, 1.0, 15 / 31)
    attainments = (0.4, 1.0, 2 / march_due)
    expected = 100 * sum(w * a for w, a in zip(weights, attainments, strict=True)) / sum(weights)
    assert component.score == pytest.approx(expected)  # 67.4
    assert component.detail == (
        "MQLs against target: 2026-01 4 of 10; 2026-02 15 of 10; 2026-03 2 of 5 so far"
    )
    # A window that ends before March began judges January and February alone.
    before = behaviour.marketing_volume(
        workspace.pk, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    )
    assert before.score == pytest.approx(70.0)  # (40 % + 100 %) / 2, each month whole
