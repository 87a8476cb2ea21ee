"""End-to-end in Debian's Chromium: a sales rep and a marketer each answer the alignment
survey in the browser, and the scorecard shows a team's reading only once five of its people
have answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.alignment import services
from accord.alignment.instrument import DEFAULT_INSTRUMENT
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
AREA = "shared_time"


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def _answer_in_browser(page: Any, url: str) -> None:
    page.goto(f"{url}/alignment/")
    page.click("#answer-survey")
    page.wait_for_selector("#survey-form")
    for item in DEFAULT_INSTRUMENT.items:
        value = "1" if item.kind == "yes_no" else "4"
        page.check(f"fieldset[data-item={item.key}] input[value='{value}']")
    page.click("#submit-survey")
    page.wait_for_selector("text=your answers are in, anonymously")


def _sales_says(page: Any, url: str) -> tuple[str, str]:
    page.goto(f"{url}/alignment/")
    row = page.locator(f"#areas tr[data-area={AREA}] td.num")
    return row.nth(2).inner_text().strip(), row.nth(3).inner_text().strip()


def _answer_by_service(member: Membership, pulse_id: int) -> None:
    answers = {i.key: (0 if i.kind == "yes_no" else 2) for i in DEFAULT_INSTRUMENT.items}
    services.response_submit(actor=Actor.for_membership(member, Source.API), pulse_id=pulse_id,
                             answers=answers)  # fmt: skip


def test_both_teams_answer_and_the_scorecard_waits_for_five(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any,
) -> None:  # fmt: skip
    reps = [member_factory("sales_rep", email=f"rep{i}@acme.example") for i in range(5)]
    marketers = [member_factory("marketer", email=f"mkt{i}@acme.example") for i in range(5)]
    pulse = services.pulse_open(actor=Actor.for_membership(admin, Source.API), title="Q4 pulse")
    for rep in reps[1:4]:
        _answer_by_service(rep, pulse.pk)

    page = sign_in_browser("rep0@acme.example")
    # Every page reminds the rep of the survey waiting for them.
    assert "Q4 pulse is open" in page.inner_text("#survey-waiting")
    # Three sales answers: nothing is shown.
    assert _sales_says(page, live_server.url) == ("—", "—")
    _answer_in_browser(page, live_server.url)
    # Four, with the rep's own: still hidden, and the survey is not offered again.
    assert _sales_says(page, live_server.url) == ("—", "—")
    assert page.locator("#answer-survey").count() == 0
    assert page.locator("#survey-waiting").count() == 0
    _answer_by_service(reps[4], pulse.pk)
    # Five: sales' reading appears (4 of 5 answered 2, one answered 4 on every item: on a
    # Likert item 2 scores 25 and 4 scores 75; yes/no 0 and 1 score 0 and 100).
    sales, marketing = _sales_says(page, live_server.url)
    assert sales != "—" and marketing == "—"

    page.context.clear_cookies()
    page = sign_in_browser("mkt0@acme.example")
    for marketer in marketers[1:4]:
        _answer_by_service(marketer, pulse.pk)
    _answer_in_browser(page, live_server.url)
    assert _sales_says(page, live_server.url)[1] == "—"  # four marketers
    _answer_by_service(marketers[4], pulse.pk)
    sales_now, marketing_now = _sales_says(page, live_server.url)
    assert sales_now == sales and marketing_now != "—"
    # The pulse's page shows both teams and "both" now, and nobody's name.
    page.goto(f"{live_server.url}/alignment/pulses/{pulse.pk}/")
    text = page.inner_text("#pulse-areas")
    assert "hidden" not in text
    main = page.inner_text("main")
    assert "rep0" not in main and "mkt0" not in main
