"""The behavioural alignment index: what the records say about how the two teams work together,
component by component (`behaviour_weights.COMPONENTS` defines each), each scored 0-100 with
the numbers it rests on, and combined by a documented, versioned weighting. A component with
nothing to measure in the period (no handoffs, no cadence) is shown as such and left out of
the index rather than counted as 0 or 100.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from accord.alignment.behaviour_weights import COMPONENTS, ComponentSpec
from accord.alignment.models import RejectionReview
from accord.alignment.services import current_weights, survey_team
from accord.attribution.models import Recognition
from accord.crm.models import Activity, Deal, DealOutcome, DealStageChange
from accord.handoff.models import Dispute, Handoff, HandoffStatus
from accord.identity.models import Membership
from accord.meetings.selectors import action_item_completion, meeting_cadence
from accord.metrics.catalogue import MetricSpec, measure, sla_report_of
from accord.metrics.goals import goal_list
from accord.metrics.planning import goal_pacing

REVIEW_WITHIN = dt.timedelta(hours=72)
STALE_AFTER = dt.timedelta(days=30)


@dataclass
class Component:
    spec: ComponentSpec
    score: float | None  # 0-100; None when there is nothing to measure
    detail: str  # the numbers behind the score, in words
    weight: float = 0.0
    previous: float | None = None  # the same component over the period before
    parts: dict[str, float] = field(default_factory=dict)  # e.g. per team

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass
class BehaviourIndex:
    start: dt.datetime
    end: dt.datetime
    weighting_version: int  # 0: the default weights
    components: list[Component]

    @property
    def score(self) -> float | None:
        scored = [c for c in self.components if c.score is not None and c.weight > 0]
        total = sum(c.weight for c in scored)
        if not total:
            return None
        return sum(c.weight * (c.score or 0) for c in scored) / total

    def by_area(self) -> dict[str, list[Component]]:
        areas: dict[str, list[Component]] = {}
        for c in self.components:
            areas.setdefault(c.spec.area, []).append(c)
        return areas

    @property
    def weakest(self) -> Component | None:
        scored = [c for c in self.components if c.score is not None and c.weight > 0]
        return min(scored, key=lambda c: (c.score, c.spec.key)) if scored else None


def _pct(part: float, whole: float) -> float:
    return 100 * part / whole


def _rate_metric(ws: int, metric: str, start: dt.datetime, end: dt.datetime
                 ) -> tuple[float | None, str]:  # fmt: skip
    result = measure(ws, MetricSpec(metric=metric, start=start, end=end))
    value = next((v for v in result.values if v.dimension == ""), None)
    if value is None or value.value is None:
        return None, (value.reason if value else "") or "nothing to measure in the period"
    return 100 * float(value.value), f"{value.successes} of {value.n}"


def _weeks(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    weeks, at = [], start
    while at < end:
        weeks.append((at, min(at + dt.timedelta(days=7), end)))
        at += dt.timedelta(days=7)
    return weeks


def _weeks_active(
    rows: QuerySet[Any],
    user_field: str,
    time_field: str,
    people: set[int],
    weeks: list[tuple[dt.datetime, dt.datetime]],
) -> QuerySet[Any]:
    """(user, week index) pairs: the weeks in which each of `people` has a row."""
    week = Case(
        *(When(**{f"{time_field}__lt": to}, then=Value(i)) for i, (_, to) in enumerate(weeks)),
        output_field=IntegerField(),
    )
    return (
        rows.filter(
            **{
                f"{user_field}__in": people,
                f"{time_field}__gte": weeks[0][0],
                f"{time_field}__lt": weeks[-1][1],
            }
        )
        .order_by()
        .annotate(week=week)
        .values_list(user_field, "week")
        .distinct()
    )


def crm_adoption(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    spec = _spec("crm_adoption")
    members = Membership.objects.for_workspace(ws).select_related("team")
    teams: dict[str, set[int]] = {}
    for m in members:
        side = survey_team(m)
        if side:
            teams.setdefault(side, set()).add(m.user_id)
    if not teams:
        return Component(spec, None, "nobody is in a sales or marketing team")
    people = set().union(*teams.values())
    weeks = _weeks(start, end)
    if not weeks:
        return Component(spec, None, "the period is empty")

    # What each side records: activities (both), lead decisions (sales), the review or
    # dispute of a rejected lead's reason (marketing's side of the feedback loop). The database
    # answers which weeks each person logged something in: the rows themselves can run to
    # millions in a quarter.
    records: list[tuple[QuerySet[Any], str, str]] = [
        (Activity.objects.for_workspace(ws), "user_id", "occurred_at"),
        (Handoff.objects.for_workspace(ws), "decided_by_id", "decided_at"),
        (RejectionReview.objects.for_workspace(ws), "reviewed_by_id", "reviewed_at"),
        (Dispute.objects.for_workspace(ws), "raised_by_id", "created_at"),
    ]
    logged: dict[int, set[int]] = {}  # week index -> users who logged something
    for rows, user_field, time_field in records:
        for user, week in _weeks_active(rows, user_field, time_field, people, weeks):
            logged.setdefault(week, set()).add(user)
    parts = {
        side: statistics.fmean(
            _pct(len(logged.get(i, set()) & users), len(users)) for i in range(len(weeks))
        )
        for side, users in sorted(teams.items())
    }
    detail = "; ".join(f"{side}: {share:.0f} % of {len(teams[side])} people a week"
                       for side, share in parts.items())  # fmt: skip
    return Component(spec, statistics.fmean(parts.values()), detail, parts=parts)


def fresh_records(ws: int, end: dt.datetime) -> Component:
    """Deals open at `end` (their last stage change before it went to an open stage, as the
    open-pipeline metric reads them, so a past window is judged by its own deals) with no
    activity on the deal or its primary contact in the 30 days before `end`."""
    spec = _spec("fresh_records")
    # Scoped through the outer deal, which is the workspace's: naming the workspace here too
    # led SQLite to the (workspace, time) index, a scan of every change per deal (4 s for
    # 1,600 deals); by the deal it is the (deal, time) index, 4 ms.
    stage_then = (
        DealStageChange.objects.across_workspaces()
        .filter(deal_id=OuterRef("pk"), occurred_at__lt=end)
        .order_by("-occurred_at", "-pk")
        .values("to_stage__outcome")[:1]
    )
    open_deals = (
        Deal.objects.for_workspace(ws)
        .annotate(outcome_then=Subquery(stage_then))
        .filter(outcome_then=DealOutcome.OPEN)
    )
    total = open_deals.count()
    if not total:
        return Component(spec, None, "no open deals")
    recent = Activity.objects.for_workspace(ws).filter(
        occurred_at__gte=end - STALE_AFTER, occurred_at__lt=end
    )
    fresh = open_deals.filter(
        Q(pk__in=recent.filter(deal__isnull=False).values("deal_id"))
        | Q(primary_contact_id__in=recent.filter(contact__isnull=False).values("contact_id"))
    ).count()
    return Component(spec, _pct(fresh, total), f"{total - fresh} of {total} open deals stale")


def feedback_latency(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    spec = _spec("feedback_latency")
    rejected = Handoff.objects.for_workspace(ws).filter(
        status=HandoffStatus.REJECTED, decided_at__gte=start, decided_at__lt=end
    )
    total = rejected.count()
    if not total:
        return Component(spec, None, "no leads rejected in the period")
    # The first review or dispute of each rejection, beside its time: joined in the database,
    # not as a list of the period's rejections (tens of thousands in a large workspace).
    first: dict[int, tuple[dt.datetime, dt.datetime]] = {}  # handoff -> (rejected, reviewed)
    answers = (
        RejectionReview.objects.for_workspace(ws)
        .filter(handoff__in=rejected)
        .values_list("handoff_id", "handoff__decided_at", "reviewed_at"),
        Dispute.objects.for_workspace(ws)
        .filter(handoff__in=rejected)
        .values_list("handoff_id", "handoff__decided_at", "created_at"),
    )
    for rows in answers:
        for handoff, decided, at in rows:
            if decided is None:  # never: the period's rejections have a decision time
                continue
            known = first.get(handoff)
            first[handoff] = (decided, at if known is None else min(at, known[1]))
    hours = [(at - decided).total_seconds() / 3600 for decided, at in first.values()]
    in_time = sum(1 for h in hours if h <= REVIEW_WITHIN.total_seconds() / 3600)
    median = f"; median {statistics.median(hours):.0f} h to review" if hours else ""
    detail = f"{in_time} of {total} rejections reviewed within 72 h{median}"
    return Component(spec, _pct(in_time, total), detail)


def marketing_volume(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    """Each target period's attainment (MQLs against the agreed volume; the period in progress
    against what is expected by now), capped at 100 % so that one period's surplus does not make
    up another's shortfall, weighted by the period's days inside [start, end)."""
    spec = _spec("sla_marketing")
    now = min(end, timezone.now())
    weighted = weights = 0.0
    shown: list[str] = []
    for row in sla_report_of(ws, start, end).volume:
        if row.starts is None or row.ends is None or row.starts >= now:
            continue  # a period not begun yet
        due = row.expected_by_now if row.expected_by_now is not None else float(row.target)
        inside = min(row.ends, now) - max(row.starts, start)
        weight = inside / (row.ends - row.starts)
        if due <= 0 or weight <= 0:
            continue
        weighted += weight * min(1.0, row.mqls / due)
        weights += weight
        segment = f" ({row.segment})" if row.segment else ""
        so_far = " so far" if row.expected_by_now is not None else ""
        shown.append(f"{row.period}{segment} {row.mqls:,} of {due:,.0f}{so_far}")
    if not weights:
        return Component(spec, None, "no lead-volume target in the period")
    return Component(spec, 100 * weighted / weights, "MQLs against target: " + "; ".join(shown))


def goal_attainment(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    spec = _spec("goal_attainment")
    today = (end - dt.timedelta(microseconds=1)).date()
    shares: list[float] = []
    for goal in goal_list(ws):
        if goal.period_end < start.date() or goal.period_start > today:
            continue
        pacing = goal_pacing(goal, min(today, goal.period_end))
        revenue = next(r for r in pacing.rows if r.stage == "revenue")
        ended = goal.period_end <= today
        due = float(revenue.target) if ended else revenue.expected
        if not due:
            continue
        shares.append(min(100.0, _pct(float(revenue.actual), due)))
    if not shares:
        return Component(spec, None, "no shared goal in the period")
    return Component(spec, statistics.fmean(shares), f"{len(shares)} goal(s)")


def cadence(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    spec = _spec("meeting_cadence")
    reading = meeting_cadence(ws, start, end)
    if not reading.expected:
        return Component(spec, None, "no meeting cadence agreed")
    score = min(100.0, _pct(reading.held, reading.expected))
    return Component(spec, score, f"{reading.held} held of {reading.expected} expected")


def action_items(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    spec = _spec("action_items")
    done = action_item_completion(ws, start, end)
    if not done.due:
        return Component(spec, None, "no action item due in the period")
    detail = (f"{done.done_on_time} of {done.due} done on time; {done.done_late} late, "
              f"{done.open_overdue} open and overdue")  # fmt: skip
    return Component(spec, _pct(done.done_on_time, done.due), detail)


def recognition(ws: int, start: dt.datetime, end: dt.datetime) -> Component:
    """Of the deals won in the period and recognised (the recognition written when a deal is
    won), the share whose recognition credits marketing's campaigns or marketers. A win with
    no recognition yet (won before recognitions were kept, or not caught up) is not counted
    against marketing: it is named in the detail instead."""
    spec = _spec("recognition")
    won = Deal.objects.for_workspace(ws).filter(
        status=DealOutcome.WON, closed_at__gte=start, closed_at__lt=end
    )
    won_count = won.count()
    if not won_count:
        return Component(spec, None, "no deal won in the period")
    rows = list(
        Recognition.objects.for_workspace(ws)
        .filter(deal_id__in=won.values("pk"))
        .values_list("campaigns", "marketers", "marketing_credit")
    )
    unrecognised = won_count - len(rows)
    waiting = f"; {unrecognised} not recognised yet" if unrecognised else ""
    if not rows:
        return Component(spec, None, f"none of {won_count} won deals recognised yet")
    credited = sum(
        1
        for campaigns, marketers, credit in rows
        if (campaigns or marketers) and Decimal(credit or 0) > 0
    )
    return Component(
        spec, _pct(credited, len(rows)), f"{credited} of {len(rows)} recognised wins{waiting}"
    )


def _spec(key: str) -> ComponentSpec:
    return next(c for c in COMPONENTS if c.key == key)


def _rate(ws: int, key: str, metric: str, start: dt.datetime, end: dt.datetime) -> Component:
    score, detail = _rate_metric(ws, metric, start, end)
    return Component(_spec(key), score, detail)


def _components(ws: int, start: dt.datetime, end: dt.datetime) -> list[Component]:
    return [
        crm_adoption(ws, start, end),
        fresh_records(ws, end),
        _rate(ws, "sla_sales", "sla_sales", start, end),
        marketing_volume(ws, start, end),
        _rate(ws, "acceptance", "acceptance_rate", start, end),
        feedback_latency(ws, start, end),
        goal_attainment(ws, start, end),
        cadence(ws, start, end),
        action_items(ws, start, end),
        recognition(ws, start, end),
    ]


def behaviour_index(workspace_id: int, start: dt.datetime, end: dt.datetime,
                    *, compare: bool = True) -> BehaviourIndex:  # fmt: skip
    """Every component over [start, end), with its score over the period before (same length)
    for the trend, weighted by the workspace's current weighting."""
    version, weights = current_weights(workspace_id)
    components = _components(workspace_id, start, end)
    if compare:
        before = _components(workspace_id, start - (end - start), start)
        for now, then in zip(components, before, strict=True):
            now.previous = then.score
    for c in components:
        c.weight = float(weights.get(c.spec.key, 0.0))
    return BehaviourIndex(start, end, version, components)
