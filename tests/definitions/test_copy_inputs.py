"""Bulk jobs of large workspaces read their inputs from the columnar copy: the same contacts,
attributes and events as the record store gives, so a re-score or back-test has the same result
whichever was read. Checked on demo data edited through the services after a first sync (an
activity corrected and one deleted, a contact's title and a company's industry changed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from accord.crm.models import Activity, Contact, LedgerEntry
from accord.crm.services.activities import activity_delete, activity_update
from accord.crm.services.companies import company_update
from accord.crm.services.contacts import contact_delete, contact_update
from accord.definitions import copy_inputs, rescoring
from accord.definitions.backtest import backtest
from accord.definitions.contact_loading import load_contacts
from accord.definitions.document import parse_document
from accord.definitions.event_loading import load_event_table_for
from accord.definitions.models import ContactScore
from accord.definitions.rescoring import rescore_queue, rescore_run
from accord.definitions.tests.factories import active_version
from accord.demo.loader import demo_generate
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace
from accord.marketing.models import Touchpoint
from accord.marketing.services import touchpoint_update
from accord.metrics import columnar, engine

pytestmark = pytest.mark.django_db(transaction=True)

DOC: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {"id": "senior", "attribute": "seniority", "operator": "in",
         "value": ["vp", "executive", "director"], "points": 20, "grade": "A"},
        {"id": "ops", "attribute": "department", "operator": "equals", "value": "operations",
         "points": 5},
        {"id": "title", "attribute": "title", "operator": "regex", "value": "(?i)head|chief",
         "points": 5},
        {"id": "where", "attribute": "country", "operator": "in", "value": ["US", "DE", "GB"],
         "points": 5},
        {"id": "src", "attribute": "original_source", "operator": "equals",
         "value": "organic_search", "points": 3},
        {"id": "size", "attribute": "company.employee_count", "operator": "range", "min": 50,
         "max": 5000, "points": 10},
        {"id": "industry", "attribute": "company.industry", "operator": "contains",
         "value": "soft", "points": 5},
        {"id": "hq", "attribute": "company.country", "operator": "is_empty", "points": -2},
    ],
    "engagement_rules": [
        {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 30},
        {"id": "webinars", "source": "touchpoint", "type": "webinar", "points": 8},
        {"id": "guide", "source": "touchpoint", "type": "content_download", "points": 6,
         "utm_content": "pricing-guide"},
        {"id": "visits", "source": "touchpoint", "type": "web_visit", "points": 1, "cap": 5},
        {"id": "calls", "source": "activity", "type": "call", "points": 5},
        {"id": "meetings", "source": "activity", "type": "meeting", "points": 10},
    ],
    "negative_signals": {"unsubscribe": -10, "bounce": -5, "competitor": -50,
                         "competitor_domains": ["rival.example"]},
    "half_life_days": 120,
    "mql": {"fit_min": 20, "engagement_min": 5},
}  # fmt: skip


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> Any:
    """Every workspace counts as large (the copy answers), with its own copy file."""
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(engine, "COLUMNAR_FROM", 1)
    yield
    columnar.close()


@pytest.fixture
def demo(large: Any) -> Workspace:
    workspace: Workspace = demo_generate(contacts=400, seed=11, as_of=None).dataset.workspace
    return workspace


def _doc(workspace: Workspace) -> dict[str, Any]:
    """DOC with a rule naming one of the workspace's campaigns (campaign ids are read then)."""
    touch = Touchpoint.objects.for_workspace(workspace).exclude(campaign=None).order_by("id")
    campaign_id = touch.values_list("campaign_id", flat=True).first()
    assert campaign_id is not None
    rule = {"id": "campaign", "source": "touchpoint", "type": "ad_click", "points": 4,
            "campaign_id": campaign_id}  # fmt: skip
    return {**DOC, "engagement_rules": [*DOC["engagement_rules"], rule]}


def _edit_after_a_sync(workspace: Workspace) -> None:
    """Changes the copy learns of at its next sync: by `updated_at` and through the journal."""
    columnar.sync()
    actor = Actor.system(workspace, Source.SYSTEM)
    calls = Activity.objects.for_workspace(workspace).filter(kind="call").order_by("id")
    first, second = list(calls[:2])
    activity_update(
        actor=actor,
        activity_id=first.pk,
        values={"kind": "meeting", "occurred_at": timezone.now() - dt.timedelta(days=2)},
    )
    activity_delete(actor=actor, activity_id=second.pk)
    downloads = Touchpoint.objects.for_workspace(workspace).filter(type="content_download")
    for touch in downloads.order_by("id")[:5]:
        touchpoint_update(
            actor=actor, touchpoint_id=touch.pk, values={"utm_content": "pricing-guide"}
        )
    contact = Contact.objects.for_workspace(workspace).exclude(company=None).order_by("id").first()
    assert contact is not None and contact.company_id is not None
    contact_update(actor=actor, contact_id=contact.pk, values={"title": "Chief Revenue Officer"})
    company_update(actor=actor, company_id=contact.company_id, values={"industry": "Software"})


def _copied(workspace: Workspace) -> copy_inputs.CopyInputs:
    found = copy_inputs.read_from_copy(workspace.pk, parse_document(_doc(workspace)), created=True)
    assert found is not None and found.contacts is not None
    return found


