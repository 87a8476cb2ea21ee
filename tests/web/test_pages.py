"""Every page renders for a member, is scoped to the workspace, and its filters work."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.crm.tests.factories import ContactFactory
from accord.identity.models import Membership
from tests.web.conftest import Records

LIST_PAGES = [
    "web:home",
    "web:contacts",
    "web:companies",
    "web:deals",
    "web:campaigns",
    "web:ledger",
]
DETAIL_PAGES = [
    ("web:contact", "contact"),
    ("web:company", "company"),
    ("web:deal", "deal"),
    ("web:campaign", "campaign"),
]


def rows(response: Any) -> list[Any]:
    return list(response.context["rows"])


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_render_for_a_member(admin_client: Client, records: Records, name: str) -> None:
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(("name", "attr"), DETAIL_PAGES)
def test_detail_pages_render_for_a_member(
    admin_client: Client, records: Records, name: str, attr: str
) -> None:
    record = getattr(records, attr)
    response = admin_client.get(reverse(name, args=[record.pk]))
    assert response.status_code == 200
    assert str(record) in response.content.decode()


@pytest.mark.parametrize(("name", "attr"), DETAIL_PAGES)
def test_record_of_another_workspace_is_404(
    admin_client: Client, records: Records, other_records: Records, name: str, attr: str
) -> None:
    response = admin_client.get(reverse(name, args=[getattr(other_records, attr).pk]))
    assert response.status_code == 404


def test_missing_record_is_404(admin_client: Client, records: Records) -> None:
    assert admin_client.get(reverse("web:contact", args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", LIST_PAGES[1:])
def test_lists_show_only_this_workspace(
    admin_client: Client, records: Records, other_records: Records, name: str
) -> None:
    body = admin_client.get(reverse(name)).content.decode()
    for foreign in ["OtherInitech", "otherpeter.gibbons", "OtherTPS Webinar", "othersamir"]:
        assert foreign not in body


# Contacts ------------------------------------------------------------------------------------


def test_contact_list_shows_rows_with_badges(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:contacts"))
    assert {c.pk for c in rows(response)} == {records.contact.pk, records.other_contact.pk}
    body = response.content.decode()
    assert "Peter Gibbons" in body
    assert 'class="badge stage-mql"' in body
    assert "2 contacts" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "gibbons"}, {"contact"}),
        ({"q": "initech"}, {"contact"}),
        ({"lifecycle_stage": "subscriber"}, {"other_contact"}),
        ({"lifecycle_stage": "mql"}, {"contact"}),
        ({"source": "paid_search"}, {"other_contact"}),
        ({"country": "de"}, {"contact"}),
        ({"country": "FR"}, {"other_contact"}),
        ({"lifecycle_stage": "customer"}, set()),
    ],
)
def test_contact_filters(
    admin_client: Client, records: Records, params: dict[str, str], expected: set[str]
) -> None:
    response = admin_client.get(reverse("web:contacts"), params)
    assert response.status_code == 200
    assert {c.pk for c in rows(response)} == {getattr(records, a).pk for a in expected}


def test_contact_filter_by_owner(admin_client: Client, records: Records, admin: Membership) -> None:
    response = admin_client.get(reverse("web:contacts"), {"owner": admin.user_id})
    assert [c.pk for c in rows(response)] == [records.contact.pk]


def test_contact_filter_by_company(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:contacts"), {"company": records.company.pk})
    assert [c.pk for c in rows(response)] == [records.contact.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "abc"},
        {"owner": "999999"},
        {"country": "Germany"},
        {"lifecycle_stage": "bogus"},
        {"source": "carrier-pigeon"},
        {"company": "-3"},
        {"page": "abc"},
        {"sort": "password"},
    ],
)
def test_invalid_contact_filters_are_ignored(
    admin_client: Client, records: Records, params: dict[str, str]
) -> None:
    response = admin_client.get(reverse("web:contacts"), params)
    assert response.status_code == 200
    assert len(rows(response)) == 2
    if set(params) - {"page", "sort"}:
        assert "Ignored filter with an invalid value" in response.content.decode()


def test_invalid_filter_keeps_the_valid_ones(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:contacts"), {"owner": "abc", "country": "FR"})
    assert [c.pk for c in rows(response)] == [records.other_contact.pk]
    assert "Owner “abc”" in response.content.decode()


def test_contact_sorting(admin_client: Client, records: Records) -> None:
    by_name = rows(admin_client.get(reverse("web:contacts"), {"sort": "name"}))
    assert [c.last_name for c in by_name] == ["Gibbons", "Nagheenanajar"]
    reverse_name = rows(admin_client.get(reverse("web:contacts"), {"sort": "-name"}))
    assert [c.last_name for c in reverse_name] == ["Nagheenanajar", "Gibbons"]


def test_contact_pagination(admin_client: Client, admin: Membership) -> None:
    for _ in range(51):
        ContactFactory(workspace=admin.workspace)
    first = admin_client.get(reverse("web:contacts"))
    assert len(rows(first)) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = admin_client.get(reverse("web:contacts"), {"page": 2})
    assert len(rows(second)) == 1
    beyond = admin_client.get(reverse("web:contacts"), {"page": 99})
    assert beyond.context["page_obj"].number == 2


def test_htmx_request_gets_only_the_results(admin_client: Client, records: Records) -> None:
    response = admin_client.get(
        reverse("web:contacts"),
        {"q": "peter"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Peter Gibbons" in body
    assert "<table" in body
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(admin_client: Client, records: Records) -> None:
    response = admin_client.get(
        reverse("web:contacts"),
        headers={
            "HX-Request": "true",
            "HX-Target": "results",
            "HX-History-Restore-Request": "true",
        },
    )
    assert "<html" in response.content.decode()


def test_contact_detail_shows_fields_and_timeline(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:contact", args=[records.contact.pk]))
    body = response.content.decode()
    assert "peter.gibbons@initech.example" in body
    assert reverse("web:company", args=[records.company.pk]) in body
    assert "persona" in body and "Champion" in body
    kinds = [row.item.kind for row in response.context["timeline"]]
    assert kinds == ["lifecycle", "activity", "touchpoint", "lifecycle"]  # newest first
    assert "Newest first" in body
    assert "Lead → MQL" in body
    assert "Discovery call" in body
    assert "TPS Webinar" in body


def test_user_data_is_escaped(admin_client: Client, admin: Membership) -> None:
    ContactFactory(workspace=admin.workspace, first_name="<script>alert(1)</script>")
    body = admin_client.get(reverse("web:contacts")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# Companies, deals, campaigns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({}, True),
        ({"q": "initech"}, True),
        ({"q": "nomatch"}, False),
        ({"industry": "Software"}, True),
        ({"industry": "Mining"}, True),  # not an industry of the workspace: ignored
        ({"country": "DE"}, True),
        ({"country": "US"}, False),
        ({"owner": "abc"}, True),
    ],
)
def test_company_filters(
    admin_client: Client, records: Records, params: dict[str, str], found: bool
) -> None:
    response = admin_client.get(reverse("web:companies"), params)
    assert response.status_code == 200
    assert ([c.pk for c in rows(response)] == [records.company.pk]) is found


def test_company_filter_by_owner(admin_client: Client, records: Records, admin: Membership) -> None:
    response = admin_client.get(reverse("web:companies"), {"owner": admin.user_id})
    assert [c.pk for c in rows(response)] == [records.company.pk]


def test_company_detail_lists_contacts_and_deals(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:company", args=[records.company.pk]))
    assert [c.pk for c in response.context["contacts"]] == [records.contact.pk]
    assert [d.pk for d in response.context["deals"]] == [records.deal.pk]


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"q": "platform"}, True),
        ({"q": "initech"}, True),
        ({"status": "open"}, True),
        ({"status": "won"}, False),
        ({"source": "webinar"}, True),
        ({"source": "event"}, False),
        ({"stage": "abc"}, True),
        ({"status": "maybe"}, True),
    ],
)
def test_deal_filters(
    admin_client: Client, records: Records, params: dict[str, str], found: bool
) -> None:
    response = admin_client.get(reverse("web:deals"), params)
    assert response.status_code == 200
    assert ([d.pk for d in rows(response)] == [records.deal.pk]) is found


def test_deal_filter_by_stage_and_owner(
    admin_client: Client, records: Records, admin: Membership
) -> None:
    stage_id = records.deal.stage_id
    response = admin_client.get(reverse("web:deals"), {"stage": stage_id, "owner": admin.user_id})
    assert [d.pk for d in rows(response)] == [records.deal.pk]
    other_stage = admin_client.get(reverse("web:deals"), {"stage": stage_id + 1})
    assert rows(other_stage) == []


def test_deal_detail_shows_amount_history_and_activities(
    admin_client: Client, records: Records
) -> None:
    response = admin_client.get(reverse("web:deal", args=[records.deal.pk]))
    body = response.content.decode()
    assert "€24,000" in body
    history = response.context["stage_history"]
    assert [(c.from_stage and c.from_stage.key, c.to_stage.key) for c in history] == [
        (None, "qualification"),
        ("qualification", "demo"),
    ]
    assert [a.subject for a in response.context["activities"]] == ["Demo meeting"]
    assert "Peter Gibbons" in body


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"q": "tps"}, True),
        ({"q": "nomatch"}, False),
        ({"channel": "webinar"}, True),
        ({"channel": "email"}, False),
        ({"type": "webinar"}, True),
        ({"type": "ads"}, False),
        ({"type": "rocket"}, True),
    ],
)
def test_campaign_filters(
    admin_client: Client, records: Records, params: dict[str, str], found: bool
) -> None:
    response = admin_client.get(reverse("web:campaigns"), params)
    assert response.status_code == 200
    assert ([c.pk for c in rows(response)] == [records.campaign.pk]) is found


def test_campaign_detail_shows_summary_and_costs(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:campaign", args=[records.campaign.pk]))
    summary = response.context["summary"]
    assert (summary.spend, summary.touchpoints, summary.contacts) == (1200, 1, 1)
    assert response.context["budget_used"] == 24
    body = response.content.decode()
    assert "€5,000" in body
    assert "€1,200" in body
    assert "Host" in body


# Ledger ----------------------------------------------------------------------------------------


def test_ledger_lists_transitions_newest_first(admin_client: Client, records: Records) -> None:
    response = admin_client.get(reverse("web:ledger"))
    entries = rows(response)
    assert [e.occurred_at for e in entries] == sorted(
        (e.occurred_at for e in entries), reverse=True
    )
    newest = entries[0]
    assert (newest.contact_id, newest.from_stage, newest.to_stage) == (
        records.other_contact.pk,
        "",
        "subscriber",
    )
    body = response.content.decode()
    assert "score &gt;= 60" in body  # the rule is named as the actor
    assert "v2" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"to_stage": "mql"}, 1),
        ({"to_stage": "lead"}, 1),
        ({"source": "rule"}, 1),
        ({"source": "web"}, 2),
        ({"source": "api"}, 0),
        ({"to_stage": "nope"}, 3),
        ({"source": "nope"}, 3),
    ],
)
def test_ledger_filters(
    admin_client: Client, records: Records, params: dict[str, str], expected: int
) -> None:
    response = admin_client.get(reverse("web:ledger"), params)
    assert response.status_code == 200
    assert len(rows(response)) == expected
