"""The back-test replay agrees with scoring each contact at each of its candidate moments."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.definitions.backtest_engine import first_qualified
from accord.definitions.document import parse_document
from accord.definitions.scoring import score
from accord.definitions.tests.test_scoring import AS_OF, BASE, DAY, contacts_of, events_of, scenario


def _reference(
    doc: Any, contacts: Any, events: Any, created: np.ndarray, until: float
) -> list[float]:
    """The earliest of each contact's creation and event times (up to `until`) at which
    `score(..., as_of=t)` says MQL: one full scoring per contact per candidate moment."""
    out: list[float] = []
    for i in range(contacts.size):
        mine = events.select(
            events.contact_index == i,
            np.zeros(int((events.contact_index == i).sum()), dtype=np.int64),
        )
        one = contacts.take(np.array([i]))
        moments = sorted({float(created[i]), *[t for t in mine.timestamp.tolist() if t <= until]})
        hit = [
            t
            for t in moments
            if t <= until and t >= created[i] and bool(score(doc, one, mine, t).mql[0])
        ]
        out.append(hit[0] if hit else float("nan"))
    return out


def test_hand_case_with_decay_and_a_cap() -> None:
    doc = parse_document(BASE)  # fit >= 30 and engagement >= 15; forms 10 each, cap 25
    contacts = contacts_of([
        {"seniority": "vp", "company.employee_count": "200"},  # fit 35
        {"seniority": "vp", "company.employee_count": "200"},
        {"seniority": "entry"},  # fit 0: never
    ])  # fmt: skip
    start = AS_OF - 100 * DAY
    events = events_of([
        (0, "touchpoint:form_fill", start + 1 * DAY, -1, ""),
        (0, "touchpoint:form_fill", start + 2 * DAY, -1, ""),  # 10*0.5^(1/30) + 10 >= 15
        (1, "touchpoint:form_fill", start + 1 * DAY, -1, ""),
        (1, "touchpoint:form_fill", start + 90 * DAY, -1, ""),  # first has decayed to 1.25
        (1, "activity:call", start + 91 * DAY, -1, ""),  # 1.22 + 9.77 + 5 = 16.0 >= 15
        (2, "touchpoint:form_fill", start + 1 * DAY, -1, ""),
        (2, "touchpoint:form_fill", start + 2 * DAY, -1, ""),
    ])  # fmt: skip
    created = np.full(3, start)
    first = first_qualified(doc, contacts, events, created, AS_OF)
    assert first[0] == start + 2 * DAY
    assert first[1] == start + 91 * DAY
    assert np.isnan(first[2])
    # Nothing after `until` counts.
    early = first_qualified(doc, contacts, events, created, start + 50 * DAY)
    assert early[0] == start + 2 * DAY and np.isnan(early[1])


@settings(max_examples=150, deadline=None)
@given(scenario(), st.floats(AS_OF - 200 * DAY, AS_OF + 10 * DAY))
def test_replay_equals_scoring_at_every_moment(case: Any, until: float) -> None:
    raw, rows, event_rows = case
    doc = parse_document(raw)
    contacts = contacts_of(rows)
    events = events_of(event_rows)
    created = np.full(contacts.size, AS_OF - 500 * DAY)
    got = first_qualified(doc, contacts, events, created, until)
    expected = _reference(doc, contacts, events, created, until)
    assert np.array_equal(got, np.array(expected), equal_nan=True), (got, expected)


@settings(max_examples=100, deadline=None)
@given(scenario(), st.floats(0, 40), st.floats(0, 40))
def test_versions_alike_share_a_replay_and_get_their_own_answers(
    case: Any, fit_min: float, engagement_min: float
) -> None:
    """Two versions that differ only in thresholds share one replay; each still gets what it
    gets alone (and a third, different version, what it gets alone too)."""
    from accord.definitions.backtest_engine import first_qualified_each

    raw, rows, event_rows = case
    doc = parse_document(raw)
    moved = doc.model_copy(
        update={"mql": doc.mql.model_copy(update={"fit_min": fit_min,
                                                   "engagement_min": engagement_min})}
    )  # fmt: skip
    other = doc.model_copy(update={"half_life_days": (doc.half_life_days or 30) * 2})
    contacts, events = contacts_of(rows), events_of(event_rows)
    created = np.full(contacts.size, AS_OF - 500 * DAY)
    together = first_qualified_each([doc, moved, other], contacts, events, created, AS_OF)
    for version, got in zip((doc, moved, other), together, strict=True):
        alone = first_qualified(version, contacts, events, created, AS_OF)
        assert np.array_equal(got, alone, equal_nan=True)
