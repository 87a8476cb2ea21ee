"""Reads for marketing, and the contact timeline that merges marketing and sales history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from accord.core.errors import NotFound
from accord.crm.models import Activity, Contact, LedgerEntry
from accord.identity.models import Workspace
from accord.marketing.models import Campaign, CampaignCost, Touchpoint


@dataclass(frozen=True)
class CampaignFilters:
    q: str = ""
    channel: str = ""
    type: str = ""
    active_on: dt.date | None = None


def campaign_list(
    workspace: Workspace, filters: CampaignFilters | None = None
) -> QuerySet[Campaign]:
    f = filters or CampaignFilters()
    qs = Campaign.objects.for_workspace(workspace)
    if f.q:
        qs = qs.filter(name__icontains=f.q.strip())
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.active_on is not None:
        qs = qs.filter(start_date__lte=f.active_on, end_date__gte=f.active_on)
    return qs


def campaign_get(workspace: Workspace, pk: int) -> Campaign:
    campaign = campaign_list(workspace).filter(pk=pk).first()
    if campaign is None:
        raise NotFound(f"No campaign with id {pk} in this workspace.")
    return campaign


def campaign_costs(workspace: Workspace, campaign_id: int) -> QuerySet[CampaignCost]:
    return (
        CampaignCost.objects.for_workspace(workspace)
        .filter(campaign_id=campaign_id)
        .order_by("date")
    )


@dataclass(frozen=True)
class CampaignSummary:
    spend: Decimal
    touchpoints: int
    contacts: int


def campaign_summary(workspace: Workspace, campaign_id: int) -> CampaignSummary:
    spend = campaign_costs(workspace, campaign_id).aggregate(total=Sum("amount"))["total"]
    touches = (
        Touchpoint.objects.for_workspace(workspace)
        .filter(campaign_id=campaign_id)
        .aggregate(n=Count("id"), people=Count("contact_id", distinct=True))
    )
    return CampaignSummary(
        spend=spend or Decimal("0"), touchpoints=touches["n"], contacts=touches["people"]
    )


@dataclass(frozen=True)
class TouchpointFilters:
    contact_id: int | None = None
    campaign_id: int | None = None
    channel: str = ""
    type: str = ""
    after: dt.datetime | None = None
    before: dt.datetime | None = None


def touchpoint_list(
    workspace: Workspace, filters: TouchpointFilters | None = None
) -> QuerySet[Touchpoint]:
    f = filters or TouchpointFilters()
    qs = Touchpoint.objects.for_workspace(workspace).select_related("campaign", "contact")
    if f.contact_id is not None:
        qs = qs.filter(contact_id=f.contact_id)
    if f.campaign_id is not None:
        qs = qs.filter(campaign_id=f.campaign_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.after is not None:
        qs = qs.filter(occurred_at__gte=f.after)
    if f.before is not None:
        qs = qs.filter(occurred_at__lt=f.before)
    return qs


def touchpoint_get(workspace: Workspace, pk: int) -> Touchpoint:
    touchpoint = touchpoint_list(workspace).filter(pk=pk).first()
    if touchpoint is None:
        raise NotFound(f"No touchpoint with id {pk} in this workspace.")
    return touchpoint


@dataclass(frozen=True)
class TimelineItem:
    """One event in a contact's history, whatever store it came from."""

    kind: str  # "touchpoint" | "activity" | "lifecycle"
    occurred_at: dt.datetime
    title: str
    detail: str
    actor: str
    record_id: int


def contact_timeline(workspace: Workspace, contact: Contact) -> list[TimelineItem]:
    """Touchpoints, activities and ledger transitions of one contact, oldest first."""
    if contact.workspace_id != workspace.pk:
        raise NotFound("No such contact in this workspace.")
    items: list[TimelineItem] = []
    for t in (
        Touchpoint.objects.for_workspace(workspace)
        .filter(contact=contact)
        .select_related("campaign")
    ):
        items.append(
            TimelineItem(
                kind="touchpoint",
                occurred_at=t.occurred_at,
                title=t.get_type_display(),
                detail=" · ".join(
                    p
                    for p in (
                        t.campaign.name if t.campaign else "",
                        t.get_channel_display(),
                        t.landing_page,
                    )
                    if p
                ),
                actor="marketing",
                record_id=t.pk,
            )
        )
    for a in (
        Activity.objects.for_workspace(workspace).filter(contact=contact).select_related("user")
    ):
        items.append(
            TimelineItem(
                kind="activity",
                occurred_at=a.occurred_at,
                title=f"{a.get_kind_display()}" + (f": {a.subject}" if a.subject else ""),
                detail=" · ".join(
                    p
                    for p in (
                        a.get_direction_display() if a.direction else "",
                        a.get_outcome_display() if a.outcome else "",
                        a.body[:200],
                    )
                    if p
                ),
                actor=a.user.display_name if a.user else "",
                record_id=a.pk,
            )
        )
    for e in (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(contact=contact)
        .select_related("actor_user")
    ):
        who = e.actor_user.display_name if e.actor_user else (e.rule or e.source)
        items.append(
            TimelineItem(
                kind="lifecycle",
                occurred_at=e.occurred_at,
                title=f"{e.from_stage or 'new'} → {e.to_stage}",
                detail=" · ".join(
                    p
                    for p in (
                        e.reason,
                        f"definition {e.definition_version}" if e.definition_version else "",
                        f"via {e.source}",
                    )
                    if p
                ),
                actor=who,
                record_id=e.pk,
            )
        )
    order = {"lifecycle": 0, "touchpoint": 1, "activity": 2}
    items.sort(key=lambda i: (i.occurred_at, order[i.kind], i.record_id))
    return items
