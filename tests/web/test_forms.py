"""The write forms of the contact page: lifecycle changes land in the ledger, activities are
logged, errors come back on the form, and viewers can neither see nor use the forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.core.errors import ValidationFailed
from accord.crm.models import Activity, LedgerEntry
from accord.identity.models import Membership
from accord.web.forms import ActivityForm, LifecycleChangeForm
from tests.web.conftest import Records


def ledger_of(records: Records) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.for_workspace(records.workspace)
        .filter(contact=records.contact)
        .order_by("occurred_at", "pk")
    )


def test_lifecycle_change_lands_in_the_ledger(
    admin_client: Client, records: Records, admin: Membership
) -> None:
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    response = admin_client.post(url, {"to_stage": "sql", "reason": "Budget confirmed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:contact", args=[records.contact.pk])
    entry = ledger_of(records)[-1]
    assert (entry.from_stage, entry.to_stage) == ("mql", "sql")
    assert entry.actor_user == admin.user
    assert entry.source == "web"
    assert entry.reason == "Budget confirmed"
    records.contact.refresh_from_db()
    assert records.contact.lifecycle_stage == "sql"
    page = admin_client.get(response["Location"]).content.decode()
    assert "Moved Peter Gibbons to SQL" in page


def test_lifecycle_change_to_the_current_stage_writes_nothing(
    admin_client: Client, records: Records
) -> None:
    before = len(ledger_of(records))
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    response = admin_client.post(url, {"to_stage": "mql"}, follow=True)
    assert "already in stage MQL; nothing changed" in response.content.decode()
    assert len(ledger_of(records)) == before


@pytest.mark.parametrize(
    "data", [{"to_stage": "astronaut"}, {}, {"to_stage": "sql", "reason": "x" * 501}]
)
def test_invalid_lifecycle_change_shows_errors_and_writes_nothing(
    admin_client: Client, records: Records, data: dict[str, str]
) -> None:
    before = len(ledger_of(records))
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 400
    assert response.context["lifecycle_form"].errors
    assert 'class="field-error"' in response.content.decode()
    assert len(ledger_of(records)) == before


def test_lifecycle_change_on_another_workspace_contact_is_404(
    admin_client: Client, records: Records, other_records: Records
) -> None:
    url = reverse("web:contact_lifecycle", args=[other_records.contact.pk])
    assert admin_client.post(url, {"to_stage": "sql"}).status_code == 404
    other_records.contact.refresh_from_db()
    assert other_records.contact.lifecycle_stage == "mql"


def test_service_errors_land_on_the_form(records: Records) -> None:
    from accord.crm.selectors import lifecycle_stages

    form = LifecycleChangeForm({"to_stage": "sql"}, stages=lifecycle_stages(records.workspace))
    assert form.is_valid()
    form.add_service_errors(ValidationFailed.single("to_stage", "'sql' is not allowed now."))
    assert form.errors == {"to_stage": ["'sql' is not allowed now."]}
    other = ActivityForm({"kind": "call"})
    assert other.is_valid()
    other.add_service_errors(ValidationFailed("Something is off."))
    assert other.non_field_errors() == ["Something is off."]
    third = ActivityForm({"kind": "call"})
    assert third.is_valid()
    third.add_service_errors(
        ValidationFailed("Bad", fields={"contact_id": ["Give a contact_id or a deal_id."]})
    )
    assert third.non_field_errors() == ["Bad"]


def test_log_activity(admin_client: Client, records: Records, admin: Membership) -> None:
    url = reverse("web:contact_activity", args=[records.contact.pk])
    data = {"kind": "email", "subject": "Sent the proposal", "body": "PDF attached."}
    response = admin_client.post(url, data)
    assert response.status_code == 302
    activity = (
        Activity.objects.for_workspace(records.workspace)
        .filter(contact=records.contact, kind="email")
        .get()
    )
    assert (activity.subject, activity.body, activity.user) == (
        "Sent the proposal",
        "PDF attached.",
        admin.user,
    )
    page = admin_client.get(reverse("web:contact", args=[records.contact.pk]))
    assert page.context["timeline"][0].item.title == "Email: Sent the proposal"


def test_invalid_activity_shows_errors(admin_client: Client, records: Records) -> None:
    before = Activity.objects.for_workspace(records.workspace).count()
    url = reverse("web:contact_activity", args=[records.contact.pk])
    response = admin_client.post(url, {"kind": "telepathy", "subject": "?"})
    assert response.status_code == 400
    assert "kind" in response.context["activity_form"].errors
    assert Activity.objects.for_workspace(records.workspace).count() == before


def test_viewer_sees_no_write_forms(login: Any, viewer: Membership, records: Records) -> None:
    response = login(viewer).get(reverse("web:contact", args=[records.contact.pk]))
    assert response.status_code == 200
    assert response.context["lifecycle_form"] is None
    assert response.context["activity_form"] is None
    body = response.content.decode()
    assert "Change lifecycle stage" not in body
    assert "Log activity" not in body
    assert reverse("web:contact_lifecycle", args=[records.contact.pk]) not in body


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("web:contact_lifecycle", {"to_stage": "sql", "reason": "sneaky"}),
        ("web:contact_activity", {"kind": "note", "subject": "sneaky"}),
    ],
)
def test_viewer_gets_403_on_post_and_nothing_is_written(
    login: Any, viewer: Membership, records: Records, name: str, data: dict[str, str]
) -> None:
    ledger_before = len(ledger_of(records))
    activities_before = Activity.objects.for_workspace(records.workspace).count()
    response = login(viewer).post(reverse(name, args=[records.contact.pk]), data)
    assert response.status_code == 403
    assert "viewer" in response.content.decode()
    assert len(ledger_of(records)) == ledger_before
    assert Activity.objects.for_workspace(records.workspace).count() == activities_before


@pytest.mark.parametrize("name", ["web:contacts", "web:home", "web:ledger"])
def test_post_to_a_read_only_page_is_refused(admin_client: Client, name: str) -> None:
    assert admin_client.post(reverse(name)).status_code == 405


def test_get_on_a_write_url_is_refused(admin_client: Client, records: Records) -> None:
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    assert admin_client.get(url).status_code == 405


def test_write_forms_require_csrf(admin: Membership, records: Records) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    page = client.get(reverse("web:contact", args=[records.contact.pk])).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 3  # switcher/logout, lifecycle, activity
    url = reverse("web:contact_lifecycle", args=[records.contact.pk])
    assert client.post(url, {"to_stage": "sql"}).status_code == 403
    records.contact.refresh_from_db()
    assert records.contact.lifecycle_stage == "mql"
