"""The enablement library's write path: adding file and link assets with their checks (size,
type by extension and by content; bad input writes no row and no file), versions, tags and
filters, permissions by role, recording usage on deals (once per asset, deal and person), and
workspaces kept apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.identity.actor import Actor, Source
from accord.marketing import enablement_selectors as sel
from accord.marketing import enablement_services as svc
from accord.marketing.asset_files import stored_path
from accord.marketing.enablement_models import Asset, AssetUsage, AssetVersion
from tests.enablement.conftest import PDF, PNG, docx_bytes

pytestmark = pytest.mark.django_db


def stored_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "assets"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def add_file(actor: Actor, title: str = "Pricing one-pager", name: str = "pricing.pdf",
             content: bytes = PDF, **values: Any) -> Asset:  # fmt: skip
    return svc.asset_create(
        actor=actor,
        values={"title": title, "kind": "file", **values},
        file_name=name,
        chunks=[content],
    )


def test_a_file_asset_is_stored_with_its_first_version(
    team: dict[str, Actor], tmp_path: Path
) -> None:
    maya = team["maya"]
    asset = add_file(maya, stages="Discovery, proposal", personas=["CFO"], industries="SaaS")
    assert (asset.kind, asset.stages, asset.personas, asset.industries) == (
        "file",
        ["discovery", "proposal"],
        ["cfo"],
        ["saas"],
    )
    assert asset.owner_id == maya.user.pk  # type: ignore[union-attr]
    (version,) = AssetVersion.objects.for_workspace(maya.workspace).filter(asset=asset)
    assert (version.number, version.file_name, version.size, version.content_type) == (
        1,
        "pricing.pdf",
        len(PDF),
        "application/pdf",
    )
    import hashlib

    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    path = stored_path(maya.workspace.pk, version.storage_name)
    assert path.read_bytes() == PDF
    assert stored_files(tmp_path) == [path]
    assert "pricing" not in version.storage_name  # never the uploaded name on disk


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "Files of type '.exe' are not accepted"),
        ("page.html", b"<html>", "Files of type '.html' are not accepted"),
        ("noext", PDF, "Files of type 'none' are not accepted"),
        ("brochure.pdf", b"<html><script>alert(1)</script>", "not a PDF file"),
        ("logo.png", PDF, "not a PNG file"),
        ("photo.jpg", PNG, "not a JPG file"),
        ("deck.pptx", docx_bytes(), "not a PPTX file"),  # a zip, but a Word document
        ("sheet.xlsx", b"PK\x03\x04garbage", "not a XLSX file"),
        ("clip.mp4", b"\x00\x00\x00\x18mdat" + b"\x00" * 8, "not a MP4 file"),
        ("notes.txt", "caf\u00e9".encode("latin-1"), "must be UTF-8"),
        ("data.csv", b"a,b\x00,c", "cannot hold NUL bytes"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_a_bad_file_writes_nothing(team: dict[str, Actor], tmp_path: Path, name: str,
                                   content: bytes, message: str) -> None:  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        add_file(team["maya"], name=name, content=content)
    assert list(caught.value.fields) == ["file"]
    assert message in caught.value.fields["file"][0]
    assert not Asset.objects.for_workspace(team["maya"].workspace).exists()
    assert not AssetVersion.objects.for_workspace(team["maya"].workspace).exists()
    assert stored_files(tmp_path) == []


def test_good_files_of_each_family_are_accepted(team: dict[str, Actor]) -> None:
    cases = [("a.docx", docx_bytes()), ("b.xlsx", docx_bytes("xl/workbook.xml")),
             ("c.pptx", docx_bytes("ppt/presentation.xml")), ("d.png", PNG),
             ("e.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 8), ("f.gif", b"GIF89a\x01\x00"),
             ("g.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8), ("h.csv", b"a,b\n1,2\n"),
             ("i.TXT", "na\u00efve".encode())]  # fmt: skip
    for i, (name, content) in enumerate(cases):
        add_file(team["maya"], title=f"Asset {i}", name=name, content=content)
    types = list(
        AssetVersion.objects.for_workspace(team["maya"].workspace)
        .order_by("asset__title")
        .values_list("content_type", flat=True)
    )
    office = "application/vnd.openxmlformats-officedocument."
    assert types == [
        office + "wordprocessingml.document", office + "spreadsheetml.sheet",
        office + "presentationml.presentation", "image/png", "image/jpeg", "image/gif",
        "video/mp4", "text/csv", "text/plain",
    ]  # fmt: skip


def test_the_size_limit_names_itself_and_writes_nothing(team: dict[str, Actor], settings: Any,
                                                         tmp_path: Path) -> None:  # fmt: skip
    settings.ACCORD_MAX_ASSET_MB = 0.001  # 1,048 bytes
    chunks = [PDF, b"0" * 1024]
    with pytest.raises(ValidationFailed) as caught:
        svc.asset_create(actor=team["maya"], values={"title": "Big", "kind": "file"},
                         file_name="big.pdf", chunks=chunks)  # fmt: skip
    assert caught.value.fields == {"file": ["The file is over the 0 MB limit for assets."]}
    settings.ACCORD_MAX_ASSET_MB = 25
    with pytest.raises(ValidationFailed) as caught:
        svc.asset_create(actor=team["maya"], values={"title": "Big", "kind": "file"},
                         file_name="big.pdf", chunks=iter([PDF] + [b"0" * 2**20] * 25))  # fmt: skip
    assert caught.value.fields == {"file": ["The file is over the 25 MB limit for assets."]}
    assert stored_files(tmp_path) == []
    assert not Asset.objects.for_workspace(team["maya"].workspace).exists()


def test_bad_metadata_writes_no_file(team: dict[str, Actor], tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        add_file(team["maya"], title="", stages=["x" * 61], owner_id=999_999)
    assert caught.value.fields == {
        "title": ["This field is required."],
        "stages": ["A tag has at most 60 characters."],
        "owner_id": ["User 999999 is not a member of this workspace."],
    }
    add_file(team["maya"])
    with pytest.raises(ValidationFailed) as caught:
        add_file(team["maya"], title="PRICING one-pager")
    assert caught.value.fields == {"title": ["An asset called 'PRICING one-pager' already exists."]}
    assert len(stored_files(tmp_path)) == 1


def test_links_must_be_http(team: dict[str, Actor]) -> None:
    maya = team["maya"]
    for bad in ("javascript:alert(1)", "ftp://x.example/a", "//x.example", "not a url"):
        with pytest.raises(ValidationFailed) as caught:
            svc.asset_create(actor=maya, values={"title": "L", "kind": "link", "url": bad})
        assert caught.value.fields == {"url": ["Give an http:// or https:// address."]}
    with pytest.raises(ValidationFailed) as caught:
        svc.asset_create(actor=maya, values={"title": "L", "kind": "link"})
    assert caught.value.fields == {"url": ["A link needs its http(s) address."]}
    with pytest.raises(ValidationFailed) as caught:
        add_file(maya, url="https://x.example/")
    assert caught.value.fields == {"url": ["A file asset has no address; choose kind 'link'."]}
    assert not Asset.objects.for_workspace(maya.workspace).exists()
    asset = svc.asset_create(
        actor=maya, values={"title": "Case study", "kind": "link", "url": "https://x.example/cs"}
    )
    version = svc.version_add(actor=maya, asset_id=asset.pk, url="HTTPS://x.example/cs-2",
                              note="Updated figures")  # fmt: skip
    assert [(v.number, v.url, v.note) for v in sel.asset_versions(asset)] == [
        (2, "HTTPS://x.example/cs-2", "Updated figures"), (1, "https://x.example/cs", "")
    ]  # fmt: skip
    assert version.storage_name == ""


def test_versions_number_up_and_old_files_stay(team: dict[str, Actor], tmp_path: Path) -> None:
    maya = team["maya"]
    asset = add_file(maya)
    v2 = svc.version_add(actor=maya, asset_id=asset.pk, file_name="pricing-v2.pdf",
                         chunks=[PDF + b"%v2\n"], note="New prices")  # fmt: skip
    assert (v2.number, v2.file_name, v2.uploaded_by_id) == (2, "pricing-v2.pdf", maya.user.pk)  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        svc.version_add(actor=maya, asset_id=asset.pk, file_name="x.pdf", chunks=[b"nope"])
    with pytest.raises(ValidationFailed) as caught:
        svc.version_add(actor=maya, asset_id=asset.pk, url="https://x.example")
    assert "file" in caught.value.fields or "url" in caught.value.fields
    assert [v.number for v in sel.asset_versions(asset)] == [2, 1]
    assert len(stored_files(tmp_path)) == 2
    svc.asset_update(actor=maya, asset_id=asset.pk, values={"archived": "true"})
    with pytest.raises(Conflict):
        svc.version_add(actor=maya, asset_id=asset.pk, file_name="x.pdf", chunks=[PDF])


def test_who_may_manage_and_who_may_record(team: dict[str, Actor], make_deal: Any) -> None:
    for name in ("sam", "dee", "vic"):
        with pytest.raises(PermissionDenied):
            add_file(team[name], title=f"By {name}")
    for name in ("maya", "boss"):
        add_file(team[name], title=f"By {name}")
    asset = Asset.objects.for_workspace(team["maya"].workspace).get(title="By maya")
    deal = make_deal("Globex")
    for name in ("maya", "vic"):
        with pytest.raises(PermissionDenied):
            svc.usage_record(actor=team[name], asset_id=asset.pk, deal_id=deal.pk)
    for name in ("sam", "dee", "boss"):
        _, created = svc.usage_record(actor=team[name], asset_id=asset.pk, deal_id=deal.pk)
        assert created
    with pytest.raises(PermissionDenied):
        svc.asset_update(actor=team["sam"], asset_id=asset.pk, values={"title": "Mine"})
    assert AssetUsage.objects.for_workspace(asset.workspace).count() == 3


def test_recording_twice_changes_nothing(team: dict[str, Actor], make_deal: Any) -> None:
    asset = add_file(team["maya"])
    deal = make_deal("Initech")
    first, created = svc.usage_record(actor=team["sam"], asset_id=asset.pk, deal_id=deal.pk,
                                      note="Sent after the demo")  # fmt: skip
    again, created_again = svc.usage_record(actor=team["sam"], asset_id=asset.pk,
                                            deal_id=deal.pk, note="other")  # fmt: skip
    assert (created, created_again, again.pk, again.note) == (True, False, first.pk,
                                                              "Sent after the demo")  # fmt: skip
    assert first.version.number == 1
    svc.version_add(actor=team["maya"], asset_id=asset.pk, file_name="p2.pdf", chunks=[PDF])
    later, _ = svc.usage_record(actor=team["dee"], asset_id=asset.pk, deal_id=deal.pk)
    assert later.version.number == 2  # the latest version when it was used
    assert [u.user.email for u in sel.deal_asset_usages(asset.workspace, deal.pk)] == [
        "dee@acme.example", "sam@acme.example"
    ]  # fmt: skip


def test_bad_usage_writes_nothing(team: dict[str, Actor], make_deal: Any, member_factory: Any,
                                  other_workspace: Any) -> None:  # fmt: skip
    from accord.crm.services.deals import deal_create

    asset = add_file(team["maya"])
    stranger = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    their_deal = deal_create(actor=stranger, values={"name": "Theirs"})
    with pytest.raises(ValidationFailed) as caught:
        svc.usage_record(actor=team["sam"], asset_id=asset.pk, deal_id=their_deal.pk)
    assert caught.value.fields == {
        "deal_id": [f"No deal with id {their_deal.pk} in this workspace."]
    }
    with pytest.raises(ValidationFailed) as caught:
        svc.usage_record(actor=team["sam"], asset_id=asset.pk, deal_id="abc")
    assert caught.value.fields == {"deal_id": ["'abc' is not a deal id."]}
    with pytest.raises(NotFound):
        svc.usage_record(actor=team["sam"], asset_id=asset.pk + 1000, deal_id=make_deal("X").pk)
    svc.asset_update(actor=team["maya"], asset_id=asset.pk, values={"archived": True})
    with pytest.raises(Conflict):
        svc.usage_record(actor=team["sam"], asset_id=asset.pk, deal_id=make_deal("Y").pk)
    assert not AssetUsage.objects.for_workspace(asset.workspace).exists()


def test_other_workspaces_assets_are_not_found(team: dict[str, Actor], member_factory: Any,
                                               other_workspace: Any) -> None:  # fmt: skip
    asset = add_file(team["maya"])
    stranger = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    with pytest.raises(NotFound):
        svc.asset_update(actor=stranger, asset_id=asset.pk, values={"title": "Stolen"})
    with pytest.raises(NotFound):
        svc.version_add(actor=stranger, asset_id=asset.pk, file_name="x.pdf", chunks=[PDF])
    assert sel.asset_get(other_workspace, asset.pk) is None
    assert sel.version_for_download(other_workspace, asset.pk, 1) is None
    assert sel.asset_list(other_workspace) == []


def test_the_library_filters_by_tag_and_search(team: dict[str, Actor]) -> None:
    maya = team["maya"]
    add_file(maya, title="ROI calculator", name="roi.xlsx", content=docx_bytes("xl/a.xml"),
             stages="proposal", personas="CFO", industries="manufacturing")  # fmt: skip
    add_file(maya, title="Security whitepaper", description="SOC 2 and pen tests",
             stages="negotiation", personas="CISO, IT", industries="saas")  # fmt: skip
    svc.asset_create(actor=maya, values={"title": "Customer story", "kind": "link",
                     "url": "https://x.example/story", "stages": "discovery, proposal",
                     "personas": "cfo", "industries": "saas"})  # fmt: skip
    old = add_file(maya, title="Old deck", stages="proposal")
    svc.asset_update(actor=maya, asset_id=old.pk, values={"archived": True})
    ws = maya.workspace

    def titles(**filters: Any) -> list[str]:
        return [a.title for a in sel.asset_list(ws, **filters)]

    assert titles() == ["Customer story", "ROI calculator", "Security whitepaper"]
    assert titles(stage="Proposal") == ["Customer story", "ROI calculator"]
    assert titles(stage="proposal", persona="cfo", industry="saas") == ["Customer story"]
    assert titles(persona="it") == ["Security whitepaper"]
    assert titles(search="soc 2") == ["Security whitepaper"]
    assert titles(stage="propos") == []  # whole tags only
    assert titles(stage="proposal", include_archived=True) == [
        "Customer story", "Old deck", "ROI calculator"
    ]  # fmt: skip
    assert sel.tag_values(ws) == {
        "stages": ["discovery", "negotiation", "proposal"],
        "personas": ["cfo", "ciso", "it"],
        "industries": ["manufacturing", "saas"],
    }
    (story,) = sel.asset_list(ws, search="story")
    assert (story.latest.number, story.version_count) == (1, 1)  # type: ignore[attr-defined]
