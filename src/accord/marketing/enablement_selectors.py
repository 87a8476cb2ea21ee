"""Reading the enablement library: the library with its filters, and the reports — usage by
team and by rep over a period, each asset's win rate on the closed deals it was used on
against the closed deals it was not used on (with the difference's 95 % interval), and the
assets nobody used."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q

from accord.crm.models import Deal, DealOutcome
from accord.identity.models import Membership, Workspace
from accord.marketing.enablement_models import Asset, AssetUsage, AssetVersion
from accord.marketing.win_rate import RateDifference, newcombe_difference


def asset_list(
    workspace: Workspace,
    *,
    stage: str = "",
    persona: str = "",
    industry: str = "",
    search: str = "",
    include_archived: bool = False,
) -> list[Asset]:
    """Assets by title, each with `latest` (its newest version) and `version_count`. Tag
    filters match a whole tag, case-insensitively; search looks in title and description."""
    query: Any = Asset.objects.for_workspace(workspace).annotate(version_count=Count("versions"))
    if not include_archived:
        query = query.filter(archived=False)
    if search.strip():
        term = search.strip()
        query = query.filter(Q(title__icontains=term) | Q(description__icontains=term))
    query = query.prefetch_related(
        Prefetch(
            "versions",
            queryset=AssetVersion.objects.for_workspace(workspace).order_by("-number"),
            to_attr="newest",
        )
    ).order_by("title")
    wanted = {"stages": stage, "personas": persona, "industries": industry}
    assets: list[Asset] = []
    for asset in query:
        if all(
            not value.strip() or value.strip().lower() in getattr(asset, field)
            for field, value in wanted.items()
        ):
            asset.latest = asset.newest[0] if asset.newest else None
            assets.append(asset)
    return assets


def tag_values(workspace: Workspace) -> dict[str, list[str]]:
    """Every stage, persona and industry tag in use, for the filters."""
    found: dict[str, set[str]] = {"stages": set(), "personas": set(), "industries": set()}
    rows = Asset.objects.for_workspace(workspace).values_list("stages", "personas", "industries")
    for row in rows:
        for (_field, values), tags in zip(found.items(), row, strict=True):
            values.update(tags or [])
    return {field: sorted(values) for field, values in found.items()}


def asset_get(workspace: Workspace, asset_id: int) -> Asset | None:
    return Asset.objects.for_workspace(workspace).filter(pk=asset_id).first()


def asset_versions(asset: Asset) -> list[AssetVersion]:
    return list(asset.versions.select_related("uploaded_by").order_by("-number"))


def asset_usages(asset: Asset) -> list[AssetUsage]:
    return list(asset.usages.select_related("deal", "user", "version").order_by("-used_at"))


def deal_asset_usages(workspace: Workspace, deal_id: int) -> list[AssetUsage]:
    return list(
        AssetUsage.objects.for_workspace(workspace)
        .filter(deal_id=deal_id)
        .select_related("asset", "version", "user")
        .order_by("-used_at")
    )


def version_for_download(workspace: Workspace, asset_id: int, number: int) -> AssetVersion | None:
    return (
        AssetVersion.objects.for_workspace(workspace)
        .filter(asset_id=asset_id, number=number)
        .select_related("asset")
        .first()
    )


# Reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `start` (inclusive) to `end` (exclusive), as aware datetimes."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class UsageLine:
    key: int | None  # the user's or the team's id (None: no team)
    name: str
    usages: int
    deals: int
    assets: int


NO_TEAM = "No team"


def usage_by_rep_and_team(
    workspace: Workspace, period: Period
) -> tuple[list[UsageLine], list[UsageLine]]:
    """(by rep, by team): usages recorded in the period, the distinct deals and the distinct
    assets, most usages first. A person's team is their membership's team today."""
    rows = list(
        AssetUsage.objects.for_workspace(workspace)
        .filter(used_at__gte=period.start, used_at__lt=period.end)
        .values_list("user_id", "deal_id", "asset_id")
    )
    members = {
        m.user_id: m
        for m in Membership.objects.for_workspace(workspace).select_related("user", "team")
    }
    by_rep: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_team: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for user_id, deal_id, asset_id in rows:
        by_rep[user_id].append((deal_id, asset_id))
        membership = members.get(user_id)
        by_team[membership.team_id if membership else None].append((deal_id, asset_id))

    def line(key: int | None, name: str, pairs: list[tuple[int, int]]) -> UsageLine:
        return UsageLine(
            key, name, len(pairs), len({d for d, _ in pairs}), len({a for _, a in pairs})
        )

    def rep_name(user_id: int) -> str:
        m = members.get(user_id)
        return m.user.display_name if m else f"user {user_id}"

    def team_name(team_id: int | None) -> str:
        teams = {m.team_id: m.team.name for m in members.values() if m.team is not None}
        return teams.get(team_id, NO_TEAM) if team_id is not None else NO_TEAM

    reps = [line(k, rep_name(k), v) for k, v in by_rep.items()]
    teams = [line(k, team_name(k), v) for k, v in by_team.items()]
    order = lambda x: (-x.usages, x.name)  # noqa: E731
    return sorted(reps, key=order), sorted(teams, key=order)


@dataclass(frozen=True)
class AssetWinRate:
    asset_id: int
    title: str
    won_with: int
    lost_with: int
    won_without: int
    lost_without: int
    difference: RateDifference

    @property
    def closed_with(self) -> int:
        return self.won_with + self.lost_with

    @property
    def closed_without(self) -> int:
        return self.won_without + self.lost_without

    @property
    def rate_with(self) -> float | None:
        return self.won_with / self.closed_with if self.closed_with else None

    @property
    def rate_without(self) -> float | None:
        return self.won_without / self.closed_without if self.closed_without else None


def asset_win_rates(workspace: Workspace, period: Period) -> list[AssetWinRate]:
    """For each asset (archived ones too, if they were used): the deals closed in the period
    that it was used on (won, lost) against the deals closed in the period that it was not used
    on, and the difference of the two win rates with Newcombe's 95 % interval. Usage counts
    whenever it was recorded. Largest difference first; assets with no closed deal either side
    come last (their difference is None)."""
    closed = dict(
        Deal.objects.for_workspace(workspace)
        .filter(
            status__in=(DealOutcome.WON, DealOutcome.LOST),
            closed_at__gte=period.start,
            closed_at__lt=period.end,
        )
        .values_list("pk", "status")
    )
    total_won = sum(1 for s in closed.values() if s == DealOutcome.WON)
    total_lost = len(closed) - total_won
    used_on: dict[int, set[int]] = defaultdict(set)
    for asset_id, deal_id in AssetUsage.objects.for_workspace(workspace).values_list(
        "asset_id", "deal_id"
    ):
        if deal_id in closed:
            used_on[asset_id].add(deal_id)
    lines = []
    for asset_id, title, archived in (
        Asset.objects.for_workspace(workspace)
        .order_by("title")
        .values_list("pk", "title", "archived")
    ):
        deals = used_on.get(asset_id, set())
        if archived and not deals:
            continue
        won = sum(1 for d in deals if closed[d] == DealOutcome.WON)
        lost = len(deals) - won
        ww, lw = total_won - won, total_lost - lost
        diff = newcombe_difference(won, won + lost, ww, ww + lw)
        lines.append(AssetWinRate(asset_id, title, won, lost, ww, lw, diff))
    return sorted(
        lines,
        key=lambda x: (x.difference.difference is None, -(x.difference.difference or 0), x.title),
    )


def unused_assets(workspace: Workspace, period: Period) -> list[Asset]:
    """Assets in the library (not archived) that nobody recorded on a deal in the period."""
    used = AssetUsage.objects.for_workspace(workspace).filter(
        used_at__gte=period.start, used_at__lt=period.end
    )
    return list(
        Asset.objects.for_workspace(workspace)
        .filter(archived=False)
        .exclude(pk__in=used.values("asset_id"))
        .order_by("title")
    )
