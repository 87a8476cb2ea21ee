"""Record services: validation with field errors, nothing written on bad input, scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.crm.models import Activity, Company, Contact, Deal, DealStageChange, LedgerEntry
from accord.crm.services import activities, companies, contacts, deals
from accord.identity.actor import Actor, Source


def _counts(workspace):  # type: ignore[no-untyped-def]
    return tuple(
        m.objects.for_workspace(workspace).count()
        for m in (Company, Contact, Deal, Activity, LedgerEntry, DealStageChange)
    )


@pytest.mark.django_db
def test_contact_create_normalises_and_links(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    company = companies.company_create(
        actor=actor, values={"name": "Buyer GmbH", "domain": "https://www.Buyer.de/"}
    )
    assert company.domain == "buyer.de"
    contact = contacts.contact_create(
        actor=actor,
        values={
            "email": " Ana@Buyer.DE ",
            "first_name": "Ana",
            "company_id": company.pk,
            "owner_id": actor.user.pk,
            "custom_fields": {"plan": "pro"},
            "country": "de",
            "original_source": "paid_search",
        },
    )
    assert (contact.email, contact.country, contact.lifecycle_stage) == (
        "ana@buyer.de",
        "DE",
        "lead",
    )
    assert contact.company == company


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.example", "lifecycle_stage": "hot"}, "lifecycle_stage"),
        ({"email": "a@b.example", "seniority": "boss"}, "seniority"),
        ({"email": "a@b.example", "company_id": 999999}, "company_id"),
        ({"email": "a@b.example", "owner_id": 999999}, "owner_id"),
        ({"email": "a@b.example", "country": "Germany"}, "country"),
        ({"email": "a@b.example", "custom_fields": [1, 2]}, "custom_fields"),
        ({"email": "a@b.example", "favourite_colour": "red"}, "favourite_colour"),
        ({}, "email"),
    ],
)
def test_contact_bad_input_writes_nothing(actor, workspace, values, field) -> None:  # type: ignore[no-untyped-def]
    before = _counts(workspace)
    with pytest.raises(ValidationFailed) as err:
        contacts.contact_create(actor=actor, values=values)
    assert field in err.value.fields
    assert _counts(workspace) == before


@pytest.mark.django_db
def test_duplicate_email_is_a_conflict(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    with pytest.raises(Conflict):
        contacts.contact_create(actor=actor, values={"email": "ANA@buyer.example "})
    assert Contact.objects.for_workspace(workspace).count() == 1


@pytest.mark.django_db
def test_same_email_in_two_workspaces_is_fine(actor, other_workspace) -> None:  # type: ignore[no-untyped-def]
    contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    contacts.contact_create(
        actor=Actor.system(other_workspace), values={"email": "ana@buyer.example"}
    )


@pytest.mark.django_db
def test_references_to_another_workspace_are_refused(actor, workspace, other_workspace) -> None:  # type: ignore[no-untyped-def]
    theirs = companies.company_create(
        actor=Actor.system(other_workspace), values={"name": "Theirs"}
    )
    with pytest.raises(ValidationFailed) as err:
        contacts.contact_create(
            actor=actor, values={"email": "a@b.example", "company_id": theirs.pk}
        )
    assert err.value.fields["company_id"] == [f"No company with id {theirs.pk} in this workspace."]
    with pytest.raises(NotFound):
        companies.company_update(actor=actor, company_id=theirs.pk, values={"name": "Mine now"})
    with pytest.raises(NotFound):
        companies.company_delete(actor=actor, company_id=theirs.pk)
    assert Company.objects.for_workspace(other_workspace).get(pk=theirs.pk).name == "Theirs"


@pytest.mark.django_db
def test_company_created_at_is_set_on_creation_only(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    then = dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.UTC)
    old = companies.company_create(
        actor=actor, values={"name": "Old Corp", "created_at": "2024-05-06T07:08:00Z"}
    )
    assert old.created_at == then
    fresh = companies.company_create(actor=actor, values={"name": "New Corp", "created_at": None})
    assert fresh.created_at > then  # None: the default (now) applies
    for value in ("2020-01-01T00:00:00Z", None):
        with pytest.raises(ValidationFailed) as err:
            companies.company_update(
                actor=actor, company_id=old.pk, values={"name": "Renamed", "created_at": value}
            )
        assert err.value.fields == {"created_at": ["The creation time cannot be changed."]}
    old.refresh_from_db()
    assert (old.name, old.created_at) == ("Old Corp", then)


@pytest.mark.django_db
def test_deal_lifecycle(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    deal = deals.deal_create(actor=actor, values={"name": "Buyer rollout", "amount": "12000"})
    assert (deal.status, deal.currency, deal.stage.key, deal.amount) == (
        "open",
        "USD",
        "qualification",
        Decimal("12000.00"),
    )
    won = deal.pipeline.stages.get(key="closed_won")
    deal = deals.deal_update(
        actor=actor, deal_id=deal.pk, values={"stage_id": won.pk, "close_reason": "Best fit"}
    )
    assert deal.status == "won"
    assert deal.closed_at is not None
    history = list(
        DealStageChange.objects.for_workspace(workspace)
        .filter(deal=deal)
        .order_by("pk")
        .values_list("from_stage__key", "to_stage__key")
    )
    assert history == [(None, "qualification"), ("qualification", "closed_won")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "X", "amount": "-5"}, "amount"),
        ({"name": "X", "amount": "lots"}, "amount"),
        ({"name": "X", "currency": "EURO"}, "currency"),
        ({"name": "X", "stage_id": 999999}, "stage_id"),
        ({"name": "", "amount": 5}, "name"),
        ({"name": "X", "expected_close_date": "next week"}, "expected_close_date"),
    ],
)
def test_deal_bad_input_writes_nothing(actor, workspace, values, field) -> None:  # type: ignore[no-untyped-def]
    before = _counts(workspace)
    with pytest.raises(ValidationFailed) as err:
        deals.deal_create(actor=actor, values=values)
    assert field in err.value.fields
    assert _counts(workspace) == before


@pytest.mark.django_db
def test_stage_of_another_pipeline_is_refused(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    from accord.crm.models import Pipeline, PipelineStage

    other = Pipeline.objects.create(workspace=workspace, name="Renewals")
    stage = PipelineStage.objects.create(
        workspace=workspace,
        pipeline=other,
        key="renewal",
        label="Renewal",
        position=1,
        probability=50,
    )
    with pytest.raises(ValidationFailed) as err:
        deals.deal_create(actor=actor, values={"name": "X", "stage_id": stage.pk})
    assert "stage_id" in err.value.fields


@pytest.mark.django_db
def test_activity_needs_a_contact_or_deal(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as err:
        activities.activity_create(actor=actor, values={"kind": "call"})
    assert "contact_id" in err.value.fields
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    call = activities.activity_create(
        actor=actor, values={"kind": "call", "contact_id": contact.pk, "outcome": "no_answer"}
    )
    assert call.user == actor.user


@pytest.mark.django_db
def test_role_permissions(member_factory, workspace) -> None:  # type: ignore[no-untyped-def]
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    rep = Actor.for_membership(member_factory("sales_rep"), Source.WEB)
    with pytest.raises(PermissionDenied):
        contacts.contact_create(actor=viewer, values={"email": "a@b.example"})
    contact = contacts.contact_create(actor=rep, values={"email": "a@b.example"})
    with pytest.raises(PermissionDenied):
        contacts.contact_delete(actor=rep, contact_id=contact.pk)
    assert Contact.objects.for_workspace(workspace).count() == 1


@pytest.mark.django_db
def test_contact_delete_erases_its_history(actor, workspace) -> None:  # type: ignore[no-untyped-def]
    contact = contacts.contact_create(actor=actor, values={"email": "ana@buyer.example"})
    activities.activity_create(actor=actor, values={"kind": "note", "contact_id": contact.pk})
    contacts.contact_delete(actor=actor, contact_id=contact.pk)
    assert _counts(workspace)[1:5] == (0, 0, 0, 0)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.dictionaries(
        st.sampled_from(
            ["email", "first_name", "country", "seniority", "company_id", "lifecycle_stage"]
        ),
        st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans()),
    )
)
def test_contact_create_either_succeeds_or_writes_nothing(actor, workspace, values) -> None:  # type: ignore[no-untyped-def]
    before = _counts(workspace)
    try:
        contact = contacts.contact_create(actor=actor, values=values)
    except (ValidationFailed, Conflict):
        assert _counts(workspace) == before
        return
    assert _counts(workspace)[1] == before[1] + 1
    assert LedgerEntry.objects.for_workspace(workspace).filter(contact=contact).count() == 1
    contacts.contact_delete(actor=actor, contact_id=contact.pk)
