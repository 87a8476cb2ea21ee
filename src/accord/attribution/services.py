"""The attribution write path: the workspace's settings (the model its recognition feed and
dashboard use, the look-back, the time-decay half-life, whether sales activities count), and
the recognition of won deals.

Only managers and admins change the settings — the model is what both teams agree to be judged
by; every member reads them. Bad input writes nothing and names each field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.attribution.journeys import deal_journeys
from accord.attribution.models import AttributionModel, AttributionSettings, Recognition
from accord.attribution.report import DATA_DRIVEN, SALES_CHANNELS, data_driven_shares, deal_credit
from accord.core import cleaning as c
from accord.core.errors import ValidationFailed
from accord.core.events import Event, muted, publish
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import User, Workspace
from accord.identity.permissions import Action
from accord.marketing.models import Campaign

LOOKBACK_MAX = 3650
HALF_LIFE_MAX = 365.0


def settings_for(workspace: Workspace | int) -> AttributionSettings:
    """The workspace's settings, or the defaults (unsaved) when none were chosen."""
    pk = workspace if isinstance(workspace, int) else workspace.pk
    found = AttributionSettings.objects.for_workspace(pk).first()
    return found or AttributionSettings(workspace_id=pk)


def _lookback(value: Any, field: str, workspace_id: int) -> int:
    days = c.PositiveInt(LOOKBACK_MAX)(value, field, workspace_id)
    if days is None or days < 1:
        raise ValidationFailed.single(field, f"Give a look-back of 1 to {LOOKBACK_MAX} days.")
    return days


def _half_life(value: Any, field: str, workspace_id: int) -> float:
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationFailed.single(field, "Give the half-life in days, e.g. 7.")
    try:
        days = float(str(value).strip())
    except ValueError:
        raise ValidationFailed.single(field, f"'{value}' is not a number of days.") from None
    if not math.isfinite(days) or not 0 < days <= HALF_LIFE_MAX:
        raise ValidationFailed.single(
            field, f"The half-life must be more than 0 and at most {HALF_LIFE_MAX:g} days."
        )
    return days


SETTINGS_FIELDS: dict[str, c.Cleaner] = {
    "model": c.Choice(AttributionModel, required=True),
    "lookback_days": _lookback,
    "half_life_days": _half_life,
    "include_activities": c.flag,
}


@transaction.atomic
def settings_update(*, actor: Actor, values: Mapping[str, Any]) -> AttributionSettings:
    actor.require(Action.CHOOSE_ATTRIBUTION)
    cleaned = c.clean(SETTINGS_FIELDS, values, actor.workspace.pk)
    chosen = (
        AttributionSettings.objects.for_workspace(actor.workspace).select_for_update().first()
    ) or AttributionSettings(workspace=actor.workspace)
    before = audit.snapshot(chosen, list(SETTINGS_FIELDS))
    for key, value in cleaned.items():
        setattr(chosen, key, value)
    chosen.updated_by = actor.user
    chosen.save()
    old, new = audit.changes(before, audit.snapshot(chosen, list(SETTINGS_FIELDS)))
    if new:
        label = "attribution settings"
        audit.record(
            actor, "attribution.settings_changed", chosen, label=label, before=old, after=new
        )
    return chosen


# Recognition -------------------------------------------------------------------------------


def _named(ids: set[int]) -> dict[int, str]:
    return {
        pk: name or email
        for pk, name, email in User.objects.filter(pk__in=ids).values_list(
            "pk", "full_name", "email"
        )
    }


def _ranked(credits: Mapping[Any, Decimal]) -> list[tuple[Any, Decimal]]:
    return sorted(credits.items(), key=lambda item: (-item[1], str(item[0])))


