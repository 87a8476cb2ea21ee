"""Bad input of every kind gets the one error body, a 4xx, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.crm.models import Company, Contact, LedgerEntry
from accord.crm.tests.factories import ContactFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

CONTACT_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "company_id",
    "country",
    "owner_id",
    "lifecycle_stage",
    "lead_status",
    "original_source",
    "custom_fields",
    "created_at",
]


def assert_error_shape(body: Any) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    for name, messages in error["fields"].items():
        assert isinstance(name, str)
        assert messages and all(isinstance(m, str) and m for m in messages)


def nothing_written(ws: Any) -> tuple[int, int, int]:
    return (
        Contact.objects.for_workspace(ws).count(),
        Company.objects.for_workspace(ws).count(),
        LedgerEntry.objects.for_workspace(ws).count(),
    )


@pytest.mark.parametrize(
    "raw",
    [
        "{bad json",
        '{"email": "a@b.example",}',
        "email=a@b.example",
        '{"email": "a@b.example"',
        "\ufeff{}garbage",
    ],
)
def test_malformed_json_is_400_malformed_json(api: Api, workspace: Any, raw: str) -> None:
    reply = api.post("/contacts", raw=raw)
    assert reply.status == 400
    assert_error_shape(reply.body)
    assert reply.error["code"] == "malformed_json"
    assert list(reply.fields) == ["body"]
    assert reply.error["message"].startswith("The request body is not valid JSON: ")
    assert nothing_written(workspace) == (0, 0, 0)


def test_invalid_utf8_is_400(api: Api, workspace: Any) -> None:
    reply = api.post("/contacts", raw=b'{"email": "\xff\xfe@x.example"}')
    assert reply.status == 400
    assert reply.error["code"] == "malformed_json"
    assert nothing_written(workspace) == (0, 0, 0)


def test_deeply_nested_json_is_400(api: Api, workspace: Any) -> None:
    raw = '{"email": "a@b.example", "custom_fields": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001
    reply = api.post("/contacts", raw=raw)
    assert reply.status == 400
    assert reply.error["code"] == "malformed_json"
    assert nothing_written(workspace) == (0, 0, 0)


@pytest.mark.parametrize("body", [[1, 2], "text", 42, None, True])
def test_a_body_that_is_not_an_object_is_400(api: Api, workspace: Any, body: Any) -> None:
    reply = api.post("/contacts", raw=json.dumps(body))
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert list(reply.fields) in (["body"], ["email"])
    assert nothing_written(workspace) == (0, 0, 0)


def test_an_empty_body_is_400(api: Api, workspace: Any) -> None:
    reply = api.post("/contacts", raw="")
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert reply.fields == {"body": ["A JSON object is required."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a\u0000b@x.example"}, "email"),
        ({"email": "a@b.example", "custom_fields": {"k": "nul\u0000"}}, "custom_fields"),
        ({"email": "a@b.example", "custom_fields": {"\u0000": 1}}, "custom_fields"),
        ({"email": "a@b.example", "title": "\ud800"}, "title"),
    ],
)
def test_text_a_database_cannot_store_is_400(
    api: Api, workspace: Any, body: dict[str, Any], field: str
) -> None:
    reply = api.post("/contacts", body)
    assert reply.status == 400, reply.body
    assert list(reply.fields) == [field]
    assert nothing_written(workspace) == (0, 0, 0)


def test_nul_characters_in_query_parameters_are_400(api: Api) -> None:
    reply = api.get("/contacts", q="a\x00b")
    assert reply.status == 400
    assert list(reply.fields) == ["q"]


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/99999999999999999999",
        "/contacts/-1",
        "/contacts/0",
        "/contacts/1.5",
        "/contacts/abc",
    ],
)
def test_ids_that_are_not_record_ids_are_400(api: Api, path: str) -> None:
    reply = api.get(path)
    assert reply.status == 400
    assert list(reply.fields) == ["contact_id"]


def test_huge_ids_in_a_body_are_400(api: Api, workspace: Any) -> None:
    reply = api.post("/contacts", {"email": "a@b.example", "company_id": 2**70})
    assert reply.status == 400
    assert list(reply.fields) == ["company_id"]
    assert nothing_written(workspace) == (0, 0, 0)


def test_huge_ids_in_a_filter_are_400(api: Api) -> None:
    reply = api.get("/contacts", owner_id=2**64)
    assert reply.status == 400
    assert list(reply.fields) == ["owner_id"]


def test_unknown_path_is_404_with_the_error_body(api: Api) -> None:
    for method in ("GET", "POST", "DELETE"):
        reply = api.call(method, "/no-such-thing")
        assert reply.status == 404
        assert reply.body == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_unknown_path_needs_no_credentials_and_reveals_nothing() -> None:
    response = Client().get("/api/v1/contacts/1/secret")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_with_the_error_body(api: Api, workspace: Any) -> None:
    reply = api.call("PUT", "/contacts", {"email": "a@b.example"})
    assert reply.status == 405
    assert reply.error["code"] == "method_not_allowed"
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert nothing_written(workspace) == (0, 0, 0)


def test_a_body_over_the_upload_limit_is_413(api: Api, workspace: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    reply = api.post("/contacts", {"email": "a@b.example", "title": "x" * 2000})
    assert reply.status == 413
    assert reply.error["code"] == "payload_too_large"
    assert nothing_written(workspace) == (0, 0, 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(CONTACT_FIELDS) | st.text(max_size=8), json_values, max_size=5
    )
)
def test_no_contact_body_gives_a_server_error(api: Api, body: dict[str, Any]) -> None:
    reply = api.post("/contacts", body)
    assert reply.status in {201, 400, 409}, (body, reply.body)
    if reply.status != 201:
        assert_error_shape(reply.body)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(["name", "amount", "currency", "stage_id", "closed_at", "source"]),
        json_values,
        max_size=4,
    )
)
def test_no_deal_patch_gives_a_server_error(api: Api, workspace: Any, body: dict[str, Any]) -> None:
    deal_id = api.post("/deals", {"name": "Fuzzed"}).body["id"]
    reply = api.patch(f"/deals/{deal_id}", body)
    assert reply.status in {200, 400}, (body, reply.body)
    if reply.status == 400:
        assert_error_shape(reply.body)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(
        [
            "/contacts",
            "/companies",
            "/deals",
            "/activities",
            "/ledger",
            "/campaigns",
            "/touchpoints",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "ordering",
                "limit",
                "cursor",
                "owner_id",
                "created_after",
                "after",
                "status",
                "channel",
                "min_employees",
                "contact_id",
                "active_on",
            ]
        ),
        st.text(max_size=12),
        max_size=4,
    ),
)
def test_no_list_query_gives_a_server_error(
    api: Api, workspace: Any, path: str, params: dict[str, str]
) -> None:
    if not Contact.objects.for_workspace(workspace).exists():
        ContactFactory(workspace=workspace)
    reply = api.get(path, **params)
    assert reply.status in {200, 400}, (path, params, reply.body)
    if reply.status == 400:
        assert_error_shape(reply.body)
