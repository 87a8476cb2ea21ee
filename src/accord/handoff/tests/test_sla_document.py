"""The SLA document: a valid agreement round-trips; bad input gets field-precise errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.definitions.document import DocumentInvalid
from accord.handoff.business_hours import add_business_hours
from accord.handoff.sla_document import parse_sla


def agreement(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "marketing": {"targets": [{"mqls": 400, "period": "month"},
                                  {"mqls": 90, "period": "month", "segment": "enterprise"}]},
        "sales": {"first_touch_hours": 4, "attempts_before_unresponsive": 3, "attempt_days": 5},
        "buyer": {"max_touches": 3, "window_hours": 24},
        "calendars": {
            "default": {"timezone": "Europe/Berlin",
                        "hours": {"monday": [["09:00", "12:30"], ["13:30", "18:00"]],
                                  "friday": [["09:00", "15:00"]]},
                        "holidays": ["2026-12-25"]},
            "Account Executives": {"timezone": "America/New_York"},
        },
    }  # fmt: skip
    doc.update(overrides)
    return doc


def test_a_valid_agreement_and_its_calendars() -> None:
    doc = parse_sla(agreement())
    assert doc.sales.first_touch_hours == 4
    berlin = doc.calendar_for(None)
    friday = dt.datetime(2026, 11, 20, 14, tzinfo=dt.UTC)  # 15:00 in Berlin: closed
    assert add_business_hours(friday, 1, berlin) == dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    assert doc.calendar_for("Account Executives").timezone == "America/New_York"
    assert doc.calendar_for("a team without its own").timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"sales": {"first_touch_hours": 0, "attempts_before_unresponsive": 3,
                    "attempt_days": 5}}, "sales.first_touch_hours", "greater than 0"),
        ({"buyer": {"max_touches": 0, "window_hours": 24}}, "buyer.max_touches",
         "greater than or equal to 1"),
        ({"marketing": {"targets": []}}, "marketing.targets", "at least 1"),
        ({"marketing": {"targets": [{"mqls": 5}, {"mqls": 6}]}}, "marketing",
         "one target per segment and period"),
        ({"calendars": {"default": {"timezone": "Mars/Olympus"}}},
         "calendars.default.timezone", "unknown time zone"),
        ({"calendars": {"default": {"hours": {"funday": [["09:00", "10:00"]]}}}},
         "calendars.default.hours", "unknown weekday 'funday'"),
        ({"calendars": {"default": {"hours": {"monday": [["10:00", "09:00"]]}}}},
         "calendars.default", "end after it starts"),
        ({"calendars": {"default": {"hours": {}}}}, "calendars.default", "no open hours"),
        ({"calendars": {"sales": {}}}, "document", "'default' entry"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_agreements_are_refused_precisely(
    change: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_sla(agreement(**change))
    assert path in caught.value.fields, caught.value.fields
    assert any(message in m for m in caught.value.fields[path]), caught.value.fields


@given(st.dictionaries(st.sampled_from(["marketing", "sales", "buyer", "calendars", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                 st.lists(st.integers(), max_size=2))))  # fmt: skip
def test_garbage_never_crashes(data: dict[str, Any]) -> None:
    with pytest.raises(DocumentInvalid):
        parse_sla(data)
