"""Exports: the list's filters apply, CSV is safe to open in a spreadsheet, Parquet round-trips."""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.services import contacts
from accord.identity.actor import Actor, Source
from accord.identity.services import api_token_create
from accord.integrations.export.cells import neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("-42.5", "-42.5"),
        ("+49", "+49"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised(value: str, expected: str) -> None:
    assert neutralise(value) == expected


@pytest.fixture
def people(workspace, admin, other_workspace):  # type: ignore[no-untyped-def]
    actor = Actor.for_membership(admin, Source.API)
    contacts.contact_create(actor=actor, values={"email": "ana@x.example", "first_name": "=1+1",
                                                 "lifecycle_stage": "mql"})  # fmt: skip
    contacts.contact_create(actor=actor, values={"email": "bo@y.example", "first_name": "Bo",
                                                 "custom_fields": {"plan": "pro"}})  # fmt: skip
    contacts.contact_create(
        actor=Actor.system(other_workspace), values={"email": "secret@other.example"}
    )
    return actor


def _export(admin, *args: str) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("export", *args, "--workspace", "acme", "--user", admin.user.email, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_csv_export_with_filters(people, admin, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "all.csv"
    _export(admin, "contacts", "--output", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["email"] for r in rows] == ["ana@x.example", "bo@y.example"]  # not other workspace
    assert rows[0]["first_name"] == "'=1+1"
    assert json.loads(rows[1]["custom_fields"]) == {"plan": "pro"}
    _export(admin, "contacts", "--filter", "lifecycle_stage=mql", "--output", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["email"] for r in rows] == ["ana@x.example"]


@pytest.mark.django_db
def test_parquet_export_round_trips(people, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    target = tmp_path / "contacts.parquet"
    _export(admin, "contacts", "--format", "parquet", "--output", str(target))
    table = pq.read_table(target)
    assert table.num_rows == 2
    assert table.column("email").to_pylist() == ["ana@x.example", "bo@y.example"]
    assert table.column("company").to_pylist() == [None, None]


@pytest.mark.django_db
def test_bad_filters_are_reported(people, admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="owner_id: 'abc' is not a whole number"):
        _export(admin, "contacts", "--filter", "owner_id=abc")
    with pytest.raises(CommandError, match="colour: Unknown filter"):
        _export(admin, "contacts", "--filter", "colour=red")


@pytest.mark.django_db(transaction=True)
def test_api_export_over_http(people, admin, live_server) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    _, token = api_token_create(actor=people, name="export")

    def get(path: str) -> tuple[int, bytes, str]:
        request = urllib.request.Request(
            live_server.url + path, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.read(), response.headers["Content-Type"]
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers["Content-Type"]

    status, body, kind = get("/api/v1/exports/contacts?lifecycle_stage=mql")
    assert (status, kind) == (200, "text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["email"] for r in rows] == ["ana@x.example"]
    status, body, _ = get("/api/v1/exports/contacts?format=parquet")
    assert status == 200
    assert pq.read_table(io.BytesIO(body)).num_rows == 2
    status, body, _ = get("/api/v1/exports/contacts?owner_id=abc")
    assert status == 400
    assert json.loads(body)["error"]["fields"]["owner_id"]
    status, body, _ = get("/api/v1/exports/secrets")
    assert status == 400
