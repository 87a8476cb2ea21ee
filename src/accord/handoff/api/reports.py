"""REST endpoints of the handoff's reports: the SLA report (both sides' compliance) and the
dispositions by campaign, source, definition version or owner, with reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from accord.api.auth import request_membership
from accord.api.schemas import aware, in_range_or_400
from accord.core.errors import ValidationFailed
from accord.core.periods import last_days
from accord.definitions.api import RateOut
from accord.handoff.reports import Dimension, dispositions, sla_report

router = Router(tags=["handoff"])


DEFAULT_DAYS = 90


class PeriodParams(Schema):
    start: dt.datetime | None = Field(
        None, description="Inclusive; default 90 days before `end` (with neither given: the "
        "last 90 whole UTC days, today included, as on the web page and in the CLI)."
    )  # fmt: skip
    end: dt.datetime | None = Field(
        None, description="Exclusive; default the end of today (midnight UTC)."
    )


class DispositionParams(PeriodParams):
    by: Dimension = "campaign"


class FirstTouchOut(Schema):
    owner_id: int | None
    owner: str
    handed_over: int
    met: int
    breached: int
    due: int
    compliance: RateOut


class VolumeOut(Schema):
    period: str
    segment: str | None
    target: int
    mqls: int
    attainment: float
    expected_by_now: float | None
    pacing: str | None


class SlaReportOut(Schema):
    start: dt.datetime
    end: dt.datetime
    agreement_version: int | None
    first_touch_hours: float | None
    first_touch: list[FirstTouchOut] = Field(description="Per owner; the last row is everyone.")
    attempts: RateOut = Field(
        description="Unresponsive rejections that had the agreed attempts logged."
    )
    volume: list[VolumeOut]
    cap_violations: int
    contacts_over_cap: int


class DispositionOut(Schema):
    key: str
    label: str
    handed_over: int
    accepted: int
    rejected: int
    recycled: int
    open: int
    acceptance: RateOut
    reasons: dict[str, int]


MAX_DAYS = 1096  # three years: a longer report is the sum of shorter ones


def _period(params: PeriodParams) -> tuple[dt.datetime, dt.datetime]:
    in_range_or_400(start=params.start, end=params.end)
    # The web page's and the CLI's default window (`last_days`), so all three agree.
    default_start, default_end = last_days(DEFAULT_DAYS)
    end = params.end or default_end
    start = params.start or (
        default_start if params.end is None else end - dt.timedelta(days=DEFAULT_DAYS)
    )
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.single("start", "Give times with a UTC offset (e.g. …Z).")
    utc_start, utc_end = aware(start, "start"), aware(end, "end")
    assert utc_start is not None and utc_end is not None
    start, end = utc_start, utc_end
    if start >= end:
        raise ValidationFailed.single("start", "start must be before end.")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise ValidationFailed.single("start", f"The period is at most {MAX_DAYS} days.")
    return start, end


@router.get("/handoffs/sla-report", response=SlaReportOut)
def get_sla_report(request: HttpRequest, params: Query[PeriodParams]) -> Any:
    """Marketing's MQL volume against target, sales' first-touch compliance per owner and
    attempts, the buyer's contact-cap violations — for handoffs assigned in the period."""
    start, end = _period(params)
    return sla_report(request_membership(request).workspace, start, end)


@router.get("/handoffs/dispositions", response=list[DispositionOut])
def list_dispositions(request: HttpRequest, params: Query[DispositionParams]) -> Any:
    """What sales did with the leads handed over in the period, grouped by `by`."""
    start, end = _period(params)
    rows = dispositions(request_membership(request).workspace, params.by, start, end)
    return [
        {
            "key": r.key,
            "label": r.label,
            "handed_over": r.handed_over,
            "accepted": r.accepted,
            "rejected": r.rejected,
            "recycled": r.recycled,
            "open": r.open,
            "acceptance": r.acceptance,
            "reasons": dict(r.top_reasons),
        }
        for r in rows
    ]
