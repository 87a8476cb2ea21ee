"""Bad files and bad rows: specific messages, and nothing partial."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.models import Company, Contact, LedgerEntry
from accord.integrations.models import ImportJob


def _state(workspace):  # type: ignore[no-untyped-def]
    return (
        Contact.objects.for_workspace(workspace).count(),
        Company.objects.for_workspace(workspace).count(),
        LedgerEntry.objects.for_workspace(workspace).count(),
    )


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        ("Email,First Name\n", "The file has a header but no rows."),
        ("Email,First Name\r\n,\r\n\r\n", "The file has a header but no rows."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
        ("Email,Email\na@b.example,c@d.example\n", "names 'Email' twice"),
        ("Email,,Name\na@b.example,x,y\n", "Header column 2 has no name"),
        ("First Name,Last Name\nAna,Ruiz\n", "required field(s): Email"),
        ("\ufeffEmail\n".encode("utf-16"), "UTF-16"),
        ("Email,Name\nana@x.example,Jürgen\n".encode() + "bo@y.example,Jürgen\n".encode("cp1252"),
         "mixes encodings"),
    ],
    ids=["empty", "blank", "header-only", "header-and-blank-rows", "binary", "duplicate-header",
         "blank-header", "no-email", "utf16",
         "mixed-encoding"],
)  # fmt: skip
def test_unreadable_files_are_refused_and_nothing_is_written(
    run_import, workspace, tmp_path, content, message
) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "contacts.csv", content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(path)
    assert _state(workspace) == (0, 0, 0)
    assert ImportJob.objects.for_workspace(workspace).count() == 0


ROWS = (
    "Email,First Name,Lifecycle Stage,Create Date,Country\n"
    "good1@acme.example,Ana,lead,2025-01-02,DE\n"
    "not-an-email,Bo,lead,2025-01-02,DE\n"
    "good2@acme.example,Cy,hot prospect,2025-01-02,DE\n"
    "good3@acme.example,Di,lead,31/31/2025,DE\n"
    "good4@acme.example,Ed,lead,2025-01-02,Narnia\n"
    "good1@acme.example,Ana again,lead,2025-01-02,DE\n"
    "good5@acme.example,Flo,mql,03.02.2025,FR\n"
    "good6@acme.example,Gus\n"
)


@pytest.mark.django_db(transaction=True)
def test_all_or_nothing_writes_nothing_and_reports_every_bad_row(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "contacts.csv", ROWS)
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="did not complete"):
        run_import(path, "--errors", str(errors))
    assert _state(workspace) == (0, 0, 0)
    job = ImportJob.objects.for_workspace(workspace).get()
    assert (job.status, job.created, job.failed, job.skipped) == ("failed", 0, 6, 2)
    report = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert [(r["row"], r["column"]) for r in report] == [
        ("2", "Email"), ("3", "Lifecycle Stage"), ("4", "Create Date"), ("5", "Country"),
        ("6", ""), ("8", ""),
    ]  # fmt: skip
    assert report[0]["value"] == "not-an-email"
    assert report[4]["reason"] == "Duplicate of row 1 in this file."
    assert report[5]["reason"] == "The row has 2 cells; the header has 5."


@pytest.mark.django_db(transaction=True)
def test_valid_rows_mode_imports_the_rest(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "contacts.csv", ROWS)
    output = run_import(path, "--mode", "valid-rows", "--errors", str(tmp_path / "e.csv"))
    assert "created 2, updated 0, unchanged 0, skipped 0, failed 6" in output
    assert set(Contact.objects.for_workspace(workspace).values_list("email", flat=True)) == {
        "good1@acme.example", "good5@acme.example"
    }  # fmt: skip
    flo = Contact.objects.for_workspace(workspace).get(email="good5@acme.example")
    assert (flo.created_at.day, flo.created_at.month, flo.lifecycle_stage) == (3, 2, "mql")
    assert LedgerEntry.objects.for_workspace(workspace).count() == 2


@pytest.mark.django_db(transaction=True)
def test_quotes_newlines_and_semicolons_inside_cells(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = (
        'Email;Job Title;Notes\nana@x.example;"Head of ""Growth""";"line one\nline two; still"\n'
    )
    run_import(_write(tmp_path, "c.csv", content))
    ana = Contact.objects.for_workspace(workspace).get()
    assert ana.title == 'Head of "Growth"'
    assert ana.custom_fields == {"Notes": "line one\nline two; still"}


@pytest.mark.django_db(transaction=True)
def test_a_huge_cell_is_refused(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = "Email,Notes\nana@x.example," + "x" * (10 * 1024 * 1024) + "\n"
    with pytest.raises(CommandError, match="larger than 1 MB"):
        run_import(_write(tmp_path, "c.csv", content))
    assert _state(workspace) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_tab_separated_and_bom(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = "\ufeffEmail\tFirst Name\nana@x.example\tAna\nbo@y.example\tBo\n"
    run_import(_write(tmp_path, "c.tsv", content))
    assert _state(workspace)[0] == 2


@pytest.mark.django_db(transaction=True)
def test_xlsx_import_and_merged_cells(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "First Name", "Create Date", "Employees"])
    sheet.append(["ana@x.example", "Ana", dt.datetime(2025, 5, 6, 7, 8), 120])
    sheet.append(["bo@y.example", "Bo", dt.date(2025, 5, 7), None])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    run_import(path)
    ana = Contact.objects.for_workspace(workspace).get(email="ana@x.example")
    assert ana.created_at.isoformat() == "2025-05-06T07:08:00+00:00"
    assert ana.custom_fields == {"Employees": "120"}

    sheet.merge_cells("A2:B2")
    merged = tmp_path / "merged.xlsx"
    book.save(merged)
    with pytest.raises(CommandError, match="merged cells"):
        run_import(merged)


@pytest.mark.django_db(transaction=True)
def test_renamed_binary_is_not_a_csv(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    path = tmp_path / "contacts.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(CommandError, match=r"not an XLSX workbook|cannot be opened"):
        run_import(path)


@pytest.mark.django_db(transaction=True)
def test_unknown_mapping_and_type(importer, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "c.csv", "Email\nana@x.example\n")
    with pytest.raises(CommandError, match="is neither a preset"):
        call_command("import", str(path), "--workspace", "acme", "--user", "ana@acme.example",
                     "--mapping", "zoho", stdout=io.StringIO())  # fmt: skip
    mapping = _write(tmp_path, "m.json", '{"columns": {"Email": "favourite_colour"}}')
    with pytest.raises(CommandError, match="which contacts do not have"):
        call_command("import", str(path), "--workspace", "acme", "--user", "ana@acme.example",
                     "--mapping", str(mapping), stdout=io.StringIO())  # fmt: skip
    assert _state(workspace) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_custom_mapping_file_with_value_map(run_import, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "c.csv", "Correo,Etapa\nana@x.example,caliente\n")
    mapping = _write(
        tmp_path,
        "m.json",
        '{"columns": {"Correo": "email", "Etapa": "lifecycle_stage"},'
        ' "values": {"lifecycle_stage": {"caliente": "mql"}}}',
    )
    run_import(path, "--mapping", str(mapping))
    assert Contact.objects.for_workspace(workspace).get().lifecycle_stage == "mql"
