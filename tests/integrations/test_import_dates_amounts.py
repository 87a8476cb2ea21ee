"""How an import reads dates, amounts and emails: the order of day and month is decided per column
for the whole file (never per cell) and said when it was assumed; dates outside 1900-2999,
amounts with more than two decimals or in exponent notation are row errors, not guesses; a
'mailto:' before an email is dropped."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from accord.core import periods
from accord.crm.models import Activity, Company, Contact, Deal
from accord.identity.actor import Actor, Source
from accord.integrations.export.cells import neutralise, unneutralise
from accord.integrations.importing import values
from accord.integrations.importing.jobs import import_create, import_run
from accord.integrations.importing.values import BadValue, parse_amount, parse_datetime
from accord.integrations.models import ImportJob
from accord.marketing.models import Campaign

UTC = dt.UTC


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _report(path: Path) -> list[tuple[str, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(r["row"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]


def _created(workspace) -> dict[str, dt.date]:  # type: ignore[no-untyped-def]
    contacts = Contact.objects.for_workspace(workspace)
    return {c.email: c.created_at.date() for c in contacts}


def _contacts_file(tmp_path: Path, *dates: str) -> Path:
    rows = "".join(f"p{i}@acme.example,{d}\n" for i, d in enumerate(dates, start=1))
    return _write(tmp_path, "contacts.csv", "Email,Created\n" + rows)


# The pieces ----------------------------------------------------------------------------------


def test_the_date_range_is_the_one_accord_reports_on() -> None:
    assert (values.FIRST_DAY, values.LAST_DAY, values.OUT_OF_RANGE) == (
        periods.FIRST_DAY, periods.LAST_DAY, periods.OUT_OF_RANGE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("03/04/2025", "dmy", dt.datetime(2025, 4, 3, tzinfo=UTC)),
        ("03/04/2025", "mdy", dt.datetime(2025, 3, 4, tzinfo=UTC)),
        ("04-03-2025", "dmy", dt.datetime(2025, 3, 4, tzinfo=UTC)),
        ("04-03-2025", "mdy", dt.datetime(2025, 4, 3, tzinfo=UTC)),
        ("03.04.2025", "mdy", dt.datetime(2025, 4, 3, tzinfo=UTC)),  # dotted: day first
        ("1900-01-01", "mdy", dt.datetime(1900, 1, 1, tzinfo=UTC)),
        ("2999-12-31 23:59", "mdy", dt.datetime(2999, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_a_date_is_read_in_its_columns_order(text: str, order: str, expected: Any) -> None:
    assert parse_datetime(text, order=order) == expected


@pytest.mark.parametrize(
    ("text", "order", "reason"),
    [
        ("25/12/2025", "mdy", "'25/12/2025' is not a valid date"),  # never swapped per cell
        ("12/25/2025", "dmy", "'12/25/2025' is not a valid date"),
        ("1850-01-01", "mdy", f"'1850-01-01' is out of range: {periods.OUT_OF_RANGE}"),
        ("01/01/1850", "dmy", f"'01/01/1850' is out of range: {periods.OUT_OF_RANGE}"),
        ("3000-01-01T00:00:00+00:00", "mdy", "is out of range"),
        ("2999-12-31T23:00:00-02:00", "mdy", "is out of range"),
    ],
)
def test_dates_that_do_not_read_are_refused(text: str, order: str, reason: str) -> None:
    with pytest.raises(BadValue, match=reason.replace("(", r"\(").replace("+", r"\+")):
        parse_datetime(text, order=order)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", Decimal("1234.50")), ("1.234,50", Decimal("1234.50")),
     ("$12,500", Decimal("12500")), ("12.5", Decimal("12.5")), ("0.99", Decimal("0.99"))],
)  # fmt: skip
def test_amounts_that_are_still_accepted(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.345", "12.345 has more than 2 decimals: is it 12,345 with a thousands separator?"),
        ("1.234.567", "'1.234.567' is not a number."),
        ("12.3456", "12.3456 has more than 2 decimals (amounts are to the cent)."),
        ("12.500", "12.500 has more than 2 decimals: is it 12,500 with a thousands separator?"),
        ("1e6", "'1e6' is in exponent notation: write the number in full."),
        ("2.5E+3", "'2.5E+3' is in exponent notation: write the number in full."),
    ],
)
def test_amounts_are_refused_not_rounded(text: str, reason: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_amount(text)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "value",
    ["=1+2", "+49 30 1234", "-12", "-12.5", "+49", "@x", "\tTab", "\rCR", "'quoted'", "'-12",
     "'=x", "''=x", "'''+a", "plain", "", "'", "-", "+", "'+49"],
)  # fmt: skip
def test_unneutralise_is_the_inverse_of_neutralise(value: str) -> None:
    assert unneutralise(neutralise(value)) == value


@pytest.mark.parametrize("value", ["'quoted'", "'-12.5", "'+49", "'plain", "'"])
def test_a_quote_the_export_did_not_add_is_kept(value: str) -> None:
    assert unneutralise(value) == value


# Dates in files --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_day_first_date_makes_the_whole_column_day_first(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    out = run_import(_contacts_file(tmp_path, "03/04/2025", "25/12/2025", "04-05-2025 10:00"))
    assert "created 3" in out
    assert _created(workspace) == {
        "p1@acme.example": dt.date(2025, 4, 3),  # not 4 March
        "p2@acme.example": dt.date(2025, 12, 25),
        "p3@acme.example": dt.date(2025, 5, 4),
    }
    job = ImportJob.objects.for_workspace(workspace).get()
    assert job.mapping["date_orders"] == {"created_at": "dmy"}
    assert job.message == ""  # nothing was assumed


@pytest.mark.django_db(transaction=True)
def test_one_month_first_date_makes_the_whole_column_month_first(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    run_import(_contacts_file(tmp_path, "03/04/2025", "12/25/2025"))
    assert _created(workspace) == {
        "p1@acme.example": dt.date(2025, 3, 4),
        "p2@acme.example": dt.date(2025, 12, 25),
    }


@pytest.mark.django_db(transaction=True)
def test_a_column_with_both_orders_reports_the_rows_against_the_majority(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    path = _contacts_file(tmp_path, "25/12/2025", "03/04/2025", "12/25/2025", "26/12/2025")
    errors = tmp_path / "errors.csv"
    out = run_import(path, "--mode", "valid-rows", "--errors", str(errors))
    assert "created 3, updated 0, unchanged 0, skipped 0, failed 1" in out
    assert _report(errors) == [
        ("3", "Created", "12/25/2025",
         "12/25/2025 and 25/12/2025 in one column: dates must use one order."),
    ]  # fmt: skip
    assert _created(workspace)["p2@acme.example"] == dt.date(2025, 4, 3)
    job = ImportJob.objects.for_workspace(workspace).get()
    assert "Column 'Created' mixes day-first dates (2, e.g. 25/12/2025)" in job.message


@pytest.mark.django_db(transaction=True)
def test_an_ambiguous_column_is_read_month_first_and_the_job_says_so(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    run_import(_contacts_file(tmp_path, "03/04/2025", "05/06/2025", "2025-07-08"))
    assert _created(workspace)["p1@acme.example"] == dt.date(2025, 3, 4)
    job = ImportJob.objects.for_workspace(workspace).get()
    assert job.message == (
        "Every date in column 'Created' (e.g. 03/04/2025) reads as day first or month first; "
        "they were read month first (M/D/YYYY), so 03/04/2025 is 4 March. If that is wrong, "
        "import the file again with the date order stated (dmy: day first)."
    )


@pytest.mark.django_db(transaction=True)
def test_a_stated_date_order_is_used_for_every_column(  # type: ignore[no-untyped-def]
    importer, workspace, tmp_path
) -> None:
    actor = Actor.for_membership(importer, Source.CLI)
    path = _contacts_file(tmp_path, "03/04/2025", "12/25/2025")
    job = import_create(
        actor=actor, path=path, file_name="c.csv", record_type="contacts",
        mode="valid-rows", date_order="dmy",
    )  # fmt: skip
    job = import_run(workspace_id=workspace.pk, job_id=job.pk)
    assert (job.created, job.failed, job.message) == (1, 1, "")
    assert _created(workspace) == {"p1@acme.example": dt.date(2025, 4, 3)}
    reasons = list(job.errors.values_list("reason", flat=True))
    assert reasons == [
        "12/25/2025 is not a date day first (D/M/YYYY), the order stated for this file."
    ]
    with pytest.raises(Exception, match="'ymd' is not a date order"):
        import_create(
            actor=actor, path=path, file_name="c.csv", record_type="contacts", date_order="ymd"
        )


@pytest.mark.django_db(transaction=True)
def test_the_decided_order_is_kept_with_the_job_for_a_resumed_run(  # type: ignore[no-untyped-def]
    importer, workspace, tmp_path
) -> None:
    """A resumed run reads the dates as the first run decided (it does not look again)."""
    actor = Actor.for_membership(importer, Source.CLI)
    path = _contacts_file(tmp_path, "03/04/2025", "05/06/2025")
    job = import_create(actor=actor, path=path, file_name="c.csv", record_type="contacts")
    ImportJob.objects.for_workspace(workspace).filter(pk=job.pk).update(
        mapping={**job.mapping, "date_orders": {"created_at": "dmy"}}
    )
    job = import_run(workspace_id=workspace.pk, job_id=job.pk)
    assert job.created == 2
    assert _created(workspace)["p1@acme.example"] == dt.date(2025, 4, 3)


@pytest.mark.django_db(transaction=True)
def test_the_order_is_decided_per_column(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path, importer
) -> None:
    path = _write(
        tmp_path,
        "campaigns.csv",
        "Campaign name,Channel,Start date,End date\n"
        "Spring,webinar,03/04/2025,12/31/2025\n"
        "Autumn,event,13/09/2025,11/30/2025\n",
    )
    run_import(path, "--type", "campaigns")
    dates = dict(Campaign.objects.for_workspace(workspace).values_list("name", "start_date"))
    assert dates == {"Spring": dt.date(2025, 4, 3), "Autumn": dt.date(2025, 9, 13)}
    ends = dict(Campaign.objects.for_workspace(workspace).values_list("name", "end_date"))
    assert ends == {"Spring": dt.date(2025, 12, 31), "Autumn": dt.date(2025, 11, 30)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("record_type", "text", "column"),
    [
        ("contacts", "Email,Create Date\na@acme.example,1850-01-01\n", "Create Date"),
        ("companies", "Company name,Create Date\nAcme,1850-01-01\n", "Create Date"),
        ("deals", "Deal name,Close date\nBig,01/01/3001\n", "Close date"),
        ("campaigns", "Campaign name,Channel,Start date\nOld,event,1899-12-31\n", "Start date"),
    ],
)
def test_dates_outside_1900_to_2999_are_row_errors(  # type: ignore[no-untyped-def]  # noqa: PLR0917 - fixtures
    run_import, workspace, tmp_path, record_type, text, column
) -> None:
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        run_import(_write(tmp_path, "f.csv", text), "--type", record_type, "--errors", str(errors))
    [(row, reported, value, reason)] = _report(errors)
    assert (row, reported) == ("1", column)
    assert reason == f"'{value}' is out of range: {periods.OUT_OF_RANGE}."
    models = (Contact, Company, Deal, Campaign)
    assert [m.objects.for_workspace(workspace).count() for m in models] == [0, 0, 0, 0]


# Amounts and emails in files ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deal_amounts_are_not_rounded_or_read_as_exponents(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    path = _write(
        tmp_path,
        "deals.csv",
        'Deal name,Amount\nA,12.345\nB,1e6\nC,"1,234.50"\nD,12.5\n',
    )
    errors = tmp_path / "errors.csv"
    out = run_import(path, "--type", "deals", "--mode", "valid-rows", "--errors", str(errors))
    assert "created 2, updated 0, unchanged 0, skipped 0, failed 2" in out
    assert _report(errors) == [
        ("1", "Amount", "12.345",
         "12.345 has more than 2 decimals: is it 12,345 with a thousands separator?"),
        ("2", "Amount", "1e6", "'1e6' is in exponent notation: write the number in full."),
    ]  # fmt: skip
    amounts = dict(Deal.objects.for_workspace(workspace).values_list("name", "amount"))
    assert amounts == {"C": Decimal("1234.50"), "D": Decimal("12.50")}


@pytest.mark.django_db(transaction=True)
def test_mailto_before_an_email_is_dropped(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    contacts = _write(
        tmp_path,
        "contacts.csv",
        "Email,Owner\nmailto:mt1@qa-uni.example,MAILTO:ana@acme.example\n"
        "MailTo:MT2@qa-uni.example,\n",
    )
    run_import(contacts, "--errors", str(tmp_path / "errors.csv"))
    stored = Contact.objects.for_workspace(workspace).order_by("email")
    assert [(c.email, c.owner.email if c.owner else None) for c in stored] == [
        ("mt1@qa-uni.example", "ana@acme.example"),
        ("mt2@qa-uni.example", None),
    ]
    activities = _write(
        tmp_path,
        "activities.csv",
        "Type,Date,Contact email\ncall,2025-05-01,mailto:mt1@qa-uni.example\n",
    )
    run_import(activities, "--type", "activities", "--errors", str(tmp_path / "errors.csv"))
    assert Activity.objects.for_workspace(workspace).get().contact.email == "mt1@qa-uni.example"


# Stating the order: the CLI, the API and the web ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_cli_takes_the_date_order_and_prints_the_jobs_note(  # type: ignore[no-untyped-def]
    run_import, workspace, tmp_path
) -> None:
    out = run_import(_contacts_file(tmp_path, "03/04/2025"), "--date-order", "dmy")
    assert _created(workspace) == {"p1@acme.example": dt.date(2025, 4, 3)}
    assert "finished: created 1" in out
    Contact.objects.for_workspace(workspace).delete()
    out = run_import(_contacts_file(tmp_path, "05/06/2025"))  # no order stated: assumed, said
    assert "they were read month first (M/D/YYYY)" in out
    with pytest.raises(CommandError, match="invalid choice: 'ymd'"):
        run_import(_contacts_file(tmp_path, "03/04/2025"), "--date-order", "ymd")


# The preview says it before anything is written ----------------------------------------------


@pytest.mark.parametrize(
    ("dates", "stated", "expected"),
    [
        (("03/04/2025", "25/12/2025"), None,
         ["Column 'Created' is read day first (D/M/YYYY): 03/04/2025 is 3 April."]),
        (("03/04/2025", "05/06/2025"), None,
         ["Every date in column 'Created' (e.g. 03/04/2025) reads as day first or month first; "
          "they were read month first (M/D/YYYY), so 03/04/2025 is 4 March. If that is wrong, "
          "import the file again with the date order stated (dmy: day first)."]),
        (("03/04/2025",), "dmy",
         ["Dates like 03/04/2025 are read day first (D/M/YYYY), as stated."]),
        (("2025-04-03",), None, []),
    ],
)  # fmt: skip
def test_the_preview_says_how_dates_will_be_read(
    tmp_path: Path, dates: tuple[str, ...], stated: str | None, expected: list[str]
) -> None:
    from accord.integrations.importing.jobs import preview

    result = preview(_contacts_file(tmp_path, *dates), "contacts", date_order=stated)
    assert result.dates == expected
