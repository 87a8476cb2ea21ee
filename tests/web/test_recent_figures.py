"""Pages show metric results up to the cache's few seconds old across other people's changes,
say how old, and never one computed before the reader's own last change; the API and the
metrics layer's other callers always get the current version's result."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accord.core import data_version
from accord.crm.services import contacts, ledger
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.identity.services import api_token_create
from accord.metrics import result_cache
from accord.web.figures import WROTE_COOKIE
from tests.web.conftest import Records

pytestmark = pytest.mark.django_db
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def cache_on(settings: Any) -> None:
    settings.ACCORD_METRICS_CACHE_SECONDS = 60


def mqls_tile(client: Client) -> tuple[int, bool]:
    """The dashboard's MQL count, and whether the page says its figures are from earlier."""
    page = client.get(reverse("web:dashboard")).content.decode()
    found = re.search(r'data-metric="mqls".*?class="stat-value">(.*?)</div>', page, re.S)
    assert found is not None
    count = re.sub(r"<[^>]+>|,", "", found.group(1)).strip()
    return (0 if count == "—" else int(count)), 'id="figures-as-of"' in page


def new_mql(actor: Actor, email: str, capture: Capture) -> int:
    """A lead moved to MQL by someone else, committed (its on-commit work run)."""
    with capture(execute=True):
        contact = contacts.contact_create(actor=actor, values={"email": email})
        ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage="mql")
    return contact.pk


def api_mqls(actor: Actor) -> int:
    _token, raw = api_token_create(actor=actor, name="figures")
    body = Client().get("/api/v1/metrics/mqls", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    return int(body["values"][0]["value"])


def test_a_page_keeps_recent_figures_across_another_persons_change_and_says_so(
    admin_client: Client, records: Records, member_factory: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:  # fmt: skip
    other = Actor.for_membership(member_factory("manager"), Source.WEB)
    before, noted = mqls_tile(admin_client)
    assert not noted
    version = data_version.current(records.workspace.pk)
    new_mql(other, "new.mql@firm.example", django_capture_on_commit_callbacks)
    assert data_version.current(records.workspace.pk) != version

    assert mqls_tile(admin_client) == (before, True)
    assert api_mqls(other) == before + 1  # the API reads the current version at once


def test_the_readers_own_change_shows_at_once(
    admin_client: Client, records: Records, admin: Membership,
    django_capture_on_commit_callbacks: Capture,
) -> None:  # fmt: skip
    actor = Actor.for_membership(admin, Source.WEB)
    with django_capture_on_commit_callbacks(execute=True):
        lead = contacts.contact_create(actor=actor, values={"email": "lead@firm.example"})
    before, _ = mqls_tile(admin_client)
    url = reverse("web:contact_lifecycle", args=[lead.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"to_stage": "mql"})
    assert response.status_code == 302
    assert WROTE_COOKIE in response.cookies
    assert mqls_tile(admin_client) == (before + 1, False)


def test_figures_older_than_the_bound_are_computed_again(
    admin_client: Client, records: Records, member_factory: Any, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:  # fmt: skip
    settings.ACCORD_METRICS_CACHE_SECONDS = 0.5
    other = Actor.for_membership(member_factory("manager"), Source.WEB)
    before, _ = mqls_tile(admin_client)
    new_mql(other, "new.mql@firm.example", django_capture_on_commit_callbacks)
    time.sleep(0.6)
    assert mqls_tile(admin_client) == (before + 1, False)


def test_a_forged_or_broken_cookie_only_makes_the_page_compute_afresh(
    admin_client: Client, records: Records, member_factory: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:  # fmt: skip
    other = Actor.for_membership(member_factory("manager"), Source.WEB)
    before, _ = mqls_tile(admin_client)
    new_mql(other, "new.mql@firm.example", django_capture_on_commit_callbacks)
    admin_client.cookies[WROTE_COOKIE] = "not a time"
    assert mqls_tile(admin_client) == (before, True)  # read as no change of theirs
    admin_client.cookies[WROTE_COOKIE] = f"{time.time() + 3600:.3f}"
    assert mqls_tile(admin_client) == (before + 1, False)


def test_a_result_built_from_stale_ones_is_never_given_to_a_reader_of_the_current_version(
    records: Records, django_capture_on_commit_callbacks: Capture
) -> None:
    ws = records.workspace.pk
    runs = {"inner": 0, "outer": 0}

    def inner() -> int:
        runs["inner"] += 1
        return runs["inner"]

    def outer() -> int:
        runs["outer"] += 1
        return 10 * result_cache.cached(ws, "inner", inner)

    assert result_cache.cached(ws, "inner", inner) == 1
    with django_capture_on_commit_callbacks(execute=True):
        data_version.bump(ws)
    with result_cache.bounded_staleness(60) as page:
        assert result_cache.cached(ws, "outer", outer) == 10  # from the stale inner result
    assert page.oldest is not None
    # Outside a page: both computed again for the current version.
    assert result_cache.cached(ws, "outer", outer) == 20
    assert runs == {"inner": 2, "outer": 2}
    with result_cache.bounded_staleness(60) as page:
        assert result_cache.cached(ws, "outer", outer) == 20
    assert page.oldest is None  # current: nothing older was served
