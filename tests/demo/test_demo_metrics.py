"""The catalogue on demo data: the win rate by source recovers the generator's true
per-channel `opportunity_to_won`, and every metric and breakdown gives the same values on the
record store (SQLite or PostgreSQL) and on the columnar copy (DuckDB)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from scipy.stats import norm

from accord.core.intervals import wilson
from accord.demo.parameters import DEFAULT_PARAMETERS as P
from accord.metrics import columnar
from accord.metrics.catalogue import METRICS, MetricSpec, measure

SEED = 23
CONTACTS = 12_000
MIN_CLOSED = 30
pytestmark = pytest.mark.django_db


def test_demo_metrics(demo, settings: Any, tmp_path: Any) -> None:  # type: ignore[no-untyped-def]
    """One test, so that the demo is generated once (the module's tests would otherwise be
    shared between test workers, each generating it)."""
    settings.DATA_DIR = tmp_path
    win_rate_by_source_recovers_each_channels_rate(demo)
    both_engines_agree_on_every_metric_and_breakdown(demo)


def win_rate_by_source_recovers_each_channels_rate(demo: Any) -> None:
    """Of the deals closed in the window, the share won, per source, against the channel's
    `opportunity_to_won`.

    Which deals to count: the generator decides a deal's fate (`won`, drawn per channel) apart
    from its timing — the sales cycle is a lognormal draw scaled by the company's segment, the
    same for deals that will be won or lost — and a deal is closed in the data once its close
    time has passed, won or lost alike. So the deals closed by `as_of` are a sample of the
    channel's deals that does not depend on the outcome, and won / closed estimates
    `opportunity_to_won` without bias, whatever the window; the deals still open are left out
    of numerator and denominator alike (counting them as not won would bias the rate down). The
    window is every close in the demo's history (a year, plus margin). A deal's source is its
    primary contact's channel, the channel whose rate decided it.

    Channels with fewer than 30 closed deals are not checked (too few to say much). The rest
    are checked together, each within a Wilson interval widened for the family (Bonferroni,
    1 - 0.05/k for k channels), so that all hold at once with 95 % probability."""
    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    spec = MetricSpec(metric="win_rate", start=as_of - dt.timedelta(days=P.window_days + 60),
                      end=as_of + dt.timedelta(days=1), breakdown="source")  # fmt: skip
    stored = measure(ws.pk, spec)
    copied = measure(ws.pk, spec, "columnar")
    assert stored.values == copied.values
    by_source = {v.dimension: v for v in stored.values}
    assert set(by_source) <= {c.channel for c in P.channels}
    checked = [c for c in P.channels if (by_source[c.channel].n or 0) >= MIN_CLOSED]
    assert len(checked) >= 8, {c: v.n for c, v in by_source.items()}
    z = float(norm.ppf(1 - 0.05 / (2 * len(checked))))
    for channel in checked:
        observed = by_source[channel.channel]
        assert observed.successes is not None and observed.n is not None
        low, high = wilson(observed.successes, observed.n, z)
        assert low <= channel.opportunity_to_won <= high, (channel.channel, observed)
    total_closed = sum(v.n or 0 for v in stored.values)
    summary = demo.dataset.summary
    assert total_closed == summary["deals_won"] + summary["deals_lost"]
    assert sum(v.successes or 0 for v in stored.values) == summary["deals_won"]


# Both engines, every metric and breakdown ---------------------------------------------------


def both_engines_agree_on_every_metric_and_breakdown(demo: Any) -> None:
    """Half a year up to the demo's `as_of`: every metric, every breakdown."""
    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    columnar.sync()
    empty: list[tuple[str, str]] = []
    start, end = as_of - dt.timedelta(days=182), as_of
    for metric in METRICS:
        for breakdown in metric.breakdowns:
            spec = MetricSpec(metric=metric.key, start=start, end=end, breakdown=breakdown)
            stored = measure(ws.pk, spec)
            copied = measure(ws.pk, spec, "columnar")
            assert stored.engine == "record_store"
            if metric.engines == "record_store":
                assert copied.engine == "record_store"  # the handoff's live records
            else:
                assert copied.engine == "columnar"
            assert stored.values == copied.values, (metric.key, breakdown)
            if not stored.values:
                empty.append((metric.key, breakdown))
    assert empty == []  # on demo data every metric has something to measure, by every breakdown


def test_the_demo_ships_a_revenue_goal_paced_on_the_dashboard(demo) -> None:  # type: ignore[no-untyped-def]
    from accord.demo.goal_setup import monthly_revenue_goal
    from accord.metrics.models import Goal
    from accord.metrics.planning import dashboard_goals

    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    (goal,) = Goal.objects.for_workspace(ws)
    assert goal.period == "month" and goal.period_start == as_of.date().replace(day=1)
    assert goal.revenue == monthly_revenue_goal(ws, as_of) > 0
    (pacing,) = dashboard_goals(ws.pk, as_of.date())
    assert pacing.goal_id == goal.pk and pacing.not_enough_data is None
    revenue = next(row for row in pacing.rows if row.stage == "revenue")
    assert revenue.target == goal.revenue
