"""Property tests: random CSV files never crash the importer; every row is either imported or
reported; an all-or-nothing import with any bad row writes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.crm.models import Company, Contact, LedgerEntry
from accord.identity.actor import Actor, Source
from accord.integrations.importing.jobs import import_create, import_run
from accord.integrations.models import ImportJob

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "lead", "mql", "DE", "Germany", "2025-01-02", "13/13/2025", "x@y"]),
    st.emails().map(lambda e: e.upper() if len(e) % 2 else e),
)
header = st.lists(
    st.sampled_from(["Email", "First Name", "Lifecycle Stage", "Country", "Create Date", "Notes",
                     "Website", "Lead Status"]),
    min_size=1, max_size=6, unique=True,
)  # fmt: skip


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    columns = draw(header)
    rows = draw(
        st.lists(
            st.lists(cell, min_size=len(columns), max_size=len(columns)), min_size=0, max_size=8
        )
    )
    return columns, rows


def _state(workspace):  # type: ignore[no-untyped-def]
    return (
        Contact.objects.for_workspace(workspace).count(),
        Company.objects.for_workspace(workspace).count(),
        LedgerEntry.objects.for_workspace(workspace).count(),
    )


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=csv_files(), mode=st.sampled_from(["all-or-nothing", "valid-rows"]))
def test_every_row_is_imported_or_reported(workspace, importer, tmp_path, data, mode) -> None:  # type: ignore[no-untyped-def]
    columns, rows = data
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows(rows)
    path = Path(tmp_path) / "random.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    actor = Actor.for_membership(importer, Source.IMPORT)
    before = _state(workspace)
    try:
        job = import_create(
            actor=actor, path=path, file_name="random.csv", record_type="contacts", mode=mode
        )
    except Exception as exc:  # only a clear refusal is acceptable
        from accord.core.errors import ValidationFailed

        assert isinstance(exc, ValidationFailed), exc
        assert _state(workspace) == before
        return
    job = import_run(workspace_id=workspace.pk, job_id=job.pk)
    data_rows = [r for r in rows if any(c.strip() for c in r)]
    handled = job.created + job.updated + job.unchanged + job.skipped + job.failed
    assert handled == len(data_rows)
    reported_rows = set(job.errors.values_list("row", flat=True))
    assert len(reported_rows) == job.failed
    if mode == "all-or-nothing" and job.failed:
        assert job.status == "failed"
        assert _state(workspace) == before
    else:
        assert job.status == "succeeded"
        assert _state(workspace)[0] == before[0] + job.created
    # Clean up for the next example: the workspace is shared across examples.
    Contact.objects.for_workspace(workspace).delete()
    Company.objects.for_workspace(workspace).delete()
    ImportJob.objects.for_workspace(workspace).delete()