def test_the_copy_gives_the_record_stores_contacts_and_events(demo: Workspace) -> None:
    _edit_after_a_sync(demo)
    doc = parse_document(_doc(demo))
    copied = _copied(demo)
    assert copied.contacts is not None

    ids, stages, columns = load_contacts(demo.pk, doc, only_used=True)
    c_ids, c_stages, c_columns = copied.contacts.select(demo.pk, doc)
    assert c_ids.tolist() == ids.tolist() and len(ids) == 400
    assert c_stages == stages
    assert c_columns.email_domain.tolist() == columns.email_domain.tolist()
    for name in ("title", "seniority", "department", "country", "original_source",
                 "company.employee_count", "company.industry", "company.country"):  # fmt: skip
        assert c_columns.column(name).tolist() == columns.column(name).tolist(), name
    assert "chief revenue officer" in {t.lower() for t in c_columns.column("title").tolist()}

    stored = load_event_table_for(demo.pk, doc)
    events = copied.events
    assert len(events.contact_id) > 500
    assert events.contact_id.tolist() == stored.contact_id.tolist()
    assert events.code.tolist() == stored.code.tolist()
    assert np.allclose(events.timestamp, stored.timestamp, rtol=0, atol=1e-3)
    assert events.campaign_id.tolist() == stored.campaign_id.tolist()
    assert len(set(events.campaign_id.tolist())) > 2
    assert events.utm_content is not None and stored.utm_content is not None
    assert events.utm_content.tolist() == stored.utm_content.tolist()
    assert "pricing-guide" in set(events.utm_content.tolist())


def _scores(workspace: Workspace) -> dict[int, tuple[Any, ...]]:
    rows = ContactScore.objects.for_workspace(workspace).values_list(
        "contact_id", "definition_version", "fit", "grade", "engagement", "mql"
    )
    return {row[0]: row[1:] for row in rows}


def _mql_moves(workspace: Workspace) -> set[int]:
    entries = LedgerEntry.objects.for_workspace(workspace).filter(
        to_stage="mql", definition_version__startswith="v"
    )
    return set(entries.values_list("contact_id", flat=True))


def _rescore_from_scratch(workspace: Workspace) -> tuple[dict[int, tuple[Any, ...]], set[int]]:
    """Scores and MQL moves of a re-score job run from no scores and every contact a
    definition made an MQL back in `lead`."""
    ContactScore.objects.for_workspace(workspace).delete()
    Contact.objects.for_workspace(workspace).filter(pk__in=_mql_moves(workspace)).update(
        lifecycle_stage="lead", updated_at=timezone.now()
    )
    before = LedgerEntry.objects.for_workspace(workspace).order_by("-id").first()
    job = rescore_queue(Actor.system(workspace, Source.SYSTEM))
    rescore_run(workspace.pk, job.pk)
    moved = LedgerEntry.objects.for_workspace(workspace).filter(
        pk__gt=before.pk if before else 0, to_stage="mql"
    )
    return _scores(workspace), set(moved.values_list("contact_id", flat=True))


def test_a_rescore_from_the_copy_scores_as_one_from_the_record_store(
    demo: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rescoring, "SLICE", 90)  # several slices, so the job reads in bulk
    active_version(demo, _doc(demo))
    _edit_after_a_sync(demo)
    read: list[Any] = []
    original = rescoring.read_from_copy

    def observed(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        read.append(found)
        return found

    monkeypatch.setattr(rescoring, "read_from_copy", observed)
    monkeypatch.setattr(engine, "COLUMNAR_FROM", 10**9)  # a small workspace: the record store
    expected, expected_moves = _rescore_from_scratch(demo)
    assert read == [None]
    assert len(expected) == 400 and expected_moves

    monkeypatch.setattr(engine, "COLUMNAR_FROM", 1)
    scores, moves = _rescore_from_scratch(demo)
    assert len(read) == 2 and read[1] is not None  # read from the copy
    assert moves == expected_moves
    assert scores.keys() == expected.keys()
    for contact_id, (version, fit, grade, engagement, mql) in scores.items():
        want = expected[contact_id]
        assert (version, fit, grade, mql) == (want[0], want[1], want[2], want[4])
        assert engagement == pytest.approx(want[3], abs=0.011)


def test_a_contact_deleted_after_the_copy_was_read_is_not_scored(demo: Workspace) -> None:
    active_version(demo, _doc(demo))
    copied = _copied(demo)
    gone = Contact.objects.for_workspace(demo).order_by("id").first()
    assert gone is not None
    contact_delete(actor=Actor.system(demo, Source.SYSTEM), contact_id=gone.pk)
    from accord.definitions.evaluation import evaluate_contacts

    ids = copied.contacts.ids if copied.contacts is not None else np.zeros(0)
    result = evaluate_contacts(
        Actor.system(demo, Source.SYSTEM),
        id_range=(int(ids[0]), int(ids[-1]) + 1),
        event_table=copied.events,
        contact_table=copied.contacts,
    )
    assert result.scored == 400  # scored, but not stored: the contact is gone
    assert gone.pk not in _scores(demo) and len(_scores(demo)) == 399


def test_a_backtest_from_the_copy_matches_one_from_the_record_store(
    demo: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    active_version(demo, _doc(demo))
    _edit_after_a_sync(demo)
    stricter = {**_doc(demo), "mql": {"fit_min": 30, "engagement_min": 20}}
    end = timezone.now()
    from_copy = backtest(demo, stricter, as_of=end)
    monkeypatch.setattr(engine, "COLUMNAR_FROM", 10**9)
    from_store = backtest(demo, stricter, as_of=end)
    assert from_copy == from_store
    assert from_copy.proposed.mqls > 0 and from_copy.active is not None
