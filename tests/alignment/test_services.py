"""The survey's write path: versions fixed once a pulse used them, pulses asked of both teams,
anonymous answers given once with every item required, reminders, the worker's pass, the
index's versioned weighting and marketing's review of rejected leads."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from accord.alignment import services
from accord.alignment.behaviour_weights import COMPONENT_KEYS, DEFAULT_WEIGHTS
from accord.alignment.models import (
    IndexWeighting,
    Participation,
    Pulse,
    PulseStatus,
    RejectionReview,
    Response,
    SurveyVersion,
)
from accord.alignment.survey_results import pulse_result
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.crm.tests.factories import ContactFactory
from accord.handoff.models import Handoff, HandoffStatus
from accord.identity.models import Team, TeamKind, Workspace
from accord.identity.tests.factories import MembershipFactory, UserFactory
from tests.alignment.conftest import OPENED, THREE_ITEMS, Floor, as_actor, small_survey

pytestmark = pytest.mark.django_db

GOOD = {"q1": 4, "q2": 2, "q3": 1}


def _open(floor: Floor, **kwargs: Any) -> Pulse:
    return services.pulse_open(actor=floor.run, title="March pulse", now=OPENED, **kwargs)


# The survey's versions -----------------------------------------------------------------------


def test_an_unused_version_is_edited_in_place(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    first = services.survey_update(actor=floor.run, document=THREE_ITEMS, comment="one")
    four = small_survey(*[(f"q{i}", "likert", False) for i in range(1, 5)])
    again = services.survey_update(actor=as_actor(floor.admin), document=four, comment="two")
    assert again.pk == first.pk
    assert (again.number, again.comment, again.author) == (1, "two", floor.admin.user)
    assert SurveyVersion.objects.for_workspace(floor.workspace).count() == 1
    stored = SurveyVersion.objects.for_workspace(floor.workspace).get()
    assert [i["key"] for i in stored.document["items"]] == ["q1", "q2", "q3", "q4"]


def test_a_used_version_is_kept_and_the_edit_makes_the_next(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor(sales=1, marketing=1)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    old = _open(floor)
    assert old.version.number == 1
    services.response_submit(actor=as_actor(floor.sales[0]), pulse_id=old.pk, answers=GOOD,
                             now=OPENED)  # fmt: skip
    four = small_survey(*[(f"n{i}", "likert", False) for i in range(1, 5)])
    second = services.survey_update(actor=floor.run, document=four, comment="reworded")
    assert second.number == 2
    # Editing again before a pulse uses version 2 changes version 2, not a third.
    assert services.survey_update(actor=floor.run, document=four).pk == second.pk
    assert SurveyVersion.objects.for_workspace(floor.workspace).count() == 2
    old.refresh_from_db()
    assert old.version.number == 1
    assert [i.key for i in pulse_result(old).items] == ["q1", "q2", "q3"]
    services.pulse_close(actor=floor.run, pulse_id=old.pk, now=OPENED + dt.timedelta(days=1))
    new = services.pulse_open(actor=floor.run, now=OPENED + dt.timedelta(days=2))
    assert new.version.number == 2
    assert [i.key for i in pulse_result(new).items] == ["n1", "n2", "n3", "n4"]


def test_the_first_pulse_uses_the_default_survey(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor(sales=1)
    pulse = services.pulse_open(actor=floor.run, now=OPENED)
    assert pulse.title == "Alignment pulse March 2026"
    assert (pulse.version.number, pulse.version.comment) == (1, "the default survey")
    assert len(pulse.version.document["items"]) == 35


# Opening a pulse -----------------------------------------------------------------------------


def test_a_pulse_asks_every_sales_and_marketing_member(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor(sales=2, marketing=1)
    ws = floor.workspace
    revops = Team.objects.create(workspace=ws, name="RevOps", kind=TeamKind.REVOPS)
    asked = {
        # team kind first
        floor.person("marketer", floor.sales_team, "marketer-in-sales@acme.example"): "sales",
        floor.person("manager", floor.marketing_team, "lead-of-mkt@acme.example"): "marketing",
        # else role
        floor.person("sdr", None, "sdr@acme.example"): "sales",
        floor.person("sales_rep", revops, "rep-in-revops@acme.example"): "sales",
        floor.person("marketer", None, "solo-marketer@acme.example"): "marketing",
    }
    asked.update(dict.fromkeys(floor.sales, "sales"))
    asked.update(dict.fromkeys(floor.marketing, "marketing"))
    # never asked: admins and viewers (even in a team), managers without one, RevOps managers
    floor.person("admin", floor.sales_team, "admin-in-sales@acme.example")
    floor.person("viewer", floor.marketing_team, "viewer-in-mkt@acme.example")
    floor.person("manager", revops, "revops-boss@acme.example")
    pulse = services.pulse_open(actor=floor.run, title="  Spring pulse  ", days="10",
                                now=OPENED)  # fmt: skip
    assert (pulse.title, pulse.status, pulse.opened_at) == ("Spring pulse", "open", OPENED)
    assert pulse.closes_at == OPENED + dt.timedelta(days=10)
    got = {
        (user, team)
        for user, team, answered in Participation.objects.for_workspace(ws)
        .filter(pulse=pulse)
        .values_list("user_id", "team", "answered")
        if not answered
    }
    assert got == {(m.user_id, team) for m, team in asked.items()}
    assert Participation.objects.for_workspace(ws).filter(pulse=pulse).count() == 8


def test_one_pulse_open_at_a_time_and_days_checked(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor(sales=1)
    for days, message in (
        ("abc", "'abc' is not a whole number of days."),
        (None, "'None' is not a whole number of days."),
        (0, "A pulse stays open 1 to 60 days."),
        (61, "A pulse stays open 1 to 60 days."),
    ):
        with pytest.raises(ValidationFailed) as caught:
            _open(floor, days=days)
        assert caught.value.fields == {"days": [message]}
    assert Pulse.objects.for_workspace(floor.workspace).count() == 0
    assert SurveyVersion.objects.for_workspace(floor.workspace).count() == 0
    first = _open(floor, days=60)
    with pytest.raises(Conflict):
        _open(floor)
    assert Pulse.objects.for_workspace(floor.workspace).count() == 1
    services.pulse_close(actor=floor.run, pulse_id=first.pk, now=OPENED)
    assert _open(floor).pk != first.pk


def test_opening_needs_the_permission_and_someone_to_ask(
    make_floor: Callable[..., Floor],
) -> None:
    floor = make_floor()
    with pytest.raises(Conflict, match="Nobody is in a sales or marketing team"):
        _open(floor)
    floor.add("sales", 1)
    floor.add("marketing", 1)
    for who in (floor.sales[0], floor.marketing[0], floor.viewer):
        with pytest.raises(PermissionDenied):
            services.pulse_open(actor=as_actor(who), now=OPENED)
    assert Pulse.objects.for_workspace(floor.workspace).count() == 0
    assert services.pulse_open(actor=as_actor(floor.admin), now=OPENED).status == "open"


# Answering -----------------------------------------------------------------------------------


@pytest.fixture
def pulse_floor(make_floor: Callable[..., Floor]) -> tuple[Floor, Pulse]:
    floor = make_floor(sales=2, marketing=2)
    services.survey_update(actor=floor.run, document=THREE_ITEMS)
    return floor, _open(floor, days=7)


def test_an_answer_is_anonymous_and_given_once(pulse_floor: tuple[Floor, Pulse]) -> None:
    floor, pulse = pulse_floor
    ws = floor.workspace
    rep = as_actor(floor.sales[1])
    later = OPENED + dt.timedelta(days=3, hours=5)
    asked = Participation.objects.for_workspace(ws).get(user=floor.sales[1].user)
    services.response_submit(actor=rep, pulse_id=pulse.pk, answers={"q1": "4", "q2": 2, "q3": 1},
                             now=later)  # fmt: skip
    response = Response.objects.for_workspace(ws).get()
    assert (response.team, response.answers) == ("sales", GOOD)
    assert response.created_at == pulse.opened_at == OPENED
    # No time of its own anywhere: neither the response nor the participation records when
    # the answer came, so the two cannot be matched by their timestamps.
    assert response.updated_at == OPENED
    participation = Participation.objects.for_workspace(ws).get(pk=asked.pk)
    assert participation.answered
    assert participation.updated_at == asked.updated_at
    assert {f.name for f in Response._meta.get_fields()} == {
        "id", "workspace", "created_at", "updated_at", "pulse", "team", "answers",
    }  # fmt: skip
    answered = Participation.objects.for_workspace(ws).filter(answered=True)
    assert list(answered.values_list("user_id", flat=True)) == [floor.sales[1].user_id]
    with pytest.raises(Conflict, match="already answered"):
        services.response_submit(actor=rep, pulse_id=pulse.pk, answers=GOOD, now=later)
    assert Response.objects.for_workspace(ws).count() == 1


def test_someone_not_asked_cannot_answer(pulse_floor: tuple[Floor, Pulse]) -> None:
    floor, pulse = pulse_floor
    for who in (floor.manager, floor.admin, floor.viewer):
        with pytest.raises(PermissionDenied):
            services.response_submit(actor=as_actor(who), pulse_id=pulse.pk, answers=GOOD,
                                     now=OPENED)  # fmt: skip
    assert Response.objects.for_workspace(floor.workspace).count() == 0


@pytest.mark.parametrize(
    ("answers", "fields"),
    [
        ({"q1": 4, "q2": 2}, {"q3": ["Answer 1 (yes) or 0 (no)."]}),
        ({"q1": 6, "q2": 0, "q3": 2},
         {"q1": ["Answer 1 to 5."], "q2": ["Answer 1 to 5."], "q3": ["Answer 1 (yes) or 0 (no)."]}),
        ({"q1": "four", "q2": True, "q3": ""},
         {"q1": ["Answer 1 to 5."], "q2": ["Answer 1 to 5."], "q3": ["Answer 1 (yes) or 0 (no)."]}),
        ({**GOOD, "q9": 3, "mood": 1}, {"answers": ["Unknown items: mood, q9."]}),
        ([4, 2, 1], {"answers": ["Give the answers as {item key: value}."]}),
    ],
)  # fmt: skip
def test_every_item_needs_a_valid_answer_and_nothing_is_written(
    pulse_floor: tuple[Floor, Pulse], answers: Any, fields: dict[str, list[str]]
) -> None:
    floor, pulse = pulse_floor
    with pytest.raises(ValidationFailed) as caught:
        services.response_submit(actor=as_actor(floor.marketing[0]), pulse_id=pulse.pk,
                                 answers=answers, now=OPENED)  # fmt: skip
    assert caught.value.fields == fields
    assert Response.objects.for_workspace(floor.workspace).count() == 0
    assert not Participation.objects.for_workspace(floor.workspace).filter(answered=True).exists()


def test_a_closed_or_expired_pulse_takes_no_answers(pulse_floor: tuple[Floor, Pulse]) -> None:
    floor, pulse = pulse_floor
    rep = as_actor(floor.sales[0])
    with pytest.raises(Conflict, match="closed"):
        services.response_submit(actor=rep, pulse_id=pulse.pk, answers=GOOD,
                                 now=pulse.closes_at)  # fmt: skip
    services.pulse_close(actor=floor.run, pulse_id=pulse.pk, now=OPENED + dt.timedelta(days=1))
    with pytest.raises(Conflict, match="closed"):
        services.response_submit(actor=rep, pulse_id=pulse.pk, answers=GOOD, now=OPENED)
    assert Response.objects.for_workspace(floor.workspace).count() == 0
    # Closing again changes nothing.
    again = services.pulse_close(actor=floor.run, pulse_id=pulse.pk, now=OPENED + dt.timedelta(5))
    assert again.closed_at == OPENED + dt.timedelta(days=1)


def test_another_workspaces_pulse_is_not_found(
    pulse_floor: tuple[Floor, Pulse], other_workspace: Workspace
) -> None:
    _, pulse = pulse_floor
    stranger = MembershipFactory(workspace=other_workspace, role="sales_rep",
                                 user=UserFactory(email="x@other.example"))  # fmt: skip
    boss = MembershipFactory(workspace=other_workspace, role="manager",
                             user=UserFactory(email="boss@other.example"))  # fmt: skip
    with pytest.raises(NotFound):
        services.response_submit(actor=as_actor(stranger), pulse_id=pulse.pk, answers=GOOD,
                                 now=OPENED)  # fmt: skip
    with pytest.raises(NotFound):
        services.pulse_close(actor=as_actor(boss), pulse_id=pulse.pk)
    pulse.refresh_from_db()
    assert pulse.status == "open"


# Reminders and the worker's pass -------------------------------------------------------------


def test_reminders_go_to_those_who_have_not_answered(pulse_floor: tuple[Floor, Pulse]) -> None:
    floor, pulse = pulse_floor
    for who in (floor.sales[0], floor.marketing[1]):
        services.response_submit(actor=as_actor(who), pulse_id=pulse.pk, answers=GOOD,
                                 now=OPENED)  # fmt: skip
    day = OPENED.date()
    assert services.pulse_remind(pulse, day) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        m.user.email for m in (floor.sales[1], floor.marketing[0])
    )
    assert mail.outbox[0].subject == "Reminder: March pulse"
    assert f"/alignment/survey/{pulse.pk}/" in mail.outbox[0].body
    assert "09 March 2026" in mail.outbox[0].body
    assert services.pulse_remind(pulse, day) == 0  # not twice the same day
    assert services.pulse_remind(pulse, day + dt.timedelta(days=2)) == 0
    assert len(mail.outbox) == 2
    assert services.pulse_remind(pulse, day + dt.timedelta(days=3)) == 2
    assert len(mail.outbox) == 4
    services.pulse_close(actor=floor.run, pulse_id=pulse.pk)
    assert services.pulse_remind(pulse, day + dt.timedelta(days=6)) == 0


def test_the_daily_pass_closes_expired_pulses_and_reminds_the_rest(
    pulse_floor: tuple[Floor, Pulse], other_workspace: Workspace
) -> None:
    _, pulse = pulse_floor
    other = MembershipFactory(workspace=other_workspace, role="manager",
                              user=UserFactory(email="boss@other.example"))  # fmt: skip
    MembershipFactory(workspace=other_workspace, role="marketer",
                      user=UserFactory(email="mo@other.example"))  # fmt: skip
    later = services.pulse_open(actor=as_actor(other), days=30, now=OPENED)
    assert services.pulses_tend(OPENED + dt.timedelta(days=1)) == {"closed": 0, "reminded": 5}
    assert services.pulses_tend(OPENED + dt.timedelta(days=1, hours=3)) == {
        "closed": 0, "reminded": 0,
    }  # fmt: skip
    assert services.pulses_tend(pulse.closes_at) == {"closed": 1, "reminded": 1}
    pulse.refresh_from_db()
    later.refresh_from_db()
    assert (pulse.status, pulse.closed_at) == (PulseStatus.CLOSED, pulse.closes_at)
    assert later.status == PulseStatus.OPEN
    assert len(mail.outbox) == 6


# The index's weighting -----------------------------------------------------------------------


def test_the_weighting_is_versioned(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    ws = floor.workspace.pk
    assert services.current_weights(ws) == (0, DEFAULT_WEIGHTS)
    first = services.weighting_update(
        actor=floor.run, weights={"recognition": 3, "acceptance": "0.5"}, comment="first"
    )
    assert first.number == 1
    assert first.weights == {**dict.fromkeys(COMPONENT_KEYS, 1.0), "recognition": 3.0,
                             "acceptance": 0.5}  # fmt: skip
    second = services.weighting_update(actor=floor.run, weights={"crm_adoption": 0})
    assert second.number == 2
    assert services.current_weights(ws) == (2, {**DEFAULT_WEIGHTS, "crm_adoption": 0.0})


@pytest.mark.parametrize(
    ("weights", "fields"),
    [
        ({"vibes": 2}, ["weights"]),
        ({"recognition": -1}, ["recognition"]),
        ({"recognition": math.nan}, ["recognition"]),
        ({"recognition": "nan"}, ["recognition"]),
        ({"recognition": 101}, ["recognition"]),
        ({"recognition": "lots"}, ["recognition"]),
        (dict.fromkeys(COMPONENT_KEYS, 0), ["weights"]),
        ([1, 2], ["weights"]),
    ],
)
def test_a_bad_weighting_is_refused(
    make_floor: Callable[..., Floor], weights: Any, fields: list[str]
) -> None:
    floor = make_floor()
    with pytest.raises(ValidationFailed) as caught:
        services.weighting_update(actor=floor.run, weights=weights)
    assert list(caught.value.fields) == fields
    assert IndexWeighting.objects.for_workspace(floor.workspace).count() == 0


def test_only_survey_runners_change_the_weighting(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor(sales=1, marketing=1)
    for who in (floor.sales[0], floor.marketing[0], floor.viewer):
        with pytest.raises(PermissionDenied):
            services.weighting_update(actor=as_actor(who), weights={"recognition": 2})
    assert IndexWeighting.objects.for_workspace(floor.workspace).count() == 0


# Marketing reviews a rejected lead's reason ---------------------------------------------------


def _handoff(workspace: Workspace, status: str) -> Handoff:
    return Handoff.objects.create(
        workspace=workspace, contact=ContactFactory(workspace=workspace), chosen_by="test",
        assigned_at=OPENED, status=status,
        decided_at=OPENED + dt.timedelta(hours=1) if status != HandoffStatus.OPEN else None,
    )  # fmt: skip


def test_a_rejection_is_reviewed_once(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor(sales=1, marketing=1)
    rejected = _handoff(floor.workspace, HandoffStatus.REJECTED)
    maya = as_actor(floor.marketing[0])
    at = OPENED + dt.timedelta(hours=10)
    review = services.rejection_review(actor=maya, handoff_id=rejected.pk, note="  fair  ", now=at)
    assert (review.reviewed_by, review.reviewed_at, review.note) == (maya.user, at, "fair")
    again = services.rejection_review(actor=floor.run, handoff_id=rejected.pk, note="other",
                                      now=at + dt.timedelta(days=1))  # fmt: skip
    assert (again.pk, again.reviewed_by, again.reviewed_at, again.note) == (
        review.pk, maya.user, at, "fair",
    )  # fmt: skip
    assert RejectionReview.objects.for_workspace(floor.workspace).count() == 1


def test_only_rejections_and_only_marketing_or_managers_review(
    make_floor: Callable[..., Floor], other_workspace: Workspace
) -> None:
    floor = make_floor(sales=1, marketing=1)
    maya = as_actor(floor.marketing[0])
    for status in (HandoffStatus.OPEN, HandoffStatus.ACCEPTED, HandoffStatus.RECYCLED):
        with pytest.raises(Conflict, match="Only a rejected lead"):
            services.rejection_review(actor=maya, handoff_id=_handoff(floor.workspace, status).pk)
    rejected = _handoff(floor.workspace, HandoffStatus.REJECTED)
    for who in (floor.sales[0], floor.viewer):
        with pytest.raises(PermissionDenied):
            services.rejection_review(actor=as_actor(who), handoff_id=rejected.pk)
    elsewhere = _handoff(other_workspace, HandoffStatus.REJECTED)
    with pytest.raises(NotFound):
        services.rejection_review(actor=maya, handoff_id=elsewhere.pk)
    assert RejectionReview.objects.for_workspace(floor.workspace).count() == 0
    assert RejectionReview.objects.for_workspace(other_workspace).count() == 0
