"""Alignment over the REST API (/api/v1/alignment/...): the survey, a pulse answered by both
teams with the anonymity rule visible in its document, the weighting, the readings, marketing's
review of a rejection, and the errors (400 with fields, 403, 404, 409) with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from accord.alignment.instrument import DEFAULT_ITEMS
from accord.alignment.models import (
    IndexWeighting,
    Participation,
    Pulse,
    RejectionReview,
    Response,
    SurveyVersion,
)
from accord.handoff import dispositions
from accord.handoff.models import Handoff
from accord.handoff.tests.factories import activate_sla, make_mql
from accord.identity.models import Membership, Workspace
from tests.api.conftest import Api, make_token
from tests.handoff_api.conftest import Floor, client, floor

__all__ = ["floor"]

pytestmark = pytest.mark.django_db

SALES_LIKERT = (3, 4, 4, 5, 4)  # item scores 50, 75, 75, 100, 75: mean 75
MARKETING_LIKERT = (2, 2, 1, 3, 2)  # 25, 25, 0, 50, 25: mean 25
MARKETING_YES_NO = (0, 0, 1, 0, 0)  # mean 20
HIDDEN_MARKETING = "fewer than 5 marketing responses: hidden to keep answers anonymous"
HIDDEN_BOTH = "shown once each team that answered has a group of 5"
CUSTOM_SURVEY = {
    "schema_version": 1,
    "items": [
        {"key": "same_goals", "text": "We share goals.", "area": "shared_metrics"},
        {"key": "trust", "text": "I trust the other team.", "area": "trust"},
        {"key": "meet", "text": "We meet every week.", "area": "shared_time", "kind": "yes_no"},
    ],
}


def put(api: Api, path: str, body: Any) -> Any:
    return api.call("PUT", path, body)


def answers(likert: int, yes_no: int) -> dict[str, int]:
    return {i.key: yes_no if i.kind == "yes_no" else likert for i in DEFAULT_ITEMS}


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(member_factory: Any) -> dict[str, Any]:
    """A manager who runs surveys, five sellers, five marketers and a viewer, each with a
    write token."""

    def api(role: str, email: str) -> Api:
        return Api(make_token(member_factory(role, email=email))[1])

    return {
        "boss": api("manager", "boss@acme.example"),
        "viewer": api("viewer", "vic@acme.example"),
        "sales": [api("sales_rep", f"rep{i}@acme.example") for i in range(5)],
        "marketing": [api("marketer", f"mkt{i}@acme.example") for i in range(5)],
    }


def open_pulse(boss: Api, **body: Any) -> dict[str, Any]:
    reply = boss.post("/alignment/pulses", {"title": "Spring pulse", "days": 14, **body})
    assert reply.status == 201, reply.body
    return reply.body  # type: ignore[no-any-return]


def state(pulse_id: int) -> tuple[int, int]:
    """(responses stored, participations marked answered) of a pulse."""
    pulse = Pulse.objects.across_workspaces().get(pk=pulse_id)
    return (
        Response.objects.for_workspace(pulse.workspace_id).filter(pulse=pulse).count(),
        Participation.objects.for_workspace(pulse.workspace_id)
        .filter(pulse=pulse, answered=True)
        .count(),
    )


def score(score: float | None, respondents: int, hidden: str | None = None) -> dict[str, Any]:
    return {"score": score, "respondents": respondents, "hidden": hidden}


# The pulse and its anonymity rule ---------------------------------------------------------------


def test_a_pulse_answered_by_both_teams_shows_a_team_only_from_five(
    people: dict[str, Any],
) -> None:
    boss = people["boss"]
    opened = open_pulse(boss)
    pid = opened["id"]
    assert (opened["title"], opened["status"], opened["survey_version"]) == (
        "Spring pulse",
        "open",
        1,
    )
    assert (opened["asked"], opened["answered"], opened["counted"]) == (
        {"sales": 5, "marketing": 5},
        {"sales": 0, "marketing": 0},
        {"sales": 0, "marketing": 0},
    )
    for seller, value in zip(people["sales"], SALES_LIKERT, strict=True):
        reply = seller.post(f"/alignment/pulses/{pid}/responses", {"answers": answers(value, 1)})
        assert (reply.status, reply.body) == (204, None)
    for marketer, value, yes in zip(
        people["marketing"][:4], MARKETING_LIKERT, MARKETING_YES_NO, strict=False
    ):
        reply = marketer.post(
            f"/alignment/pulses/{pid}/responses", {"answers": answers(value, yes)}
        )
        assert (reply.status, reply.body) == (204, None)

    four = boss.get(f"/alignment/pulses/{pid}")
    assert four.status == 200
    doc = four.body
    assert (doc["answered"], doc["counted"]) == (
        {"sales": 5, "marketing": 4},
        {"sales": 5, "marketing": 0},
    )
    same_goals = next(i for i in doc["items"] if i["key"] == "same_goals")
    assert same_goals["sales"] == score(75.0, 5)
    assert same_goals["marketing"] == score(None, 0, HIDDEN_MARKETING)
    assert same_goals["both"] == score(None, 0, HIDDEN_BOTH)
    assert same_goals["gap"] is None
    time = next(a for a in doc["areas"] if a["area"] == "shared_time")
    # Per seller: three Likert items and two yes/no answered yes, (3 * s + 200) / 5; mean 85.
    assert (time["sales"], time["marketing"], time["both"]) == (
        score(85.0, 5),
        score(None, 0, HIDDEN_MARKETING),
        score(None, 0, HIDDEN_BOTH),
    )
    assert doc["overall"]["marketing"] == score(None, 0, HIDDEN_MARKETING)
    assert doc["overall"]["both"] == score(None, 0, HIDDEN_BOTH)
    # No shown marketing or "both" number anywhere in the document.
    for row in doc["items"] + doc["areas"]:
        assert row["marketing"]["score"] is None and row["both"]["score"] is None

    fifth = people["marketing"][4].post(
        f"/alignment/pulses/{pid}/responses", {"answers": answers(2, 0)}
    )
    assert fifth.status == 204
    doc = boss.get(f"/alignment/pulses/{pid}").body
    assert doc["counted"] == {"sales": 5, "marketing": 5}
    same_goals = next(i for i in doc["items"] if i["key"] == "same_goals")
    assert (same_goals["sales"], same_goals["marketing"], same_goals["both"]) == (
        score(75.0, 5),
        score(25.0, 5),
        score(50.0, 10),
    )
    assert same_goals["gap"]["sales_minus_marketing"] == 50.0
    assert same_goals["gap"]["clear"] is True
    garbage = next(i for i in doc["items"] if i["key"] == "leads_garbage")  # a reverse item
    assert (garbage["sales"]["score"], garbage["marketing"]["score"]) == (25.0, 75.0)
    assert garbage["gap"]["sales_minus_marketing"] == -50.0
    meetings = next(i for i in doc["items"] if i["key"] == "regular_meetings")  # yes/no
    assert (meetings["sales"], meetings["marketing"], meetings["both"]) == (
        score(100.0, 5),
        score(20.0, 5),
        score(60.0, 10),
    )
    time = next(a for a in doc["areas"] if a["area"] == "shared_time")
    # Per marketer: (3 * m + 2 * y) / 5 with mean m 25 and mean y 20: 23.
    assert (time["sales"], time["marketing"], time["both"]) == (
        score(85.0, 5),
        score(23.0, 5),
        score(54.0, 10),
    )

    listed = people["viewer"].get("/alignment/pulses")
    assert listed.status == 200
    assert listed.body["results"] == [
        {
            "id": pid,
            "title": "Spring pulse",
            "status": "open",
            "survey_version": 1,
            "opened_at": opened["opened_at"].replace("+00:00", "Z"),
            "closes_at": opened["closes_at"].replace("+00:00", "Z"),
            "closed_at": None,
            "asked": {"sales": 5, "marketing": 5},
            "answered": {"sales": 5, "marketing": 5},
        }
    ]

    closed = boss.post(f"/alignment/pulses/{pid}/close")
    assert (closed.status, closed.body["status"]) == (200, "closed")
    assert Pulse.objects.across_workspaces().get(pk=pid).closed_at is not None


def test_bad_answers_write_nothing(people: dict[str, Any]) -> None:
    pid = open_pulse(people["boss"])["id"]
    seller = people["sales"][0]
    path = f"/alignment/pulses/{pid}/responses"

    unknown = seller.post(path, {"answers": {**answers(3, 1), "favourite_colour": 3}})
    assert unknown.status == 400
    assert unknown.error["code"] == "validation_error"
    assert unknown.error["message"] == "Every item needs an answer; nothing was saved."
    assert unknown.fields == {"answers": ["Unknown items: favourite_colour."]}

    out_of_range = seller.post(path, {"answers": {**answers(3, 1), "same_goals": 6,
                                                  "regular_meetings": 2}})  # fmt: skip
    assert out_of_range.status == 400
    assert out_of_range.fields == {
        "same_goals": ["Answer 1 to 5."],
        "regular_meetings": ["Answer 1 (yes) or 0 (no)."],
    }

    missing = seller.post(path, {"answers": {"same_goals": 3}})
    assert missing.status == 400
    assert len(missing.fields) == len(DEFAULT_ITEMS) - 1

    not_a_body = seller.post(path, {"answers": [3, 4]})
    assert (not_a_body.status, not_a_body.error["code"]) == (400, "validation_error")
    assert state(pid) == (0, 0)

    assert seller.post(path, {"answers": answers(3, 1)}).status == 204
    twice = seller.post(path, {"answers": answers(5, 1)})
    assert (twice.status, twice.error["code"], twice.error["message"]) == (
        409,
        "conflict",
        "You have already answered this pulse.",
    )
    assert state(pid) == (1, 1)

    assert people["boss"].post(f"/alignment/pulses/{pid}/close").status == 200
    late = people["sales"][1].post(path, {"answers": answers(3, 1)})
    assert (late.status, late.error["message"]) == (409, "This pulse is closed.")
    assert state(pid) == (1, 1)


def test_who_may_open_close_and_answer(people: dict[str, Any]) -> None:
    viewer, seller = people["viewer"], people["sales"][0]
    for caller, role in ((seller, "sales_rep"), (viewer, "viewer")):
        denied = caller.post("/alignment/pulses", {"title": "Mine"})
        assert (denied.status, denied.error["code"], denied.error["message"]) == (
            403,
            "permission_denied",
            f"Your role ({role}) does not allow this action (run_surveys).",
        )
    assert Pulse.objects.across_workspaces().count() == 0

    pid = open_pulse(people["boss"])["id"]
    assert viewer.post(f"/alignment/pulses/{pid}/close").status == 403
    not_asked = viewer.post(f"/alignment/pulses/{pid}/responses", {"answers": answers(3, 1)})
    assert (not_asked.status, not_asked.error["message"]) == (
        403,
        "This pulse asks the sales and marketing teams; you were not asked.",
    )
    assert state(pid) == (0, 0)
    assert Pulse.objects.across_workspaces().get(pk=pid).status == "open"

    again = people["boss"].post("/alignment/pulses", {"title": "Second"})
    assert (again.status, again.error["code"]) == (409, "conflict")
    too_long = people["boss"].post("/alignment/pulses", {"days": 61})
    assert (too_long.status, too_long.fields) == (
        400,
        {"days": ["A pulse stays open 1 to 60 days."]},
    )
    assert Pulse.objects.across_workspaces().count() == 1


def test_another_workspaces_pulse_is_not_found(
    people: dict[str, Any], other_workspace: Workspace, member_factory: Any
) -> None:
    pid = open_pulse(people["boss"])["id"]
    outsider = Api(make_token(member_factory("admin", ws=other_workspace))[1])
    other_rep = Api(make_token(member_factory("sales_rep", ws=other_workspace))[1])
    message = f"No pulse {pid} in this workspace."
    for reply in (
        outsider.get(f"/alignment/pulses/{pid}"),
        outsider.post(f"/alignment/pulses/{pid}/close"),
        other_rep.post(f"/alignment/pulses/{pid}/responses", {"answers": answers(3, 1)}),
    ):
        assert (reply.status, reply.error["code"], reply.error["message"]) == (
            404,
            "not_found",
            message,
        )
    assert outsider.get("/alignment/pulses").body == {"results": []}
    assert state(pid) == (0, 0)
    assert Pulse.objects.across_workspaces().get(pk=pid).status == "open"


# The survey and the weighting -------------------------------------------------------------------


def test_the_survey_default_update_and_new_version_once_used(people: dict[str, Any]) -> None:
    boss, viewer = people["boss"], people["viewer"]
    default = viewer.get("/alignment/survey")
    assert default.status == 200
    assert (default.body["version"], default.body["default"], default.body["comment"]) == (
        None,
        True,
        "",
    )
    assert [i["key"] for i in default.body["document"]["items"]] == [i.key for i in DEFAULT_ITEMS]

    saved = put(boss, "/alignment/survey", {"document": CUSTOM_SURVEY, "comment": "short"})
    assert saved.status == 200, saved.body
    assert (saved.body["version"], saved.body["default"], saved.body["comment"]) == (
        1,
        False,
        "short",
    )
    assert [i["key"] for i in saved.body["document"]["items"]] == ["same_goals", "trust", "meet"]
    assert saved.body["document"]["items"][2] == {
        "key": "meet",
        "text": "We meet every week.",
        "area": "shared_time",
        "kind": "yes_no",
        "reverse": False,
        "origin": "custom",
    }

    # Unused: edited in place. Used by a pulse: a new version.
    assert put(boss, "/alignment/survey", {"document": CUSTOM_SURVEY}).body["version"] == 1
    assert open_pulse(boss)["survey_version"] == 1
    assert put(boss, "/alignment/survey", {"document": CUSTOM_SURVEY}).body["version"] == 2

    bad = put(boss, "/alignment/survey", {"document": {"items": CUSTOM_SURVEY["items"][:2]}})
    assert (bad.status, bad.error["message"]) == (
        400,
        "The survey is not valid; nothing was saved.",
    )
    assert list(bad.fields) == ["items"]
    duplicate = put(boss, "/alignment/survey", {"document": {"items": CUSTOM_SURVEY["items"] * 2}})
    assert duplicate.status == 400
    assert duplicate.fields["items"] == ["Value error, two items share the key 'same_goals'"]
    denied = put(viewer, "/alignment/survey", {"document": CUSTOM_SURVEY})
    assert (denied.status, denied.error["code"]) == (403, "permission_denied")
    assert list(SurveyVersion.objects.across_workspaces().values_list("number", flat=True)
                .order_by("number")) == [1, 2]  # fmt: skip


def test_the_weighting(people: dict[str, Any]) -> None:
    boss, viewer = people["boss"], people["viewer"]
    default = viewer.get("/alignment/weighting")
    assert default.status == 200
    assert default.body["version"] == 0
    assert set(default.body["weights"].values()) == {1.0}
    assert len(default.body["weights"]) == len(default.body["components"]) == 10
    assert default.body["components"][0]["key"] == "crm_adoption"

    saved = put(boss, "/alignment/weighting", {"weights": {"crm_adoption": 2, "recognition": 0}})
    assert saved.status == 200, saved.body
    assert saved.body["version"] == 1
    weights = saved.body["weights"]
    assert (weights["crm_adoption"], weights["recognition"], weights["acceptance"]) == (
        2.0,
        0.0,
        1.0,
    )

    for body, fields in (
        ({"weights": {"nope": 1}}, {"weights": [
            "Unknown components: nope; use: crm_adoption, fresh_records, sla_sales, "
            "sla_marketing, acceptance, feedback_latency, goal_attainment, meeting_cadence, "
            "action_items, recognition."]}),
        ({"weights": {"crm_adoption": -1}}, {"crm_adoption": ["A weight is between 0 and 100."]}),
        ({"weights": {"crm_adoption": "x"}}, {"crm_adoption": ["'x' is not a number."]}),
    ):  # fmt: skip
        bad = put(boss, "/alignment/weighting", body)
        assert (bad.status, bad.fields) == (400, fields)
    denied = put(viewer, "/alignment/weighting", {"weights": {"crm_adoption": 3}})
    assert (denied.status, denied.error["code"]) == (403, "permission_denied")
    assert IndexWeighting.objects.across_workspaces().count() == 1
    assert viewer.get("/alignment/weighting").body["weights"]["crm_adoption"] == 2.0


# The readings -----------------------------------------------------------------------------------


def test_the_index_and_its_period(people: dict[str, Any]) -> None:
    viewer = people["viewer"]
    reply = viewer.get("/alignment/index", start="2025-01-01T00:00:00Z", end="2025-04-01T00:00:00Z")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["start"], body["end"], body["weighting_version"]) == (
        "2025-01-01T00:00:00+00:00",
        "2025-04-01T00:00:00+00:00",
        0,
    )
    assert [c["key"] for c in body["components"]] == [
        "crm_adoption", "fresh_records", "sla_sales", "sla_marketing", "acceptance",
        "feedback_latency", "goal_attainment", "meeting_cadence", "action_items", "recognition",
    ]  # fmt: skip
    assert all(c["weight"] == 1.0 for c in body["components"])
    # A naive time is read as UTC.
    naive = viewer.get("/alignment/index", start="2025-01-01T00:00:00", end="2025-02-01T00:00:00")
    assert (naive.status, naive.body["start"]) == (200, "2025-01-01T00:00:00+00:00")

    garbage = viewer.get("/alignment/index", start="last spring")
    assert (garbage.status, garbage.error["code"], list(garbage.fields)) == (
        400,
        "validation_error",
        ["start"],
    )
    backwards = viewer.get(
        "/alignment/index", start="2025-04-01T00:00:00Z", end="2025-01-01T00:00:00Z"
    )
    assert (backwards.status, backwards.fields) == (400, {"start": ["start must be before end."]})
    too_long = viewer.get(
        "/alignment/index", start="2020-01-01T00:00:00Z", end="2025-01-01T00:00:00Z"
    )
    assert (too_long.status, too_long.fields) == (
        400,
        {"start": ["The period is at most 730 days."]},
    )


def test_the_scorecard_reads_the_pulse(people: dict[str, Any]) -> None:
    boss = people["boss"]
    empty = people["viewer"].get("/alignment/scorecard", days=30)
    assert empty.status == 200, empty.body
    assert (empty.body["pulse"], empty.body["previous_pulse"]) == (None, None)
    assert [a["survey"] for a in empty.body["areas"]] == [None] * 5

    pid = open_pulse(boss)["id"]
    for seller, value in zip(people["sales"], SALES_LIKERT, strict=True):
        seller.post(f"/alignment/pulses/{pid}/responses", {"answers": answers(value, 1)})
    for marketer, value, yes in zip(
        people["marketing"], MARKETING_LIKERT, MARKETING_YES_NO, strict=True
    ):
        marketer.post(f"/alignment/pulses/{pid}/responses", {"answers": answers(value, yes)})
    reply = people["viewer"].get("/alignment/scorecard")
    assert reply.status == 200
    card = reply.body
    assert card["pulse"]["id"] == pid
    time = next(a for a in card["areas"] if a["area"] == "shared_time")
    assert (time["survey"], time["survey_sales"], time["survey_marketing"]) == (54.0, 85.0, 23.0)
    assert time["survey_change"] is None
    assert time["components"] == ["meeting_cadence", "action_items"]
    # Every item's gap is sales 50 points above marketing (reverse items: below), and clear.
    assert {g["gap"]["sales_minus_marketing"] for g in card["perception_gaps"]} <= {
        50.0,
        -50.0,
        80.0,
    }
    assert len(card["perception_gaps"]) > 0
    assert (card["behaviour"]["weighting_version"], len(card["behaviour"]["components"])) == (0, 10)

    bad = people["viewer"].get("/alignment/scorecard", days=0)
    assert (bad.status, list(bad.fields)) == (400, ["days"])
    other = people["viewer"].get("/alignment/scorecard", days="many")
    assert (other.status, other.error["code"]) == (400, "validation_error")


def test_reads_need_credentials() -> None:
    reply = Api(None).get("/alignment/scorecard")
    assert (reply.status, reply.error["code"]) == (401, "unauthenticated")


# The feedback loop ------------------------------------------------------------------------------


def test_marketing_reviews_a_rejected_leads_reason(
    floor: Floor, django_capture_on_commit_callbacks: Any, other_workspace: Workspace,
    member_factory: Any,
) -> None:  # fmt: skip
    activate_sla(floor.floor)
    floor.route_to_rep()
    with django_capture_on_commit_callbacks(execute=True):
        ada = make_mql(floor.floor, "ada@example.org")
        bob = make_mql(floor.floor, "bob@example.org")
    handoffs = Handoff.objects.for_workspace(floor.workspace)
    rejected, pending = handoffs.get(contact=ada), handoffs.get(contact=bob)
    rep: Membership = floor.floor.sellers[0]
    dispositions.handoff_reject(actor=floor.floor.actor(rep), handoff_id=rejected.pk,
                                reason="not_icp", comment="Two-person agency")  # fmt: skip

    denied = floor.rep.post(f"/alignment/rejections/{rejected.pk}/review", {"note": "seen"})
    assert (denied.status, denied.error["message"]) == (
        403,
        "Your role (sales_rep) does not allow this action (dispute_handoffs).",
    )
    outsider = client(member_factory("admin", ws=other_workspace))
    lost = outsider.post(f"/alignment/rejections/{rejected.pk}/review", {})
    assert (lost.status, lost.error["message"]) == (
        404,
        f"No handoff {rejected.pk} in this workspace.",
    )
    undecided = floor.marketer.post(f"/alignment/rejections/{pending.pk}/review", {})
    assert (undecided.status, undecided.error["message"]) == (
        409,
        "Only a rejected lead's reason is reviewed.",
    )
    assert RejectionReview.objects.across_workspaces().count() == 0

    reviewed = floor.marketer.post(
        f"/alignment/rejections/{rejected.pk}/review", {"note": "Fair: tighten fit"}
    )
    assert reviewed.status == 200, reviewed.body
    assert (
        reviewed.body["handoff_id"],
        reviewed.body["reviewed_by_id"],
        reviewed.body["note"],
    ) == (
        rejected.pk,
        floor.floor.marketer.user_id,
        "Fair: tighten fit",
    )
    again = floor.marketing_manager.post(f"/alignment/rejections/{rejected.pk}/review", raw="")
    assert again.status == 200
    assert (again.body["reviewed_by_id"], again.body["note"], again.body["reviewed_at"]) == (
        floor.floor.marketer.user_id,
        "Fair: tighten fit",
        reviewed.body["reviewed_at"],
    )
    assert RejectionReview.objects.across_workspaces().count() == 1
