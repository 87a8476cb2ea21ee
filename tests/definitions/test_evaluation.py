"""Evaluation: scores are stored in bulk, lead → mql transitions name the version, reruns are
idempotent, and decayed scores demote when the definition says so."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.crm.models import Contact, LedgerEntry
from accord.crm.tests.factories import ActivityFactory, CompanyFactory, ContactFactory
from accord.definitions.evaluation import contact_score_explanation, evaluate_contacts
from accord.definitions.models import ContactScore
from accord.definitions.tests.factories import active_version, sample_document
from accord.identity.actor import Actor, Source
from accord.marketing.models import TouchpointType
from accord.marketing.tests.factories import TouchpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(workspace):  # type: ignore[no-untyped-def]
    """hot: a VP at a 200-person company with two form fills; cold: no company, no activity;
    manual: an MQL a person made by hand."""
    company = CompanyFactory(workspace=workspace, employee_count=200)
    hot = ContactFactory(workspace=workspace, seniority="vp", company=company)
    cold = ContactFactory(workspace=workspace, seniority="", company=None)
    manual = ContactFactory(workspace=workspace, lifecycle_stage="mql", seniority="vp")
    for _ in range(2):
        TouchpointFactory(workspace=workspace, contact=hot, type=TouchpointType.FORM_FILL)
    ActivityFactory(workspace=workspace, contact=cold)
    return hot, cold, manual


def system(workspace):  # type: ignore[no-untyped-def]
    return Actor.system(workspace, Source.SYSTEM)


def rule_rows(workspace):  # type: ignore[no-untyped-def]
    return list(
        LedgerEntry.objects.for_workspace(workspace)
        .filter(source="rule")
        .order_by("id")
        .values_list("contact__email", "from_stage", "to_stage", "definition_version", "rule")
    )


def test_no_active_definition_does_nothing(workspace, people) -> None:  # type: ignore[no-untyped-def]
    result = evaluate_contacts(system(workspace))
    assert (result.version, result.scored, result.promoted) == (None, 0, 0)
    assert ContactScore.objects.for_workspace(workspace).count() == 0


def test_evaluation_scores_and_promotes_naming_the_version(workspace, people) -> None:  # type: ignore[no-untyped-def]
    hot, cold, manual = people
    version = active_version(workspace)
    result = evaluate_contacts(system(workspace))
    assert (result.version, result.scored, result.promoted, result.demoted) == (
        version.version,
        3,
        1,
        0,
    )
    assert rule_rows(workspace) == [(hot.email, "lead", "mql", "v1", "lead definition v1")]
    scores = {
        s.contact_id: (s.fit, s.grade, s.engagement, s.mql, s.definition_version)
        for s in ContactScore.objects.for_workspace(workspace)
    }
    assert scores[hot.pk][:4] == (30.0, "A", 20.0, True)
    assert scores[cold.pk][:4] == (0.0, "D", 5.0, False)
    assert scores[manual.pk][:4] == (20.0, "A", 0.0, False)
    assert {s[4] for s in scores.values()} == {1}
    hot.refresh_from_db()
    assert hot.lifecycle_stage == "mql"


def test_a_second_run_writes_nothing_new(workspace, people) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace)
    evaluate_contacts(system(workspace))
    before = LedgerEntry.objects.for_workspace(workspace).count()
    again = evaluate_contacts(system(workspace))
    assert (again.promoted, again.demoted) == (0, 0)
    assert LedgerEntry.objects.for_workspace(workspace).count() == before
    assert ContactScore.objects.for_workspace(workspace).count() == 3


def test_dry_run_writes_nothing(workspace, people) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace)
    before = LedgerEntry.objects.for_workspace(workspace).count()
    result = evaluate_contacts(system(workspace), dry_run=True)
    assert (result.scored, result.promoted, result.dry_run) == (3, 1, True)
    assert LedgerEntry.objects.for_workspace(workspace).count() == before
    assert ContactScore.objects.for_workspace(workspace).count() == 0


def test_decayed_score_demotes_only_definition_made_mqls(workspace, people) -> None:  # type: ignore[no-untyped-def]
    hot, _cold, manual = people
    active_version(workspace, sample_document(half_life_days=7, demote_below=True))
    evaluate_contacts(system(workspace))
    later = timezone.now() + dt.timedelta(days=14)  # 20 points → 5 after two half-lives
    result = evaluate_contacts(system(workspace), as_of=later)
    assert (result.promoted, result.demoted) == (0, 1)
    assert rule_rows(workspace) == [
        (hot.email, "lead", "mql", "v1", "lead definition v1"),
        (hot.email, "mql", "lead", "v1", "lead definition v1"),
    ]
    stages = dict(Contact.objects.for_workspace(workspace).values_list("pk", "lifecycle_stage"))
    assert (stages[hot.pk], stages[manual.pk]) == ("lead", "mql")
    score = ContactScore.objects.for_workspace(workspace).get(contact=hot)
    assert score.engagement == pytest.approx(5.0)


def test_without_demote_below_mqls_stay(workspace, people) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace, sample_document(half_life_days=7))
    evaluate_contacts(system(workspace))
    result = evaluate_contacts(system(workspace), as_of=timezone.now() + dt.timedelta(days=60))
    assert result.demoted == 0
    assert len(rule_rows(workspace)) == 1


def test_evaluating_some_contacts(workspace, people) -> None:  # type: ignore[no-untyped-def]
    _hot, cold, _manual = people
    active_version(workspace)
    result = evaluate_contacts(system(workspace), [cold.pk])
    assert (result.scored, result.promoted) == (1, 0)
    assert list(
        ContactScore.objects.for_workspace(workspace).values_list("contact_id", flat=True)
    ) == [cold.pk]


def test_other_workspaces_are_untouched(workspace, other_workspace, people) -> None:  # type: ignore[no-untyped-def]
    stranger = ContactFactory(workspace=other_workspace, seniority="vp")
    TouchpointFactory(workspace=other_workspace, contact=stranger, type=TouchpointType.FORM_FILL)
    active_version(workspace)
    result = evaluate_contacts(system(workspace))
    assert result.scored == 3
    assert ContactScore.objects.for_workspace(other_workspace).count() == 0


def test_explanation(workspace, people) -> None:  # type: ignore[no-untyped-def]
    hot, _cold, _manual = people
    active_version(workspace)
    result = contact_score_explanation(workspace, hot.pk)
    assert result.version == 1
    assert [(r.rule_id, r.points, r.events) for r in result.explanation.rules] == [
        ("senior", 20.0, 0),
        ("size", 10.0, 0),
        ("forms", 20.0, 2),
    ]


def test_rescore_command(workspace, people) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace)
    out = StringIO()
    call_command("rescore", "--workspace", "acme", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "Lead definition v1 would move 1 of 3 contacts lead → mql and 0 mql → lead."
    )
    out = StringIO()
    call_command("rescore", "--workspace", "acme", stdout=out)
    assert (
        out.getvalue()
        .strip()
        .endswith("Scored 3 contacts with lead definition v1: moved 1 lead → mql, 0 mql → lead.")
    )
    assert len(rule_rows(workspace)) == 1


def test_a_stored_score_is_written_again_exactly_when_part_of_it_changed(workspace) -> None:  # type: ignore[no-untyped-def]
    contacts = [ContactFactory(workspace=workspace, seniority="vp") for _ in range(7)]
    active_version(workspace)
    evaluate_contacts(system(workspace))
    scores = ContactScore.objects.for_workspace(workspace)
    old = timezone.now() - dt.timedelta(days=30)
    scores.update(computed_at=old)
    tampered = {
        contacts[0].pk: {"definition_version": 99},
        contacts[1].pk: {"fit": 21.0},
        contacts[2].pk: {"grade": "C"},
        contacts[3].pk: {"grade": "?"},
        contacts[4].pk: {"engagement": 0.01},
        contacts[5].pk: {"mql": True},
    }
    for contact_id, change in tampered.items():
        scores.filter(contact_id=contact_id).update(**change)
    evaluate_contacts(system(workspace))
    rewritten = set(scores.exclude(computed_at=old).values_list("contact_id", flat=True))
    assert rewritten == set(tampered)  # contacts[6] was left as it was
    restored = scores.values_list("definition_version", "fit", "grade", "engagement", "mql")
    assert set(restored) == {(1, 20.0, "A", 0.0, False)}
