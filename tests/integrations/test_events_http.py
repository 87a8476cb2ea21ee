"""Inbound events over real HTTP against a live server: signed batches, replays, and two
identical requests racing with one Idempotency-Key."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from accord.crm.models import Contact, LedgerEntry
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from accord.integrations.inbound.keys import integration_key_create
from accord.integrations.models import IdempotencyRecord
from accord.marketing.models import Touchpoint
from tests.api.conftest import make_token
from tests.integrations.hooks_support import fast_password_hashing, sign  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def post(base: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(
        f"{base}/api/v1/events",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def batch(size: int, prefix: str = "live") -> bytes:
    events = [
        {
            "type": "web_visit",
            "occurred_at": f"2026-04-02T10:{i % 60:02d}:00Z",
            "channel": "organic_search",
            "contact": {"email": f"{prefix}{i}@live.example", "first_name": f"P{i}"},
            "landing_page": "/pricing",
        }
        for i in range(size)
    ]
    return json.dumps({"events": events}).encode()


def test_signed_batch_and_replay_over_http(
    live_server: Any, admin: Membership, workspace: Workspace
) -> None:
    _, token = make_token(admin)
    key, secret = integration_key_create(
        actor=Actor.for_membership(admin, Source.WEB), name="Forms", require_signature=True
    )
    body = batch(50)
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Accord-Integration": key.key_id,
        "Idempotency-Key": "live-batch-1",
    }
    status, first, first_headers = post(
        live_server.url, body, {**headers, "X-Accord-Signature": sign(secret, body)}
    )
    assert status == 201, first
    assert first_headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(first)["contacts_created"] == 50
    for _ in range(5):
        status, again, again_headers = post(
            live_server.url, body, {**headers, "X-Accord-Signature": sign(secret, body)}
        )
        assert (status, again) == (201, first)
        assert again_headers["Idempotent-Replayed"] == "true"
    assert Contact.objects.for_workspace(workspace).count() == 50
    assert Touchpoint.objects.for_workspace(workspace).count() == 50
    assert LedgerEntry.objects.for_workspace(workspace).count() == 50

    stale = sign(secret, body, int(time.time()) - 600)
    status, refused, _ = post(
        live_server.url, body, {**headers, "Idempotency-Key": "k2", "X-Accord-Signature": stale}
    )
    assert status == 401
    assert json.loads(refused)["error"]["code"] == "signature_expired"

    status, refused, _ = post(
        live_server.url, body, {"Authorization": f"Bearer {token}", "Idempotency-Key": "k3"}
    )
    assert status == 401
    assert json.loads(refused)["error"]["code"] == "integration_key_required"


def test_identical_requests_racing_produce_one_copy(
    live_server: Any, admin: Membership, workspace: Workspace
) -> None:
    _, token = make_token(admin)
    body = batch(200, prefix="race")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"}
    results: list[tuple[int, bytes, str | None]] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def send() -> None:
        start.wait()
        status, content, answer_headers = post(live_server.url, body, headers)
        with lock:
            results.append((status, content, answer_headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 6
    assert {status for status, _, _ in results} == {201}, results
    assert len({content for _, content, _ in results}) == 1
    assert sorted(str(replayed) for _, _, replayed in results) == ["None"] + ["true"] * 5
    assert Contact.objects.for_workspace(workspace).count() == 200
    assert Touchpoint.objects.for_workspace(workspace).count() == 200
    assert LedgerEntry.objects.for_workspace(workspace).count() == 200
    assert IdempotencyRecord.objects.for_workspace(workspace).count() == 1


def test_an_invalid_batch_over_http_writes_nothing(
    live_server: Any, admin: Membership, workspace: Workspace
) -> None:
    _, token = make_token(admin)
    events = json.loads(batch(5, prefix="bad"))
    events["events"][3]["occurred_at"] = "31/02/2026"
    status, content, _ = post(
        live_server.url, json.dumps(events).encode(), {"Authorization": f"Bearer {token}"}
    )
    assert status == 400
    assert json.loads(content)["error"]["fields"] == {
        "events[3].occurred_at": [
            "'31/02/2026' is not a date-time (use ISO 8601, e.g. 2026-03-01T09:30:00Z)."
        ]
    }
    assert Contact.objects.for_workspace(workspace).count() == 0
    assert Touchpoint.objects.for_workspace(workspace).count() == 0
