"""The SLA document: a valid agreement round-trips; bad input gets field-precise errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

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


def test_a_team_calendar_inherits_what_it_does_not_set_from_the_default() -> None:
    """The docs' example: the AE team works in New York, on the default's hours and holidays."""
    doc = parse_sla(agreement())
    team = doc.calendar_for("Account Executives")
    default = doc.calendar_for(None)
    assert team.timezone == "America/New_York"
    assert (team.week, team.holidays) == (default.week, frozenset({dt.date(2026, 12, 25)}))
    # Thu 24 Dec 16:00 in New York + 4 h: the default has no Thursday hours, Christmas Friday
    # is a holiday; Monday 09:00-12:30 and 13:30-14:00 (not Fri 25 Dec 12:00, as before).
    new_york = ZoneInfo("America/New_York")
    start = dt.datetime(2026, 12, 24, 16, tzinfo=new_york)
    assert add_business_hours(start, 4, team) == dt.datetime(2026, 12, 28, 14, tzinfo=new_york)
    # Stored with the inherited values written out: parsing the stored form reads the same.
    stored = doc.model_dump(mode="json")
    assert stored["calendars"]["Account Executives"]["holidays"] == ["2026-12-25"]
    assert parse_sla(stored) == doc
    # A key the team sets replaces the default's (no merging of holiday lists).
    own = agreement()
    own["calendars"]["Account Executives"] = {"holidays": ["2026-12-24"]}
    team = parse_sla(own).calendar_for("Account Executives")
    assert (team.timezone, team.holidays) == ("Europe/Berlin", frozenset({dt.date(2026, 12, 24)}))


def test_an_interval_may_run_until_24_00() -> None:
    doc = agreement()
    doc["calendars"]["default"]["hours"] = {"friday": [["20:00", "24:00"]]}
    parsed = parse_sla(doc)
    friday = dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC)  # 23:30 in Berlin
    # Half an hour left on Friday, the next opening is Friday a week later at 20:00.
    assert add_business_hours(friday, 1, parsed.calendar_for(None)) == dt.datetime(
        2026, 11, 27, 19, 30, tzinfo=dt.UTC
    )
    stored = parsed.model_dump(mode="json")
    assert stored["calendars"]["default"]["hours"] == {"friday": [["20:00:00", "24:00:00"]]}
    assert parse_sla(stored) == parsed


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
        ({"calendars": {"default": {"hours": {"monday": [["22:00", "00:00"]]}}}},
         "calendars.default.hours", "ends at 24:00"),
        # A one-hour week cannot hold 720 business hours: routing would search for 14 years.
        ({"sales": {"first_touch_hours": 720, "attempts_before_unresponsive": 3,
                    "attempt_days": 5},
          "calendars": {"default": {"hours": {"monday": [["09:00", "10:00"]]}}}},
         "sales.first_touch_hours", "more than a year of the 'default' calendar"),
        ({"sales": {"first_touch_hours": 4, "attempts_before_unresponsive": 3,
                    "attempt_days": 60},
          "calendars": {"default": {"hours": {"monday": [["09:00", "17:00"]]}},
                        "AE": {"hours": {"sunday": [["09:00", "10:00"]]}}}},
         "sales.attempt_days", "'AE' calendar (1 open days a week)"),
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
