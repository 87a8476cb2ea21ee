"""Home: what is waiting for the signed-in member, then the last 30 days at a glance (funnel
numbers from the ledger). The full set of numbers is the dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accord.core.periods import last_days
from accord.crm.models import DealOutcome
from accord.crm.selectors import deal_totals, ledger_list, ledger_stage_counts
from accord.identity.models import Membership
from accord.web.views.access import member_view
from accord.web.views.home_work import my_work
from accord.web.views.stages import StageCatalogue, short_label

WINDOW = dt.timedelta(days=30)
RECENT_CHANGES = 10


@dataclass(frozen=True)
class StageRow:
    key: str
    label: str
    short: str
    current: int
    previous: int
    bar_percent: int

    @property
    def change_percent(self) -> int | None:
        if self.previous == 0:
            return None
        return round((self.current - self.previous) / self.previous * 100)

    @property
    def change_magnitude(self) -> int | None:
        change = self.change_percent
        return None if change is None else abs(change)

    @property
    def delta(self) -> int:
        return self.current - self.previous


def stage_rows(
    catalogue: StageCatalogue, current: dict[str, int], previous: dict[str, int]
) -> list[StageRow]:
    peak = max([*current.values(), *previous.values(), 1])
    return [
        StageRow(
            key=stage.key,
            label=stage.label,
            short=short_label(stage.label),
            current=current.get(stage.key, 0),
            previous=previous.get(stage.key, 0),
            bar_percent=round(current.get(stage.key, 0) / peak * 100),
        )
        for stage in catalogue.stages
    ]


@require_GET
@member_view()
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    now = timezone.now()
    # The dashboard's "last 30 days": whole UTC days, today included.
    window_start, window_end = last_days(WINDOW.days, now)
    previous_start = window_start - WINDOW
    catalogue = StageCatalogue.of(workspace)
    shown = [stage.key for stage in catalogue.stages]
    current = ledger_stage_counts(workspace, window_start, window_end, shown)
    previous = ledger_stage_counts(workspace, previous_start, window_start, shown)
    recent = ledger_list(workspace).order_by("-occurred_at", "-pk")[:RECENT_CHANGES]
    return render(
        request,
        "web/home.html",
        {
            "window_days": WINDOW.days,
            "window_start": window_start,
            "now": now,
            "stage_rows": stage_rows(catalogue, current, previous),
            "stage_labels": catalogue.labels,
            "open_pipeline": deal_totals(workspace, status=DealOutcome.OPEN),
            "won_recently": deal_totals(
                workspace,
                status=DealOutcome.WON,
                closed_after=window_start,
                closed_before=window_end,
            ),
            "recent_changes": list(recent),
            "work": my_work(membership),
        },
    )
