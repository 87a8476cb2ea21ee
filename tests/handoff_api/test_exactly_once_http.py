"""Exactly-once decisions over real HTTP: two people press the button at the same moment
(threads released together by a barrier, against the live server); one request wins with 200,
the other gets 409 `conflict`, and the lead is claimed or accepted once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from accord.crm.models import LedgerEntry
from accord.handoff.models import Handoff, HandoffStatus
from accord.handoff.tests.factories import activate_sla
from accord.identity.models import Membership
from tests.api.conftest import make_token
from tests.handoff_api.conftest import Floor

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


@dataclass
class HttpReply:
    status: int
    body: Any


def post(base: str, path: str, token: str) -> HttpReply:
    request = urllib.request.Request(
        f"{base}/api/v1{path}", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return HttpReply(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return HttpReply(error.code, json.loads(error.read()))


def at_once(calls: list[Callable[[], HttpReply]]) -> list[HttpReply]:
    """Run the calls in threads released at the same moment; their replies, in order."""
    barrier = threading.Barrier(len(calls))
    replies: list[HttpReply | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            replies[i] = calls[i]()
        except BaseException as exc:  # reported below, in the test's thread
            replies[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    out: list[HttpReply] = []
    for reply in replies:
        assert isinstance(reply, HttpReply), reply
        out.append(reply)
    return out


def token(membership: Membership) -> str:
    return make_token(membership)[1]


def winner_and_loser(replies: list[HttpReply]) -> tuple[int, HttpReply, HttpReply]:
    """The index of the 200, the 200 and the 409 (exactly one of each)."""
    assert sorted(r.status for r in replies) == [200, 409], [r.body for r in replies]
    won = next(i for i, r in enumerate(replies) if r.status == 200)
    return won, replies[won], replies[1 - won]


@pytest.fixture
def base(live_server: Any) -> str:
    return str(live_server.url)


def test_two_reps_claim_the_same_queued_lead_at_once(base: str, floor: Floor) -> None:
    reps = floor.floor.sellers
    tokens = [token(m) for m in reps]
    for round_ in range(ROUNDS):
        handoff = floor.lead(f"queue{round_}@example.org")
        assert handoff.owner_id is None
        path = f"/handoffs/{handoff.pk}/claim"
        replies = at_once([partial(post, base, path, t) for t in tokens])
        won, ok, conflict = winner_and_loser(replies)
        winner = reps[won]
        assert (ok.body["id"], ok.body["owner_id"], ok.body["chosen_by"]) == (
            handoff.pk,
            winner.user_id,
            "claimed from the fallback queue",
        )
        assert conflict.body == {
            "error": {
                "code": "conflict",
                "message": f"{winner.user.display_name} already has this lead; nothing was "
                "changed.",
                "fields": {},
            }
        }
        stored = Handoff.objects.for_workspace(floor.workspace).get(pk=handoff.pk)
        assert (stored.owner_id, stored.status) == (winner.user_id, HandoffStatus.OPEN)
        assert stored.contact.owner_id == winner.user_id


def test_the_owner_and_the_manager_accept_the_same_lead_at_once(base: str, floor: Floor) -> None:
    activate_sla(floor.floor)
    floor.route_to_rep()
    deciders = [floor.floor.sellers[0], floor.floor.sales_manager]
    tokens = [token(m) for m in deciders]
    for round_ in range(ROUNDS):
        handoff = floor.lead(f"lead{round_}@example.org")
        assert handoff.owner_id == deciders[0].user_id
        path = f"/handoffs/{handoff.pk}/accept"
        replies = at_once([partial(post, base, path, t) for t in tokens])
        won, ok, conflict = winner_and_loser(replies)
        winner = deciders[won]
        assert (ok.body["id"], ok.body["status"], ok.body["decided_by_id"]) == (
            handoff.pk,
            "accepted",
            winner.user_id,
        )
        assert conflict.body["error"]["code"] == "conflict"
        assert conflict.body["error"]["fields"] == {}
        assert conflict.body["error"]["message"] in {
            f"This lead was already accepted by {winner.user.display_name}; nothing was changed.",
            "Someone else decided this lead a moment ago; nothing was changed.",
        }
        stored = Handoff.objects.for_workspace(floor.workspace).get(pk=handoff.pk)
        assert (stored.status, stored.decided_by_id) == (HandoffStatus.ACCEPTED, winner.user_id)
        sal = LedgerEntry.objects.for_workspace(floor.workspace).filter(
            contact_id=handoff.contact_id, to_stage="sal"
        )
        assert [e.actor_user_id for e in sal] == [winner.user_id]
