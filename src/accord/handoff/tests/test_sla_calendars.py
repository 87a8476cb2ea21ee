"""Team calendars in a workspace (QA finding 13): a team's calendar inherits the default's hours
and holidays — the docs' example no longer puts AE leads due on Christmas Day — and a calendar
named after no team of the workspace is refused, naming the teams."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import ValidationFailed
from accord.handoff import agreements, routing_settings
from accord.handoff.models import Handoff, SlaAgreement
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor, sla_document
from accord.identity.models import Team

pytestmark = pytest.mark.django_db(transaction=True)

# The docs' example: Berlin, Mondays 09-17 (as in the QA's v2), Christmas off; AEs in New York.
DOCS_CALENDARS: dict[str, Any] = {
    "default": {
        "timezone": "Europe/Berlin",
        "hours": {"monday": [["09:00", "17:00"]]},
        "holidays": ["2026-12-25"],
    },
    "Account Executives": {"timezone": "America/New_York"},
}


def test_the_docs_example_keeps_christmas_for_the_ae_team(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(calendars=DOCS_CALENDARS))
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "AEs", "conditions": [], "team_id": floor.team.pk},
    )
    # Thu 24 Dec 16:00 in New York (21:00 UTC).
    with time_machine.travel(dt.datetime(2026, 12, 24, 21, tzinfo=dt.UTC), tick=False):
        contact = make_mql(floor, "christmas@example.org")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert handoff.team_id == floor.team.pk
    # Not Fri 25 Dec 12:00 EST (a holiday): Monday 28 Dec 09:00 + 4 h in New York, 18:00 UTC.
    assert handoff.first_touch_due_at == dt.datetime(2026, 12, 28, 18, tzinfo=dt.UTC)


def test_a_calendar_named_after_no_team_is_refused(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    author = floor.actor(floor.sales_manager)
    typo = {**DOCS_CALENDARS, "Acount Executives": {"timezone": "America/New_York"}}
    with pytest.raises(ValidationFailed) as caught:
        agreements.sla_create_draft(actor=author, document=sla_document(calendars=typo))
    assert caught.value.fields == {
        "document.calendars.Acount Executives": [
            "No team is called 'Acount Executives'; a calendar is named after a team (this "
            "workspace's teams: 'Account Executives', 'Marketing') or is the 'default'."
        ]
    }
    assert not SlaAgreement.objects.for_workspace(workspace).exists()
    draft = agreements.sla_create_draft(
        actor=author, document=sla_document(calendars=DOCS_CALENDARS)
    )
    with pytest.raises(ValidationFailed):
        agreements.sla_update_draft(
            actor=author, agreement_id=draft.pk, document=sla_document(calendars=typo)
        )
    draft.refresh_from_db()
    assert set(draft.document["calendars"]) == {"default", "Account Executives"}
    # Renamed since the draft was written: proposing it is refused, it stays a draft.
    Team.objects.for_workspace(workspace).filter(pk=floor.team.pk).update(name="AEs")
    with pytest.raises(ValidationFailed) as renamed:
        agreements.sla_propose(actor=author, agreement_id=draft.pk)
    assert list(renamed.value.fields) == ["document.calendars.Account Executives"]
    draft.refresh_from_db()
    assert draft.status == "draft"
