"""Schemathesis over the whole OpenAPI document: every operation, called in-process through the
WSGI app with a real write token of an admin of a workspace holding records, never answers 5xx,
answers only status codes the document lists, and every response body matches its schema.

Bounded for CI: a few derandomized examples per operation (FUZZ_EXAMPLES to raise it), no
deadline, and the coverage phase only with FUZZ_COVERAGE=1.
Run it alone with: pytest tests/fuzz/test_openapi_fuzz.py"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accord.config.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# The coverage phase (boundary values and nulls for every field, dozens of requests per
# operation) is what found the null campaign type; it takes ~5 s per operation here, so CI
# runs the examples and fuzzing phases only and FUZZ_COVERAGE=1 turns it back on.
schema.config.phases.coverage.enabled = os.environ.get("FUZZ_COVERAGE") == "1"


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Requests go through the WSGI app, whose request signals would close the database
    connection that holds the test's transaction; Django's own test client detaches the same
    handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(admin, workspace, settings) -> str:  # type: ignore[no-untyped-def]
    """A real write token of the admin of a workspace with companies, contacts, campaigns,
    touchpoints and activities."""
    from accord.crm.tests.factories import ActivityFactory, CompanyFactory, ContactFactory
    from accord.identity.actor import Actor, Source
    from accord.identity.services import api_token_create
    from accord.marketing.tests.factories import CampaignFactory, TouchpointFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    company = CompanyFactory(workspace=workspace, name="Initech", domain="initech.example")
    campaign = CampaignFactory(workspace=workspace)
    for i in range(3):
        contact = ContactFactory(workspace=workspace, company=company,
                                 email=f"p{i}@initech.example")  # fmt: skip
        TouchpointFactory(workspace=workspace, contact=contact, campaign=campaign)
        ActivityFactory(workspace=workspace, contact=contact)
    return api_token_create(
        actor=Actor.for_membership(admin, Source.WEB), name="fuzz", scope="write"
    )[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
