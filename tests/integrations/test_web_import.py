"""The web import flow through Django's test client: upload, preview, change the mapping,
confirm, let the worker run the job, and read the job page and its error report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from accord.crm.models import Contact
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.integrations.importing.jobs import import_create
from accord.integrations.mappings import saved_mapping_create
from accord.integrations.models import ImportJob, SavedMapping
from tests.integrations.conftest import DATA

HUBSPOT = DATA / "hubspot-contacts.csv"


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


@pytest.fixture
def writer(importer: Membership) -> Client:
    client = Client()
    client.force_login(importer.user)
    return client


def _upload(client: Client, name: str, content: bytes, **fields: str) -> Any:
    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "record_type": "contacts",
        "mapping": "",
        "mode": "all-or-nothing",
        "on_match": "skip",
        **fields,
    }
    return client.post("/imports/new/", data)


def _mapping_post(response: Any, changes: dict[str, str], **extra: str) -> dict[str, str]:
    """The preview form's proposed values with `changes` (header -> target) applied."""
    form = response.context["form"]
    data = {}
    for index, column in enumerate(form.header):
        name = f"column_{index}"
        data[name] = changes.get(column, form.fields[name].initial)
    return {**data, **extra}


def _jobs(membership: Membership) -> Any:
    return ImportJob.objects.for_workspace(membership.workspace)


def _uploads(data_dir: Path) -> list[str]:
    folder = data_dir / "uploads"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.django_db(transaction=True)
def test_upload_preview_change_confirm_and_run(
    writer: Client, importer: Membership, data_dir: Path
) -> None:
    assert writer.get("/imports/new/").status_code == 200
    uploaded = _upload(writer, "hubspot-contacts.csv", HUBSPOT.read_bytes())
    assert uploaded.status_code == 302
    preview_url = uploaded["Location"]
    assert preview_url.startswith("/imports/preview/")
    assert len(_uploads(data_dir)) == 2  # the file and its options, nothing imported yet
    assert _jobs(importer).count() == 0

    preview = writer.get(preview_url)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "HubSpot export" in page
    assert "UTF-8 · comma-separated" in page
    assert "All required fields are mapped." in page
    assert "Northwind Traders" in page  # a cell of the first rows
    initial = {c: preview.context["form"].fields[f"column_{i}"].initial
               for i, c in enumerate(preview.context["form"].header)}  # fmt: skip
    assert initial["Job Title"] == "title"
    assert initial["Recent Conversion"] == ""  # kept as a custom field
    assert len(preview.context["rows"]) == 5

    # Keep the job title as a custom field instead, save the mapping, and confirm.
    data = _mapping_post(
        preview, {"Job Title": ""}, save_as="HubSpot without titles", action="confirm"
    )
    confirmed = writer.post(preview_url, data)
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    job = _jobs(importer).get()
    assert confirmed["Location"] == f"/imports/{job.pk}/"
    assert _uploads(data_dir) == []  # the staged copy is gone; the job has its own
    assert job.status == "pending"
    saved = SavedMapping.objects.for_workspace(importer.workspace).get()
    assert saved.name == "HubSpot without titles"
    assert saved.record_type == "contacts"
    assert saved.columns["Job Title"] == "custom:Job Title"
    assert saved.columns["Email"] == "email"
    assert saved.value_maps["lifecycle_stage"]["marketingqualifiedlead"] == "mql"

    waiting = writer.get(f"/imports/{job.pk}/")
    assert waiting.status_code == 200
    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    assert "Waiting to start" in waiting.content.decode()

    call_command("worker", "--once")

    done = writer.get(f"/imports/{job.pk}/")
    text = done.content.decode()
    assert "Finished: created 5, updated 0, unchanged 0, skipped 0, failed 0." in text
    assert 'hx-trigger="every 1s"' not in text  # polling stops
    progress = writer.get(f"/imports/{job.pk}/progress/")
    assert progress.status_code == 200
    assert b"<html" not in progress.content  # just the status block
    assert b'data-status="succeeded"' in progress.content
    assert b"Download error report" not in progress.content  # no errors
    ana = Contact.objects.for_workspace(importer.workspace).get(email="ana.ruiz@northwind.example")
    assert ana.title == ""
    assert ana.custom_fields == {
        "Job Title": "Head of Revenue Operations",
        "Recent Conversion": "Pricing page demo request",
    }
    assert ana.lifecycle_stage == "mql"
    listing = writer.get("/imports/")
    assert listing.status_code == 200
    assert f'href="/imports/{job.pk}/"' in listing.content.decode()


