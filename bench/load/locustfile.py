"""The load test's simulated day, for Locust (run headless by bench/load_test.py).

Each simulated user is a signed-in person (a session made by bench/load/prepare.py) who also
holds the workspace's API token, and loops with no think time over a weighted mix: the
dashboard and the list pages in the browser, the API lists, new leads through the API, accepting
and rejecting open handoffs, and batches of marketing events. Every response is checked for
its exact status (a list page answering with the sign-in page is a failure, not a success).

The open handoffs come from one pool handed out in order, so no two decisions ever target the
same handoff (no 409 by design); LOAD_POOL_START says where this run starts in it. When the pool
is used up, the decision tasks are skipped and counted (LOAD_STATE_OUT)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events, task

SETUP = json.loads(Path(os.environ["LOAD_SETUP"]).read_text(encoding="utf-8"))
POOL: deque[int] = deque(SETUP["handoff_ids"][int(os.environ.get("LOAD_POOL_START", "0")) :])
STATE = {"pool_used": 0, "pool_empty": 0}
SESSIONS = itertools.cycle(SETUP["sessions"])
EMAILS: list[str] = SETUP["emails"]
REASONS: list[str] = SETUP["reasons"]
CHANNELS = ["paid_search", "paid_social", "email", "webinar", "content", "organic_search"]
EVENT_TYPES = ["web_visit", "form_fill", "email_click", "content_download", "ad_click"]
EVENTS_PER_BATCH = 5


@events.quitting.add_listener
def _write_state(**_: Any) -> None:
    out = os.environ.get("LOAD_STATE_OUT")
    if out:
        Path(out).write_text(json.dumps(STATE), encoding="utf-8")


class Person(FastHttpUser):
    """One person at work: the browser and the API, no pause between requests."""

    def on_start(self) -> None:
        self.page_headers = {"Cookie": f"sessionid={next(SESSIONS)}"}
        self.api_headers = {
            "Authorization": f"Bearer {SETUP['token']}",
            "Content-Type": "application/json",
        }

    def _page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, headers=self.page_headers, catch_response=True
        ) as response:
            if response.status_code != 200 or b'name="password"' in (response.content or b""):
                response.failure(f"{response.status_code}: not the signed-in page")

    def _api(self, method: str, path: str, name: str, expect: int, body: Any = None) -> None:
        headers = dict(self.api_headers)
        if name == "POST /api/v1/events":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        with self.client.request(
            method,
            path,
            name=name,
            headers=headers,
            data=json.dumps(body) if body is not None else None,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")

    # The browser ---------------------------------------------------------------------------

    @task(8)
    def dashboard(self) -> None:
        self._page("/dashboard/", "page /dashboard/")

    @task(8)
    def contact_list(self) -> None:
        self._page("/contacts/", "page /contacts/")

    @task(4)
    def deal_list(self) -> None:
        self._page("/deals/", "page /deals/")

    @task(6)
    def lead_inbox(self) -> None:
        self._page("/handoffs/", "page /handoffs/")

    # The API -------------------------------------------------------------------------------

    @task(8)
    def api_contacts(self) -> None:
        self._api("GET", "/api/v1/contacts", "GET /api/v1/contacts", 200)

    @task(4)
    def api_deals(self) -> None:
        self._api("GET", "/api/v1/deals", "GET /api/v1/deals", 200)

    @task(4)
    def api_handoffs(self) -> None:
        self._api("GET", "/api/v1/handoffs?status=open", "GET /api/v1/handoffs", 200)

    @task(6)
    def lead_create(self) -> None:
        body = {
            "email": f"lead-{uuid.uuid4().hex[:16]}@load.example",
            "first_name": "Load",
            "last_name": "Test",
            "original_source": random.choice(CHANNELS),
        }
        self._api("POST", "/api/v1/contacts", "POST /api/v1/contacts", 201, body)

    def _next_handoff(self) -> int | None:
        if not POOL:
            STATE["pool_empty"] += 1
            return None
        STATE["pool_used"] += 1
        return POOL.popleft()

    @task(3)
    def accept(self) -> None:
        handoff = self._next_handoff()
        if handoff is not None:
            path = f"/api/v1/handoffs/{handoff}/accept"
            body = {"comment": "Good fit, booked a call."}
            self._api("POST", path, "POST /api/v1/handoffs/{id}/accept", 200, body)

    @task(2)
    def reject(self) -> None:
        handoff = self._next_handoff()
        if handoff is not None:
            path = f"/api/v1/handoffs/{handoff}/reject"
            body = {"reason": random.choice(REASONS), "comment": "Not a fit."}
            self._api("POST", path, "POST /api/v1/handoffs/{id}/reject", 200, body)

    @task(10)
    def event_ingest(self) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        batch = []
        for index in range(EVENTS_PER_BATCH):
            known = index < EVENTS_PER_BATCH - 1  # one new person per batch
            email = (
                random.choice(EMAILS) if known else f"visitor-{uuid.uuid4().hex[:16]}@load.example"
            )
            batch.append(
                {
                    "type": random.choice(EVENT_TYPES),
                    "occurred_at": (now - dt.timedelta(seconds=index)).isoformat(),
                    "contact": {"email": email},
                    "channel": random.choice(CHANNELS),
                    "utm_source": "load",
                }
            )
        self._api("POST", "/api/v1/events", "POST /api/v1/events", 201, {"events": batch})
