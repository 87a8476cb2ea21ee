"""ACCORD_CACHE=database: one cache shared by every process. A second process's API requests
count against the same rate limit, and its committed change moves the data version this
process reads, so its cached metric results are not served again."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accord.api import ratelimit
from accord.core import data_version
from accord.identity.models import Workspace
from accord.metrics.catalogue import MetricSpec, measure
from tests.faults.support import needs_a_shared_database, python

SHARED = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                      "LOCATION": "accord_cache"}}  # fmt: skip


@pytest.fixture
def shared_cache(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    needs_a_shared_database()
    monkeypatch.setenv("ACCORD_CACHE", "database")  # for the second process
    with override_settings(ACCORD_CACHE="database", CACHES=SHARED):
        call_command("createcachetable", verbosity=0)
        yield


def second_process(code: str) -> str:
    process = python(code)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


@pytest.mark.django_db(transaction=True)
def test_another_process_counts_against_the_same_rate_limit(shared_cache: None) -> None:
    # Both processes count at one instant, so that a minute ending between them cannot start a
    # new window (the second process takes seconds to start).
    now = float(int(time.time()))
    with override_settings(ACCORD_API_RATE_LIMIT="3/minute"):
        second_process(
            "from django.test import RequestFactory\n"
            "from accord.api import ratelimit\n"
            "r = RequestFactory().get('/api/v1/contacts', REMOTE_ADDR='203.0.113.7')\n"
            f"print([ratelimit.check(r, now={now!r}) for _ in range(3)])\n"
        )
        request = RequestFactory().get("/api/v1/contacts", REMOTE_ADDR="203.0.113.7")
        assert ratelimit.check(request, now=now) is not None  # the fourth request of the minute
        other = RequestFactory().get("/api/v1/contacts", REMOTE_ADDR="203.0.113.8")
        assert ratelimit.check(other, now=now) is None


@pytest.mark.django_db(transaction=True)
def test_a_change_another_process_commits_is_not_answered_from_the_cache(
    shared_cache: None, workspace: Workspace, settings: Any
) -> None:
    settings.ACCORD_METRICS_CACHE_SECONDS = 300  # no expiry during the test
    spec = MetricSpec(metric="leads", start=timezone.now() - dt.timedelta(days=1),
                      end=timezone.now() + dt.timedelta(days=1))  # fmt: skip
    assert measure(workspace.pk, spec).values == []  # cached: no leads
    before = data_version.current(workspace.pk)
    second_process(
        "from accord.identity.actor import Actor\n"
        "from accord.identity.models import Workspace\n"
        "from accord.crm.services.contacts import contact_create\n"
        f"ws = Workspace.objects.get(pk={workspace.pk})\n"
        "contact_create(actor=Actor.system(ws), values={'email': 'new@firm.example'})\n"
    )
    assert data_version.current(workspace.pk) != before
    (leads,) = measure(workspace.pk, spec).values
    assert leads.value == 1


def test_an_unknown_cache_is_refused() -> None:
    import subprocess
    import sys

    env = {
        **os.environ,
        "ACCORD_CACHE": "redis",
        "DJANGO_SETTINGS_MODULE": "accord.config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ACCORD_CACHE: 'redis' is not memory or database." in result.stderr