@pytest.mark.django_db(transaction=True)
def test_saved_mapping_chosen_on_upload(writer: Client, importer: Membership) -> None:
    actor = Actor.for_membership(importer, Source.WEB)
    saved_mapping_create(
        actor=actor,
        name="Trade show",
        record_type="contacts",
        columns={"E-Mail Adresse": "email", "Firma": "company_name", "Stufe": "lifecycle_stage"},
        value_maps={"lifecycle_stage": {"Interessent": "lead", "Kunde": "customer"}},
    )
    content = b"E-Mail Adresse;Firma;Stufe\nana@fair.example;Fair GmbH;Kunde\n"
    uploaded = _upload(writer, "messe.csv", content, mapping="Trade show")
    assert uploaded.status_code == 302
    preview = writer.get(uploaded["Location"])
    page = preview.content.decode()
    assert "Saved mapping &#x27;Trade show&#x27;" in page
    assert "semicolon-separated" in page
    confirmed = writer.post(uploaded["Location"], _mapping_post(preview, {}, action="confirm"))
    assert confirmed.status_code == 302
    call_command("worker", "--once")
    contact = Contact.objects.for_workspace(importer.workspace).get()
    assert (contact.email, contact.lifecycle_stage) == ("ana@fair.example", "customer")
    assert contact.company is not None and contact.company.name == "Fair GmbH"


@pytest.mark.django_db(transaction=True)
def test_the_date_order_chosen_on_upload_is_used(writer: Client, importer: Membership) -> None:
    content = b"Email,Create Date\np1@acme.example,03/04/2025\n"
    uploaded = _upload(writer, "c.csv", content, date_order="dmy")
    assert uploaded.status_code == 302
    preview = writer.get(uploaded["Location"])
    confirmed = writer.post(uploaded["Location"], _mapping_post(preview, {}, action="confirm"))
    assert confirmed.status_code == 302
    call_command("worker", "--once")
    contact = Contact.objects.for_workspace(importer.workspace).get()
    assert contact.created_at.date().isoformat() == "2025-04-03"  # 3 April, day first


@pytest.mark.django_db(transaction=True)
def test_error_report_download(writer: Client, importer: Membership) -> None:
    content = b"Email,First Name\nana@x.example,Ana\nnot-an-email,Bo\n=1+2,Cy\n"
    uploaded = _upload(writer, "people.csv", content, mode="valid-rows")
    preview = writer.get(uploaded["Location"])
    writer.post(uploaded["Location"], _mapping_post(preview, {}, action="confirm"))
    call_command("worker", "--once")
    job = _jobs(importer).get()
    assert (job.status, job.created, job.failed) == ("succeeded", 1, 2)

    page = writer.get(f"/imports/{job.pk}/").content.decode()
    assert "Download error report (CSV)" in page
    report = writer.get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert report["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines() == [
        "row,column,value,reason",
        "2,Email,not-an-email,Not a valid email address.",
        "3,Email,'=1+2,Not a valid email address.",  # formula neutralised
    ]


@pytest.mark.django_db
def test_required_field_unmapped_is_flagged_and_nothing_is_created(
    writer: Client, importer: Membership
) -> None:
    uploaded = _upload(writer, "people.csv", b"Email,Name\nana@x.example,Ana\n")
    preview = writer.get(uploaded["Location"])
    data = _mapping_post(preview, {"Email": ""}, action="refresh")
    checked = writer.post(uploaded["Location"], data)
    assert checked.status_code == 200
    assert "Missing required field: <strong>Email</strong>" in checked.content.decode()
    partial = writer.post(uploaded["Location"], data, headers={"HX-Request": "true"})
    assert partial.content.decode().strip().startswith('<div id="mapping-status"')
    refused = writer.post(uploaded["Location"], {**data, "action": "confirm"})
    assert refused.status_code == 400
    assert "No column is mapped to the required field(s): Email." in refused.content.decode()
    assert _jobs(importer).count() == 0


@pytest.mark.django_db
def test_saving_under_a_taken_name_creates_nothing(writer: Client, importer: Membership) -> None:
    saved_mapping_create(
        actor=Actor.for_membership(importer, Source.WEB),
        name="Mine",
        record_type="contacts",
        columns={"Email": "email"},
    )
    uploaded = _upload(writer, "people.csv", b"Email,Name\nana@x.example,Ana\n")
    preview = writer.get(uploaded["Location"])
    refused = writer.post(
        uploaded["Location"], _mapping_post(preview, {}, save_as="Mine", action="confirm")
    )
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "save_as": ["Another saved mapping of this workspace has this name."]
    }
    assert _jobs(importer).count() == 0
    assert SavedMapping.objects.for_workspace(importer.workspace).get().columns == {
        "Email": "email"
    }


@pytest.mark.django_db
def test_viewer_gets_403_on_upload(member_factory: Any, importer: Membership) -> None:
    viewer = member_factory("viewer", email="viewer@acme.example")
    client = Client()
    client.force_login(viewer.user)
    assert client.get("/imports/new/").status_code == 403
    response = _upload(client, "people.csv", b"Email\nana@x.example\n")
    assert response.status_code == 403
    listing = client.get("/imports/")
    assert listing.status_code == 200
    assert "New import" not in listing.content.decode()
    assert "Your role can see imports but not start them." in listing.content.decode()
    assert _jobs(importer).count() == 0


