"""The scorecard: survey and behaviour side by side per area, weakest first; a weak area (under
60) and the weakest component's area get the articles' practices; perception gaps listed only
when the teams see an item differently beyond chance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from accord.alignment import services
from accord.alignment.practices import PRACTICES
from accord.alignment.presentation import scorecard_document
from accord.alignment.scorecard import WEAK_BELOW, scorecard
from accord.crm.models import Activity
from accord.crm.tests.factories import ContactFactory
from tests.alignment.conftest import OPENED, THREE_ITEMS, Floor, as_actor

pytestmark = pytest.mark.django_db
END = OPENED + dt.timedelta(days=20)

# q1 (trust): sellers 90, marketers 10, a clear gap; q2 (shared_time, reverse): both 90, no
# gap; q3 (shared_metrics, yes/no): both 80, no gap.
SALES = [(5, 1, 1), (5, 1, 1), (4, 2, 1), (5, 1, 0), (4, 2, 1)]
MARKETING = [(1, 2, 1), (2, 1, 0), (1, 1, 1), (1, 2, 1), (2, 1, 1)]


def test_the_scorecard_orders_areas_and_suggests_practices(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor(sales=5, marketing=5)
    ws = floor.workspace
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    for members, answers in ((floor.sales, SALES), (floor.marketing, MARKETING)):
        for who, (q1, q2, q3) in zip(members, answers, strict=True):
            services.response_submit(actor=as_actor(who), pulse_id=pulse.pk, now=OPENED,
                                     answers={"q1": q1, "q2": q2, "q3": q3})  # fmt: skip
    # Every member of both teams logs an activity in the week: CRM adoption is 100, the only
    # behavioural component with something to measure, and so the weakest.
    for who in floor.sales + floor.marketing:
        Activity.objects.create(workspace=ws, kind="call", user=who.user,
                                contact=ContactFactory(workspace=ws),
                                occurred_at=END - dt.timedelta(days=3))  # fmt: skip
    card = scorecard(ws.pk, end=END, days=7)
    assert card.pulse is not None and card.pulse.pulse.pk == pulse.pk
    assert card.previous is None
    scored = {c.spec.key: c.score for c in card.index.components if c.score is not None}
    assert scored == {"crm_adoption": 100.0}
    assert card.weakest_component is not None
    assert card.weakest_component.spec.key == "crm_adoption"
    lines = {a.area: a for a in card.areas}
    assert [a.area for a in card.areas] == [
        "trust", "shared_metrics", "shared_time", "shared_feedback", "shared_recognition",
    ]  # fmt: skip
    assert [(a.survey, a.behaviour, a.combined) for a in card.areas] == [
        (50.0, None, 50.0), (80.0, None, 80.0), (90.0, None, 90.0), (None, 100.0, 100.0),
        (None, None, None),
    ]  # fmt: skip
    assert (lines["trust"].survey_sales, lines["trust"].survey_marketing) == (90.0, 10.0)
    assert lines["trust"].weak and lines["trust"].combined is not None
    assert lines["trust"].combined < WEAK_BELOW
    assert lines["trust"].practices == PRACTICES["trust"]
    # Not weak, but where the records say to start: the weakest component's area.
    assert not lines["shared_feedback"].weak
    assert lines["shared_feedback"].practices == PRACTICES["shared_feedback"]
    for area in ("shared_metrics", "shared_time", "shared_recognition"):
        assert (lines[area].weak, lines[area].practices) == (False, ())
    # Only the clear gap is listed; q2's and q3's intervals include 0.
    assert [g.key for g in card.pulse.gaps()] == ["q1", "q2", "q3"]
    assert [g.key for g in card.gaps] == ["q1"]
    assert card.gaps[0].gap is not None and card.gaps[0].gap.value == pytest.approx(80.0)
    document = scorecard_document(card)
    assert document["weakest_component"] == "crm_adoption"
    assert [g["key"] for g in document["perception_gaps"]] == ["q1"]
    assert document["areas"][0] == {
        "area": "trust", "title": "Trust and open communication", "combined": 50.0,
        "weak": True, "survey": 50.0, "survey_sales": 90.0, "survey_marketing": 10.0,
        "survey_change": None, "behaviour": None, "components": [],
        "practices": list(PRACTICES["trust"]),
    }  # fmt: skip


def test_a_weak_area_under_60_gets_practices_and_60_does_not(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor(sales=5, marketing=5)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    # q1 (trust): everyone answers 3 then one 4 per team: (50*4 + 75) / 5 = 55 (weak);
    # q3 (shared_metrics): three yes of five on both sides = 60 (not weak).
    for members in (floor.sales, floor.marketing):
        for i, who in enumerate(members):
            answers = {"q1": 4 if i == 0 else 3, "q2": 1, "q3": 1 if i < 3 else 0}
            services.response_submit(actor=as_actor(who), pulse_id=pulse.pk, now=OPENED,
                                     answers=answers)  # fmt: skip
    card = scorecard(floor.workspace.pk, end=END, days=7)
    lines = {a.area: a for a in card.areas}
    assert (lines["trust"].combined, lines["trust"].practices) == (55.0, PRACTICES["trust"])
    assert (lines["shared_metrics"].combined, lines["shared_metrics"].weak) == (60.0, False)
    assert lines["shared_metrics"].practices == ()
    # No activity in the week: CRM adoption is 0, the weakest component, in shared_feedback.
    assert lines["shared_feedback"].combined == 0.0
    assert lines["shared_feedback"].practices == PRACTICES["shared_feedback"]
    assert [a.area for a in card.areas][:3] == ["shared_feedback", "trust", "shared_metrics"]
    assert card.gaps == []
