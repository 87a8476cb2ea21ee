"""Document validation: every bad input is refused with a field-precise error."""

from __future__ import annotations

from typing import Any

import pytest

from accord.crm.models import ActivityKind
from accord.definitions.document import (
    ACTIVITY_KINDS,
    TOUCHPOINT_TYPES,
    DocumentInvalid,
    dump_document,
    parse_document,
)
from accord.marketing.models import TouchpointType

MQL = {"fit_min": 10, "engagement_min": 20}


def rule(**kw: Any) -> dict[str, Any]:
    return {
        "id": "r1",
        "attribute": "title",
        "operator": "equals",
        "value": "CEO",
        "points": 5,
    } | kw


def eng(**kw: Any) -> dict[str, Any]:
    return {"id": "e1", "source": "touchpoint", "type": "form_fill", "points": 5} | kw


def test_choice_lists_match_the_models() -> None:
    assert set(TOUCHPOINT_TYPES) == set(TouchpointType.values)
    assert set(ACTIVITY_KINDS) == set(ActivityKind.values)


def test_a_valid_document_round_trips() -> None:
    raw = {
        "fit_rules": [
            rule(attribute="custom:plan", operator="in", value=["pro", "enterprise"]),
            rule(
                id="r2",
                attribute="company.custom:tech",
                operator="contains",
                value="sql",
                grade="B",
            ),
            rule(id="r3", attribute="company.employee_count", operator="range", min=10, value=None),
        ],
        "engagement_rules": [
            eng(cap=30, campaign_id=4),
            eng(id="e2", source="activity", type="meeting"),
        ],
        "half_life_days": 45,
        "mql": {"matrix": {"A": 10, "B": 40}},
        "demote_below": True,
        "sql": {"kind": "checklist", "items": ["pain confirmed", " "]},
    }
    doc = parse_document(raw)
    assert doc.schema_version == 1
    assert doc.sql.checklist == ["pain confirmed"]
    assert parse_document(dump_document(doc)) == doc


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (
            {"fit_rules": [rule(attribute="shoe_size")], "mql": MQL},
            "fit_rules.0.attribute",
            "unknown attribute 'shoe_size'",
        ),
        (
            {"fit_rules": [rule(attribute="custom:")], "mql": MQL},
            "fit_rules.0.attribute",
            "unknown attribute 'custom:'",
        ),
        (
            {"fit_rules": [rule(operator="regex", value="([a-z")], "mql": MQL},
            "fit_rules.0.value",
            "invalid regular expression",
        ),
        (
            {"fit_rules": [rule(operator="range", min=50, max=10)], "mql": MQL},
            "fit_rules.0.min",
            "min (50) is greater than max (10)",
        ),
        (
            {"fit_rules": [rule(operator="range")], "mql": MQL},
            "fit_rules.0.min",
            "operator 'range' needs min, max or both",
        ),
        (
            {"fit_rules": [rule(operator="in", value="CEO")], "mql": MQL},
            "fit_rules.0.value",
            "operator 'in' needs a non-empty list",
        ),
        (
            {"fit_rules": [rule(operator="like")], "mql": MQL},
            "fit_rules.0.operator",
            "Input should be",
        ),
        (
            {"fit_rules": [rule(points=0)], "mql": MQL},
            "fit_rules.0.points",
            "a rule must add or subtract points or set a grade",
        ),
        (
            {"fit_rules": [rule(grade="E")], "mql": MQL},
            "fit_rules.0.grade",
            "Input should be 'A', 'B', 'C' or 'D'",
        ),
        ({"fit_rules": [rule(), rule()], "mql": MQL}, "fit_rules.1.id", "duplicate rule id 'r1'"),
        (
            {"engagement_rules": [eng(type="fax")], "mql": MQL},
            "engagement_rules.0.type",
            "unknown touchpoint type 'fax'",
        ),
        (
            {"engagement_rules": [eng(source="activity", type="form_fill")], "mql": MQL},
            "engagement_rules.0.type",
            "unknown activity type 'form_fill'",
        ),
        (
            {"engagement_rules": [eng(cap=0)], "mql": MQL},
            "engagement_rules.0.cap",
            "cap must be greater than 0",
        ),
        (
            {"engagement_rules": [eng(source="activity", type="call", campaign_id=3)], "mql": MQL},
            "engagement_rules.0.campaign_id",
            "only touchpoint rules",
        ),
        (
            {"negative_signals": {"unsubscribe": 10}, "mql": MQL},
            "negative_signals.unsubscribe",
            "Input should be less than or equal to 0",
        ),
        ({"half_life_days": 0, "mql": MQL}, "half_life_days", "Input should be greater than 0"),
        (
            {"mql": {"fit_min": -1, "engagement_min": 5}},
            "mql.fit_min",
            "Input should be greater than or equal to 0",
        ),
        ({"mql": {"matrix": {"E": 5}}}, "mql.matrix.E", "Input should be 'A', 'B', 'C' or 'D'"),
        ({"mql": {"matrix": {"A": -5}}}, "mql.matrix.A", "a threshold must not be negative"),
        (
            {"mql": {"matrix": {"A": 5}, "fit_min": 3}},
            "mql.matrix",
            "use either fit_min/engagement_min or a matrix",
        ),
        ({"mql": {}}, "mql.fit_min", "set fit_min and engagement_min, or a matrix"),
        ({}, "mql", "Field required"),
        ({"mql": MQL, "schema_version": 2}, "schema_version", "Input should be 1"),
        ({"mql": MQL, "colour": "red"}, "colour", "Extra inputs are not permitted"),
        (
            {"mql": MQL, "sql": {"kind": "checklist"}},
            "sql.items",
            "a checklist needs at least one item",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field(raw: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(DocumentInvalid) as exc:
        parse_document(raw)
    assert list(exc.value.fields) == [field]
    assert exc.value.fields[field][0].startswith(message)


def test_not_an_object() -> None:
    with pytest.raises(DocumentInvalid) as exc:
        parse_document(["mql"])
    assert exc.value.fields == {"document": ["the document must be a JSON object"]}