@transaction.atomic
def recognise(
    workspace: Workspace, deal_id: int, *, shares: dict[str, float] | str | None = None
) -> Recognition | None:
    """Write (or rewrite) the recognition of a won deal under the workspace's chosen model:
    the campaigns and marketers whose touches contributed and their credit, beside the sales
    owner. A deal that is not won is not recognised (None); a deal without any marketing
    touch is recognised with its note, never dropped."""
    chosen = settings_for(workspace)
    found = deal_journeys(
        workspace.pk,
        start=dt.datetime.min.replace(tzinfo=dt.UTC),
        end=dt.datetime.max.replace(tzinfo=dt.UTC),
        milestone="close",
        lookback_days=chosen.lookback_days,
        include_activities=chosen.include_activities,
        deal_ids=[deal_id],
    )
    if not found.journeys:
        Recognition.objects.for_workspace(workspace).filter(deal_id=deal_id).delete()
        return None
    deal = found.journeys[0]
    won_at = deal.won_at
    assert won_at is not None  # a won deal's journey ends at its close
    if chosen.model in DATA_DRIVEN and shares is None:
        start = won_at - dt.timedelta(days=chosen.lookback_days)
        shares = data_driven_shares(workspace, model=chosen.model, start=start, end=won_at)
    parts = None
    if deal.journey is not None:
        parts = deal_credit(chosen.model, deal.journey, deal.amount, shares,
                            chosen.half_life_days)  # fmt: skip
    by_campaign: dict[int, Decimal] = {}
    by_channel: dict[str, Decimal] = {}
    marketing = Decimal("0.00")
    if deal.journey is not None and parts is not None:
        for touch, part, campaign in zip(deal.journey.touches, parts, deal.campaign_ids,
                                         strict=True):  # fmt: skip
            by_channel[touch.channel] = by_channel.get(touch.channel, Decimal(0)) + part
            if touch.channel in SALES_CHANNELS:
                continue
            marketing += part
            if campaign is not None and part > 0:  # a touch credited nothing did not contribute
                by_campaign[campaign] = by_campaign.get(campaign, Decimal(0)) + part
    campaigns: dict[int, tuple[str, str, int | None]] = {
        pk: (name, channel, owner)
        for pk, name, channel, owner in Campaign.objects.for_workspace(workspace)
        .filter(pk__in=list(by_campaign))
        .values_list("pk", "name", "channel", "owner_id")
    }
    by_marketer: dict[int, Decimal] = {}
    for pk, part in by_campaign.items():
        owner = campaigns.get(pk, ("", "", None))[2]
        if owner is not None:
            by_marketer[owner] = by_marketer.get(owner, Decimal(0)) + part
    described = [
        {"campaign_id": pk, "name": campaigns.get(pk, (f"Campaign {pk}", "", None))[0],
         "channel": campaigns.get(pk, ("", "", None))[1],
         "owner_id": campaigns.get(pk, ("", "", None))[2], "credit": str(part)}
        for pk, part in _ranked(by_campaign)
    ]  # fmt: skip
    names = _named({*by_marketer, *([deal.owner_id] if deal.owner_id else [])})
    note = ""
    if deal.journey is None:
        note = "No marketing touch in the look-back window."
    elif parts is None:
        note = f"The {AttributionModel(chosen.model).label} model could not be fitted: {shares}."
    elif marketing == 0:
        note = "Only sales activities touched this deal."
    recognition, _ = Recognition.objects.update_or_create(
        workspace=workspace,
        deal_id=deal.deal_id,
        defaults={
            "won_at": won_at,
            "model": chosen.model,
            "amount": deal.amount,
            "currency": deal.currency,
            "sales_owner_id": deal.owner_id,
            "marketing_credit": marketing,
            "campaigns": described,
            "marketers": [
                {"user_id": pk, "name": names.get(pk, f"User {pk}"), "credit": str(part)}
                for pk, part in _ranked(by_marketer)
            ],
            "channels": [
                {"channel": key, "credit": str(part)} for key, part in _ranked(by_channel)
            ],
            "note": note,
        },
    )
    owner_name = names.get(deal.owner_id, "") if deal.owner_id else ""
    publish(workspace.pk, "deal.recognised",
            recognition_event(recognition, deal.deal_name, owner_name))  # fmt: skip
    return recognition


def recognition_event(recognition: Recognition, deal_name: str, owner_name: str) -> dict[str, Any]:
    return {
        "deal_id": recognition.deal_id,
        "name": deal_name,
        "amount": str(recognition.amount),
        "currency": recognition.currency,
        "owner_id": recognition.sales_owner_id,
        "owner_name": owner_name,
        "model": recognition.model,
        "marketing_credit": str(recognition.marketing_credit),
        "campaigns": [{"name": x["name"], "credit": x["credit"]} for x in recognition.campaigns],
        "marketers": [{"name": x["name"], "credit": x["credit"]} for x in recognition.marketers],
        "note": recognition.note,
    }


def recognise_missing(
    workspace: Workspace, *, since: dt.datetime, latest: int | None = None
) -> int:
    """Recognise the deals won since `since` (at most the `latest` ones) that have no
    recognition yet — deals won before the feed existed, or while no process listened: how
    many were written. Safe to re-run."""
    from accord.crm.models import Deal

    done = Recognition.objects.for_workspace(workspace).values("deal_id")
    missing = list(
        Deal.objects.for_workspace(workspace)
        .filter(status="won", closed_at__gte=since)
        .exclude(pk__in=done)
        .order_by("-closed_at", "-pk")
        .values_list("pk", flat=True)[:latest]
    )
    if not missing:
        return 0
    chosen = settings_for(workspace)
    shares: dict[str, float] | str | None = None
    if chosen.model in DATA_DRIVEN:  # fitted once for the whole catch-up, not per deal
        shares = data_driven_shares(
            workspace, model=chosen.model, start=since - dt.timedelta(days=chosen.lookback_days),
            end=timezone.now(),
        )  # fmt: skip
    with muted("deal.recognised"):  # a catch-up is not news: no message per old deal
        return sum(1 for pk in missing if recognise(workspace, pk, shares=shares) is not None)


def on_deal_won(event: Event) -> None:
    """Recognise a deal as soon as it is won (called by `subscribers.on_event`)."""
    if isinstance(deal_id := event.data.get("deal_id"), int):
        workspace = Workspace.objects.filter(pk=event.workspace_id).first()
        if workspace is not None:
            recognise(workspace, deal_id)
