"""The enablement and calendar pages: the library with its form (marketers) and filters, an
asset's page, the download's safe headers, the deal page's 'Assets used' card (sales reps),
the report, the calendar with its capacity table and form; permissions, other workspaces
and escaping."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.marketing.calendar_models import CalendarEntry
from accord.marketing.enablement_models import Asset, AssetUsage
from tests.enablement.conftest import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member_factory: Any) -> dict[str, Any]:
    roles = {"maya": "marketer", "sam": "sales_rep", "vic": "viewer"}
    return {n: member_factory(r, email=f"{n}@acme.example") for n, r in roles.items()}


def signed_in(membership: Any) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_upload_download_and_record_use(people: dict[str, Any], make_deal: Any,
                                        workspace: Any) -> None:  # fmt: skip
    maya, sam, vic = (signed_in(people[n]) for n in ("maya", "sam", "vic"))
    form = {
        "title": "<b>Pricing</b>",
        "kind": "file",
        "stages": "proposal",
        "file": SimpleUploadedFile("pricing.pdf", PDF, content_type="application/pdf"),
    }
    reply = maya.post("/enablement/", form)
    asset = Asset.objects.for_workspace(workspace).get()
    assert reply.status_code == 302 and reply["Location"] == f"/enablement/{asset.pk}/"
    bad = maya.post("/enablement/", {"title": "Evil", "kind": "file",
                    "file": SimpleUploadedFile("evil.pdf", b"<script>")})  # fmt: skip
    assert bad.status_code == 400 and b"not a PDF file" in bad.content
    assert vic.post("/enablement/", {"title": "X", "kind": "link",
                    "url": "https://x.example"}).status_code == 403  # fmt: skip
    assert Asset.objects.for_workspace(workspace).count() == 1
    page = vic.get("/enablement/?stage=proposal")
    assert page.status_code == 200
    assert b"&lt;b&gt;Pricing&lt;/b&gt;" in page.content and b"<b>Pricing</b>" not in page.content
    assert b'id="asset-form"' not in page.content  # viewers see no form
    assert vic.get("/enablement/?stage=demo").content.count(b"data-asset=") == 0
    download = vic.get(f"/enablement/{asset.pk}/v1/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Disposition"] == 'attachment; filename="pricing.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert download["Content-Type"] == "application/pdf"
    assert vic.get(f"/enablement/{asset.pk}/v2/download/").status_code == 404
    deal = make_deal("Globex")
    deal_page = sam.get(f"/deals/{deal.pk}/")
    assert b'id="asset-use-form"' in deal_page.content
    assert b'id="asset-use-form"' not in vic.get(f"/deals/{deal.pk}/").content
    used = sam.post(f"/deals/{deal.pk}/assets/", {"asset_id": asset.pk, "note": "sent"})
    assert used.status_code == 302
    assert vic.post(f"/deals/{deal.pk}/assets/", {"asset_id": asset.pk}).status_code == 403
    assert AssetUsage.objects.for_workspace(workspace).count() == 1
    assert b"v1 \xc2\xb7" in sam.get(f"/deals/{deal.pk}/").content
    detail = vic.get(f"/enablement/{asset.pk}/")
    assert b"Globex" in detail.content and b"pricing.pdf" in detail.content
    report = vic.get("/enablement/report/")
    assert report.status_code == 200 and b'id="win-rates"' in report.content
    assert vic.get("/enablement/report/?start=bad&end=2026-01-01").status_code == 200


def test_other_workspaces_are_not_found(people: dict[str, Any], member_factory: Any,
                                        other_workspace: Any, workspace: Any) -> None:  # fmt: skip
    maya = signed_in(people["maya"])
    maya.post("/enablement/", {"title": "Deck", "kind": "file",
              "file": SimpleUploadedFile("d.pdf", PDF)})  # fmt: skip
    asset = Asset.objects.for_workspace(workspace).get()
    stranger = signed_in(member_factory("admin", ws=other_workspace))
    assert stranger.get(f"/enablement/{asset.pk}/").status_code == 404
    assert stranger.get(f"/enablement/{asset.pk}/v1/download/").status_code == 404
    assert Client().get(f"/enablement/{asset.pk}/v1/download/").status_code == 302  # to login


def test_the_calendar_page(people: dict[str, Any], workspace: Any) -> None:
    maya, sam = signed_in(people["maya"]), signed_in(people["sam"])
    reply = maya.post("/calendar/", {"title": "Spring webinar", "kind": "webinar",
                      "start_date": "2030-04-09", "expected_leads": "120"})  # fmt: skip
    assert reply.status_code == 302
    bad = maya.post("/calendar/", {"title": "", "kind": "webinar", "start_date": "2030-04-09",
                    "end_date": "2030-04-01"})  # fmt: skip
    assert bad.status_code == 400 and b"Nothing was saved" in bad.content
    assert sam.post("/calendar/", {"title": "X", "kind": "event",
                    "start_date": "2030-04-09"}).status_code == 403  # fmt: skip
    page = sam.get("/calendar/")
    assert page.status_code == 200
    assert page.content.count(b"data-week=") == 8
    assert b"No contact entered <em>lead</em> in the last 180 days" in page.content
    assert b'id="entry-form"' not in page.content
    entry = CalendarEntry.objects.for_workspace(workspace).get()
    edit = maya.post(
        f"/calendar/?edit={entry.pk}",
        {
            "entry_id": entry.pk,
            "title": "Renamed",
            "kind": "webinar",
            "start_date": "2030-04-09",
            "expected_leads": "90",
        },
    )
    assert edit.status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.expected_leads) == ("Renamed", 90)
    assert maya.get("/calendar/?edit=99999").status_code == 404
