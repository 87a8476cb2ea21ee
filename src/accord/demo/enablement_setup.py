"""The demo's enablement library and marketing calendar.

Twelve assets (small generated PDF and PNG files, and links), each with one or two versions.
Sellers record them on the demo's closed deals of the last 180 days from the demo seed's own
random stream (the rest of the demo is unchanged): the planted asset, the ROI calculator, is
used on 60 % of won deals but only 15 % of lost ones, so its win-rate difference stands out;
the others are used on a quarter of closed deals whatever the outcome; one, the legacy
brochure, is used by nobody. Ten calendar entries over the past month and the next eight
weeks are tied to the demo's campaigns."""

from __future__ import annotations

import datetime as dt

import numpy as np

from accord.crm.models import Deal, DealOutcome
from accord.identity.models import Membership, Role, Workspace
from accord.marketing.asset_files import store_checked
from accord.marketing.calendar_models import CalendarEntry, CalendarKind
from accord.marketing.enablement_models import Asset, AssetKind, AssetUsage, AssetVersion
from accord.marketing.models import Campaign, CampaignType

PLANTED_ASSET = "ROI calculator"
UNUSED_ASSET = "Legacy brochure"
USAGE_DAYS = 180
PLANTED_RATES = (0.60, 0.15)  # used on won, on lost deals
OTHER_RATE = 0.25
_STREAM = 0xE7AB1E  # this module's own random stream, offset from the demo seed

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

# title, kind, file or url, stages, personas, industries, versions
ASSETS: list[tuple[str, str, str, list[str], list[str], list[str], int]] = [
    (PLANTED_ASSET, "file", "roi-calculator.pdf", ["proposal", "negotiation"], ["cfo"],
     ["saas", "manufacturing"], 2),
    ("Product overview deck", "file", "overview.pdf", ["discovery", "demo"], ["vp sales", "cfo"],
     ["saas"], 2),
    ("Security whitepaper", "file", "security.pdf", ["negotiation"], ["ciso", "it"],
     ["financial services"], 1),
    ("Pricing one-pager", "file", "pricing.pdf", ["proposal"], ["cfo", "procurement"], [], 2),
    ("Architecture diagram", "file", "architecture.png", ["demo"], ["it"], [], 1),
    ("Customer story: Northwind", "link", "https://example.com/stories/northwind",
     ["discovery", "proposal"], ["vp sales"], ["manufacturing"], 1),
    ("Customer story: Contoso", "link", "https://example.com/stories/contoso", ["proposal"],
     ["cfo"], ["saas"], 1),
    ("Competitive battlecard", "file", "battlecard.pdf", ["demo", "negotiation"], ["vp sales"],
     [], 2),
    ("Implementation plan", "file", "implementation.pdf", ["negotiation"], ["it"], [], 1),
    ("Webinar recording", "link", "https://example.com/webinars/pipeline", ["qualification"],
     ["vp marketing"], [], 1),
    ("Analyst report", "link", "https://example.com/reports/analyst", ["discovery"], ["cfo"],
     ["financial services"], 1),
    (UNUSED_ASSET, "file", "brochure.pdf", ["qualification"], [], [], 1),
]  # fmt: skip

# title, kind, days from as_of to the start, length in days, expected leads, stated MQLs
CALENDAR: list[tuple[str, str, int, int, int, int | None]] = [
    ("Spring product webinar", CalendarKind.WEBINAR, -24, 1, 180, None),
    ("Newsletter: pricing update", CalendarKind.EMAIL_SEND, -17, 1, 90, None),
    ("Trade show booth", CalendarKind.EVENT, -10, 3, 140, 40),
    ("Paid search push", CalendarKind.CAMPAIGN, 3, 28, 420, None),
    ("Customer roundtable", CalendarKind.EVENT, 9, 1, 35, 12),
    ("Product launch: forecasting", CalendarKind.LAUNCH, 16, 1, 260, None),
    ("Launch webinar", CalendarKind.WEBINAR, 18, 1, 220, None),
    ("Nurture sequence", CalendarKind.EMAIL_SEND, 24, 14, 150, None),
    ("Partner event", CalendarKind.EVENT, 38, 2, 120, 30),
    ("Quarter-end offer", CalendarKind.CAMPAIGN, 45, 10, 300, None),
]


def set_up_demo_enablement(workspace: Workspace, as_of: dt.datetime, seed: int) -> None:
    rng = np.random.default_rng([seed, _STREAM])
    members = list(Membership.objects.for_workspace(workspace).order_by("pk"))
    marketers = [m.user_id for m in members if m.role == Role.MARKETER] or [members[0].user_id]
    sellers = [m.user_id for m in members if m.role in (Role.SALES_REP, Role.SDR)]
    assets = _assets(workspace, as_of, marketers)
    if sellers:
        _usage(workspace, as_of, assets, sellers, rng)
    _calendar(workspace, as_of, marketers)


