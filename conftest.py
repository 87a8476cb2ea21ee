"""Shared fixtures: a provisioned workspace, members of each role, and actors for them."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ACCORD_DEBUG", "1")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the same
# thread are still synchronous, so its async-safety check does not apply to these tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Tests write records straight through the ORM, which no running process would do, and then
# measure again at once: the metric result cache is off here and on in its own tests
# (tests/metrics/test_result_cache.py).
os.environ.setdefault("ACCORD_METRICS_CACHE_SECONDS", "0")
# The webhook tests run their receivers on 127.0.0.1 (their own tests turn this off again).
os.environ.setdefault("ACCORD_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture(autouse=True)
def _metric_cache_off(settings):  # type: ignore[no-untyped-def]
    """The environment variable above is read only if the settings load after this file;
    pytest-django may load them first, so the setting itself is turned off for every test."""
    settings.ACCORD_METRICS_CACHE_SECONDS = 0
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _fresh_rate_counters():  # type: ignore[no-untyped-def]
    """Every test starts with no API rate-limit or sign-in failure counts (they live in the
    cache, and every test client calls from the same address)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def workspace(db):  # type: ignore[no-untyped-def]
    from accord.identity.tests.factories import WorkspaceFactory

    return WorkspaceFactory(name="Acme Revenue", slug="acme")


@pytest.fixture
def other_workspace(db):  # type: ignore[no-untyped-def]
    from accord.identity.tests.factories import WorkspaceFactory

    return WorkspaceFactory(name="Other Co", slug="other")


@pytest.fixture
def member_factory(workspace):  # type: ignore[no-untyped-def]
    """member_factory(role, workspace=None) -> Membership"""
    from accord.identity.tests.factories import MembershipFactory, UserFactory

    def make(role: str = "admin", ws=None, email: str | None = None):  # type: ignore[no-untyped-def]
        user = UserFactory(email=email) if email else UserFactory()
        return MembershipFactory(workspace=ws or workspace, user=user, role=role)

    return make


@pytest.fixture
def admin(member_factory):  # type: ignore[no-untyped-def]
    return member_factory("admin", email="admin@acme.example")


@pytest.fixture
def actor(admin):  # type: ignore[no-untyped-def]
    from accord.identity.actor import Actor, Source

    return Actor.for_membership(admin, Source.API)
