"""The enablement reports on a small hand-built history: usage by rep and by team over a
period, each asset's win rate with and without it (with Newcombe's interval), and the assets
nobody used; the empty cases give no NaN and no error."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from accord.identity.actor import Actor
from accord.identity.models import Membership, Team
from accord.marketing import enablement_selectors as sel
from accord.marketing import enablement_services as svc
from accord.marketing.win_rate import newcombe_difference
from tests.enablement.conftest import PDF

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PERIOD = sel.Period(T0, T0 + dt.timedelta(days=30))


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture
def history(team: dict[str, Actor], make_deal: Any) -> dict[str, Any]:
    """Assets A, B (link) and C (never used). Deals closed in March: w1..w4 won, l1..l4 lost;
    'old' won in February, 'open' still open. A is used on w1, w2, w3 and l1; B on w4, l1, l2
    and 'old'. Sam (team East) records A on w1, w2, l1 and B on l1; Dee (no team) records A on
    w3, B on w4 and l2; Boss (team East) records B on 'old' before the period."""
    ws = team["maya"].workspace
    east = Team.objects.create(workspace=ws, name="East", kind="sales")
    Membership.objects.for_workspace(ws).filter(user__email__in=["sam@acme.example",
                                                "boss@acme.example"]).update(team=east)  # fmt: skip
    a = svc.asset_create(actor=team["maya"], values={"title": "A deck", "kind": "file"},
                         file_name="a.pdf", chunks=[PDF])  # fmt: skip
    b = svc.asset_create(actor=team["maya"], values={"title": "B story", "kind": "link",
                         "url": "https://x.example/b"})  # fmt: skip
    c = svc.asset_create(actor=team["maya"], values={"title": "C unused", "kind": "link",
                         "url": "https://x.example/c"})  # fmt: skip
    deals = {f"w{i}": make_deal(f"w{i}", "closed_won", day(i)) for i in range(1, 5)}
    deals |= {f"l{i}": make_deal(f"l{i}", "closed_lost", day(10 + i)) for i in range(1, 5)}
    deals["old"] = make_deal("old", "closed_won", day(-5))
    deals["open"] = make_deal("open")
    for who, asset, deal, when in (
        ("sam", a, "w1", 0.5), ("sam", a, "w2", 1), ("sam", a, "l1", 2), ("sam", b, "l1", 3),
        ("dee", a, "w3", 4), ("dee", b, "w4", 5), ("dee", b, "l2", 6), ("boss", b, "old", -9),
    ):  # fmt: skip
        svc.usage_record(actor=team[who], asset_id=asset.pk, deal_id=deals[deal].pk,
                         used_at=day(when))  # fmt: skip
    return {"a": a, "b": b, "c": c, "ws": ws, "east": east}


def test_usage_by_rep_and_by_team(history: dict[str, Any]) -> None:
    reps, teams = sel.usage_by_rep_and_team(history["ws"], PERIOD)
    assert [(r.usages, r.deals, r.assets) for r in reps] == [
        (4, 3, 2), (3, 3, 2)
    ]  # fmt: skip
    by_user = {r.key: (r.usages, r.deals, r.assets) for r in reps}
    members = {m.user.email: m.user_id for m in Membership.objects.for_workspace(history["ws"])
               .select_related("user")}  # fmt: skip
    assert by_user == {members["sam@acme.example"]: (4, 3, 2),
                       members["dee@acme.example"]: (3, 3, 2)}  # fmt: skip
    assert [(t.key, t.name, t.usages, t.deals, t.assets) for t in teams] == [
        (history["east"].pk, "East", 4, 3, 2), (None, sel.NO_TEAM, 3, 3, 2)
    ]  # fmt: skip
    whole = sel.Period(day(-30), day(30))
    _, teams = sel.usage_by_rep_and_team(history["ws"], whole)
    assert [(t.name, t.usages, t.deals) for t in teams] == [("East", 5, 4), (sel.NO_TEAM, 3, 3)]


def test_win_rates_with_and_without_each_asset(history: dict[str, Any]) -> None:
    lines = sel.asset_win_rates(history["ws"], PERIOD)
    # A: with = w1 w2 w3 l1 (3 of 4); without = w4 l2 l3 l4 (1 of 4).
    # B: with = w4 l1 l2 (1 of 3; 'old' closed before the period); without = w1 w2 w3 l3 l4.
    # C: never used: with = 0 deals -> no difference.
    assert [(x.title, x.won_with, x.lost_with, x.won_without, x.lost_without) for x in lines] == [
        ("A deck", 3, 1, 1, 3), ("B story", 1, 2, 3, 2), ("C unused", 0, 0, 4, 4)
    ]  # fmt: skip
    a, b, c = lines
    assert (a.rate_with, a.rate_without) == (0.75, 0.25)
    assert a.difference == newcombe_difference(3, 4, 1, 4)
    assert a.difference.difference == 0.5
    assert b.difference.difference == pytest.approx(1 / 3 - 3 / 5)
    assert (c.rate_with, c.difference.difference, c.difference.low) == (None, None, None)


def test_unused_assets_in_the_period(history: dict[str, Any], team: dict[str, Actor]) -> None:
    assert [x.title for x in sel.unused_assets(history["ws"], PERIOD)] == ["C unused"]
    before = sel.Period(day(-30), day(0))
    assert [x.title for x in sel.unused_assets(history["ws"], before)] == ["A deck", "C unused"]
    svc.asset_update(actor=team["maya"], asset_id=history["c"].pk, values={"archived": True})
    assert sel.unused_assets(history["ws"], PERIOD) == []


def test_an_empty_workspace_reports_nothing_without_errors(team: dict[str, Actor]) -> None:
    ws = team["maya"].workspace
    assert sel.usage_by_rep_and_team(ws, PERIOD) == ([], [])
    assert sel.asset_win_rates(ws, PERIOD) == []
    assert sel.unused_assets(ws, PERIOD) == []
    svc.asset_create(actor=team["maya"], values={"title": "Lonely", "kind": "link",
                     "url": "https://x.example"})  # fmt: skip
    (line,) = sel.asset_win_rates(ws, PERIOD)
    assert (line.closed_with, line.closed_without, line.rate_with, line.rate_without) == (
        0, 0, None, None
    )  # fmt: skip
    values = [line.difference.difference, line.difference.low, line.difference.high]
    assert values == [None, None, None]
    assert not any(isinstance(v, float) and math.isnan(v) for v in values)
