"""Imports and saved mappings over the REST API, over real HTTP (urllib against a live server)
with API tokens; the worker runs in the test process."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accord.crm.models import Contact
from accord.identity.models import ApiToken, Membership
from accord.integrations.models import ImportJob, SavedMapping
from tests.api.conftest import make_token
from tests.integrations.conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)

HUBSPOT = DATA / "hubspot-contacts.csv"


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any
    raw: bytes


def _multipart(fields: dict[str, str], file: tuple[str, bytes] | None) -> tuple[bytes, str]:
    boundary = f"----accord{secrets.token_hex(8)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            .encode()
        )  # fmt: skip
    if file is not None:
        file_name, content = file
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file_name}"\r\nContent-Type: text/csv\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Http:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, *, json_body: Any = None, form: Any = None) -> Reply:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data, headers["Content-Type"] = form
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return self._reply(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:
            return self._reply(error.code, error.read(), error.headers)

    @staticmethod
    def _reply(status: int, content: bytes, headers: Any) -> Reply:
        is_json = headers.get("Content-Type", "").startswith("application/json")
        body = json.loads(content) if content and is_json else None
        return Reply(status, body, headers, content)

    def upload(self, path: str, file: tuple[str, bytes] | None, **fields: str) -> Reply:
        return self.call("POST", path, form=_multipart(fields, file))


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def http(live_server: Any, importer: Membership) -> Http:
    return Http(str(live_server.url), make_token(importer)[1])


def _hubspot() -> tuple[str, bytes]:
    return ("hubspot-contacts.csv", HUBSPOT.read_bytes())


def _nothing_written(membership: Membership, data_dir: Path) -> None:
    assert ImportJob.objects.for_workspace(membership.workspace).count() == 0
    assert Contact.objects.for_workspace(membership.workspace).count() == 0
    uploads = data_dir / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_upload_hubspot_file_runs_in_the_worker(http: Http, importer: Membership) -> None:
    created = http.upload("/imports", _hubspot(), type="contacts")
    assert created.status == 202, created.body
    job_id = created.body["id"]
    assert created.body["status"] == "pending"
    assert created.body["preset"] == "hubspot"
    assert created.body["file_name"] == "hubspot-contacts.csv"
    assert (created.body["mode"], created.body["on_match"]) == ("all-or-nothing", "skip")
    assert created.body["created_by"] == "ana@acme.example"
    assert created.body["links"] == {
        "self": f"/api/v1/imports/{job_id}",
        "errors": f"/api/v1/imports/{job_id}/errors",
        "web": f"/imports/{job_id}/",
    }

    call_command("worker", "--once")

    done = http.call("GET", f"/imports/{job_id}")
    assert done.status == 200
    assert done.body["status"] == "succeeded"
    assert done.body["summary"] == {
        "created": 5, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0,
    }  # fmt: skip
    assert done.body["progress"] == {"rows_done": 5, "rows_total": 5, "percent": 100}
    assert done.body["error_count"] == 0
    assert Contact.objects.for_workspace(importer.workspace).count() == 5

    listed = http.call("GET", "/imports?status=succeeded")
    assert [row["id"] for row in listed.body["results"]] == [job_id]
    assert listed.body["next_cursor"] is None
    assert http.call("GET", "/imports?status=failed").body["results"] == []


def test_preview_writes_nothing(http: Http, importer: Membership, data_dir: Path) -> None:
    reply = http.upload("/imports/preview", _hubspot(), type="contacts")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["format"], body["encoding"], body["delimiter"]) == ("csv", "utf-8-sig", ",")
    assert body["preset"] == "hubspot"
    assert body["missing_required"] == []
    columns = {c["column"]: (c["target"], c["label"]) for c in body["columns"]}
    assert columns["Email"] == ("email", "Email")
    assert columns["Recent Conversion"] == (
        "custom:Recent Conversion",
        "custom field 'Recent Conversion'",
    )
    assert len(body["rows"]) == 5
    assert body["rows"][0][3] == "ana.ruiz@northwind.example"
    assert body["value_maps"]["lifecycle_stage"]["marketingqualifiedlead"] == "mql"
    _nothing_written(importer, data_dir)

    overridden = http.upload("/imports/preview", _hubspot(), columns=json.dumps({"Email": ""}))
    assert overridden.status == 200
    assert overridden.body["missing_required"] == ["Email"]
    _nothing_written(importer, data_dir)


def test_bad_file_is_a_400_with_the_engines_message(
    http: Http, importer: Membership, data_dir: Path
) -> None:
    binary = ("contacts.csv", b"\x00\x01\x02PK-not-really" * 50)
    for path in ("/imports", "/imports/preview"):
        reply = http.upload(path, binary)
        assert reply.status == 400
        assert reply.body["error"]["code"] == "validation_error"
        assert reply.body["error"]["fields"] == {
            "file": ["This is not a text CSV file (it contains binary data)."]
        }
    missing = http.upload("/imports", None, type="contacts")
    assert missing.status == 400
    assert missing.body["error"]["fields"] == {"file": ["This field is required."]}
    bad_columns = http.upload("/imports", _hubspot(), columns="{not json")
    assert bad_columns.status == 400
    assert list(bad_columns.body["error"]["fields"]) == ["columns"]
    bad_mode = http.upload("/imports", _hubspot(), mode="sometimes")
    assert bad_mode.status == 400
    assert bad_mode.body["error"]["fields"] == {
        "mode": ["Mode must be one of all-or-nothing, valid-rows."]
    }
    _nothing_written(importer, data_dir)


def test_error_report_over_the_api(http: Http, importer: Membership) -> None:
    content = b"Email,First Name\nana@x.example,Ana\nnot-an-email,Bo\n"
    created = http.upload("/imports", ("people.csv", content), mode="valid-rows")
    assert created.status == 202
    call_command("worker", "--once")
    job_id = created.body["id"]
    detail = http.call("GET", f"/imports/{job_id}")
    assert detail.body["summary"]["failed"] == 1
    assert detail.body["error_count"] == 1
    report = http.call("GET", f"/imports/{job_id}/errors")
    assert report.status == 200
    assert report.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert report.raw.decode().splitlines() == [
        "row,column,value,reason",
        "2,Email,not-an-email,Not a valid email address.",
    ]


def test_saved_mappings_crud_and_use(http: Http, importer: Membership) -> None:
    payload = {
        "name": "Fair leads",
        "record_type": "contacts",
        "columns": {"E-Mail Adresse": "email", "Firma": "company_name", "Notiz": ""},
        "value_maps": {"lifecycle_stage": {"Kunde": "customer"}},
    }
    created = http.call("POST", "/mappings", json_body=payload)
    assert created.status == 201, created.body
    mapping_id = created.body["id"]
    assert {k: created.body[k] for k in payload} == payload

    duplicate = http.call("POST", "/mappings", json_body=payload)
    assert duplicate.status == 409
    assert duplicate.body["error"]["fields"] == {
        "name": ["Another saved mapping of this workspace has this name."]
    }
    wrong = http.call(
        "POST", "/mappings",
        json_body={**payload, "name": "Wrong", "columns": {"Firma": "industry"}},
    )  # fmt: skip
    assert wrong.status == 400
    assert list(wrong.body["error"]["fields"]) == ["columns"]
    assert (
        "'Firma' -> 'industry': contacts have no such field"
        in (wrong.body["error"]["fields"]["columns"][0])
    )
    preset_name = http.call("POST", "/mappings", json_body={**payload, "name": "hubspot"})
    assert preset_name.status == 400

    listed = http.call("GET", "/mappings")
    assert [m["name"] for m in listed.body["results"]] == ["Fair leads"]
    patched = http.call(
        "PATCH",
        f"/mappings/{mapping_id}",
        json_body={"columns": {**payload["columns"], "Stufe": "lifecycle_stage"}},
    )
    assert patched.status == 200, patched.body
    assert patched.body["columns"]["Stufe"] == "lifecycle_stage"
    assert patched.body["name"] == "Fair leads"

    content = "E-Mail Adresse;Firma;Notiz;Stufe\nana@fair.example;Fair GmbH;met at booth;Kunde\n"
    queued = http.upload("/imports", ("messe.csv", content.encode()), mapping="Fair leads")
    assert queued.status == 202, queued.body
    call_command("worker", "--once")
    contact = Contact.objects.for_workspace(importer.workspace).get()
    assert (contact.email, contact.lifecycle_stage) == ("ana@fair.example", "customer")
    assert contact.custom_fields == {"Notiz": "met at booth"}

    unknown = http.upload("/imports", ("messe.csv", content.encode()), mapping="Nope")
    assert unknown.status == 400
    assert list(unknown.body["error"]["fields"]) == ["mapping"]

    assert http.call("GET", f"/mappings/{mapping_id}").body["name"] == "Fair leads"
    deleted = http.call("DELETE", f"/mappings/{mapping_id}")
    assert deleted.status == 204
    assert http.call("GET", f"/mappings/{mapping_id}").status == 404
    assert SavedMapping.objects.for_workspace(importer.workspace).count() == 0


def test_read_scoped_token_cannot_import(
    live_server: Any, importer: Membership, data_dir: Path
) -> None:
    reader = Http(str(live_server.url), make_token(importer, scope=ApiToken.Scope.READ)[1])
    for path in ("/imports", "/imports/preview"):
        reply = reader.upload(path, _hubspot())
        assert reply.status == 403
        assert reply.body["error"]["code"] == "permission_denied"
    mapping = reader.call(
        "POST", "/mappings",
        json_body={"name": "X", "record_type": "contacts", "columns": {"E": "email"}},
    )  # fmt: skip
    assert mapping.status == 403
    assert reader.call("GET", "/imports").status == 200
    _nothing_written(importer, data_dir)
    assert SavedMapping.objects.for_workspace(importer.workspace).count() == 0


def test_viewer_cannot_import_and_other_workspaces_jobs_do_not_exist(
    live_server: Any, http: Http, member_factory: Any, other_workspace: Any, data_dir: Path
) -> None:
    viewer = Http(str(live_server.url), make_token(member_factory("viewer"))[1])
    refused = viewer.upload("/imports", _hubspot())
    assert refused.status == 403
    other = Http(
        str(live_server.url),
        make_token(member_factory("admin", ws=other_workspace, email="boss@other.example"))[1],
    )
    theirs = other.upload("/imports", _hubspot())
    assert theirs.status == 202
    job_id = theirs.body["id"]
    assert http.call("GET", f"/imports/{job_id}").status == 404
    assert http.call("GET", f"/imports/{job_id}/errors").status == 404
    assert http.call("GET", "/imports").body["results"] == []


def test_import_list_queries_do_not_grow_with_jobs(importer: Membership, tmp_path: Path) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.identity.actor import Actor, Source
    from accord.integrations.importing.jobs import import_create
    from tests.api.conftest import Api

    api = Api(make_token(importer)[1])
    actor = Actor.for_membership(importer, Source.API)

    def add_job(index: int) -> None:
        path = tmp_path / f"c{index}.csv"
        path.write_text(f"Email\nperson{index}@x.example\n", encoding="utf-8")
        import_create(actor=actor, path=path, file_name=path.name, record_type="contacts")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/imports").status == 200
        return len(queries)

    add_job(0)
    count()
    one = count()
    for index in range(1, 6):
        add_job(index)
    assert count() == one
    assert len(api.get("/imports").body["results"]) == 6


def test_the_date_order_is_stated_on_an_api_import(http: Http, importer: Membership) -> None:
    text = b"Email,Create Date\np1@acme.example,03/04/2025\n"
    preview = http.upload("/imports/preview", ("c.csv", text), type="contacts", date_order="dmy")
    assert preview.status == 200, preview.body
    created = http.upload("/imports", ("c.csv", text), type="contacts", date_order="dmy")
    assert created.status == 202, created.body
    call_command("worker", "--once")
    contact = Contact.objects.for_workspace(importer.workspace).get()
    assert contact.created_at.date().isoformat() == "2025-04-03"
    refused = http.upload("/imports", ("c.csv", text), type="contacts", date_order="ymd")
    assert refused.status == 400 and "date_order" in refused.body["error"]["fields"]
