"""The SLA agreement document (schema version 1): pure pydantic, no Django.

One versioned document per workspace, approved by a marketing and a sales manager like a lead
definition. Three sides:

- marketing: how many MQLs (of the active lead definition) per month or quarter, optionally per
  segment, with pacing against the target;
- sales: first touch within H business hours of assignment; at least K attempts within D
  business days before a lead may be rejected as unresponsive;
- the buyer: at most M touches per contact in a rolling window, sales activities and marketing
  sends together.

Business hours come from the team calendars: a time zone, open intervals per weekday ("24:00"
ends one at midnight), holidays. A team's calendar inherits every key it does not set from the
default calendar (`{"timezone": "America/New_York"}` keeps the default's hours and holidays); the
document is stored with the inherited values written out, so a version reads the same forever.
`parse_sla` raises `DocumentInvalid`, shared with lead definitions, whose `fields` map dotted
paths to messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from accord.definitions.document import DocumentInvalid
from accord.handoff.business_hours import MIDNIGHT, Calendar, interval_seconds

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
END_OF_DAY = ("24:00", "24:00:00")  # how an interval says it runs to midnight
# A deadline must fall within this many weeks of any calendar's open time: further, and routing
# would search years of days for one (and the clock would mean nothing).
MAX_SPAN_WEEKS = 52


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarSpec(_Strict):
    """A team's working week: {"monday": [["09:00", "17:00"]], …}, its zone and holidays."""

    timezone: str = "UTC"
    hours: dict[str, list[tuple[dt.time, dt.time]]] = Field(
        default_factory=lambda: {d: [(dt.time(9), dt.time(17))] for d in WEEKDAYS[:5]}
    )
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use e.g. Europe/Berlin)") from exc
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _midnight(cls, value: Any) -> Any:
        """ "24:00" ends an interval at midnight (stored as `MIDNIGHT`); "00:00" as an end is
        refused rather than read as the start of the day."""
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for day, intervals in value.items():
            if not isinstance(intervals, list | tuple):
                out[day] = intervals
                continue
            fixed: list[Any] = []
            for interval in intervals:
                if isinstance(interval, list | tuple) and len(interval) == 2:
                    start, end = interval
                    if end in ("00:00", "00:00:00"):
                        raise ValueError(f"{day}: an interval open until midnight ends at 24:00")
                    fixed.append((start, MIDNIGHT if end in END_OF_DAY else end))
                else:
                    fixed.append(interval)
            out[day] = fixed
        return out

    @field_validator("hours")
    @classmethod
    def _days(
        cls, value: dict[str, list[tuple[dt.time, dt.time]]]
    ) -> dict[str, list[tuple[dt.time, dt.time]]]:
        unknown = [d for d in value if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday '{unknown[0]}' (use {', '.join(WEEKDAYS)})")
        return value

    @field_serializer("hours", when_used="json")
    def _hours_text(
        self, value: dict[str, list[tuple[dt.time, dt.time]]]
    ) -> dict[str, list[list[str]]]:
        return {
            day: [[a.isoformat(), "24:00:00" if b == MIDNIGHT else b.isoformat()] for a, b in v]
            for day, v in value.items()
        }

    def weekly_hours(self) -> float:
        """Open hours in a week, wall time (holidays and DST aside)."""
        spans = [interval_seconds(i) for v in self.hours.values() for i in v]
        return sum(end - start for start, end in spans) / 3600

    @field_validator("holidays")
    @classmethod
    def _distinct_holidays(cls, value: list[dt.date]) -> list[dt.date]:
        seen: set[dt.date] = set()
        for day in value:
            if day in seen:
                raise ValueError(f"{day} is listed twice")
            seen.add(day)
        return sorted(value)

    def calendar(self) -> Calendar:
        try:
            return Calendar(
                timezone=self.timezone,
                week={WEEKDAYS.index(d): tuple(v) for d, v in self.hours.items()},
                holidays=frozenset(self.holidays),
            )
        except ValueError as exc:  # overlapping or empty intervals, no open hours
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _valid_calendar(self) -> CalendarSpec:
        self.calendar()
        return self


class VolumeTarget(_Strict):
    """Marketing's promise: MQLs per period, overall or for one segment."""

    mqls: int = Field(gt=0)
    period: Literal["month", "quarter"] = "month"
    segment: str | None = Field(default=None, min_length=1, max_length=60)


class MarketingSide(_Strict):
    targets: list[VolumeTarget] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_per_segment(self) -> MarketingSide:
        keys = [(t.segment, t.period) for t in self.targets]
        if len(keys) != len(set(keys)):
            raise ValueError("one target per segment and period")
        return self


class SalesSide(_Strict):
    first_touch_hours: float = Field(gt=0, le=24 * 30)  # business hours after assignment
    attempts_before_unresponsive: int = Field(ge=1, le=20)
    attempt_days: int = Field(ge=1, le=60)  # business days to make those attempts
    manager_grace_hours: float = Field(default=4.0, gt=0, le=24 * 10)  # after a breach


class BuyerSide(_Strict):
    max_touches: int = Field(ge=1, le=100)
    window_hours: float = Field(gt=0, le=24 * 90)


class SlaDocument(_Strict):
    schema_version: Literal[1] = 1
    marketing: MarketingSide
    sales: SalesSide
    buyer: BuyerSide
    calendars: dict[str, CalendarSpec] = Field(default_factory=lambda: {"default": CalendarSpec()})

    @field_validator("calendars")
    @classmethod
    def _inherit_from_default(cls, value: dict[str, CalendarSpec]) -> dict[str, CalendarSpec]:
        """A team's calendar takes what it does not set (time zone, hours, holidays) from the
        default: "the AE team works in New York" must not drop the default's holidays."""
        default = value.get("default")
        if default is None:
            return value  # `_default_calendar` says so
        return {
            name: spec
            if name == "default"
            else default.model_copy(update={k: getattr(spec, k) for k in spec.model_fields_set})
            for name, spec in value.items()
        }

    @model_validator(mode="after")
    def _default_calendar(self) -> SlaDocument:
        if "default" not in self.calendars:
            raise ValueError("calendars needs a 'default' entry (teams without their own use it)")
        return self

    def calendar_for(self, team: str | None) -> Calendar:
        spec = self.calendars.get(team or "default") or self.calendars["default"]
        return spec.calendar()


def _span_errors(document: SlaDocument) -> dict[str, list[str]]:
    """The sales side's hours and days must fit in `MAX_SPAN_WEEKS` of every calendar's open
    time: 720 business hours of a one-hour week would be due in 14 years, and routing would
    fail to find them. (Holidays aside: a year leaves room for them.)"""
    fields: dict[str, list[str]] = {}
    sales = document.sales
    for name, spec in sorted(document.calendars.items()):
        weekly = spec.weekly_hours()
        open_days = sum(1 for day in spec.hours.values() if day)
        limit = weekly * MAX_SPAN_WEEKS
        for key, hours in (
            ("first_touch_hours", sales.first_touch_hours),
            ("manager_grace_hours", sales.manager_grace_hours),
        ):
            if hours > limit:
                fields.setdefault(f"sales.{key}", []).append(
                    f"{hours:g} business hours is more than a year of the '{name}' calendar "
                    f"({weekly:g} open hours a week: at most {limit:g})"
                )
        if sales.attempt_days > open_days * MAX_SPAN_WEEKS:
            fields.setdefault("sales.attempt_days", []).append(
                f"{sales.attempt_days} business days is more than a year of the '{name}' "
                f"calendar ({open_days} open days a week)"
            )
    return fields


def parse_sla(data: Any) -> SlaDocument:
    try:
        document = SlaDocument.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"]) or "document"
            message = str(error["msg"]).removeprefix("Value error, ")
            fields.setdefault(path, []).append(message)
        raise DocumentInvalid(fields) from exc
    if errors := _span_errors(document):
        raise DocumentInvalid(errors)
    return document
