"""Workspace scoping fails closed: a workspace-owned model cannot be read or written unscoped."""

from __future__ import annotations

import pytest

from accord.core.errors import UnscopedQueryError
from accord.crm.models import Company, Contact
from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.identity.models import Workspace


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Contact.objects.all()),
        lambda: Contact.objects.all().count(),
        lambda: Contact.objects.all().exists(),
        lambda: Contact.objects.filter(email="a@b.example").first(),
        lambda: Contact.objects.get(pk=1),
        lambda: Contact.objects.aggregate(n=__import__("django.db.models").db.models.Count("id")),
        lambda: Contact.objects.update(title="x"),
        lambda: Contact.objects.all().delete(),
        lambda: list(Contact.objects.iterator()),
        lambda: list(Contact.objects.values_list("email", flat=True)),
        lambda: Contact.objects.exclude(workspace_id=1).count(),
    ],
)
def test_unscoped_queries_raise(query) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnscopedQueryError):
        query()


@pytest.mark.django_db
def test_scoped_queries_see_only_their_workspace(workspace, other_workspace) -> None:  # type: ignore[no-untyped-def]
    mine = ContactFactory(workspace=workspace)
    ContactFactory(workspace=other_workspace)
    assert list(Contact.objects.for_workspace(workspace)) == [mine]
    assert Contact.objects.filter(workspace=workspace).count() == 1
    assert Contact.objects.for_workspace(workspace.pk).get(pk=mine.pk) == mine
    assert Contact.objects.for_workspace(workspace).filter(pk=mine.pk + 1000).first() is None


@pytest.mark.django_db
def test_related_managers_are_scoped_through_their_parent(workspace) -> None:  # type: ignore[no-untyped-def]
    company = CompanyFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace, company=company)
    loaded = Company.objects.for_workspace(workspace).get(pk=company.pk)
    assert list(loaded.contacts.all()) == [contact]
    assert loaded.contacts.count() == 1
    # Following a foreign key from a scoped instance uses Django's base manager.
    assert Contact.objects.for_workspace(workspace).get(pk=contact.pk).company == company


@pytest.mark.django_db
def test_across_workspaces_is_explicit(workspace, other_workspace) -> None:  # type: ignore[no-untyped-def]
    ContactFactory(workspace=workspace)
    ContactFactory(workspace=other_workspace)
    assert Contact.objects.across_workspaces().count() == 2


@pytest.mark.django_db
def test_every_workspace_owned_model_uses_the_scoped_manager() -> None:
    from django.apps import apps

    from accord.core.scoping import WorkspaceManager

    owned = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("accord.") and any(f.name == "workspace" for f in m._meta.fields)
    ]
    assert len(owned) >= 12
    unscoped = [m.__name__ for m in owned if not isinstance(m._default_manager, WorkspaceManager)]
    assert unscoped == []


@pytest.mark.django_db
def test_scoping_by_another_key_still_sees_only_its_workspace(workspace, other_workspace) -> None:  # type: ignore[no-untyped-def]
    mine = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    both = [mine.pk, theirs.pk]
    found = Contact.objects.for_workspace_by_other_key(workspace).filter(pk__in=both)
    assert list(found) == [mine]
    assert (
        Contact.objects.for_workspace_by_other_key(other_workspace.pk).filter(pk__in=both).count()
        == 1
    )
    # The workspace test is not one an index can serve: "workspace_id" + 0 = ?
    assert '"workspace_id" + 0' in str(found.query)
    with pytest.raises(UnscopedQueryError):
        Contact.objects.for_workspace_by_other_key(Workspace())
