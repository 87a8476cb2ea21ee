"""Scores follow the records: events re-score the contacts they touch, bulk changes queue a
re-score job that the worker runs in slices with progress, and interrupted jobs resume."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.core.errors import Conflict, PermissionDenied
from accord.core.events import Event
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services.activities import activity_create, activity_delete
from accord.crm.services.contacts import contact_create, contact_update, contacts_assign_owner
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.definitions import rescoring
from accord.definitions.models import ContactScore, JobState, RescoreJob
from accord.definitions.tests.factories import active_version, sample_document
from accord.identity.actor import Actor, Source
from accord.identity.models import Role
from accord.integrations.importing.jobs import import_create, import_run
from accord.marketing.services import (
    touchpoint_create,
    touchpoint_delete,
    touchpoint_update,
    touchpoints_create_bulk,
)
from accord.marketing.tests.factories import TouchpointFactory

pytestmark = pytest.mark.django_db
CHANNEL = "organic_search"


def _contact(**values):  # type: ignore[no-untyped-def]
    return ContactFactory(**values)


def _actor(member_factory, role=Role.ADMIN):  # type: ignore[no-untyped-def]
    return Actor.for_membership(member_factory(role), Source.API)


def _score(contact: Contact) -> ContactScore | None:
    return ContactScore.objects.for_workspace(contact.workspace_id).filter(contact=contact).first()


def _mql_entries(contact: Contact) -> list[tuple[str, str]]:
    return list(
        LedgerEntry.objects.for_workspace(contact.workspace_id)
        .filter(contact=contact, to_stage="mql")
        .values_list("definition_version", "rule")
    )


def test_a_recorded_touchpoint_rescores_and_promotes_on_commit(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    company = CompanyFactory(workspace=workspace, employee_count=200)
    vp = _contact(workspace=workspace, seniority="vp", company=company)
    active_version(workspace)
    actor = _actor(member_factory)
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_create(
            actor=actor,
            values={"contact_id": vp.pk, "type": "form_fill", "channel": CHANNEL},
        )
    score = _score(vp)
    assert score is not None and (score.engagement, score.mql) == (pytest.approx(10.0), True)
    vp.refresh_from_db()
    assert vp.lifecycle_stage == "mql"
    assert _mql_entries(vp) == [("v1", "lead definition v1")]


def test_an_activity_and_an_edit_rescore_the_contact(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    contact = _contact(workspace=workspace, seniority="manager", company=None)
    active_version(workspace)
    actor = _actor(member_factory)
    with django_capture_on_commit_callbacks(execute=True):
        activity_create(
            actor=actor,
            values={"kind": "call", "contact_id": contact.pk, "subject": "Intro", "outcome": ""},
        )
    score = _score(contact)
    assert score is not None and (score.fit, score.engagement, score.mql) == (0.0, 5.0, False)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=actor, contact_id=contact.pk, values={"seniority": "vp"})
    score = _score(contact)
    assert score is not None and (score.fit, score.grade) == (20.0, "A")


def test_an_edit_that_no_rule_can_read_is_not_rescored(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    """Owner, name or lead-status changes cannot move a score: routing the MQLs a re-score
    made must not re-score each of them again. A scored field (the company) still does."""
    contact = _contact(workspace=workspace, seniority="vp", company=None)
    active_version(workspace)
    actor = _actor(member_factory)
    seller = member_factory(Role.SALES_REP)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=actor, contact_id=contact.pk, values={"first_name": "Ada"})
        contacts_assign_owner(actor=actor, contact_ids=[contact.pk], owner_id=seller.user_id)
    assert _score(contact) is None
    company = CompanyFactory(workspace=workspace, employee_count=200)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=actor, contact_id=contact.pk, values={"company_id": company.pk})
    assert _score(contact) is not None


@pytest.mark.parametrize(
    ("data", "rescored"),
    [
        ({"contact_id": 7, "fields": ["owner"]}, []),
        ({"contact_id": 7, "fields": ["first_name", "lead_status", "owner_id"]}, []),
        ({"contact_id": 7, "fields": ["first_name", "title"]}, [7]),
        ({"contact_id": 7, "fields": ["email"]}, [7]),
        ({"contact_id": 7, "fields": ["custom_fields"]}, [7]),
        ({"contact_id": 7}, [7]),  # fields not named: assume any could matter
    ],
)
def test_which_contact_updates_rescore(data, rescored) -> None:  # type: ignore[no-untyped-def]
    event = Event(workspace_id=1, name="contact.updated", data=data)
    assert rescoring._event_contacts(event) == rescored


def test_a_corrected_or_deleted_touchpoint_or_activity_rescores_its_contacts(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    """Scores follow the records when engagement is corrected too: a touchpoint moved to
    another contact re-scores both, deleting one or an activity lowers the score."""
    first = _contact(workspace=workspace, seniority="manager", company=None)
    second = _contact(workspace=workspace, seniority="manager", company=None)
    active_version(workspace)
    actor = _actor(member_factory)
    with django_capture_on_commit_callbacks(execute=True):
        touch = touchpoint_create(
            actor=actor, values={"contact_id": first.pk, "type": "form_fill", "channel": CHANNEL}
        )
        call = activity_create(
            actor=actor,
            values={"kind": "call", "contact_id": first.pk, "subject": "Intro", "outcome": ""},
        )
    assert _score(first).engagement == pytest.approx(15.0)  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_update(actor=actor, touchpoint_id=touch.pk, values={"contact_id": second.pk})
    assert _score(first).engagement == pytest.approx(5.0)  # type: ignore[union-attr]
    assert _score(second).engagement == pytest.approx(10.0)  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_delete(actor=actor, touchpoint_id=touch.pk)
        activity_delete(actor=actor, activity_id=call.pk)
    assert _score(first).engagement == 0.0  # type: ignore[union-attr]
    assert _score(second).engagement == 0.0  # type: ignore[union-attr]


def test_a_new_contact_is_scored_and_a_batch_is_scored(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    active_version(workspace)
    actor = _actor(member_factory)
    with django_capture_on_commit_callbacks(execute=True):
        created = contact_create(actor=actor, values={"email": "new@acme.example"})
    assert _score(created) is not None
    others = [_contact(workspace=workspace, seniority="vp") for _ in range(3)]
    rows = [{"contact_id": c.pk, "type": "form_fill", "channel": CHANNEL} for c in others * 2]
    with django_capture_on_commit_callbacks(execute=True):
        touchpoints_create_bulk(actor=actor, rows=rows)
    assert [_score(c).engagement for c in others] == [20.0, 20.0, 20.0]  # type: ignore[union-attr]


def test_without_an_active_definition_events_write_nothing(  # type: ignore[no-untyped-def]
    workspace, member_factory, django_capture_on_commit_callbacks
) -> None:
    contact = _contact(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_create(
            actor=_actor(member_factory),
            values={"contact_id": contact.pk, "type": "form_fill", "channel": CHANNEL},
        )
    assert ContactScore.objects.for_workspace(workspace).count() == 0


def test_activation_queues_a_rescore_job(workspace) -> None:  # type: ignore[no-untyped-def]
    definition = active_version(workspace)
    job = RescoreJob.objects.for_workspace(workspace).get()
    assert (job.status, job.definition_version) == (JobState.QUEUED, definition.version)
    # Asking again while one is waiting returns the same job.
    again = rescoring.rescore_queue(Actor.system(workspace, Source.SYSTEM))
    assert again.pk == job.pk


def test_queueing_needs_permission_and_an_active_definition(  # type: ignore[no-untyped-def]
    workspace, member_factory
) -> None:
    with pytest.raises(Conflict, match="no active lead definition"):
        rescoring.rescore_queue(_actor(member_factory))
    active_version(workspace)
    with pytest.raises(PermissionDenied):
        rescoring.rescore_queue(_actor(member_factory, Role.VIEWER))
    with pytest.raises(PermissionDenied):
        rescoring.rescore_queue(_actor(member_factory, Role.SALES_REP))


def test_job_runs_in_slices_with_progress_and_is_idempotent(  # type: ignore[no-untyped-def]
    workspace, other_workspace, monkeypatch
) -> None:
    company = CompanyFactory(workspace=workspace, employee_count=200)
    hot = [_contact(workspace=workspace, seniority="vp", company=company) for _ in range(5)]
    for contact in hot:
        TouchpointFactory(workspace=workspace, contact=contact, type="form_fill")
    for _ in range(4):  # cold contacts: scored, never promoted
        _contact(workspace=workspace, seniority="")
    _contact(workspace=other_workspace)
    active_version(workspace)
    job = RescoreJob.objects.for_workspace(workspace).get()
    monkeypatch.setattr(rescoring, "SLICE", 3)
    seen: list[tuple[int, int]] = []
    done = rescoring.rescore_run(
        workspace.pk, job.pk, progress=lambda j: seen.append((j.done, j.total))
    )
    assert (done.status, done.total, done.done, done.promoted, done.demoted) == (
        JobState.SUCCEEDED,
        9,
        9,
        5,
        0,
    )
    assert seen[-1] == (9, 9) and len(seen) >= 3  # one report per slice
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)
    assert ContactScore.objects.for_workspace(workspace).count() == 9
    assert ContactScore.objects.for_workspace(other_workspace).count() == 0
    # Running the finished job again is a no-op; a fresh job moves nobody twice.
    assert rescoring.rescore_run(workspace.pk, job.pk).promoted == 5
    second = rescoring.rescore_queue(Actor.system(workspace, Source.SYSTEM))
    assert rescoring.rescore_run(workspace.pk, second.pk).promoted == 0
    assert LedgerEntry.objects.for_workspace(workspace).filter(to_stage="mql").count() == 5


def test_a_stale_running_job_is_resumed(workspace) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace)
    job = RescoreJob.objects.for_workspace(workspace).get()
    old = timezone.now() - dt.timedelta(hours=1)
    RescoreJob.objects.for_workspace(workspace).filter(pk=job.pk).update(
        status=JobState.RUNNING, done=3, updated_at=old
    )
    assert rescoring.requeue_stale_rescores() == 1
    resumed = rescoring.rescore_run(workspace.pk, job.pk)
    assert resumed.status == JobState.SUCCEEDED


def test_rescore_command_with_progress_and_dry_run(workspace) -> None:  # type: ignore[no-untyped-def]
    company = CompanyFactory(workspace=workspace, employee_count=200)
    vp = _contact(workspace=workspace, seniority="vp", company=company)
    TouchpointFactory(workspace=workspace, contact=vp, type="form_fill")
    _contact(workspace=workspace, seniority="")
    active_version(workspace)
    out = StringIO()
    call_command("rescore", "--workspace", "acme", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "Lead definition v1 would move 1 of 2 contacts lead → mql and 0 mql → lead."
    )
    out = StringIO()
    call_command("rescore", "--workspace", "acme", stdout=out)
    assert (
        out.getvalue()
        .strip()
        .endswith("Scored 2 contacts with lead definition v1: moved 1 lead → mql, 0 mql → lead.")
    )
    out = StringIO()
    call_command("rescore", "--workspace", "acme", "--queue", stdout=out)
    assert "Queued re-score job" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_import_queues_a_rescore_that_the_worker_runs(  # type: ignore[no-untyped-def]
    workspace, member_factory, tmp_path: Path
) -> None:
    active_version(workspace, sample_document())
    RescoreJob.objects.for_workspace(workspace).delete()  # the activation's own job
    csv = tmp_path / "people.csv"
    csv.write_text("Email,Seniority\nann@firm.example,vp\nbob@firm.example,\n", encoding="utf-8")
    actor = _actor(member_factory)
    job = import_create(actor=actor, path=csv, file_name=csv.name, record_type="contacts")
    import_run(workspace_id=workspace.pk, job_id=job.pk)
    queued = RescoreJob.objects.for_workspace(workspace).get()
    assert queued.status == JobState.QUEUED
    call_command("worker", "--once", stdout=StringIO())
    queued.refresh_from_db()
    assert (queued.status, queued.done) == (JobState.SUCCEEDED, 2)
    assert ContactScore.objects.for_workspace(workspace).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_touchpoint_import_scores_in_one_job_not_per_row(  # type: ignore[no-untyped-def]
    workspace, member_factory, tmp_path: Path
) -> None:
    contacts = [_contact(workspace=workspace, email=f"p{i}@firm.example") for i in range(3)]
    active_version(workspace)
    RescoreJob.objects.for_workspace(workspace).delete()
    csv = tmp_path / "touches.csv"
    csv.write_text(
        "email,type,channel,occurred_at\n"
        + "".join(f"{c.email},form_fill,organic_search,2026-11-01T10:00:00Z\n" for c in contacts),
        encoding="utf-8",
    )
    actor = _actor(member_factory)
    job = import_create(actor=actor, path=csv, file_name=csv.name, record_type="touchpoints")
    finished = import_run(workspace_id=workspace.pk, job_id=job.pk)
    assert finished.created == 3, finished.message
    assert ContactScore.objects.for_workspace(workspace).count() == 0  # nothing per row
    assert RescoreJob.objects.for_workspace(workspace).filter(status=JobState.QUEUED).count() == 1


@pytest.mark.parametrize("campaigns", [True, False], ids=["all-columns", "lean"])
def test_the_event_table_gives_each_slice_the_same_events(  # type: ignore[no-untyped-def]
    workspace, other_workspace, campaigns
) -> None:
    import numpy as np

    from accord.definitions.event_loading import EventNeeds, load_event_table, load_events

    people = [_contact(workspace=workspace) for _ in range(6)]
    stranger = _contact(workspace=other_workspace)
    for i, contact in enumerate([*people, stranger]):
        for kind in ("form_fill", "webinar", "email_open")[: 1 + i % 3]:
            TouchpointFactory(workspace=contact.workspace, contact=contact, type=kind)
    read = {"touchpoint:form_fill", "touchpoint:webinar"}
    table = load_event_table(workspace.pk, kinds=read, campaigns=campaigns)
    webinar = frozenset({"touchpoint:webinar"})
    assert table.covers(EventNeeds(webinar, utm=False, campaigns=False))
    assert not table.covers(EventNeeds(frozenset({"touchpoint:email_open"}), False, False))
    assert not table.covers(EventNeeds(webinar, utm=True, campaigns=False))
    # A table read without campaign ids cannot serve a rule that names a campaign.
    assert table.covers(EventNeeds(webinar, utm=False, campaigns=True)) is campaigns

    ids = np.array(sorted(c.pk for c in (people[1], people[3])), dtype=np.int64)  # not 2
    direct = load_events(
        workspace.pk, ids, kinds=read, utm=False, id_range=(int(ids[0]), int(ids[-1]) + 1),
    )  # fmt: skip
    sliced = table.columns_for(ids)

    def rows(events, with_campaign):  # type: ignore[no-untyped-def]
        columns = [events.contact_index, events.kind, events.timestamp]
        if with_campaign:
            columns.append(events.campaign_id)
        return sorted(zip(*(c.tolist() for c in columns), strict=True))

    assert rows(sliced, campaigns) == rows(direct, campaigns)
    # people 1 and 3 have 2 and 1 of the read kinds; person 2, between them, is left out
    assert len(rows(sliced, False)) == 2 + 1
    assert sliced.contact_index.dtype == np.int64 and sliced.timestamp.dtype == np.float64
    if not campaigns:
        assert set(sliced.campaign_id.tolist()) == {-1}


def test_a_starting_worker_schedules_the_daily_rescore_and_weekly_retraining(workspace) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    from accord.definitions.predictive.tasks import retrain_weekly
    from accord.definitions.tasks import rescore_daily, start_rescoring

    assert start_rescoring() == 0
    start_rescoring()  # a second worker start schedules nothing twice
    for task in (rescore_daily, retrain_weekly):
        waiting = DBTaskResult.objects.filter(task_path=task.module_path, status="READY")
        assert waiting.count() == 1, task.module_path
