"""Dispositions of handed-off leads, imports and list exports in the audit log; a refused
disposition writes no entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accord.core.errors import PermissionDenied, ValidationFailed
from accord.handoff import dispositions, routing_settings
from accord.handoff.models import Handoff
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor
from accord.identity.actor import Actor, Source
from accord.integrations.export.service import export_rows, parse_filters
from accord.integrations.importing.jobs import import_create, import_run
from tests.audit.helpers import logged


@pytest.mark.django_db(transaction=True)
def test_every_disposition_is_audited(workspace: Any) -> None:
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    rep = floor.sellers[0]
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "First rep", "conditions": [], "user_id": rep.user_id},
    )
    leads = [make_mql(floor, f"lead{i}@example.org") for i in range(4)]
    handoffs = [Handoff.objects.for_workspace(workspace).get(contact=c) for c in leads]
    owner = floor.actor(rep, Source.WEB)
    start = len(logged(workspace))

    with pytest.raises(ValidationFailed):
        dispositions.handoff_reject(actor=owner, handoff_id=handoffs[0].pk, reason="garbage")
    with pytest.raises(PermissionDenied):
        dispositions.handoff_accept(actor=floor.actor(floor.marketer), handoff_id=handoffs[0].pk)
    assert len(logged(workspace)) == start  # refused: nothing recorded

    dispositions.handoff_accept(actor=owner, handoff_id=handoffs[0].pk, comment="Good fit")
    dispositions.handoff_reject(
        actor=owner, handoff_id=handoffs[1].pk, reason="not_icp", comment="Agency"
    )
    until = timezone.localdate() + dt.timedelta(days=30)
    dispositions.handoff_recycle(actor=owner, handoff_id=handoffs[2].pk, until=until)
    manager = floor.actor(floor.sales_manager)
    dispositions.handoff_reassign(
        actor=manager, handoff_id=handoffs[3].pk, user_id=floor.sellers[1].user_id
    )
    dispositions.handoff_dispute(
        actor=floor.actor(floor.marketer), handoff_id=handoffs[1].pk, comment="They asked twice."
    )
    dispositions.dispute_resolve(
        actor=manager, handoff_id=handoffs[1].pk, outcome="upheld", resolution="Still an agency."
    )
    entries = [
        e for e in logged(workspace)[start:] if e["action"].startswith(("handoff.", "dispute."))
    ]
    assert [(e["action"], e["who"]) for e in entries] == [
        ("handoff.accepted", f"{rep.user.display_name} via web"),
        ("handoff.rejected", f"{rep.user.display_name} via web"),
        ("handoff.recycled", f"{rep.user.display_name} via web"),
        ("handoff.reassigned", f"{floor.sales_manager.user.display_name} via api"),
        ("handoff.disputed", f"{floor.marketer.user.display_name} via api"),
        ("dispute.resolved", f"{floor.sales_manager.user.display_name} via api"),
    ]
    h = handoffs
    assert entries[0]["object"] == (
        "handoff",
        str(h[0].pk),
        f"handoff {h[0].pk} of contact {leads[0].pk}",
    )
    assert (entries[0]["before"], entries[0]["after"]) == (
        {"status": "open"},
        {"status": "accepted", "comment": "Good fit"},
    )
    reason = Handoff.objects.for_workspace(workspace).get(pk=h[1].pk).reason_id
    assert entries[1]["after"] == {"status": "rejected", "reason_id": reason, "comment": "Agency"}
    assert entries[2]["after"] == {
        "status": "recycled",
        "recycle_until": until.isoformat(),
        "comment": "",
    }
    assert (entries[3]["before"], entries[3]["after"]) == (
        {"owner_id": rep.user_id},
        {"owner_id": floor.sellers[1].user_id},
    )
    assert entries[4]["after"] == {
        "handoff_id": h[1].pk,
        "comment": "They asked twice.",
        "outcome": "pending",
    }
    assert (entries[5]["before"], entries[5]["after"]) == (
        {"outcome": "pending"},
        {"outcome": "upheld", "resolution": "Still an agency."},
    )


@pytest.mark.django_db
def test_an_import_is_audited_when_started_and_when_finished(
    workspace: Any, admin: Any, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path
    path = tmp_path / "people.csv"
    path.write_text("Email,First Name\nana@x.example,Ana\nbad-email,Bo\n", encoding="utf-8")
    actor = Actor.for_membership(admin, Source.WEB)
    job = import_create(
        actor=actor, path=path, file_name="people.csv", record_type="contacts", mode="valid-rows"
    )
    import_run(workspace_id=workspace.pk, job_id=job.pk)
    entries = logged(workspace, "import.")
    the_job = ("import job", str(job.pk), f"import job {job.pk}")
    assert [(e["action"], e["who"], e["object"]) for e in entries] == [
        ("import.started", f"{admin.user.display_name} via web", the_job),
        ("import.succeeded", f"import job {job.pk} via import", the_job),
    ]
    job.refresh_from_db()
    assert entries[0]["after"] == {
        "record_type": "contacts",
        "file_name": "people.csv",
        "file_sha256": job.file_sha256,
        "file_size": job.file_size,
        "mode": "valid-rows",
        "on_match": "skip",
    }
    assert entries[1]["after"] == {
        "status": "succeeded",
        "rows_done": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "failed": 1,
    }


@pytest.mark.django_db
def test_a_refused_import_writes_no_entry(
    workspace: Any, member_factory: Any, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("First Name\nAna\n", encoding="utf-8")
    actor = Actor.for_membership(member_factory("marketer"), Source.WEB)
    with pytest.raises(ValidationFailed):
        import_create(actor=actor, path=path, file_name="people.csv", record_type="contacts")
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    with pytest.raises(PermissionDenied):
        import_create(actor=viewer, path=path, file_name="people.csv", record_type="contacts")
    assert logged(workspace) == []


@pytest.mark.django_db
def test_an_export_names_its_list_and_filters(workspace: Any, member_factory: Any) -> None:
    viewer = member_factory("viewer")
    actor = Actor.for_membership(viewer, Source.CLI)
    filters = parse_filters("contacts", {"lifecycle_stage": "mql"})
    _, rows = export_rows(actor, "contacts", filters)
    assert list(rows) == []
    [entry] = logged(workspace)
    assert (entry["action"], entry["who"], entry["object"]) == (
        "export.requested",
        f"{viewer.user.display_name} via cli",
        ("list", "contacts", "contacts export"),
    )
    assert entry["after"] == {"list": "contacts", "filters": {"lifecycle_stage": "mql"}}
    with pytest.raises(ValidationFailed):
        export_rows(actor, "secrets", None)
    assert len(logged(workspace)) == 1
