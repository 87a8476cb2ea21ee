"""The enablement library and the calendar over the REST API and the `asset` and `calendar`
commands: uploads (multipart) with their checks, links, versions, usage (201, then 200 for a
repeat), the report, calendar entries and capacity; 400/403/404 and CommandError."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accord.marketing.calendar_models import CalendarEntry
from accord.marketing.enablement_models import Asset, AssetUsage
from tests.api.conftest import Api, make_token
from tests.enablement.conftest import PDF

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def upload(token: str, name: str, content: bytes, **form: Any) -> Any:
    client = Client()
    data = {"file": _file(name, content), **form}
    return client.post(f"{BASE}/assets/upload", data, headers={"Authorization": f"Bearer {token}"})


def _file(name: str, content: bytes) -> Any:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


@pytest.fixture
def tokens(member_factory: Any) -> dict[str, str]:
    roles = {"maya": "marketer", "sam": "sales_rep", "vic": "viewer"}
    return {
        name: make_token(member_factory(role, email=f"{name}@acme.example"))[1]
        for name, role in roles.items()
    }


def test_assets_over_the_api(tokens: dict[str, str], make_deal: Any, workspace: Any) -> None:
    reply = upload(tokens["maya"], "pricing.pdf", PDF, title="Pricing", stages="proposal, demo")
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert (body["title"], body["kind"], body["stages"], body["version_count"]) == (
        "Pricing", "file", ["proposal", "demo"], 1
    )  # fmt: skip
    assert body["latest_version"]["content_type"] == "application/pdf"
    bad = upload(tokens["maya"], "evil.pdf", b"<html>", title="Evil")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"file": ["The file's content is not a PDF file."]}
    assert upload(tokens["sam"], "x.pdf", PDF, title="By sam").status_code == 403
    maya, sam, vic = Api(tokens["maya"]), Api(tokens["sam"]), Api(tokens["vic"])
    link = maya.post("/assets", {"title": "Story", "url": "https://x.example/s",
                                 "personas": ["CFO"]})  # fmt: skip
    assert link.status == 201 and link.body["personas"] == ["cfo"]
    assert maya.post("/assets", {"title": "Bad", "url": "file:///etc/passwd"}).fields == {
        "url": ["Give an http:// or https:// address."]
    }
    assert maya.post("/assets", {"title": "X", "url": "https://a.b", "color": 1}).status == 400
    listed = vic.get("/assets", stage="proposal")
    assert [a["title"] for a in listed.body["results"]] == ["Pricing"]
    assert [a["title"] for a in vic.get("/assets").body["results"]] == ["Pricing", "Story"]
    deal = make_deal("Globex")
    first = sam.post(f"/assets/{body['id']}/usages", {"deal_id": deal.pk, "note": "after demo"})
    again = sam.post(f"/assets/{body['id']}/usages", {"deal_id": deal.pk})
    assert (first.status, again.status, again.body["id"]) == (201, 200, first.body["id"])
    assert vic.post(f"/assets/{body['id']}/usages", {"deal_id": deal.pk}).status == 403
    assert sam.post(f"/assets/{body['id']}/usages", {"deal_id": 999999}).fields == {
        "deal_id": ["No deal with id 999999 in this workspace."]
    }
    client = Client()
    version = client.post(f"{BASE}/assets/{link.body['id']}/versions",
                          {"url": "https://x.example/s2", "note": "v2"},
                          headers={"Authorization": f"Bearer {tokens['maya']}"})  # fmt: skip
    assert version.status_code == 201 and version.json()["number"] == 2
    detail = vic.get(f"/assets/{link.body['id']}")
    assert [v["url"] for v in detail.body["versions"]] == ["https://x.example/s2",
                                                           "https://x.example/s"]  # fmt: skip
    report = vic.get("/enablement/report")
    assert report.status == 200
    assert [(r["usages"], r["deals"], r["assets"]) for r in report.body["by_rep"]] == [(1, 1, 1)]
    assert [a["title"] for a in report.body["unused"]] == ["Story"]
    assert vic.get("/enablement/report", start="2026-05-01", end="2026-04-01").fields == {
        "start": ["The start is after the end."]
    }
    assert Asset.objects.for_workspace(workspace).count() == 2
    assert AssetUsage.objects.for_workspace(workspace).count() == 1


def test_other_workspaces_assets_are_404(tokens: dict[str, str], member_factory: Any,
                                        other_workspace: Any) -> None:  # fmt: skip
    asset_id = upload(tokens["maya"], "p.pdf", PDF, title="Mine").json()["id"]
    stranger = Api(make_token(member_factory("admin", ws=other_workspace))[1])
    assert stranger.get(f"/assets/{asset_id}").status == 404
    assert stranger.patch(f"/assets/{asset_id}", {"title": "Stolen"}).status == 404
    assert stranger.get("/assets").body["results"] == []


def test_calendar_over_the_api(tokens: dict[str, str], workspace: Any) -> None:
    maya, sam = Api(tokens["maya"]), Api(tokens["sam"])
    made = maya.post("/calendar", {"title": "Webinar", "kind": "webinar",
                                   "start_date": "2030-01-07", "expected_leads": 70,
                                   "expected_mqls": 14})  # fmt: skip
    assert made.status == 201, made.body
    assert (made.body["end_date"], made.body["estimated_mqls"]) == ("2030-01-07", 14.0)
    assert sam.post("/calendar", {"title": "X", "kind": "event",
                                  "start_date": "2030-01-07"}).status == 403  # fmt: skip
    assert maya.post("/calendar", {"title": "X", "kind": "party",
                                   "start_date": "2030-01-07"}).status == 400  # fmt: skip
    listed = sam.get("/calendar", start="2030-01-01", end="2030-01-31")
    assert [e["title"] for e in listed.body["results"]] == ["Webinar"]
    changed = maya.patch(f"/calendar/{made.body['id']}", {"expected_leads": 80})
    assert changed.body["expected_leads"] == 80
    plan = sam.get("/calendar/capacity", weeks=3, capacity=5)
    assert plan.status == 200
    assert len(plan.body["weeks"]) == 3 and plan.body["capacity_per_seller"] == 5
    assert plan.body["weeks"][0]["sellers"] == 1  # sam
    assert sam.get("/calendar/capacity", weeks=0).status == 400
    assert CalendarEntry.objects.for_workspace(workspace).count() == 1


def test_the_commands(member_factory: Any, workspace: Any, make_deal: Any,
                      tmp_path: Path) -> None:  # fmt: skip
    member_factory("marketer", email="maya@acme.example")
    member_factory("sales_rep", email="sam@acme.example")
    pdf = tmp_path / "deck.pdf"
    pdf.write_bytes(PDF)
    out = io.StringIO()
    call_command("asset", "add", "--workspace", "acme", "--as", "maya@acme.example", "--title",
                 "Deck", "--file", str(pdf), "--stages", "demo", stdout=out)  # fmt: skip
    asset = Asset.objects.for_workspace(workspace).get()
    assert out.getvalue() == f"Added asset {asset.pk}: Deck (v1).\n"
    bad = tmp_path / "deck2.pdf"
    bad.write_bytes(b"MZ")
    with pytest.raises(CommandError, match="not a PDF file"):
        call_command("asset", "add", "--workspace", "acme", "--as", "maya@acme.example",
                     "--title", "Deck 2", "--file", str(bad))  # fmt: skip
    with pytest.raises(CommandError, match=r"does not allow this action \(manage_assets\)"):
        call_command("asset", "add", "--workspace", "acme", "--as", "sam@acme.example",
                     "--title", "L", "--url", "https://x.example")  # fmt: skip
    deal = make_deal("Initech")
    out = io.StringIO()
    for _ in range(2):
        call_command("asset", "usage", str(asset.pk), "--deal", str(deal.pk), "--workspace",
                     "acme", "--as", "sam@acme.example", stdout=out)  # fmt: skip
    assert out.getvalue().splitlines() == [
        f"Recorded: asset {asset.pk} v1 on deal {deal.pk}.",
        f"Already recorded: asset {asset.pk} v1 on deal {deal.pk}.",
    ]
    out = io.StringIO()
    call_command("asset", "list", "--workspace", "acme", "--stage", "demo", stdout=out)
    assert "Deck" in out.getvalue() and "v1" in out.getvalue()
    out = io.StringIO()
    call_command("asset", "report", "--workspace", "acme", stdout=out)
    text = out.getvalue()
    assert "By rep" in text and "Unused in the period: none" in text
    out = io.StringIO()
    call_command("calendar", "add", "--workspace", "acme", "--as", "maya@acme.example",
                 "--title", "Launch", "--kind", "launch", "--start", "2030-01-07",
                 "--leads", "40", stdout=out)  # fmt: skip
    assert out.getvalue().startswith("Added calendar entry ")
    out = io.StringIO()
    call_command("calendar", "capacity", "--workspace", "acme", "--weeks", "2", stdout=out)
    assert out.getvalue().startswith("Lead-to-MQL rate: ")
    assert len(out.getvalue().splitlines()) == 4  # the rate line, headers, two weeks
    with pytest.raises(CommandError, match="not a date"):
        call_command("calendar", "add", "--workspace", "acme", "--as", "maya@acme.example",
                     "--title", "X", "--kind", "event", "--start", "soon")  # fmt: skip
    assert CalendarEntry.objects.for_workspace(workspace).count() == 1  # the bad one wrote nothing
