"""Every number of a lead definition is bounded, and scoring never yields NaN or an infinity:
a document that validates scores to finite numbers, and a version saved before the bounds
existed is scored with its numbers clamped into them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.definitions.backtest_engine import first_qualified_each
from accord.definitions.document import (
    MAX_POINTS,
    MAX_RULES,
    MAX_THRESHOLD,
    DocumentInvalid,
    LeadDefinitionDocument,
    clamped,
    parse_document,
    parse_stored_document,
)
from accord.definitions.explanation import explain
from accord.definitions.scoring import (
    SECONDS_PER_DAY,
    ContactColumns,
    EventColumns,
    score,
)

AS_OF = 1_800_000_000.0
DAY = SECONDS_PER_DAY
MQL = {"fit_min": 10, "engagement_min": 20}
INF = math.inf


def fit(**kw: Any) -> dict[str, Any]:
    return {"id": "f", "attribute": "title", "operator": "is_empty", "points": 5} | kw


def eng(**kw: Any) -> dict[str, Any]:
    return {"id": "e", "source": "touchpoint", "type": "form_fill", "points": 5} | kw


# What QA saved: points of 1e308 overflowed the re-score to Infinity.
OVERFLOWING: dict[str, Any] = {
    "fit_rules": [fit(id="a", points=1e308), fit(id="b", attribute="country", points=1e308)],
    "engagement_rules": [eng(points=1e308), eng(id="e2", type="webinar", points=-1e308)],
    "negative_signals": {"unsubscribe": -1e308},
    "mql": MQL,
}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"fit_rules": [fit(points=1e308)]}, "fit_rules.0.points", "points must be between"),
        ({"fit_rules": [fit(points=-10_001)]}, "fit_rules.0.points", "points must be between"),
        ({"fit_rules": [fit(points=math.nan)]}, "fit_rules.0.points", "points must be between"),
        (
            {"fit_rules": [fit(operator="range", min=-INF, points=1)]},
            "fit_rules.0.min",
            "min must be between -1,000,000,000,000 and 1,000,000,000,000",
        ),
        (
            {"fit_rules": [fit(operator="range", max=1e13, points=1)]},
            "fit_rules.0.max",
            "max must be between",
        ),
        (
            {"engagement_rules": [eng(points=INF)]},
            "engagement_rules.0.points",
            "points must be between -10,000 and 10,000 per event",
        ),
        (
            {"engagement_rules": [eng(cap=1e6 + 1)]},
            "engagement_rules.0.cap",
            "cap must be at most 1,000,000",
        ),
        ({"engagement_rules": [eng(cap=math.nan)]}, "engagement_rules.0.cap", "cap must be at"),
        (
            {"engagement_rules": [eng(campaign_id=0)]},
            "engagement_rules.0.campaign_id",
            "campaign_id must be a campaign's id",
        ),
        (
            {"engagement_rules": [eng(campaign_id=2**63)]},
            "engagement_rules.0.campaign_id",
            "campaign_id must be a campaign's id",
        ),
        (
            {"negative_signals": {"bounce": -INF}},
            "negative_signals.bounce",
            "bounce must be between -10,000 and 0",
        ),
        (
            {"negative_signals": {"competitor": -1e5}},
            "negative_signals.competitor",
            "competitor must be between -10,000 and 0",
        ),
        (
            {"half_life_days": 0.5},
            "half_life_days",
            "half_life_days must be between 1 and 3,650 days",
        ),
        ({"half_life_days": INF}, "half_life_days", "half_life_days must be between 1 and"),
        (
            {"mql": {"fit_min": 1e308, "engagement_min": 0}},
            "mql.fit_min",
            "fit_min must be at most 1,000,000",
        ),
        (
            {"mql": {"fit_min": 0, "engagement_min": INF}},
            "mql.engagement_min",
            "engagement_min must be at most 1,000,000",
        ),
        ({"mql": {"matrix": {"B": 2e6}}}, "mql.matrix.B", "a threshold must be at most 1,000,000"),
        ({"mql": {"matrix": {"A": math.nan}}}, "mql.matrix.A", "a threshold must be at most"),
        (
            {"fit_rules": [fit(id=f"f{i}") for i in range(MAX_RULES + 1)]},
            "fit_rules",
            "at most 100 rules",
        ),
        (
            {"engagement_rules": [eng(id=f"e{i}") for i in range(MAX_RULES + 1)]},
            "engagement_rules",
            "at most 100 rules",
        ),
    ],
)
def test_a_number_out_of_bounds_is_refused_with_its_path(
    raw: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(DocumentInvalid) as exc:
        parse_document({"mql": MQL} | raw)
    assert list(exc.value.fields) == [field]
    assert exc.value.fields[field][0].startswith(message)


def test_the_overflowing_document_is_refused_at_every_number() -> None:
    with pytest.raises(DocumentInvalid) as exc:
        parse_document(OVERFLOWING)
    assert sorted(exc.value.fields) == [
        "engagement_rules.0.points",
        "engagement_rules.1.points",
        "fit_rules.0.points",
        "fit_rules.1.points",
        "negative_signals.unsubscribe",
    ]


def test_the_bounds_themselves_are_accepted() -> None:
    doc = parse_document(
        {
            "fit_rules": [
                fit(id=f"f{i}", points=MAX_POINTS if i % 2 else -MAX_POINTS)
                for i in range(MAX_RULES)
            ],
            "engagement_rules": [eng(points=-MAX_POINTS, cap=MAX_THRESHOLD, campaign_id=2**63 - 1)],
            "negative_signals": {"unsubscribe": -MAX_POINTS},
            "half_life_days": 3650,
            "mql": {"fit_min": MAX_THRESHOLD, "engagement_min": MAX_THRESHOLD},
        }
    )
    assert len(doc.fit_rules) == MAX_RULES
    other = parse_document({"half_life_days": 1, "mql": {"matrix": {"A": MAX_THRESHOLD}}})
    assert (other.half_life_days, other.mql.matrix) == (1, {"A": MAX_THRESHOLD})
    assert clamped(doc) is doc  # a document that validates is scored as it is


def test_a_stored_document_from_before_the_bounds_loads_clamped() -> None:
    raw = OVERFLOWING | {
        "engagement_rules": [eng(points=1e308, cap=INF)],
        "half_life_days": INF,
        "mql": {"fit_min": INF, "engagement_min": 5},
    }
    doc = parse_stored_document(raw)
    assert [r.points for r in doc.fit_rules] == [MAX_POINTS, MAX_POINTS]
    assert (doc.engagement_rules[0].points, doc.engagement_rules[0].cap) == (
        MAX_POINTS,
        MAX_THRESHOLD,
    )
    assert doc.negative_signals.unsubscribe == -MAX_POINTS
    assert (doc.half_life_days, doc.mql.fit_min, doc.mql.engagement_min) == (
        3650,
        MAX_THRESHOLD,
        5,
    )
    # Everything else is still checked.
    with pytest.raises(DocumentInvalid) as exc:
        parse_stored_document(raw | {"fit_rules": [fit(attribute="shoe")]})
    assert list(exc.value.fields) == ["fit_rules.0.attribute"]


# Properties -----------------------------------------------------------------------------------
KINDS = ["touchpoint:form_fill", "touchpoint:webinar", "touchpoint:unsubscribe", "activity:call"]
# Mostly the extremes: the bounds, just past them, the largest floats, infinities, NaN.
number = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, MAX_POINTS, -MAX_POINTS, MAX_THRESHOLD, 1e308, -1e308]),
    st.sampled_from([INF, -INF, math.nan, 1e-300, MAX_POINTS + 1, MAX_THRESHOLD + 1]),
    st.floats(),
)


@st.composite
def raw_document(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return draw(st.one_of(st.none(), st.just(value)))

    fits = [
        fit(id=f"f{i}", attribute=attr, points=draw(number), grade=maybe("A"))
        for i, attr in enumerate(draw(st.lists(st.sampled_from(["title", "country"]), max_size=4)))
    ]
    engs = [
        {
            "id": f"e{i}",
            "source": kind.split(":")[0],
            "type": kind.split(":")[1],
            "points": draw(number),
            "cap": draw(st.one_of(st.none(), number)),
        }
        for i, kind in enumerate(draw(st.lists(st.sampled_from(KINDS), max_size=4)))
    ]
    mql = draw(
        st.one_of(
            st.builds(lambda f, e: {"fit_min": f, "engagement_min": e}, number, number),
            st.builds(lambda a, b: {"matrix": {"A": a, "D": b}}, number, number),
        )
    )
    return {
        "fit_rules": fits,
        "engagement_rules": engs,
        "negative_signals": {"unsubscribe": draw(number), "student": draw(number)},
        "half_life_days": draw(st.one_of(st.none(), number)),
        "mql": mql,
    }


@st.composite
def inputs(draw: st.DrawFn) -> tuple[ContactColumns, EventColumns]:
    n = draw(st.integers(1, 4))
    titles = draw(st.lists(st.sampled_from(["", "CEO"]), min_size=n, max_size=n))
    contacts = ContactColumns(
        size=n,
        attributes={"title": np.array(titles, dtype=np.str_)},
        email_domain=np.array(
            draw(st.lists(st.sampled_from(["", "uni.edu"]), min_size=n, max_size=n)),
            dtype=np.str_,
        ),
    )
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.sampled_from(KINDS),
                st.floats(AS_OF - 20_000 * DAY, AS_OF + DAY),
            ),
            max_size=40,
        )
    )
    events = (
        EventColumns.of(
            contact_index=np.array([r[0] for r in rows], dtype=np.int64),
            kind=np.array([r[1] for r in rows], dtype=np.str_),
            timestamp=np.array([r[2] for r in rows], dtype=np.float64),
            campaign_id=np.full(len(rows), -1, dtype=np.int64),
            utm_content=np.full(len(rows), "", dtype=np.str_),
        )
        if rows
        else EventColumns.empty()
    )
    return contacts, events


def _assert_scores_finite(
    doc: LeadDefinitionDocument, contacts: ContactColumns, events: EventColumns
) -> None:
    # An overflow or an invalid operation anywhere in scoring is an error here, not a warning.
    with np.errstate(over="raise", invalid="raise"):
        result = score(doc, contacts, events, AS_OF)
        assert np.isfinite(result.fit).all() and np.isfinite(result.engagement).all()
        for index in range(contacts.size):
            why = explain(doc, contacts, events, AS_OF, index)
            numbers = [why.fit, why.engagement, why.half_life_days or 1.0]
            numbers += [x for rule in why.rules for x in (rule.points, rule.raw_points)]
            assert all(math.isfinite(x) for x in numbers), why
        created = np.full(contacts.size, AS_OF - 30_000 * DAY)
        first_qualified_each([doc], contacts, events, created, AS_OF)


@settings(max_examples=300, deadline=None)
@given(raw_document(), inputs())
def test_any_document_that_validates_scores_to_finite_numbers(
    raw: dict[str, Any], data: tuple[ContactColumns, EventColumns]
) -> None:
    try:
        doc = parse_document(raw)
    except DocumentInvalid:
        return  # refused at save: never scored
    _assert_scores_finite(doc, *data)


@settings(max_examples=200, deadline=None)
@given(raw_document(), inputs())
def test_any_stored_document_scores_to_finite_numbers(
    raw: dict[str, Any], data: tuple[ContactColumns, EventColumns]
) -> None:
    """A version saved before the bounds (no bounds checked, as then) scores finitely too."""
    try:
        doc = LeadDefinitionDocument.model_validate(raw, context={"stored": True})
    except ValueError:
        return  # it could not have been saved then either
    _assert_scores_finite(doc, *data)
    assert parse_stored_document(raw) == clamped(doc)
