"""REST endpoint of attribution: marketing's credit per channel and campaign under one model.
The document is `accord.attribution.presentation`'s, the same the CLI prints as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from accord.api.auth import request_membership
from accord.attribution.presentation import report_document
from accord.attribution.report import attribution_report
from accord.core.errors import ValidationFailed

router = Router(tags=["attribution"])
Model = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "u_shaped", "w_shaped",
    "full_path", "time_decay", "j_shaped", "inverse_j", "markov", "shapley",
]  # fmt: skip


class AttributionParams(Schema):
    model: Model = Field("w_shaped", description="The attribution model.")
    milestone: Literal["close", "opportunity"] = Field(
        "close", description="close: won revenue; opportunity: pipeline created."
    )
    level: Literal["contact", "account"] = "contact"
    days: int = Field(365, ge=1, le=3650, description="The deals of the last N days.")
    lookback_days: int = Field(
        365, ge=1, le=3650, description="Touches up to N days before the milestone."
    )


class LineOut(Schema):
    key: str = Field(description="The channel, or the campaign id ('' for no campaign).")
    credit: str = Field(description="Money as a decimal string.")
    deals: int
    cost: str | None
    roi: float | None
    roas: float | None


class TouchlessOut(Schema):
    deals: int
    amount: str


class AttributionOut(Schema):
    model: str
    assumes: str = Field(description="What the model assumes, in a sentence.")
    milestone: str
    level: str
    currency: str
    total: str
    deals: int
    by_channel: list[LineOut]
    by_campaign: list[LineOut]
    no_marketing_touch: TouchlessOut
    touches_after_milestone: int
    journeys_truncated: int
    other_currency_deals: dict[str, int]
    not_fitted: str | None


@router.get("/attribution", response=AttributionOut)
def get_attribution(request: HttpRequest, params: Query[AttributionParams]) -> dict[str, Any]:
    """Attributed won revenue (or pipeline) per channel and campaign under one model, with
    spend, ROI and ROAS, and what was left out (deals without a touch, touches after the
    milestone, other currencies)."""
    workspace = request_membership(request).workspace
    end = timezone.now()
    try:
        report = attribution_report(
            workspace, model=params.model, start=end - dt.timedelta(days=params.days), end=end,
            milestone=params.milestone, level=params.level, lookback_days=params.lookback_days,
        )  # fmt: skip
    except ValueError as exc:
        raise ValidationFailed.single("model", str(exc)) from exc
    return report_document(report)
