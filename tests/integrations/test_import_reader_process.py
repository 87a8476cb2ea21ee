"""Large contact files are read and prepared in a separate process: the results, the errors,
the all-or-nothing rule and re-imports are the same as when the rows are prepared in-process."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from accord.crm.models import Company, Contact, LedgerEntry
from accord.integrations.importing import jobs, prepare_process
from accord.integrations.importing.readers import FileProblem
from accord.integrations.models import ImportJob
from tests.integrations.conftest import DATA
from tests.integrations.test_import_bad_input import ROWS

CONTACT_FIELDS = (
    "email", "first_name", "last_name", "title", "phone", "country", "owner_id",
    "lifecycle_stage", "lead_status", "original_source", "external_id", "custom_fields",
    "created_at", "company__domain", "company__name",
)  # fmt: skip


@pytest.fixture
def reader_process(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Every contacts import uses the reader process; returns how many were started."""
    started: list[int] = []
    original = prepare_process.prepared_in_process

    def counted(spec: Any) -> Any:
        started.append(1)
        return original(spec)

    monkeypatch.setattr(jobs, "PROCESS_MIN_ROWS", 0)
    monkeypatch.setattr(jobs, "prepared_in_process", counted)
    return started


def _contacts(workspace) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return list(
        Contact.objects.for_workspace(workspace).order_by("email").values_list(*CONTACT_FIELDS)
    )


def _companies(workspace) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return sorted(Company.objects.for_workspace(workspace).values_list("domain", "name"))


def _ledger(workspace) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return list(
        LedgerEntry.objects.for_workspace(workspace)
        .order_by("contact__email", "pk")
        .values_list("contact__email", "from_stage", "to_stage", "occurred_at", "source")
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_contacts_companies_and_ledger_as_in_process(
    run_import, workspace, monkeypatch, reader_process
) -> None:  # type: ignore[no-untyped-def]
    path = DATA / "hubspot-contacts.csv"
    run_import(path)
    assert reader_process == [1]
    by_process = (
        _contacts(workspace),
        _ledger(workspace),
        Company.objects.for_workspace(workspace).count(),
    )
    assert by_process[0] and len(by_process[1]) == len(by_process[0])

    Contact.objects.for_workspace(workspace).delete()
    Company.objects.for_workspace(workspace).delete()
    ImportJob.objects.for_workspace(workspace).delete()
    monkeypatch.setattr(jobs, "PROCESS_MIN_ROWS", 10**9)
    run_import(path)
    assert reader_process == [1]  # this time in-process
    assert (
        _contacts(workspace),
        _ledger(workspace),
        Company.objects.for_workspace(workspace).count(),
    ) == by_process


@pytest.mark.django_db(transaction=True)
def test_all_or_nothing_writes_nothing_and_reports_every_bad_row(
    run_import, workspace, tmp_path, reader_process
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_text(ROWS, encoding="utf-8")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="did not complete"):
        run_import(path, "--errors", str(errors))
    assert reader_process == [1]
    assert Contact.objects.for_workspace(workspace).count() == 0
    assert LedgerEntry.objects.for_workspace(workspace).count() == 0
    job = ImportJob.objects.for_workspace(workspace).get()
    assert (job.status, job.created, job.failed, job.skipped) == ("failed", 0, 6, 2)
    report = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert [(r["row"], r["column"]) for r in report] == [
        ("2", "Email"), ("3", "Lifecycle Stage"), ("4", "Create Date"), ("5", "Country"),
        ("6", ""), ("8", ""),
    ]  # fmt: skip
    assert report[4]["reason"] == "Duplicate of row 1 in this file."


@pytest.mark.django_db(transaction=True)
def test_valid_rows_mode_then_a_reimport_changes_nothing(
    run_import, workspace, tmp_path, reader_process
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_text(ROWS, encoding="utf-8")
    output = run_import(path, "--mode", "valid-rows", "--errors", str(tmp_path / "e.csv"))
    assert "created 2, updated 0, unchanged 0, skipped 0, failed 6" in output
    before = (_contacts(workspace), _ledger(workspace))
    again = run_import(path, "--mode", "valid-rows", "--errors", str(tmp_path / "e2.csv"))
    assert "created 0, updated 0, unchanged 2, skipped 0, failed 6" in again
    assert (_contacts(workspace), _ledger(workspace)) == before
    assert len(reader_process) == 2


@pytest.mark.django_db(transaction=True)
def test_overwrite_moves_stages_through_the_ledger(
    run_import, workspace, tmp_path, reader_process
) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "a.csv"
    first.write_text("Email,First Name,Lifecycle Stage\nana@x.example,Ana,lead\n", encoding="utf-8")
    run_import(first)
    second = tmp_path / "b.csv"
    second.write_text(
        "Email,First Name,Lifecycle Stage,Job Title\nana@x.example,,mql,CFO\n", encoding="utf-8"
    )
    assert "updated 1" in run_import(second, "--on-match", "overwrite")
    ana = Contact.objects.for_workspace(workspace).get()
    assert (ana.first_name, ana.title, ana.lifecycle_stage) == ("Ana", "CFO", "mql")
    assert [(e[1], e[2]) for e in _ledger(workspace)] == [("", "lead"), ("lead", "mql")]


@pytest.mark.django_db(transaction=True)
def test_a_file_problem_found_by_the_reader_process_writes_nothing(
    run_import, workspace, tmp_path, reader_process
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.csv"
    path.write_text(
        "Email,Notes\n" + "".join(f"p{i}@x.example,n\n" for i in range(6000))
        + "ana@x.example," + "x" * (2 * 1024 * 1024) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(CommandError, match="did not complete"):
        run_import(path)
    assert reader_process == [1]
    assert Contact.objects.for_workspace(workspace).count() == 0
    job = ImportJob.objects.for_workspace(workspace).get()
    assert (job.status, job.message) == (
        "failed",
        "Row 6001 cannot be read: a cell is larger than 1 MB.",
    )


@pytest.mark.django_db(transaction=True)
def test_rows_naming_one_domain_differently_make_one_company(
    run_import, workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    # A regression: the two names made two inserts of one domain, which its unique index refused.
    path = tmp_path / "c.csv"
    path.write_text(
        "Email,Company Name,Website URL\n"
        "ana@acme.example,Acme,https://acme.example\n"
        "bo@acme.example,ACME Inc.,www.acme.example\n"
        "cy@gmail.com,No Domain,\n"
        "di@gmail.com,no domain,\n",
        encoding="utf-8",
    )
    run_import(path)
    companies = Company.objects.for_workspace(workspace)
    assert sorted(companies.values_list("domain", "name")) == [
        ("", "No Domain"), ("acme.example", "Acme")
    ]  # fmt: skip
    acme = companies.get(domain="acme.example")
    assert set(acme.contacts.values_list("email", flat=True)) == {
        "ana@acme.example", "bo@acme.example"
    }  # fmt: skip


def test_the_reader_process_reports_file_problems_and_crashes(tmp_path: Path) -> None:
    missing = prepare_process.ReaderSpec(str(tmp_path / "missing.csv"), {}, 0, dict, {})
    with pytest.raises(FileProblem, match="The file is empty"):
        list(prepare_process.prepared_in_process(missing))
    path = tmp_path / "c.csv"
    path.write_text("Email\nana@x.example\n", encoding="utf-8")
    broken = prepare_process.ReaderSpec(str(path), {}, 0, dict, {})  # no mapping
    with pytest.raises(RuntimeError, match=r"(?s)reader process failed:.*TypeError"):
        list(prepare_process.prepared_in_process(broken))
