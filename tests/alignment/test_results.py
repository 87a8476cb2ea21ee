"""A pulse's results and the anonymity rule (no result rests on fewer than five respondents,
through any reading, and no two readings subtract to reveal a smaller group), checked on a
fixed case and as a property over random answers and team sizes; and the perception gap with
Welch's interval, against scipy."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from accord.alignment import services
from accord.alignment.instrument import Instrument, item_score
from accord.alignment.models import Pulse
from accord.alignment.presentation import pulse_document
from accord.alignment.survey_results import PulseResult, Score, pulse_result
from tests.alignment.conftest import OPENED, THREE_ITEMS, Floor, as_actor

pytestmark = pytest.mark.django_db
INSTRUMENT = Instrument.model_validate(THREE_ITEMS)
ITEM = {i.key: i for i in INSTRUMENT.items}
AREA_OF = {"q1": "trust", "q2": "shared_time", "q3": "shared_metrics"}
HIDDEN_TEAM = {
    "sales": "fewer than 5 sales responses: hidden to keep answers anonymous",
    "marketing": "fewer than 5 marketing responses: hidden to keep answers anonymous",
}
HIDDEN_BOTH = "shown once each team that answered has a group of 5"


def _answer(floor: Floor, pulse: Pulse, who: Any, answers: dict[str, int]) -> None:
    services.response_submit(actor=as_actor(who), pulse_id=pulse.pk, answers=answers, now=OPENED)


def _score(answers: dict[str, int], key: str) -> float:
    return item_score(ITEM[key], float(answers[key]))


def _person(answers: dict[str, int]) -> float:
    return statistics.fmean(_score(answers, k) for k in ITEM)


def _readings(result: PulseResult) -> Iterator[tuple[str, str, Score]]:
    """Every score the result shows or hides: (where, group, score)."""
    for item in result.items:
        for group, score in item.scores.items():
            yield f"item {item.key}", group, score
    for area in result.areas:
        for group, score in area.scores.items():
            yield f"area {area.area}", group, score
    for group, score in result.overall.items():
        yield "overall", group, score


# A fixed case: seven sellers and four marketers answered --------------------------------------


SALES = [
    {"q1": 5, "q2": 1, "q3": 1},
    {"q1": 4, "q2": 2, "q3": 1},
    {"q1": 4, "q2": 1, "q3": 0},
    {"q1": 3, "q2": 2, "q3": 1},
    {"q1": 5, "q2": 3, "q3": 1},
    # the sixth and seventh wait for a group of five: extreme, so any use of them shows
    {"q1": 1, "q2": 5, "q3": 0},
    {"q1": 1, "q2": 5, "q3": 0},
]
MARKETING = [
    {"q1": 1, "q2": 5, "q3": 0},
    {"q1": 2, "q2": 4, "q3": 0},
    {"q1": 2, "q2": 5, "q3": 1},
    {"q1": 1, "q2": 4, "q3": 0},
]


@pytest.fixture
def four_marketers(make_floor: Callable[..., Floor]) -> tuple[Floor, Pulse]:
    floor = make_floor(sales=8, marketing=6)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    for i in range(7):  # interleaved, as people answer
        _answer(floor, pulse, floor.sales[i], SALES[i])
        if i < 4:
            _answer(floor, pulse, floor.marketing[i], MARKETING[i])
    return floor, pulse


def test_four_marketers_are_hidden_everywhere(four_marketers: tuple[Floor, Pulse]) -> None:
    _, pulse = four_marketers
    result = pulse_result(pulse)
    assert result.asked == {"sales": 8, "marketing": 6}
    assert result.answered == {"sales": 7, "marketing": 4}
    assert result.counted == {"sales": 5, "marketing": 0}
    counted = SALES[:5]
    for item in result.items:
        assert item.scores["marketing"] == Score(None, 0, HIDDEN_TEAM["marketing"])
        assert item.scores["both"] == Score(None, 0, HIDDEN_BOTH)
        assert item.scores["sales"] == Score(
            statistics.fmean(_score(a, item.key) for a in counted), 5
        )
        assert item.gap is None
    assert [i.scores["sales"].value for i in result.items] == [80.0, 80.0, 80.0]
    assert [a.area for a in result.areas] == ["shared_time", "shared_metrics", "trust"]
    for area in result.areas:
        assert area.scores["marketing"] == Score(None, 0, HIDDEN_TEAM["marketing"])
        assert area.scores["both"] == Score(None, 0, HIDDEN_BOTH)
        assert area.scores["sales"].n == 5
        assert area.gap is None
    assert result.overall == {
        "sales": Score(statistics.fmean(_person(a) for a in counted), 5),
        "marketing": Score(None, 0, HIDDEN_TEAM["marketing"]),
        "both": Score(None, 0, HIDDEN_BOTH),
    }
    assert result.overall["sales"].value == pytest.approx(80.0)
    assert result.gaps() == []


def test_the_document_carries_no_hidden_value(four_marketers: tuple[Floor, Pulse]) -> None:
    _, pulse = four_marketers
    document = pulse_document(pulse_result(pulse))
    hidden_marketing = {"score": None, "respondents": 0, "hidden": HIDDEN_TEAM["marketing"]}
    hidden_both = {"score": None, "respondents": 0, "hidden": HIDDEN_BOTH}
    assert document["overall"] == {
        "sales": {"score": 80.0, "respondents": 5, "hidden": None},
        "marketing": hidden_marketing,
        "both": hidden_both,
    }
    for line in document["items"] + document["areas"]:
        assert (line["marketing"], line["both"], line["gap"]) == (
            hidden_marketing, hidden_both, None,
        )  # fmt: skip
        assert line["sales"]["respondents"] == 5
    assert [i["sales"]["score"] for i in document["items"]] == [80.0, 80.0, 80.0]
    # No number computed from the hidden marketing answers, nor from the two waiting sellers,
    # appears anywhere in the document.
    leaks = set()
    for group in (MARKETING, SALES[5:], SALES + MARKETING, SALES[:5] + MARKETING):
        for key in ITEM:
            leaks.add(round(statistics.fmean(_score(a, key) for a in group), 1))
        leaks.add(round(statistics.fmean(_person(a) for a in group), 1))
    shown = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, float):
            shown.add(value)

    walk(document)
    assert shown == {80.0}
    assert 80.0 not in leaks
    json.dumps(document)  # a plain document


def test_a_fifth_marketer_shows_marketing_and_both(four_marketers: tuple[Floor, Pulse]) -> None:
    floor, pulse = four_marketers
    _answer(floor, pulse, floor.marketing[4], {"q1": 1, "q2": 5, "q3": 0})
    result = pulse_result(pulse)
    assert result.counted == {"sales": 5, "marketing": 5}
    q1 = result.items[0]
    assert q1.scores["marketing"] == Score(10.0, 5)  # (0 + 25 + 25 + 0 + 0) / 5
    assert q1.scores["both"] == Score(45.0, 10)  # the two shown groups, nothing else
    assert result.overall["both"].n == 10


# The property: no two readings subtract to a group of fewer than five --------------------------

ANSWERS = st.fixed_dictionaries(
    {"q1": st.integers(1, 5), "q2": st.integers(1, 5), "q3": st.integers(0, 1)}
)
MAX_TEAM = 12


@pytest.fixture
def big_floor(make_floor: Callable[..., Floor]) -> Floor:
    floor = make_floor(sales=MAX_TEAM, marketing=MAX_TEAM)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    return floor


def _shown(result: PulseResult) -> dict[tuple[str, str], Score]:
    return {(where, group): s for where, group, s in _readings(result) if s.value is not None}


def _check_reading(result: PulseResult, given_by: dict[str, list[dict[str, int]]]) -> None:
    """Every shown group is a whole number of fives, drawn from the earliest answers of its
    team; a hidden team shows nothing; "both" only when no team that answered is hidden."""
    kept = {}
    for team in ("sales", "marketing"):
        counted = len(given_by[team]) - len(given_by[team]) % 5
        assert result.counted[team] == counted
        kept[team] = given_by[team][:counted]
    hidden = [t for t in ("sales", "marketing") if given_by[t] and not kept[t]]
    both = kept["sales"] + kept["marketing"]
    for where, group, score in _readings(result):
        members = both if group == "both" else kept[group]
        visible = bool(members) and (group != "both" or not hidden)
        if not visible:
            assert (score.value, score.n) == (None, 0), (where, group)
            continue
        assert score.n == len(members) and score.n % 5 == 0 and score.n >= 5, (where, group)
        if where == "overall":
            expected = statistics.fmean(_person(a) for a in members)
        elif where.startswith("item"):
            key = where.split()[1]
            expected = statistics.fmean(_score(a, key) for a in members)
        else:
            area = where.split()[1]
            key = next(k for k, a in AREA_OF.items() if a == area)
            expected = statistics.fmean(_score(a, key) for a in members)
        assert score.value == pytest.approx(expected, abs=1e-9), (where, group)
    if result.overall["both"].value is not None:
        for team in ("sales", "marketing"):
            if given_by[team]:
                assert result.overall[team].value is not None


def _check_differences(readings: list[dict[tuple[str, str], Score]]) -> None:
    """Any two shown numbers, of the same reading or of two successive ones, differ by a whole
    number of fives in the respondents they rest on; and a reading whose respondents did not
    change did not move."""
    shown = [(at, key, s) for at, reading in enumerate(readings) for key, s in reading.items()]
    for _, key_a, a in shown:
        for _, key_b, b in shown:
            if key_a[0] == key_b[0]:
                assert abs(a.n - b.n) % 5 == 0, (key_a, key_b)
    if len(readings) == 2:
        before, after = readings
        for key, s in before.items():
            if key[1] != "both":
                assert key in after  # once shown, a team's group stays shown
            # "both" hides again while a team's first answers wait for their group of five
            if key in after:
                assert after[key].n >= s.n
                if after[key].n == s.n:
                    assert after[key].value == s.value, key


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sales=st.lists(ANSWERS, max_size=MAX_TEAM),
    marketing=st.lists(ANSWERS, max_size=MAX_TEAM),
    order=st.randoms(use_true_random=False),
)
def test_no_reading_reveals_fewer_than_five(
    big_floor: Floor, sales: list[dict[str, int]], marketing: list[dict[str, int]], order: Any
) -> None:
    floor = big_floor
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    try:
        turns = [("sales", i) for i in range(len(sales))] + [
            ("marketing", i) for i in range(len(marketing))
        ]
        order.shuffle(turns)
        given_by: dict[str, list[dict[str, int]]] = {"sales": [], "marketing": []}
        previous = _shown(pulse_result(pulse))
        assert previous == {}
        for team, i in turns:
            answers = (sales if team == "sales" else marketing)[i]
            who = (floor.sales if team == "sales" else floor.marketing)[i]
            _answer(floor, pulse, who, answers)
            given_by[team].append(answers)
            result = pulse_result(pulse)
            _check_reading(result, given_by)
            current = _shown(result)
            _check_differences([previous, current])
            previous = current
    finally:
        services.pulse_close(actor=floor.run, pulse_id=pulse.pk, now=OPENED)


# The perception gap ---------------------------------------------------------------------------


def test_the_gap_is_sales_minus_marketing_with_welchs_interval(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor(sales=10, marketing=5)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    sales_q1 = [5, 4, 5, 4, 5, 3, 5, 4, 4, 5]
    sales_q2 = [2, 3, 1, 4, 2, 3, 5, 1, 2, 3]
    marketing_q1 = [2, 1, 3, 2, 2]
    marketing_q2 = [3, 2, 4, 2, 3]
    for who, q1, q2 in zip(floor.sales, sales_q1, sales_q2, strict=True):
        _answer(floor, pulse, who, {"q1": q1, "q2": q2, "q3": 1})
    for who, q1, q2 in zip(floor.marketing, marketing_q1, marketing_q2, strict=True):
        _answer(floor, pulse, who, {"q1": q1, "q2": q2, "q3": 1})
    result = pulse_result(pulse)
    assert result.counted == {"sales": 10, "marketing": 5}
    q1, q2, q3 = result.items

    def scores(values: list[int], key: str) -> list[float]:
        return [item_score(ITEM[key], float(v)) for v in values]

    for item, key, s, m in ((q1, "q1", sales_q1, marketing_q1), (q2, "q2", sales_q2, marketing_q2)):
        sales_scores, marketing_scores = scores(s, key), scores(m, key)
        assert item.gap is not None
        assert item.gap.value == pytest.approx(
            statistics.fmean(sales_scores) - statistics.fmean(marketing_scores), abs=1e-9
        )
        expected = stats.ttest_ind(sales_scores, marketing_scores, equal_var=False)
        interval = expected.confidence_interval(0.95)
        assert item.gap.low == pytest.approx(interval.low, abs=1e-6)
        assert item.gap.high == pytest.approx(interval.high, abs=1e-6)
    assert q1.gap is not None and q2.gap is not None and q3.gap is not None
    assert q1.gap.value == pytest.approx(60.0)  # 85 - 25
    assert q1.gap.clear  # the interval lies above 0
    assert q2.gap.value == pytest.approx(5.0)  # reverse-scored: 60 - 55
    assert q2.gap.low is not None and q2.gap.low < 0 < (q2.gap.high or 0)
    assert not q2.gap.clear
    # Everyone said yes: no variance, no interval, not clear.
    assert (q3.gap.value, q3.gap.low, q3.gap.high, q3.gap.clear) == (0.0, None, None, False)
    # The area 'trust' holds q1 alone, so its gap is q1's; the widest gap comes first.
    trust = next(a for a in result.areas if a.area == "trust")
    assert trust.gap is not None and trust.gap.value == pytest.approx(60.0)
    assert [i.key for i in result.gaps()] == ["q1", "q2", "q3"]
    document = pulse_document(result)
    assert document["items"][0]["gap"] == {
        "sales_minus_marketing": 60.0, "low": round(q1.gap.low or 0, 1),
        "high": round(q1.gap.high or 0, 1), "clear": True,
    }  # fmt: skip
