"""A pulse answered over real HTTP (a live server, the standard library's urllib): the answer's
reply is a bare 204, with nothing in it that could identify who answered or what."""

from __future__ import annotations

from typing import Any

import pytest

from accord.alignment.instrument import DEFAULT_ITEMS
from accord.alignment.models import Response
from tests.api.conftest import make_token
from tests.api.test_live_server import http

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_answer_over_http_is_a_bare_204(live_server: Any, member_factory: Any) -> None:
    base = str(live_server.url)
    boss = {"Authorization": f"Bearer {make_token(member_factory('manager'))[1]}"}
    rep = {"Authorization": f"Bearer {make_token(member_factory('sales_rep'))[1]}"}
    opened = http(base, "POST", "/alignment/pulses", {"days": 3}, headers=boss)
    assert (opened.status, opened.body["asked"]) == (201, {"sales": 1, "marketing": 0})
    pid = opened.body["id"]
    body = {"answers": {i.key: 1 for i in DEFAULT_ITEMS}}
    answered = http(base, "POST", f"/alignment/pulses/{pid}/responses", body, headers=rep)
    assert (answered.status, answered.body) == (204, None)
    assert "Set-Cookie" not in answered.headers and "Location" not in answered.headers
    again = http(base, "POST", f"/alignment/pulses/{pid}/responses", body, headers=rep)
    assert (again.status, again.body["error"]["code"]) == (409, "conflict")
    shown = http(base, "GET", f"/alignment/pulses/{pid}", headers=rep)
    assert (shown.status, shown.body["answered"], shown.body["counted"]) == (
        200,
        {"sales": 1, "marketing": 0},
        {"sales": 0, "marketing": 0},
    )
    assert shown.body["overall"]["sales"]["score"] is None
    assert Response.objects.across_workspaces().count() == 1
