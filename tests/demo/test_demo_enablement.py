"""The demo's enablement library and calendar: the planted asset has the highest win-rate
difference (its interval above 0), one asset is used by nobody, the files are stored and
served, and the calendar feeds the capacity plan."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.demo.enablement_setup import ASSETS, CALENDAR, PLANTED_ASSET, UNUSED_ASSET, USAGE_DAYS
from accord.marketing import calendar_selectors as cal
from accord.marketing import enablement_selectors as sel
from accord.marketing.asset_files import stored_path
from accord.marketing.calendar_models import CalendarEntry
from accord.marketing.enablement_models import AssetVersion

SEED = 42
CONTACTS = 4_000
# The usage is random: a fixed end date makes this check a fixed case.
AS_OF = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def test_the_planted_asset_leads_the_win_rates(demo) -> None:  # type: ignore[no-untyped-def]
    workspace = demo.dataset.workspace
    span = sel.Period(AS_OF - dt.timedelta(days=USAGE_DAYS), AS_OF)
    lines = sel.asset_win_rates(workspace, span)
    assert len(lines) == len(ASSETS)
    best = lines[0]
    assert best.title == PLANTED_ASSET
    assert best.difference.low is not None and best.difference.low > 0
    others = [x for x in lines[1:] if x.difference.difference is not None]
    assert all(best.difference.difference > x.difference.difference for x in others)  # type: ignore[operator]
    assert [a.title for a in sel.unused_assets(workspace, span)] == [UNUSED_ASSET]
    reps, teams = sel.usage_by_rep_and_team(workspace, span)
    assert reps and teams and sum(r.usages for r in reps) == sum(t.usages for t in teams)


def test_files_and_calendar(demo) -> None:  # type: ignore[no-untyped-def]
    workspace = demo.dataset.workspace
    files = AssetVersion.objects.for_workspace(workspace).exclude(storage_name="")
    assert files.count() == sum(n for _, kind, *_, n in ASSETS if kind == "file")
    assert all(stored_path(workspace.pk, v.storage_name).stat().st_size == v.size for v in files)
    assert CalendarEntry.objects.for_workspace(workspace).count() == len(CALENDAR)
    plan = cal.capacity_plan(workspace, today=AS_OF.date(), weeks=8)
    assert len(plan) == 8 and sum(w.leads for w in plan) > 0 and plan[0].sellers > 0
