"""Scoring: hand-computed cases and properties against a per-contact Python reference."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.definitions.document import GRADES, LeadDefinitionDocument, parse_document
from accord.definitions.explanation import explain
from accord.definitions.scoring import (
    SECONDS_PER_DAY,
    ContactColumns,
    EventColumns,
    decay_factor,
    score,
)

AS_OF = 1_800_000_000.0
DAY = SECONDS_PER_DAY


def contacts_of(rows: list[dict[str, str]], domains: list[str] | None = None) -> ContactColumns:
    names = sorted({k for r in rows for k in r})
    return ContactColumns(
        size=len(rows),
        attributes={n: np.array([r.get(n, "") for r in rows], dtype=np.str_) for n in names},
        email_domain=np.array(domains or ["" for _ in rows], dtype=np.str_),
    )


def events_of(rows: list[tuple[int, str, float, int, str]]) -> EventColumns:
    if not rows:
        return EventColumns.empty()
    return EventColumns.of(
        contact_index=np.array([r[0] for r in rows], dtype=np.int64),
        kind=np.array([r[1] for r in rows], dtype=np.str_),
        timestamp=np.array([r[2] for r in rows], dtype=np.float64),
        campaign_id=np.array([r[3] for r in rows], dtype=np.int64),
        utm_content=np.array([r[4] for r in rows], dtype=np.str_),
    )


BASE: dict[str, Any] = {
    "fit_rules": [
        {
            "id": "vp",
            "attribute": "seniority",
            "operator": "in",
            "value": ["vp", "executive"],
            "points": 20,
            "grade": "A",
        },
        {
            "id": "size",
            "attribute": "company.employee_count",
            "operator": "range",
            "min": 50,
            "max": 1000,
            "points": 15,
        },
        {
            "id": "student",
            "attribute": "title",
            "operator": "contains",
            "value": "intern",
            "points": -30,
            "grade": "D",
        },
    ],
    "engagement_rules": [
        {"id": "form", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 25},
        {"id": "call", "source": "activity", "type": "call", "points": 5},
    ],
    "negative_signals": {
        "unsubscribe": -40,
        "competitor_domains": ["rival.example"],
        "competitor": -100,
    },
    "half_life_days": 30,
    "mql": {"fit_min": 30, "engagement_min": 15},
}


def test_hand_computed_scores() -> None:
    doc = parse_document(BASE)
    contacts = contacts_of(
        [
            {"seniority": "VP ", "company.employee_count": "200"},
            {"seniority": "entry", "title": "Marketing Intern", "company.employee_count": "20000"},
            {},
        ],
        ["buyer.example", "mail.rival.example", ""],
    )
    events = events_of(
        [
            (0, "touchpoint:form_fill", AS_OF, -1, ""),
            (0, "touchpoint:form_fill", AS_OF - 30 * DAY, -1, ""),
            (0, "activity:call", AS_OF - 60 * DAY, -1, ""),
            (1, "touchpoint:form_fill", AS_OF + DAY, -1, ""),  # after as_of: ignored
            (1, "touchpoint:unsubscribe", AS_OF - DAY, -1, ""),
        ]
    )
    result = score(doc, contacts, events, AS_OF)
    assert result.fit.tolist() == [35.0, -30.0, 0.0]
    assert result.grade.tolist() == ["A", "D", "D"]
    assert math.isclose(result.engagement[0], 10 + 5 + 1.25)
    assert result.engagement[1] == -140.0
    assert result.engagement[2] == 0.0
    assert result.mql.tolist() == [True, False, False]


def test_cap_limits_a_rule() -> None:
    doc = parse_document(BASE | {"half_life_days": None})
    events = events_of([(0, "touchpoint:form_fill", AS_OF - i * DAY, -1, "") for i in range(5)])
    result = score(doc, contacts_of([{}]), events, AS_OF)
    assert result.engagement.tolist() == [25.0]


def test_matrix_mode_uses_grade() -> None:
    doc = parse_document(BASE | {"mql": {"matrix": {"A": 10, "B": 30}}, "half_life_days": None})
    contacts = contacts_of([{"seniority": "vp"}, {"seniority": "manager"}])
    events = events_of([(i, "touchpoint:form_fill", AS_OF, -1, "") for i in (0, 1)])
    result = score(doc, contacts, events, AS_OF)
    assert result.grade.tolist() == ["A", "D"]
    assert result.mql.tolist() == [True, False]


def test_campaign_and_content_restrictions() -> None:
    doc = parse_document(
        {
            "engagement_rules": [
                {
                    "id": "c7",
                    "source": "touchpoint",
                    "type": "ad_click",
                    "points": 3,
                    "campaign_id": 7,
                },
                {
                    "id": "wp",
                    "source": "touchpoint",
                    "type": "ad_click",
                    "points": 1,
                    "utm_content": "Whitepaper",
                },
            ],
            "mql": {"fit_min": 0, "engagement_min": 4},
        }
    )
    events = events_of(
        [
            (0, "touchpoint:ad_click", AS_OF, 7, "whitepaper"),
            (1, "touchpoint:ad_click", AS_OF, 8, "video"),
        ]
    )
    result = score(doc, contacts_of([{}, {}]), events, AS_OF)
    assert result.engagement.tolist() == [4.0, 0.0]
    assert result.mql.tolist() == [True, False]


def test_explanation_lists_fired_rules() -> None:
    doc = parse_document(BASE)
    contacts = contacts_of([{}, {"seniority": "vp", "company.employee_count": "200"}])
    events = events_of(
        [(1, "touchpoint:form_fill", AS_OF - 30 * DAY, -1, "")] * 4
        + [(0, "activity:call", AS_OF, -1, "")]
    )
    result = explain(doc, contacts, events, AS_OF, 1)
    assert [(r.rule_id, r.section, r.points) for r in result.rules] == [
        ("vp", "fit", 20.0),
        ("size", "fit", 15.0),
        ("form", "engagement", 20.0),
    ]
    form = result.rules[2]
    assert (form.raw_points, form.events, form.capped) == (40.0, 4, False)
    assert result.rules[0].grade == "A"
    assert (result.fit, result.grade, result.engagement, result.mql) == (35.0, "A", 20.0, True)
    assert result.half_life_days == 30


# Properties -----------------------------------------------------------------------------------
ATTRS = ["title", "seniority", "country", "company.employee_count", "custom:plan"]
VALUES = ["", "vp", "VP", "manager", "DE", "us", "10", "250", "5000", "abc", " intern "]
KINDS = ["touchpoint:form_fill", "touchpoint:ad_click", "activity:call", "touchpoint:unsubscribe"]

fit_rule = st.one_of(
    st.builds(
        lambda a, op, v, p, g: {
            "attribute": a,
            "operator": op,
            "value": v,
            "points": p,
            "grade": g,
        },
        st.sampled_from(ATTRS),
        st.sampled_from(["equals", "contains", "regex"]),
        st.sampled_from(["vp", "DE", "1", "^[a-z]+$", "in"]),
        st.integers(-20, 20).filter(bool),
        st.sampled_from([None, *GRADES]),
    ),
    st.builds(
        lambda a, v, p: {"attribute": a, "operator": "in", "value": v, "points": p},
        st.sampled_from(ATTRS),
        st.lists(st.sampled_from(VALUES[1:]), min_size=1, max_size=3),
        st.integers(-20, 20).filter(bool),
    ),
    st.builds(
        lambda a, lo, span, p: {
            "attribute": a,
            "operator": "range",
            "min": lo,
            "max": lo + span,
            "points": p,
        },
        st.sampled_from(ATTRS),
        st.integers(0, 300),
        st.integers(0, 5000),
        st.integers(-20, 20).filter(bool),
    ),
)
engagement_rule = st.builds(
    lambda kind, p, cap, camp: {
        "source": kind.split(":")[0],
        "type": kind.split(":")[1],
        "points": p,
        "cap": cap,
        "campaign_id": camp if kind.startswith("touchpoint") else None,
    },
    st.sampled_from(KINDS),
    st.integers(-10, 10).filter(bool),
    st.one_of(st.none(), st.integers(1, 40)),
    st.one_of(st.none(), st.integers(1, 3)),
)


@st.composite
def scenario(
    draw: st.DrawFn,
) -> tuple[dict[str, Any], list[dict[str, str]], list[tuple[int, str, float, int, str]]]:
    fits = draw(st.lists(fit_rule, max_size=6))
    engs = draw(st.lists(engagement_rule, max_size=5))
    doc = {
        "fit_rules": [r | {"id": f"f{i}"} for i, r in enumerate(fits)],
        "engagement_rules": [r | {"id": f"e{i}"} for i, r in enumerate(engs)],
        "negative_signals": {"unsubscribe": draw(st.integers(-30, 0))},
        "half_life_days": draw(st.one_of(st.none(), st.floats(1, 365))),
        "mql": draw(
            st.one_of(
                st.builds(
                    lambda f, e: {"fit_min": f, "engagement_min": e},
                    st.integers(0, 40),
                    st.integers(0, 40),
                ),
                st.builds(
                    lambda a, b: {"matrix": {"A": a, "B": b}},
                    st.integers(0, 30),
                    st.integers(0, 60),
                ),
            )
        ),
    }
    n = draw(st.integers(1, 8))
    rows = [{a: v for a in ATTRS if (v := draw(st.sampled_from(VALUES)))} for _ in range(n)]
    events = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.sampled_from(KINDS),
                st.floats(AS_OF - 400 * DAY, AS_OF + 5 * DAY),
                st.sampled_from([-1, 1, 2, 3]),
                st.just(""),
            ),
            max_size=30,
        )
    )
    return doc, rows, events


def _ref_fires(rule: dict[str, Any], row: dict[str, str]) -> bool:
    text = row.get(rule["attribute"], "")
    if rule["operator"] == "is_empty":
        return text.strip() == ""
    if not text:
        return False
    t = text.strip().casefold()
    value = rule.get("value")
    checks = {
        "equals": lambda: t == str(value).strip().casefold(),
        "in": lambda: t in {v.strip().casefold() for v in value},
        "contains": lambda: str(value).strip().casefold() in text.casefold(),
        "regex": lambda: re.search(value, text) is not None,
        "range": lambda: _ref_in_range(rule, text),
    }
    return bool(checks[rule["operator"]]())


def _ref_in_range(rule: dict[str, Any], text: str) -> bool:
    try:
        x = float(text)
    except ValueError:
        return False
    return bool(rule["min"] <= x <= rule["max"])


def reference(
    doc: dict[str, Any], row: dict[str, str], events: list[tuple[int, str, float, int, str]]
) -> tuple[float, str, float, bool]:
    fit, best = 0.0, None
    for rule in doc["fit_rules"]:
        if _ref_fires(rule, row):
            fit += rule["points"]
            if rule.get("grade") and (best is None or rule["grade"] < best):
                best = rule["grade"]
    grade = best or "D"
    eng = 0.0
    live = [e for e in events if e[2] <= AS_OF]
    for rule in doc["engagement_rules"]:
        total = 0.0
        for _, kind, ts, camp, _content in live:
            if kind != f"{rule['source']}:{rule['type']}":
                continue
            if rule.get("campaign_id") is not None and camp != rule["campaign_id"]:
                continue
            hl = doc["half_life_days"]
            total += rule["points"] * (0.5 ** (((AS_OF - ts) / DAY) / hl) if hl else 1.0)
        if rule.get("cap") is not None:
            total = max(-rule["cap"], min(rule["cap"], total))
        eng += total
    if doc["negative_signals"]["unsubscribe"] and any(
        e[1] == "touchpoint:unsubscribe" for e in live
    ):
        eng += doc["negative_signals"]["unsubscribe"]
    mql_spec = doc["mql"]
    if "matrix" in mql_spec:
        mql = grade in mql_spec["matrix"] and eng >= mql_spec["matrix"][grade]
    else:
        mql = fit >= mql_spec["fit_min"] and eng >= mql_spec["engagement_min"]
    return fit, grade, eng, mql


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_scores_equal_the_reference(
    case: tuple[dict[str, Any], list[dict[str, str]], list[Any]],
) -> None:
    raw, rows, events = case
    doc = parse_document(raw)
    result = score(doc, contacts_of(rows), events_of(events), AS_OF)
    for i, row in enumerate(rows):
        fit, grade, eng, mql = reference(raw, row, [e for e in events if e[0] == i])
        assert result.fit[i] == fit
        assert result.grade[i] == grade
        assert math.isclose(result.engagement[i], eng, abs_tol=1e-6)
        if abs(eng - _eng_threshold(raw, grade)) > 1e-6:
            assert bool(result.mql[i]) == mql


def _eng_threshold(raw: dict[str, Any], grade: str) -> float:
    spec = raw["mql"]
    return (
        float(spec["matrix"].get(grade, math.inf))
        if "matrix" in spec
        else float(spec["engagement_min"])
    )


@given(st.lists(st.floats(0, 3650), min_size=2, max_size=20), st.floats(0.5, 365))
def test_decay_is_monotonic_in_age(ages: list[float], half_life: float) -> None:
    ordered = np.sort(np.array(ages))
    factors = decay_factor(ordered, half_life)
    assert np.all(np.diff(factors) <= 0)
    assert np.all((factors >= 0) & (factors <= 1))


@given(
    st.lists(st.floats(0, 1000), min_size=1, max_size=40),
    st.integers(1, 50),
    st.integers(-10, 10).filter(bool),
)
def test_caps_are_respected(ages: list[float], cap: int, points: int) -> None:
    doc = parse_document(
        {
            "engagement_rules": [
                {"id": "e", "source": "touchpoint", "type": "chat", "points": points, "cap": cap}
            ],
            "half_life_days": 10,
            "mql": {"fit_min": 0, "engagement_min": 0},
        }
    )
    events = events_of([(0, "touchpoint:chat", AS_OF - a * DAY, -1, "") for a in ages])
    result = score(doc, contacts_of([{}]), events, AS_OF)
    assert abs(result.engagement[0]) <= cap + 1e-9


@given(fit_rule, st.sampled_from(ATTRS))
def test_rule_on_missing_attribute_never_fires(rule: dict[str, Any], missing: str) -> None:
    doc = LeadDefinitionDocument.model_validate(
        {
            "fit_rules": [rule | {"id": "r", "attribute": missing}],
            "mql": {"fit_min": 0, "engagement_min": 0},
        }
    )
    others = [a for a in ATTRS if a != missing]
    result = score(doc, contacts_of([dict.fromkeys(others, "vp"), {}]), EventColumns.empty(), AS_OF)
    assert result.fit.tolist() == [0.0, 0.0]
    assert result.grade.tolist() == ["D", "D"]


def test_is_empty_fires_on_unknown() -> None:
    doc = parse_document(
        {
            "fit_rules": [
                {
                    "id": "nocountry",
                    "attribute": "company.country",
                    "operator": "is_empty",
                    "points": -5,
                }
            ],
            "mql": {"fit_min": 0, "engagement_min": 0},
        }
    )
    result = score(
        doc,
        contacts_of([{"company.country": "DE"}, {"company.country": "  "}, {}]),
        EventColumns.empty(),
        AS_OF,
    )
    assert result.fit.tolist() == [0.0, -5.0, -5.0]


@settings(max_examples=50, deadline=None)
@given(scenario())
def test_explanation_agrees_with_the_scores(
    case: tuple[dict[str, Any], list[dict[str, str]], list[Any]],
) -> None:
    raw, rows, events = case
    doc = parse_document(raw)
    contacts, columns = contacts_of(rows), events_of(events)
    result = score(doc, contacts, columns, AS_OF)
    for i in range(len(rows)):
        e = explain(doc, contacts, columns, AS_OF, i)
        assert (e.fit, e.grade, e.mql) == (result.fit[i], result.grade[i], result.mql[i])
        assert math.isclose(e.engagement, result.engagement[i], abs_tol=1e-9)
        fired_fit = sum(r.points for r in e.rules if r.section == "fit")
        assert math.isclose(fired_fit, e.fit, abs_tol=1e-9)
        assert math.isclose(
            sum(r.points for r in e.rules if r.section != "fit"), e.engagement, abs_tol=1e-6
        )


_NUMBERISH = st.text(alphabet="0123456789+-.,e_ xInfa\u00a0\uff11", max_size=8)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_NUMBERISH, max_size=12), low=st.integers(-50, 50), span=st.integers(0, 500))
def test_a_range_rule_reads_numbers_as_python_does(values: list[str], low: int, span: int) -> None:
    """Range rules parse the distinct values all at once; the result is the value-by-value
    reading (`float` of the stripped text, NaN and unparseable values never in range)."""
    from accord.definitions.scoring import _range_predicate, fit_rule_fires

    doc = parse_document({
        "schema_version": 1,
        "fit_rules": [{"id": "size", "attribute": "company.employee_count", "operator": "range",
                       "min": low, "max": low + span, "points": 1}],
        "mql": {"fit_min": 1, "engagement_min": 0},
    })  # fmt: skip
    rule = doc.fit_rules[0]
    contacts = contacts_of([{"company.employee_count": v} for v in values])
    fired = fit_rule_fires(rule, contacts).tolist()
    check = _range_predicate(rule)
    assert fired == [bool(v.strip()) and check(v.strip()) for v in values]
