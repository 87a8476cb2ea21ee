"""The handoff endpoints in the OpenAPI document: under the "handoff" tag, with their bodies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HANDOFF_PREFIXES = (
    "/api/v1/handoffs",
    "/api/v1/sla-agreements",
    "/api/v1/routing-rules",
    "/api/v1/sellers",
    "/api/v1/absences",
    "/api/v1/rejection-reasons",
    "/api/v1/contacts/{contact_id}/contact-cap",
)


@pytest.fixture
def document() -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()  # type: ignore[no-any-return]


def test_every_handoff_operation_is_tagged(document: dict[str, Any]) -> None:
    tagged = {
        (path, method): operation["tags"]
        for path, operations in document["paths"].items()
        if path.startswith(HANDOFF_PREFIXES)
        for method, operation in operations.items()
    }
    assert len(tagged) == 36
    assert {tuple(tags) for tags in tagged.values()} == {("handoff",)}


def test_decision_bodies_are_described(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    reject = document["paths"]["/api/v1/handoffs/{handoff_id}/reject"]["post"]
    assert reject["requestBody"]["required"] is True
    assert schemas["RejectIn"]["required"] == ["reason"]
    accept = document["paths"]["/api/v1/handoffs/{handoff_id}/accept"]["post"]
    assert accept["requestBody"]["required"] is False
    assert schemas["ResolveIn"]["properties"]["outcome"]["enum"] == ["upheld", "overturned"]
