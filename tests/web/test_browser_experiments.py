"""End-to-end in Debian's Chromium: a marketer registers an experiment, starts it, contacts
join it as they are created, and the team reads its result page and concludes it into the
learnings log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.crm.services import contacts
from accord.crm.services.ledger import change_stage
from accord.experiments.models import Assignment, Experiment
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_register_start_read_and_conclude(
    sign_in_browser: Callable[[str], Any], admin: Membership, member_factory: Any,
    live_server: Any,
) -> None:  # fmt: skip
    member_factory("marketer", email="maya@acme.example")
    page = sign_in_browser("maya@acme.example")
    page.goto(f"{live_server.url}/experiments/")
    page.fill("#experiment-form input[name=name]", "Demo request page B")
    page.fill("#experiment-form input[name=key]", "demo-page-b")
    page.fill("#experiment-form textarea[name=hypothesis]", "A shorter form brings more MQLs.")
    page.select_option("#experiment-form select[name=primary_metric]", "mql_rate")
    page.fill("#experiment-form input[name=control]", "Long form")
    page.fill("#experiment-form input[name=variant_b]", "Short form")
    page.click("#experiment-form button:has-text('Register')")
    page.wait_for_url(f"{live_server.url}/experiments/demo-page-b/")
    assert "has not started" in page.inner_text("main")
    page.click("#experiment-actions button:has-text('Start')")
    page.wait_for_selector("text=Experiment Demo request page B started.")

    # Contacts created while it runs join it (a stable hash); some become MQLs.
    actor = Actor.for_membership(admin, Source.API)
    for i in range(40):
        contact = contacts.contact_create(actor=actor, values={"email": f"c{i}@x.example"})
        if i % 3 == 0:
            change_stage(actor=actor, contact_id=contact.pk, to_stage="mql")
    experiment = Experiment.objects.for_workspace(admin.workspace).get(key="demo-page-b")
    page.click("#experiment-actions button:has-text('Assign new contacts')")
    page.wait_for_selector("text=contact(s) assigned")
    assert Assignment.objects.for_workspace(admin.workspace).filter(
        experiment=experiment).count() == 40  # fmt: skip
    page.reload()
    card = page.locator("#metric-mql_rate")
    assert "Long form" in card.inner_text() and "Short form" in card.inner_text()
    assert page.locator("#metric-mql_rate .comparison").count() == 1
    assert "against" in page.inner_text("#reading")

    page.click("#experiment-actions button:has-text('Stop')")
    page.wait_for_selector("#conclude-form")
    page.select_option("#conclude-form select[name=outcome]", "lost")
    page.fill("#conclude-form input[name=decision]", "Keep the long form")
    page.fill("#conclude-form textarea[name=learned]", "Short forms bring unqualified leads.")
    page.click("#conclude-form button:has-text('Conclude')")
    page.wait_for_selector("text=the learning is in the log")
    page.goto(f"{live_server.url}/experiments/learnings/")
    assert "Demo request page B" in page.inner_text("#lost")
    assert "Keep the long form" in page.inner_text("#lost")
