"""The OpenAPI document: valid, complete, with its security schemes and error responses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

EXPECTED: dict[str, set[str]] = {
    "/api/v1/me": {"get"},
    "/api/v1/companies": {"get", "post"},
    "/api/v1/companies/{company_id}": {"get", "patch", "delete"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/contacts/{contact_id}/ledger": {"get"},
    "/api/v1/contacts/{contact_id}/lifecycle": {"post"},
    "/api/v1/contacts/{contact_id}/timeline": {"get"},
    "/api/v1/ledger": {"get"},
    "/api/v1/deals": {"get", "post"},
    "/api/v1/deals/{deal_id}": {"get", "patch", "delete"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/{activity_id}": {"get", "patch", "delete"},
    "/api/v1/lifecycle-stages": {"get"},
    "/api/v1/pipelines": {"get"},
    "/api/v1/campaigns": {"get", "post"},
    "/api/v1/campaigns/{campaign_id}": {"get", "patch", "delete"},
    "/api/v1/campaigns/{campaign_id}/costs": {"get", "post"},
    "/api/v1/touchpoints": {"get", "post"},
    "/api/v1/touchpoints/{touchpoint_id}": {"get", "patch", "delete"},
    "/api/v1/exports/{list_name}": {"get"},
    "/api/v1/handoffs": {"get"},
    "/api/v1/handoffs/{handoff_id}": {"get"},
    "/api/v1/handoffs/{handoff_id}/claim": {"post"},
    "/api/v1/handoffs/{handoff_id}/accept": {"post"},
    "/api/v1/handoffs/{handoff_id}/reject": {"post"},
    "/api/v1/handoffs/{handoff_id}/recycle": {"post"},
    "/api/v1/handoffs/{handoff_id}/reassign": {"post"},
    "/api/v1/handoffs/{handoff_id}/pause": {"post"},
    "/api/v1/handoffs/{handoff_id}/resume": {"post"},
    "/api/v1/handoffs/{handoff_id}/dispute": {"post"},
    "/api/v1/handoffs/{handoff_id}/dispute/resolve": {"post"},
    "/api/v1/handoffs/escalations": {"get"},
    "/api/v1/handoffs/sla-report": {"get"},
    "/api/v1/handoffs/dispositions": {"get"},
    "/api/v1/handoffs/escalations/{escalation_id}/read": {"post"},
    "/api/v1/contacts/{contact_id}/contact-cap": {"get"},
    "/api/v1/sla-agreements": {"get", "post"},
    "/api/v1/sla-agreements/active": {"get"},
    "/api/v1/sla-agreements/{agreement_id}": {"get", "patch"},
    "/api/v1/sla-agreements/{agreement_id}/propose": {"post"},
    "/api/v1/sla-agreements/{agreement_id}/approve": {"post"},
    "/api/v1/sla-agreements/{agreement_id}/activate": {"post"},
    "/api/v1/sla-agreements/{agreement_id}/rollback": {"post"},
    "/api/v1/routing-rules": {"get", "post"},
    "/api/v1/routing-rules/reorder": {"post"},
    "/api/v1/routing-rules/{rule_id}": {"patch", "delete"},
    "/api/v1/sellers": {"get"},
    "/api/v1/sellers/{user_id}": {"put"},
    "/api/v1/sellers/{user_id}/absences": {"post"},
    "/api/v1/absences/{absence_id}": {"delete"},
    "/api/v1/rejection-reasons": {"get", "post"},
    "/api/v1/metrics": {"get"},
    "/api/v1/metrics/funnel": {"get"},
}


@pytest.fixture
def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()  # type: ignore[no-any-return]


def test_the_document_validates(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Accord API"
    assert document["info"]["version"] == "1"


def _registered() -> dict[str, set[str]]:
    """Every operation registered on the API's routers, whatever context added it."""
    import re

    from accord.api.router import api

    found: dict[str, set[str]] = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/api/v1/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
            full = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", full)
            for operation in path_view.operations:
                if operation.include_in_schema:
                    found.setdefault(full, set()).update(m.lower() for m in operation.methods)
    return found


def test_every_endpoint_is_described(document: dict[str, Any]) -> None:
    described = {path: set(ops) for path, ops in document["paths"].items()}
    registered = _registered()
    assert described == registered
    for path, methods in EXPECTED.items():
        assert described[path] >= methods, path


def test_the_security_schemes_are_declared_and_required(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["type"] == "http"
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    assert schemes["SessionAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": schemes["SessionAuth"]["description"],
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (
                path,
                method,
            )


def test_every_operation_documents_the_error_body(document: dict[str, Any]) -> None:
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    assert "ErrorOut" in document["components"]["schemas"]
    operation_ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            responses = operation["responses"]
            for status in ("401", "403"):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == error_ref, (path, method, status)
            if "{" in path:
                assert "404" in responses, (path, method)
            if method in {"post", "patch"}:
                assert "400" in responses, (path, method)
    assert len(operation_ids) == len(set(operation_ids))


def test_list_parameters_are_documented(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/api/v1/contacts"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert {"cursor", "limit", "ordering", "q", "lifecycle_stage", "owner_id"} <= set(by_name)
    assert by_name["ordering"]["schema"]["enum"] == [
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "email",
        "-email",
        "last_name",
        "-last_name",
    ]
    assert by_name["limit"]["schema"]["maximum"] == 500


def test_the_docs_page_is_served() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
