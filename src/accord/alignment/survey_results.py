"""A pulse's results: scores per item, area and team, the perception gap between sales and
marketing, and the trend across pulses — with the anonymity rule applied in this one place,
so every page, filter, export and API call inherits it.

The rule: no result rests on fewer than `MIN_GROUP` (5) respondents, and no two results can
be subtracted to reveal a smaller group.

- A team's results count its responses in whole groups of five, earliest first: 5, 10, 15 …
  Between two readings at least five new answers arrive, so comparing a reading before and
  after someone answered reveals an average of five people, never one person. (Up to four
  responses per team wait for the next to be counted; the page says how many.)
- "Both teams" is shown only when each team's counted group is empty or shown itself, so
  "both" minus "sales" never reveals a hidden marketing group.
- Every item must be answered, so every item of a group rests on the same respondents.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from accord.alignment.instrument import AREAS, Instrument, item_score
from accord.alignment.models import Participation, Pulse, Response, SurveyTeam
from accord.experiments.stats.means import compare_means, summarise

MIN_GROUP = 5
TEAMS = (SurveyTeam.SALES.value, SurveyTeam.MARKETING.value)


@dataclass
class Score:
    """A mean 0-100 score, or why there is none."""

    value: float | None
    n: int  # respondents counted (0 when hidden)
    hidden: str = ""


@dataclass
class Gap:
    """Sales' score minus marketing's on one item or area, with Welch's 95 % interval."""

    value: float
    low: float | None
    high: float | None

    @property
    def clear(self) -> bool:
        """The interval excludes 0: the teams see this differently, beyond chance."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass
class ItemResult:
    key: str
    text: str
    area: str
    scores: dict[str, Score]  # 'sales', 'marketing', 'both'
    gap: Gap | None


@dataclass
class AreaResult:
    area: str
    title: str
    scores: dict[str, Score]
    gap: Gap | None


@dataclass
class PulseResult:
    pulse: Pulse
    version: int
    asked: dict[str, int]  # team -> people asked
    answered: dict[str, int]  # team -> responses received
    counted: dict[str, int]  # team -> responses counted (whole groups of five; 0 if hidden)
    items: list[ItemResult] = field(default_factory=list)
    areas: list[AreaResult] = field(default_factory=list)
    overall: dict[str, Score] = field(default_factory=dict)

    @property
    def any_shown(self) -> bool:
        return any(s.value is not None for s in self.overall.values())

    def gaps(self) -> list[ItemResult]:
        """Items with a gap, the widest first."""
        found = [i for i in self.items if i.gap is not None]
        return sorted(found, key=lambda i: (-abs(i.gap.value if i.gap else 0), i.key))


def counted_group(answered: int) -> int:
    """How many of a team's responses count: whole groups of `MIN_GROUP`."""
    return answered - answered % MIN_GROUP


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _gap(sales: Sequence[float], marketing: Sequence[float]) -> Gap | None:
    if len(sales) < MIN_GROUP or len(marketing) < MIN_GROUP:
        return None
    compared = compare_means(summarise(marketing), summarise(sales))
    difference = statistics.fmean(sales) - statistics.fmean(marketing)
    interval = compared.difference_interval
    low = interval.lower if interval else None
    high = interval.upper if interval else None
    return Gap(difference, low, high)


