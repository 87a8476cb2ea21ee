"""REST endpoints of attribution: marketing's credit per channel, campaign and content under
one model; the workspace's attribution settings; the recognition feed of won deals. The
documents are `accord.attribution.presentation`'s, the same the CLI prints as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, paginate_params
from accord.api.schemas import InSchema
from accord.attribution import services
from accord.attribution.presentation import (
    recognition_document,
    report_document,
    settings_document,
)
from accord.attribution.report import attribution_report
from accord.attribution.selectors import recognition_feed
from accord.core.errors import ValidationFailed
from accord.core.periods import last_days

router = Router(tags=["attribution"])
Model = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "u_shaped", "w_shaped",
    "full_path", "time_decay", "j_shaped", "inverse_j", "markov", "shapley",
]  # fmt: skip


class AttributionParams(Schema):
    model: Model | None = Field(None, description="The attribution model; default: the "
                                "workspace's chosen model.")  # fmt: skip
    milestone: Literal["close", "opportunity"] = Field(
        "close", description="close: won revenue; opportunity: pipeline created."
    )
    level: Literal["contact", "account"] = "contact"
    days: int = Field(365, ge=1, le=3650, description="The deals of the last N days.")
    lookback_days: int | None = Field(
        None, ge=1, le=3650, description="Touches up to N days before the milestone; default: "
        "the workspace's setting.",
    )  # fmt: skip
    half_life_days: float | None = Field(
        None, gt=0, le=365, description="Time decay's half-life; default: the workspace's."
    )
    include_activities: bool | None = Field(
        None, description="Count sales activities as touches; default: the workspace's."
    )
    markov_order: int = Field(1, ge=1, le=3, description="The Markov chain's order (markov).")


class LineOut(Schema):
    key: str = Field(description="The channel, the campaign id ('' for no campaign) or the "
                     "content (utm_content, '' for none).")  # fmt: skip
    label: str
    credit: str = Field(description="Money as a decimal string.")
    deals: int = Field(description="The deals it touched.")
    influenced: str = Field(description="The amounts of the deals it touched.")
    sourced: str | None = Field(None, description="Channels: the amounts of the deals it "
                                "sourced (the deal's source).")  # fmt: skip
    sourced_deals: int | None = None
    channel: str | None = Field(None, description="Campaigns: the campaign's channel.")
    owner: str | None = Field(None, description="Campaigns: the marketer who runs it.")
    cost: str | None = Field(None, description="Spend dated in the period (not for content).")
    roi: float | None = Field(None, description="(credit - cost) / cost.")
    roas: float | None = Field(None, description="credit / cost.")


class CountedOut(Schema):
    deals: int
    amount: str


class AttributionOut(Schema):
    model: str
    assumes: str = Field(description="What the model assumes, in a sentence.")
    milestone: str
    level: str
    currency: str
    lookback_days: int
    half_life_days: float
    include_activities: bool
    total: str
    deals: int
    marketing_sourced: CountedOut
    marketing_influenced: CountedOut
    marketing_credit: str = Field(description="Credited to marketing (not sales) touches.")
    by_channel: list[LineOut]
    by_campaign: list[LineOut]
    by_content: list[LineOut]
    no_marketing_touch: CountedOut
    touches_after_milestone: int
    journeys_truncated: int
    other_currency_deals: dict[str, int]
    not_fitted: str | None
    fit: str | None = Field(description="Data-driven models: what the fit rests on, and a "
                            "sampled Shapley value's error.")  # fmt: skip
    markov_order: int


@router.get("/attribution", response=AttributionOut)
def get_attribution(request: HttpRequest, params: Query[AttributionParams]) -> dict[str, Any]:
    """Attributed won revenue (or pipeline) per channel, campaign and content under one model,
    with marketing-sourced and -influenced amounts, spend, ROI and ROAS, and what was left out
    (deals without a touch, touches after the milestone, other currencies)."""
    workspace = request_membership(request).workspace
    chosen = services.settings_for(workspace)
    start, end = last_days(params.days)
    try:
        report = attribution_report(
            workspace,
            model=params.model or chosen.model,
            start=start,
            end=end,
            milestone=params.milestone,
            level=params.level,
            lookback_days=params.lookback_days or chosen.lookback_days,
            half_life_days=params.half_life_days or chosen.half_life_days,
            include_activities=(
                chosen.include_activities
                if params.include_activities is None
                else params.include_activities
            ),
            markov_order=params.markov_order,
        )
    except ValueError as exc:
        raise ValidationFailed.single("model", str(exc)) from exc
    return report_document(report)


class SettingsOut(Schema):
    model: Model
    lookback_days: int
    half_life_days: float
    include_activities: bool
    updated_at: dt.datetime | None = Field(description="null while the defaults apply.")


class SettingsPatch(InSchema):
    model: str | None = Field(None, description="One of the twelve models.")
    lookback_days: int | None = Field(None, description="1 to 3650.")
    half_life_days: float | None = Field(None, description="More than 0, at most 365.")
    include_activities: bool | None = None


@router.get("/attribution/settings", response=SettingsOut)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    """The model the recognition feed and the dashboard use, and its parameters."""
    return settings_document(services.settings_for(request_membership(request).workspace))


@router.patch("/attribution/settings", response=SettingsOut)
def update_settings(request: HttpRequest, payload: SettingsPatch) -> dict[str, Any]:
    """Managers and admins choose the workspace's model (both teams are judged by it)."""
    values = payload.to_values()
    chosen = services.settings_update(actor=request_actor(request), values=values)
    return settings_document(chosen)


class CreditOut(Schema):
    name: str
    credit: str


class CampaignCreditOut(CreditOut):
    campaign_id: int
    channel: str
    owner_id: int | None


class MarketerCreditOut(CreditOut):
    user_id: int


class ChannelCreditOut(Schema):
    channel: str
    label: str
    credit: str


class OwnerOut(Schema):
    id: int
    name: str


class RecognitionOut(Schema):
    id: int
    deal_id: int
    deal_name: str
    won_at: dt.datetime
    amount: str
    currency: str
    model: str = Field(description="The workspace's model when the deal was recognised.")
    sales_owner: OwnerOut | None
    marketing_credit: str
    campaigns: list[CampaignCreditOut]
    marketers: list[MarketerCreditOut]
    channels: list[ChannelCreditOut]
    note: str


class RecognitionListParams(ListParams):
    ordering: Literal["-won_at", "won_at"] = "-won_at"


@router.get("/attribution/recognitions", response=Page[RecognitionOut])
def list_recognitions(request: HttpRequest, params: Query[RecognitionListParams]) -> dict[str, Any]:
    """The recognition feed: each won deal with the campaigns and marketers whose touches
    contributed and their credit, beside the sales owner; latest first."""
    workspace = request_membership(request).workspace
    page = paginate_params(recognition_feed(workspace), params)
    return {
        "results": [recognition_document(e) for e in page.results],
        "next_cursor": page.next_cursor,
    }