def _assets(workspace: Workspace, as_of: dt.datetime, marketers: list[int]) -> list[Asset]:
    created = as_of - dt.timedelta(days=USAGE_DAYS + 30)
    assets, versions = [], []
    for i, (title, kind, source, stages, personas, industries, count) in enumerate(ASSETS):
        owner = marketers[i % len(marketers)]
        asset = Asset.objects.create(
            workspace=workspace, title=title, kind=kind, stages=stages, personas=personas,
            industries=industries, owner_id=owner, created_at=created,
            description=f"{title} for {', '.join(personas) or 'every buyer'}.",
        )  # fmt: skip
        assets.append(asset)
        for number in range(1, count + 1):
            values: dict[str, object] = {}
            if kind == AssetKind.LINK:
                values["url"] = source if number == 1 else f"{source}?v={number}"
            else:
                content = PNG if source.endswith(".png") else PDF + f"%v{number}\n".encode()
                stored = store_checked(workspace.pk, source, [content])
                values |= {"storage_name": stored.storage_name, "file_name": source,
                           "size": stored.size, "sha256": stored.sha256,
                           "content_type": stored.content_type}  # fmt: skip
            versions.append(AssetVersion(
                workspace=workspace, asset=asset, number=number, uploaded_by_id=owner,
                note="First version" if number == 1 else "Updated figures",
                created_at=created + dt.timedelta(days=60 * (number - 1)), **values,
            ))  # fmt: skip
    AssetVersion.objects.bulk_create(versions)
    return assets


def _usage(
    workspace: Workspace,
    as_of: dt.datetime,
    assets: list[Asset],
    sellers: list[int],
    rng: np.random.Generator,
) -> None:
    latest = {
        v.asset_id: v
        for v in AssetVersion.objects.for_workspace(workspace).order_by("asset_id", "number")
    }
    deals = list(
        Deal.objects.for_workspace(workspace)
        .filter(
            status__in=(DealOutcome.WON, DealOutcome.LOST),
            closed_at__gte=as_of - dt.timedelta(days=USAGE_DAYS),
            closed_at__lte=as_of,
        )
        .order_by("pk")
        .values_list("pk", "status", "owner_id", "closed_at")
    )
    seller_set = set(sellers)
    rows = []
    for deal_id, status, owner_id, closed_at in deals:
        user = owner_id if owner_id in seller_set else sellers[int(rng.integers(len(sellers)))]
        draws = rng.random(len(assets))
        for asset, draw in zip(assets, draws, strict=True):
            if asset.title == UNUSED_ASSET:
                continue
            if asset.title == PLANTED_ASSET:
                chance = PLANTED_RATES[0] if status == DealOutcome.WON else PLANTED_RATES[1]
            else:
                chance = OTHER_RATE
            if draw < chance:
                rows.append(AssetUsage(
                    workspace=workspace, asset=asset, version=latest[asset.pk],
                    deal_id=deal_id, user_id=user,
                    used_at=(closed_at or as_of) - dt.timedelta(days=int(rng.integers(2, 20))),
                ))  # fmt: skip
    AssetUsage.objects.bulk_create(rows, batch_size=2000)


# The campaign type an entry of each kind belongs to (a launch is content marketing; a paid
# push is advertising).
_KIND_TYPE: dict[str, str] = {
    CalendarKind.CAMPAIGN: CampaignType.ADS, CalendarKind.EMAIL_SEND: CampaignType.EMAIL,
    CalendarKind.WEBINAR: CampaignType.WEBINAR, CalendarKind.EVENT: CampaignType.EVENT,
    CalendarKind.LAUNCH: CampaignType.CONTENT,
}  # fmt: skip


def _calendar(workspace: Workspace, as_of: dt.datetime, marketers: list[int]) -> None:
    """Each entry is tied to the latest campaign of its kind's type (the demo's campaigns are
    planned quarter by quarter), so the calendar and the campaigns tell one story."""
    latest: dict[str, int] = {}
    for pk, kind in (
        Campaign.objects.for_workspace(workspace)
        .order_by("start_date", "pk")
        .values_list("pk", "type")
    ):
        latest[kind] = pk
    today = as_of.date()
    entries = []
    for i, (title, kind, offset, days, leads, mqls) in enumerate(CALENDAR):
        start = today + dt.timedelta(days=offset)
        entries.append(CalendarEntry(
            workspace=workspace, title=title, kind=kind,
            campaign_id=latest.get(_KIND_TYPE.get(kind, "")),
            start_date=start, end_date=start + dt.timedelta(days=days - 1),
            expected_leads=leads, expected_mqls=mqls, owner_id=marketers[i % len(marketers)],
            notes="", created_at=as_of,
        ))  # fmt: skip
    CalendarEntry.objects.bulk_create(entries)