def pulse_result(pulse: Pulse) -> PulseResult:
    ws = pulse.workspace_id
    instrument = Instrument.model_validate(pulse.version.document)
    asked: dict[str, int] = dict.fromkeys(TEAMS, 0)
    answered: dict[str, int] = dict.fromkeys(TEAMS, 0)
    for team, did in (
        Participation.objects.for_workspace(ws).filter(pulse=pulse).values_list("team", "answered")
    ):
        asked[team] += 1
        answered[team] += int(did)
    responses: dict[str, list[dict[str, int]]] = defaultdict(list)
    for team, answers in (
        Response.objects.for_workspace(ws).filter(pulse=pulse).order_by("pk")
        .values_list("team", "answers")
    ):  # fmt: skip
        responses[team].append(answers)
    counted = {t: counted_group(len(responses[t])) for t in TEAMS}
    kept = {t: responses[t][: counted[t]] for t in TEAMS}
    # A team whose group is hidden: answers for the "both" reading need it empty.
    hidden_teams = [t for t in TEAMS if not counted[t] and responses[t]]
    result = PulseResult(pulse, pulse.version.number, asked, answered, counted)
    area_values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_person: dict[str, list[list[float]]] = {t: [[] for _ in kept[t]] for t in TEAMS}
    for item in instrument.items:
        per_team = {
            t: [item_score(item, float(r[item.key])) for r in kept[t] if item.key in r]
            for t in TEAMS
        }
        for t in TEAMS:
            area_values[item.area][t].extend(per_team[t])
            for person, value in zip(per_person[t], per_team[t], strict=False):
                person.append(value)
        scores = _scores_with(per_team, counted, hidden_teams)
        result.items.append(ItemResult(item.key, item.text, item.area, scores,
                                       _gap(per_team["sales"], per_team["marketing"])))  # fmt: skip
    for area, title in AREAS.items():
        if area not in area_values:
            continue
        # Each respondent's mean over the area's items, so the gap's interval counts people.
        people = {t: _area_people(kept[t], instrument, area) for t in TEAMS}
        scores = _scores_with(people, counted, hidden_teams)
        result.areas.append(AreaResult(area, title, scores,
                                       _gap(people["sales"], people["marketing"])))  # fmt: skip
    overall = {t: [statistics.fmean(p) for p in per_person[t] if p] for t in TEAMS}
    result.overall = _scores_with(overall, counted, hidden_teams)
    return result


def _area_people(
    answers: Iterable[dict[str, int]], instrument: Instrument, area: str
) -> list[float]:
    items = [i for i in instrument.items if i.area == area]
    return [
        statistics.fmean(item_score(i, float(r[i.key])) for i in items if i.key in r)
        for r in answers
        if any(i.key in r for i in items)
    ]


def _scores_with(per_team: dict[str, list[float]], counted: dict[str, int],
                 hidden_teams: list[str]) -> dict[str, Score]:  # fmt: skip
    scores: dict[str, Score] = {}
    for team in TEAMS:
        if counted[team]:
            scores[team] = Score(_mean(per_team[team]), counted[team])
        else:
            scores[team] = Score(None, 0, f"fewer than {MIN_GROUP} {team} responses: hidden "
                                          "to keep answers anonymous")  # fmt: skip
    both = [v for team in TEAMS for v in per_team[team]]
    if both and not hidden_teams:
        scores["both"] = Score(_mean(both), sum(counted.values()))
    else:
        scores["both"] = Score(None, 0, "shown once each team that answered has a group of "
                                        f"{MIN_GROUP}")  # fmt: skip
    return scores


def pulses(workspace_id: int) -> list[Pulse]:
    """The workspace's pulses, newest first."""
    return list(
        Pulse.objects.for_workspace(workspace_id).select_related("version").order_by("-opened_at")
    )


def latest_result(workspace_id: int) -> tuple[PulseResult | None, PulseResult | None]:
    """The newest pulse with something shown, and the one before it with something shown
    (for the change since the last pulse)."""
    shown = []
    for pulse in pulses(workspace_id):
        result = pulse_result(pulse)
        if result.any_shown:
            shown.append(result)
        if len(shown) == 2:
            break
    return (shown[0] if shown else None, shown[1] if len(shown) > 1 else None)


@dataclass
class TrendPoint:
    pulse: Pulse
    areas: dict[str, dict[str, float | None]]  # area -> team -> score (None hidden)


def trend(workspace_id: int) -> list[TrendPoint]:
    """Area scores per team across pulses, oldest first."""
    points = []
    for pulse in reversed(pulses(workspace_id)):
        result = pulse_result(pulse)
        points.append(TrendPoint(pulse, {a.area: {t: s.value for t, s in a.scores.items()}
                                         for a in result.areas}))  # fmt: skip
    return points
