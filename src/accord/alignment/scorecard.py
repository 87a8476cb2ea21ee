"""The alignment scorecard: the survey's reading (both teams' answers) and the behavioural
index's (the records) side by side per area, weakest area first, each weak area with concrete
practices, the widest perception gaps, and the change since the last pulse."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from accord.alignment.behaviour import BehaviourIndex, Component, behaviour_index
from accord.alignment.instrument import AREAS
from accord.alignment.practices import PRACTICES
from accord.alignment.survey_results import (
    ItemResult,
    PulseResult,
    TrendPoint,
    latest_result,
    trend,
)
from accord.core.periods import last_days

WEAK_BELOW = 60.0  # an area scoring under this (0-100) gets its practices suggested
DEFAULT_DAYS = 90


@dataclass
class AreaLine:
    area: str
    title: str
    survey: float | None  # both teams' mean (or the shown team's), 0-100
    survey_sales: float | None
    survey_marketing: float | None
    survey_change: float | None  # since the previous pulse
    behaviour: float | None  # the mean of the area's scored components
    components: list[Component] = field(default_factory=list)
    practices: tuple[str, ...] = ()

    @property
    def combined(self) -> float | None:
        found = [v for v in (self.survey, self.behaviour) if v is not None]
        return statistics.fmean(found) if found else None

    @property
    def weak(self) -> bool:
        return self.combined is not None and self.combined < WEAK_BELOW


@dataclass
class Scorecard:
    pulse: PulseResult | None
    previous: PulseResult | None
    index: BehaviourIndex
    areas: list[AreaLine]  # weakest first
    gaps: list[ItemResult]  # the widest perception gaps first
    trend: list[TrendPoint] = field(default_factory=list)  # area scores per pulse, oldest first

    @property
    def weakest_component(self) -> Component | None:
        return self.index.weakest


def _survey_area(result: PulseResult | None, area: str) -> tuple[float | None, ...]:
    if result is None:
        return None, None, None
    line = next((a for a in result.areas if a.area == area), None)
    if line is None:
        return None, None, None
    shown = line.scores["both"].value
    sales, marketing = line.scores["sales"].value, line.scores["marketing"].value
    if shown is None:  # one team's group hidden: the other's reading stands alone
        shown = sales if sales is not None else marketing
    return shown, sales, marketing


def scorecard(workspace_id: int, *, end: dt.datetime | None = None,
              days: int = DEFAULT_DAYS) -> Scorecard:  # fmt: skip
    # "The last N days" as every page reads them (whole UTC days, today included); an `end`
    # given is the instant the period ends.
    since, until = last_days(days) if end is None else (end - dt.timedelta(days=days), end)
    index = behaviour_index(workspace_id, since, until)
    pulse, previous = latest_result(workspace_id)
    by_area = index.by_area()
    lines = []
    for area, title in AREAS.items():
        survey, sales, marketing = _survey_area(pulse, area)
        before = _survey_area(previous, area)[0]
        components = by_area.get(area, [])
        scored = [c.score for c in components if c.score is not None and c.weight > 0]
        line = AreaLine(
            area, title, survey, sales, marketing,
            None if survey is None or before is None else survey - before,
            statistics.fmean(scored) if scored else None, components,
        )  # fmt: skip
        if line.weak:
            line.practices = PRACTICES[area]
        lines.append(line)
    lines.sort(key=lambda a: (a.combined is None, a.combined or 0.0, a.area))
    gaps = [g for g in (pulse.gaps() if pulse else []) if g.gap and g.gap.clear]
    # The weakest component's area gets its practices even when the area as a whole is not
    # weak: it is where the records say to start.
    weakest = index.weakest
    if weakest is not None:
        for line in lines:
            if line.area == weakest.spec.area and not line.practices:
                line.practices = PRACTICES[line.area]
    return Scorecard(pulse, previous, index, lines, gaps, trend(workspace_id))
