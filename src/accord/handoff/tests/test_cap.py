"""The buyer's contact cap: the touch over the cap is flagged before it is logged; confirmed,
it is logged and the violation recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.core.errors import NeedsConfirmation
from accord.crm.models import Activity
from accord.crm.services.activities import activity_create
from accord.handoff.cap import cap_status
from accord.handoff.models import ContactCapViolation
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor, sla_document
from accord.marketing.models import Touchpoint

pytestmark = pytest.mark.django_db(transaction=True)
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def test_the_seventh_call_in_24_hours_is_flagged_before_it_is_logged(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(buyer={"max_touches": 6, "window_hours": 24}))
    contact = make_mql(floor, "busy@example.org")
    rep = floor.actor(floor.sellers[0])

    def call(hours: float, **kw):  # type: ignore[no-untyped-def]
        values = {
            "kind": "call",
            "contact_id": contact.pk,
            "occurred_at": START + dt.timedelta(hours=hours),
        }
        return activity_create(actor=rep, values=values, **kw)

    for hour in range(6):
        call(hour * 3)  # six calls between 08:00 and 23:00
    logged = Activity.objects.for_workspace(workspace).filter(contact=contact)
    with pytest.raises(NeedsConfirmation) as exc:
        call(20)  # 04:00 next day: all six are still inside the 24 hours
    assert exc.value.warning == "contact_cap"
    assert exc.value.details["touches_in_window"] == 6
    assert exc.value.details["next_allowed"] == (START + dt.timedelta(hours=24)).isoformat()
    assert logged.count() == 6 and not ContactCapViolation.objects.for_workspace(workspace).exists()
    # Once the first call has left the window, the next one is fine.
    call(24)
    # Confirmed, an over-cap touch is logged and recorded as a violation.
    over = call(24.5, confirmed=["contact_cap"])
    violation = ContactCapViolation.objects.for_workspace(workspace).get()
    assert (violation.activity_id, violation.touches, violation.limit, violation.user_id) == (
        over.pk,
        7,
        6,
        rep.user.pk,
    )


def test_marketing_sends_count_and_notes_do_not(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(buyer={"max_touches": 2, "window_hours": 24}))
    contact = make_mql(floor, "nurtured@example.org")
    Touchpoint.objects.create(
        workspace=workspace, contact=contact, channel="email", type="email_send", occurred_at=START
    )
    Touchpoint.objects.create(
        workspace=workspace, contact=contact, channel="email", type="email_open", occurred_at=START
    )
    rep = floor.actor(floor.sellers[0])
    activity_create(
        actor=rep, values={"kind": "note", "contact_id": contact.pk, "occurred_at": START}
    )
    status = cap_status(workspace.pk, contact.pk, START + dt.timedelta(hours=1))
    assert status is not None and status.touches_in_window == 1
    activity_create(
        actor=rep,
        values={
            "kind": "email",
            "contact_id": contact.pk,
            "occurred_at": START + dt.timedelta(hours=1),
        },
    )
    with pytest.raises(NeedsConfirmation):
        activity_create(
            actor=rep,
            values={
                "kind": "meeting",
                "contact_id": contact.pk,
                "occurred_at": START + dt.timedelta(hours=2),
            },
        )


def test_without_an_agreement_there_is_no_cap(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    contact = make_mql(floor, "free@example.org")
    assert cap_status(workspace.pk, contact.pk, START) is None


def test_a_backdated_touch_is_checked_against_the_touches_after_it(workspace) -> None:  # type: ignore[no-untyped-def]
    """Six calls now, then one logged for two hours ago: seven in 24 hours (QA finding 9)."""
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(buyer={"max_touches": 6, "window_hours": 24}))
    contact = make_mql(floor, "backdated@example.org")
    rep = floor.actor(floor.sellers[0])
    for minutes in range(6):
        activity_create(
            actor=rep,
            values={
                "kind": "call",
                "contact_id": contact.pk,
                "occurred_at": START + dt.timedelta(minutes=minutes),
            },
        )
    backdated = {"kind": "call", "contact_id": contact.pk,
                 "occurred_at": START - dt.timedelta(hours=2)}  # fmt: skip
    with pytest.raises(NeedsConfirmation) as exc:
        activity_create(actor=rep, values=backdated)
    assert exc.value.details["touches_in_window"] == 6
    assert "Touches logged after this time fill that window." in exc.value.message
    assert Activity.objects.for_workspace(workspace).filter(contact=contact).count() == 6
    activity_create(actor=rep, values=backdated, confirmed=["contact_cap"])
    violation = ContactCapViolation.objects.for_workspace(workspace).get()
    assert (violation.touches, violation.limit) == (7, 6)
    # Long enough before, no window holds it with the six: logged without a warning.
    early = {**backdated, "occurred_at": START - dt.timedelta(hours=24)}
    activity_create(actor=rep, values=early)
    assert ContactCapViolation.objects.for_workspace(workspace).count() == 1


def test_the_next_allowed_time_is_told_in_the_workspace_zone(workspace) -> None:  # type: ignore[no-untyped-def]
    workspace.timezone = "America/New_York"
    workspace.save(update_fields=["timezone"])
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor, sla_document(buyer={"max_touches": 1, "window_hours": 24}))
    contact = make_mql(floor, "zone@example.org")
    rep = floor.actor(floor.sellers[0])
    call = {"kind": "call", "contact_id": contact.pk, "occurred_at": START}
    activity_create(actor=rep, values=call)
    with pytest.raises(NeedsConfirmation) as exc:
        activity_create(actor=rep, values={**call, "occurred_at": START + dt.timedelta(hours=1)})
    # START + 24 h is 08:00 UTC, 03:00 in New York.
    assert "possible from 24 Nov 03:00 (America/New_York)" in exc.value.message
