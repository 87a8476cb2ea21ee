from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core import cleaning as c
from accord.core.errors import ValidationFailed

SPEC: dict[str, c.Cleaner] = {
    "name": c.Text(10, required=True),
    "when": c.datetime,
    "day": c.date,
    "size": c.PositiveInt(100),
    "extra": c.json_object,
}


def test_all_field_errors_are_reported_together() -> None:
    with pytest.raises(ValidationFailed) as err:
        c.clean(SPEC, {"name": "x" * 11, "size": -1, "day": "31/02/2026", "bogus": 1}, 1)
    assert set(err.value.fields) == {"name", "size", "day", "bogus"}
    assert err.value.fields["bogus"] == ["Unknown field."]


def test_required_fields() -> None:
    with pytest.raises(ValidationFailed) as err:
        c.clean(SPEC, {}, 1, required=["name"])
    assert err.value.fields == {"name": ["This field is required."]}


def test_dates_and_times_parse_iso_and_are_aware() -> None:
    cleaned = c.clean(SPEC, {"when": "2026-03-01T09:30:00", "day": "2026-03-01"}, 1)
    assert cleaned["when"] == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert cleaned["day"] == dt.date(2026, 3, 1)


def test_json_object_must_be_an_object() -> None:
    for bad in ("[1,2]", "{not json", 5, "null"):
        with pytest.raises(ValidationFailed):
            c.clean(SPEC, {"extra": bad}, 1)
    assert c.clean(SPEC, {"extra": '{"plan": "pro"}'}, 1)["extra"] == {"plan": "pro"}


@given(st.dictionaries(st.sampled_from([*SPEC, "other"]), st.text(max_size=30)))
def test_clean_never_crashes_on_text_input(values: dict[str, str]) -> None:
    try:
        cleaned = c.clean(SPEC, values, 1)
    except ValidationFailed as exc:
        assert exc.fields
        return
    assert set(cleaned) <= set(SPEC)
