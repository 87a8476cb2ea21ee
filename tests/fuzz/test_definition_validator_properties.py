"""The lead definition validator over random JSON documents: each is either valid (and
normalising it again changes nothing) or refused with a ValidationFailed whose fields name
where the problem is, never any other exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.errors import ValidationFailed
from accord.definitions.services import validated_document
from accord.definitions.tests.factories import sample_document

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
KEYS = ["schema_version", "fit_rules", "default_grade", "engagement_rules", "negative_signals",
        "half_life_days", "mql", "demote_below", "sql"]  # fmt: skip
RULE_KEYS = ["id", "attribute", "operator", "value", "min", "max", "points", "grade", "source",
             "type", "cap", "campaign_id", "utm_content"]  # fmt: skip
ATTRIBUTES = ["seniority", "country", "company.employee_count", "custom:tier", "nope", ""]
fit_rules = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=70),
        "attribute": st.sampled_from(ATTRIBUTES),
        "operator": st.sampled_from(["equals", "in", "contains", "regex", "range", "exists", "?"]),
        "value": json_values,
        "min": json_values,
        "max": json_values,
        "points": json_values,
        "grade": st.sampled_from(["A", "B", "C", "D", "E", None]),
    },
)


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """Mutations of a valid document: keys replaced by random values, random rules, junk keys."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not even an object, sometimes
    doc: dict[str, Any] = sample_document()
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=3)):
        doc[key] = draw(json_values)
    if draw(st.booleans()):
        doc["fit_rules"] = draw(st.lists(fit_rules, max_size=3))
    if draw(st.booleans()):
        doc["mql"] = draw(
            st.fixed_dictionaries({}, optional={"fit_min": json_values,
                                                "engagement_min": json_values,
                                                "matrix": json_values})
        )  # fmt: skip
    if draw(st.integers(0, 4)) == 0:
        doc[draw(st.sampled_from(RULE_KEYS))] = draw(json_values)  # an unknown top-level key
    return doc


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(documents())
def test_a_document_is_valid_or_refused_with_named_fields(document: Any) -> None:
    try:
        normalised = validated_document(document)
    except ValidationFailed as exc:
        assert exc.fields, exc.message
        for name, messages in exc.fields.items():
            assert name == "document" or name.startswith("document."), name
            assert messages and all(isinstance(m, str) and m for m in messages), exc.fields
        return
    assert validated_document(normalised) == normalised  # normalising is idempotent
