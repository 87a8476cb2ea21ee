"""The demo's calendar: a window of days ending now, seasonal day weights, quarters, weeks, and
the campaigns each channel runs per quarter. Times are float seconds since `origin` (midnight
UTC of the window's first day); no Django import here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from accord.demo.parameters import DemoParameters

DAY = 86_400.0
WEEK = 7 * DAY


@dataclass(frozen=True)
class Quarter:
    label: str  # "Q3 2026"
    start: dt.date
    end: dt.date  # last day, inclusive
    start_s: float  # seconds since origin (may be negative for the first quarter)


@dataclass(frozen=True)
class Timeline:
    origin: dt.datetime  # aware UTC midnight
    now: float  # seconds since origin
    day_weights: np.ndarray  # probability of a new contact on each day 0 .. days-1
    quarters: tuple[Quarter, ...]
    week0: dt.date  # Monday on or before the origin
    weeks: int

    @property
    def days(self) -> int:
        return len(self.day_weights)

    @property
    def as_of(self) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=self.now)

    def quarter_of(self, seconds: np.ndarray) -> np.ndarray:
        starts = np.array([q.start_s for q in self.quarters])
        return np.clip(np.searchsorted(starts, seconds, side="right") - 1, 0, len(starts) - 1)

    def week_of(self, seconds: np.ndarray) -> np.ndarray:
        offset = (self.origin.date() - self.week0).days * DAY
        return np.clip(((seconds + offset) // WEEK).astype(np.int64), 0, self.weeks - 1)

    def week_start(self, week: int) -> dt.date:
        return self.week0 + dt.timedelta(days=7 * week)

    def date_of(self, seconds: float) -> dt.date:
        return (self.origin + dt.timedelta(seconds=float(seconds))).date()

    def sample_times(self, rng: np.random.Generator, n: int, hourly: np.ndarray) -> np.ndarray:
        """Creation times: a day by seasonal weight, an hour by the daily profile."""
        day = rng.choice(self.days, size=n, p=self.day_weights)
        hour = rng.choice(24, size=n, p=hourly)
        seconds = day * DAY + hour * 3600.0 + rng.random(n) * 3600.0
        late = seconds > self.now  # today, after the present moment: anywhere earlier today
        today = (self.days - 1) * DAY
        seconds[late] = today + rng.random(int(late.sum())) * (self.now - today)
        return seconds

    # Formatting -----------------------------------------------------------------------------
    def datetime_strings(self, seconds: np.ndarray, *, sqlite: bool) -> list[str]:
        """ISO strings at microsecond precision, as the database stores them: SQLite keeps
        naive UTC text with a space separator (Django's format); others get an explicit
        UTC offset."""
        if len(seconds) == 0:
            return []
        origin_us = np.datetime64(self.origin.replace(tzinfo=None), "us")
        stamps = origin_us + np.round(np.asarray(seconds) * 1e6).astype("timedelta64[us]")
        text = np.datetime_as_string(stamps, unit="us")
        if sqlite:
            chars = text.view(np.uint32).reshape(len(text), -1)
            chars[:, 10] = ord(" ")
            return text.tolist()
        return [f"{value}+00:00" for value in text.tolist()]

    def date_strings(self, seconds: np.ndarray) -> list[str]:
        origin_day = np.datetime64(self.origin.date(), "D")
        days = origin_day + (np.asarray(seconds) // DAY).astype("timedelta64[D]")
        return np.datetime_as_string(days, unit="D").tolist()


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(start: dt.date) -> dt.date:
    return (
        dt.date(start.year + 1, 1, 1)
        if start.month == 10
        else dt.date(start.year, start.month + 3, 1)
    )


def build_timeline(parameters: DemoParameters, as_of: dt.datetime) -> Timeline:
    as_of = as_of.astimezone(dt.UTC)
    first_day = (as_of - dt.timedelta(days=parameters.window_days)).date()
    origin = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=dt.UTC)
    now = (as_of - origin).total_seconds()
    days = int(now // DAY) + 1
    dates = [first_day + dt.timedelta(days=d) for d in range(days)]
    season = np.array(parameters.monthly_seasonality)
    weekday = np.array(parameters.weekday_weights)
    weights = np.array(
        [season[d.month - 1] * weekday[d.weekday()] for d in dates], dtype=np.float64
    )
    weights *= parameters.monthly_growth ** (np.arange(days) / 30.0)
    weights[-1] *= (now - (days - 1) * DAY) / DAY  # only the elapsed part of today
    quarters: list[Quarter] = []
    start = _quarter_start(first_day)
    while start <= as_of.date():
        following = _next_quarter(start)
        quarters.append(
            Quarter(
                label=f"Q{(start.month - 1) // 3 + 1} {start.year}",
                start=start,
                end=following - dt.timedelta(days=1),
                start_s=(start - first_day).days * DAY,
            )
        )
        start = following
    week0 = first_day - dt.timedelta(days=first_day.weekday())
    weeks = (as_of.date() - week0).days // 7 + 1
    return Timeline(
        origin=origin,
        now=now,
        day_weights=weights / weights.sum(),
        quarters=tuple(quarters),
        week0=week0,
        weeks=weeks,
    )


# Campaigns ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignSpec:
    channel: int  # index into parameters.channels
    quarter: int
    variant: int
    name: str
    type: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    start_date: dt.date
    end_date: dt.date
    budget: float  # planned spend for the quarter (USD): expected spend plus 0-20 %


@dataclass(frozen=True)
class CampaignPlan:
    specs: tuple[CampaignSpec, ...]
    lookup: np.ndarray  # [channel, quarter, variant] -> campaign index, -1 for none
    variant_cdf: np.ndarray  # [channel, variant] cumulative variant weights (1.0 padded)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plan_campaigns(
    parameters: DemoParameters, timeline: Timeline, seed: int, contacts: int
) -> CampaignPlan:
    """One campaign per channel variant per quarter, with a planned budget near the spend its
    expected share of leads will cost."""
    rng = np.random.default_rng([seed, 0])
    channels = parameters.channels
    max_variants = max(1, *(len(c.campaigns) for c in channels))
    lookup = np.full((len(channels), len(timeline.quarters), max_variants), -1, dtype=np.int64)
    cdf = np.ones((len(channels), max_variants))
    day_quarter = timeline.quarter_of(np.arange(timeline.days) * DAY)
    quarter_share = np.bincount(
        day_quarter, weights=timeline.day_weights, minlength=len(timeline.quarters)
    )
    specs: list[CampaignSpec] = []
    for c, channel in enumerate(channels):
        weights = np.array([v.weight for v in channel.campaigns] or [1.0])
        cdf[c, : len(weights)] = np.cumsum(weights / weights.sum())
        for q, quarter in enumerate(timeline.quarters):
            for v, variant in enumerate(channel.campaigns):
                label = channel.channel.replace("_", " ").capitalize()
                expected_spend = (
                    quarter_share[q] * channel.lead_share * weights[v] / weights.sum()
                ) * channel.cost_per_lead
                lookup[c, q, v] = len(specs)
                specs.append(
                    CampaignSpec(
                        channel=c,
                        quarter=q,
                        variant=v,
                        name=f"{label} — {variant.name} — {quarter.label}",
                        type=variant.type,
                        utm_source=variant.utm_source,
                        utm_medium=variant.utm_medium,
                        utm_campaign=_slug(f"{variant.name} {quarter.label}"),
                        start_date=max(quarter.start, timeline.origin.date()),
                        end_date=quarter.end,
                        budget=round(expected_spend * contacts * rng.uniform(1.0, 1.2), -2),
                    )
                )
    return CampaignPlan(specs=tuple(specs), lookup=lookup, variant_cdf=cdf)