@pytest.mark.django_db
def test_another_workspaces_job_is_404(
    writer: Client, other_workspace: Any, member_factory: Any, tmp_path: Path
) -> None:
    other = member_factory("admin", ws=other_workspace, email="boss@other.example")
    path = tmp_path / "c.csv"
    path.write_text("Email\nana@x.example\n", encoding="utf-8")
    job = import_create(
        actor=Actor.for_membership(other, Source.WEB), path=path, file_name="c.csv",
        record_type="contacts",
    )  # fmt: skip
    for suffix in ("", "progress/", "errors.csv"):
        assert writer.get(f"/imports/{job.pk}/{suffix}").status_code == 404
    assert writer.get("/imports/preview/" + "0" * 32 + "/").status_code == 404


@pytest.mark.django_db
def test_binary_file_named_csv_is_refused(
    writer: Client, importer: Membership, data_dir: Path
) -> None:
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    response = _upload(writer, "contacts.csv", binary)
    assert response.status_code == 400
    assert "This is not a text CSV file (it contains binary data)." in response.content.decode()
    assert _uploads(data_dir) == []
    assert _jobs(importer).count() == 0


@pytest.mark.django_db
def test_too_large_upload_is_refused(
    writer: Client, importer: Membership, data_dir: Path, settings: Any
) -> None:
    settings.ACCORD_MAX_UPLOAD_MB = 0.001  # about 1 KB
    content = b"Email\n" + b"someone@example.com\n" * 200
    response = _upload(writer, "big.csv", content)
    assert response.status_code == 400
    assert "The file is 3.9 KB; the upload limit is 1 KB." in response.content.decode()
    assert _uploads(data_dir) == []
    assert _jobs(importer).count() == 0


@pytest.mark.django_db
def test_forms_need_the_csrf_token(importer: Membership) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(importer.user)
    response = _upload(client, "people.csv", b"Email\nana@x.example\n")
    assert response.status_code == 403
    page = client.get("/imports/new/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.django_db
def test_import_list_queries_do_not_grow_with_jobs(
    writer: Client, importer: Membership, tmp_path: Path
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = Actor.for_membership(importer, Source.WEB)

    def add_job(index: int) -> None:
        path = tmp_path / f"c{index}.csv"
        path.write_text(f"Email\nperson{index}@x.example\n", encoding="utf-8")
        import_create(actor=actor, path=path, file_name=path.name, record_type="contacts")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert writer.get("/imports/").status_code == 200
        return len(queries)

    add_job(0)
    count()  # the first request of a session loads more (session, caches)
    one = count()
    for index in range(1, 6):
        add_job(index)
    assert count() == one
    page = writer.get("/imports/").content.decode()
    assert page.count('class="badge status-pending"') == 6


@pytest.mark.django_db
def test_xlsx_upload_previews_the_first_sheet(writer: Client, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Email", "Company", "Created"])
    sheet.append(["ana@northwind.example", "Northwind", "2026-01-05"])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    uploaded = _upload(writer, "people.xlsx", path.read_bytes())
    assert uploaded.status_code == 302
    preview = writer.get(uploaded["Location"])
    page = preview.content.decode()
    assert "Excel workbook (XLSX)" in page
    assert "first worksheet" in page
    assert preview.context["rows"] == [["ana@northwind.example", "Northwind", "2026-01-05"]]


@pytest.mark.django_db(transaction=True)
def test_cli_mapping_accepts_a_saved_mapping_name(
    run_import: Any, importer: Membership, tmp_path: Path
) -> None:
    from django.core.management.base import CommandError

    saved_mapping_create(
        actor=Actor.for_membership(importer, Source.CLI),
        name="Trade show",
        record_type="contacts",
        columns={"E-Mail Adresse": "email", "Stufe": "lifecycle_stage"},
        value_maps={"lifecycle_stage": {"Kunde": "customer"}},
    )
    path = tmp_path / "messe.csv"
    path.write_text("E-Mail Adresse;Stufe\nana@fair.example;Kunde\n", encoding="utf-8")
    output = run_import(path, "--mapping", "Trade show")
    assert "created 1, updated 0, unchanged 0, skipped 0, failed 0" in output
    contact = Contact.objects.for_workspace(importer.workspace).get()
    assert (contact.email, contact.lifecycle_stage) == ("ana@fair.example", "customer")
    with pytest.raises(CommandError, match="the saved mapping 'Trade show' is for contacts"):
        run_import(path, "--mapping", "Trade show", "--type", "companies")
    with pytest.raises(CommandError, match="neither a preset, a saved mapping"):
        run_import(path, "--mapping", "No such mapping")
