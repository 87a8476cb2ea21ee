"""The marketing write path: campaigns, their cost entries, and touchpoints."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core import copy_changes
from accord.core.channels import Channel
from accord.core.errors import NotFound, ValidationFailed
from accord.core.events import publish
from accord.crm.models import Contact
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action
from accord.marketing.models import Campaign, CampaignCost, CampaignType, Touchpoint, TouchpointType

CAMPAIGN_FIELDS: dict[str, c.Cleaner] = {
    "name": c.Text(200, required=True),
    "channel": c.Choice(Channel, required=True),
    "type": c.Choice(CampaignType),
    "start_date": c.date,
    "end_date": c.date,
    "budget": c.amount,
    "currency": c.currency,
    "utm_campaign": c.Text(200),
    "owner_id": member,
    "custom_fields": c.json_object,
}

COST_FIELDS: dict[str, c.Cleaner] = {
    "date": c.date,
    "amount": c.amount,
    "currency": c.currency,
    "note": c.Text(200),
}

TOUCHPOINT_FIELDS: dict[str, c.Cleaner] = {
    "contact_id": c.Ref(Contact, "contact", required=True),
    "campaign_id": c.Ref(Campaign, "campaign"),
    "channel": c.Choice(Channel),
    "type": c.Choice(TouchpointType, required=True),
    "occurred_at": c.datetime,
    "utm_source": c.Text(200),
    "utm_medium": c.Text(200),
    "utm_campaign": c.Text(200),
    "utm_content": c.Text(200),
    "utm_term": c.Text(200),
    "landing_page": c.Text(500),
    "referrer": c.Text(500),
    "custom_fields": c.json_object,
}


def _get[M: Campaign | Touchpoint](model: type[M], actor: Actor, pk: int, label: str) -> M:
    record = model.objects.for_workspace(actor.workspace).select_for_update().filter(pk=pk).first()
    if record is None:
        raise NotFound(f"No {label} with id {pk} in this workspace.")
    return record  # type: ignore[return-value]


def _dates_in_order(cleaned: dict[str, Any]) -> None:
    start, end = cleaned.get("start_date"), cleaned.get("end_date")
    if start and end and end < start:
        raise ValidationFailed.single("end_date", "The end date is before the start date.")


def _name_free(actor: Actor, name: str, exclude_pk: int | None = None) -> None:
    clash = Campaign.objects.for_workspace(actor.workspace).filter(name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationFailed.single("name", f"A campaign named '{name}' exists already.")


@transaction.atomic
def campaign_create(*, actor: Actor, values: Mapping[str, Any]) -> Campaign:
    actor.require(Action.MANAGE_CAMPAIGNS)
    cleaned = c.clean(
        CAMPAIGN_FIELDS,
        values,
        actor.workspace.pk,
        required=["name", "channel"],
        extra_checks=[_dates_in_order],
    )
    cleaned.setdefault("currency", actor.workspace.default_currency)
    if not cleaned.get("type", True):  # a null or empty type: the default, never ""
        del cleaned["type"]
    _name_free(actor, cleaned["name"])
    return Campaign.objects.create(workspace=actor.workspace, **cleaned)


@transaction.atomic
def campaign_update(*, actor: Actor, campaign_id: int, values: Mapping[str, Any]) -> Campaign:
    actor.require(Action.MANAGE_CAMPAIGNS)
    campaign = _get(Campaign, actor, campaign_id, "campaign")
    cleaned = c.clean(CAMPAIGN_FIELDS, values, actor.workspace.pk)
    for required in ("name", "channel", "type"):
        if required in cleaned and not cleaned[required]:
            raise ValidationFailed.single(required, "This field is required.")
    _dates_in_order(
        {
            "start_date": cleaned.get("start_date", campaign.start_date),
            "end_date": cleaned.get("end_date", campaign.end_date),
        }
    )
    if "name" in cleaned:
        _name_free(actor, cleaned["name"], exclude_pk=campaign.pk)
    changed = [k for k, v in cleaned.items() if getattr(campaign, k) != v]
    for key in changed:
        setattr(campaign, key, cleaned[key])
    if changed:
        campaign.save(update_fields=[*changed, "updated_at"])
    return campaign


@transaction.atomic
def campaign_delete(*, actor: Actor, campaign_id: int) -> None:
    """Delete a campaign and its cost entries; its touchpoints stay, without a campaign."""
    actor.require(Action.MANAGE_CAMPAIGNS)
    campaign = _get(Campaign, actor, campaign_id, "campaign")
    audit.record(actor, "campaign.deleted", campaign, before=audit.all_fields(campaign))
    # The analytics copies see neither a deleted row nor the touchpoints losing their campaign.
    copy_changes.note(Campaign._meta.db_table, [campaign.pk])
    costs = CampaignCost.objects.for_workspace(actor.workspace).filter(campaign=campaign)
    copy_changes.note(CampaignCost._meta.db_table, costs.values_list("pk", flat=True))
    touches = Touchpoint.objects.for_workspace(actor.workspace).filter(campaign=campaign)
    copy_changes.note(Touchpoint._meta.db_table, touches.values_list("pk", flat=True))
    campaign.delete()


@transaction.atomic
def campaign_cost_add(*, actor: Actor, campaign_id: int, values: Mapping[str, Any]) -> CampaignCost:
    actor.require(Action.MANAGE_CAMPAIGNS)
    campaign = _get(Campaign, actor, campaign_id, "campaign")
    cleaned = c.clean(COST_FIELDS, values, actor.workspace.pk, required=["date", "amount"])
    cleaned.setdefault("currency", campaign.currency)
    return CampaignCost.objects.create(workspace=actor.workspace, campaign=campaign, **cleaned)


def _fill_channel(actor: Actor, cleaned: dict[str, Any]) -> None:
    if cleaned.get("channel"):
        return
    if cleaned.get("campaign_id"):
        cleaned["channel"] = (
            Campaign.objects.for_workspace(actor.workspace)
            .filter(pk=cleaned["campaign_id"])
            .values_list("channel", flat=True)
            .get()
        )
    else:
        raise ValidationFailed.single("channel", "Give a channel or a campaign_id.")


@transaction.atomic
def touchpoint_create(*, actor: Actor, values: Mapping[str, Any]) -> Touchpoint:
    actor.require(Action.WRITE_RECORDS)
    cleaned = c.clean(
        TOUCHPOINT_FIELDS, values, actor.workspace.pk, required=["contact_id", "type"]
    )
    _fill_channel(actor, cleaned)
    cleaned["occurred_at"] = cleaned.get("occurred_at") or timezone.now()
    touchpoint = Touchpoint.objects.create(workspace=actor.workspace, **cleaned)
    publish(
        actor.workspace.pk,
        "touchpoint.recorded",
        {
            "touchpoint_id": touchpoint.pk,
            "contact_id": touchpoint.contact_id,
            "type": touchpoint.type,
        },
    )
    return touchpoint


def _known_ids(rows: Sequence[Mapping[str, Any]], field: str) -> set[int]:
    ids = set()
    for values in rows:
        with contextlib.suppress(TypeError, ValueError):
            pk = int(values.get(field))  # type: ignore[arg-type]
            if 0 < pk <= c.MAX_ID:
                ids.add(pk)
    return ids


@transaction.atomic
def touchpoints_create_bulk(*, actor: Actor, rows: Sequence[Mapping[str, Any]]) -> list[Touchpoint]:
    """Create many touchpoints with one INSERT (inbound event batches of up to 1,000).

    Every row is cleaned exactly like `touchpoint_create`'s input: the same fields, rules and
    messages, except that references are checked with one query per kind rather than one per
    row. If any row is invalid nothing is written, and one `ValidationFailed` lists the errors
    of every row, keyed ``<row>.<field>`` (rows counted from 0).
    """
    actor.require(Action.WRITE_RECORDS)
    ws = actor.workspace
    contact_ids = frozenset(
        Contact.objects.for_workspace(ws)
        .filter(pk__in=_known_ids(rows, "contact_id"))
        .values_list("pk", flat=True)
    )
    channels = dict(
        Campaign.objects.for_workspace(ws)
        .filter(pk__in=_known_ids(rows, "campaign_id"))
        .values_list("pk", "channel")
    )
    spec = {
        **TOUCHPOINT_FIELDS,
        "contact_id": c.Ref(Contact, "contact", required=True, known=contact_ids),
        "campaign_id": c.Ref(Campaign, "campaign", known=frozenset(channels)),
    }
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    records: list[Touchpoint] = []
    for index, values in enumerate(rows):
        try:
            cleaned = c.clean(spec, values, ws.pk, required=["contact_id", "type"])
            if not cleaned.get("channel"):
                if not cleaned.get("campaign_id"):
                    raise ValidationFailed.single("channel", "Give a channel or a campaign_id.")
                cleaned["channel"] = channels[cleaned["campaign_id"]]
        except ValidationFailed as exc:
            for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
                errors[f"{index}.{field}"] = messages
            continue
        cleaned["occurred_at"] = cleaned.get("occurred_at") or now
        records.append(Touchpoint(workspace=ws, **cleaned))
    if errors:
        count = sum(len(m) for m in errors.values())
        first = next(iter(errors))
        summary = f"{first}: {errors[first][0]}" if count == 1 else f"{count} fields are invalid."
        raise ValidationFailed(summary, fields=errors)
    created = Touchpoint.objects.bulk_create(records)
    if created:
        contacts = sorted({t.contact_id for t in created})
        publish(ws.pk, "touchpoints.recorded", {"count": len(created), "contact_ids": contacts})
    return created


@transaction.atomic
def touchpoint_update(*, actor: Actor, touchpoint_id: int, values: Mapping[str, Any]) -> Touchpoint:
    actor.require(Action.WRITE_RECORDS)
    touchpoint = _get(Touchpoint, actor, touchpoint_id, "touchpoint")
    cleaned = c.clean(TOUCHPOINT_FIELDS, values, actor.workspace.pk)
    for required in ("contact_id", "type", "occurred_at"):
        if required in cleaned and not cleaned[required]:
            raise ValidationFailed.single(required, "This field is required.")
    if "channel" in cleaned and not cleaned["channel"]:
        raise ValidationFailed.single("channel", "This field is required.")
    changed = [k for k, v in cleaned.items() if getattr(touchpoint, k) != v]
    before = touchpoint.contact_id
    for key in changed:
        setattr(touchpoint, key, cleaned[key])
    if changed:
        touchpoint.save(update_fields=[*changed, "updated_at"])
        copy_changes.note(Touchpoint._meta.db_table, [touchpoint.pk])  # fed to copies by id
        publish(
            actor.workspace.pk,
            "touchpoint.changed",
            {"touchpoint_id": touchpoint.pk, "change": "updated", "fields": changed,
             "contact_ids": sorted({before, touchpoint.contact_id})},
        )  # fmt: skip
    return touchpoint


@transaction.atomic
def touchpoint_delete(*, actor: Actor, touchpoint_id: int) -> None:
    actor.require(Action.DELETE_RECORDS)
    touchpoint = _get(Touchpoint, actor, touchpoint_id, "touchpoint")
    # No landing page, referrer, free UTM text or custom fields: they can name the person.
    kept = ["contact", "campaign", "channel", "type", "occurred_at", "utm_source", "utm_medium",
            "utm_campaign", "created_at"]  # fmt: skip
    before = audit.snapshot(touchpoint, kept)
    audit.record(actor, "touchpoint.deleted", touchpoint, before=before)
    copy_changes.note(Touchpoint._meta.db_table, [touchpoint.pk])
    publish(
        actor.workspace.pk,
        "touchpoint.changed",
        {"touchpoint_id": touchpoint.pk, "change": "deleted", "fields": [],
         "contact_ids": [touchpoint.contact_id]},
    )  # fmt: skip
    touchpoint.delete()
