"""REST endpoints of alignment: the scorecard, the behavioural index, the survey and its pulses
(answered anonymously), the index's weighting, and marketing's review of a rejected lead's
reason. The documents are `alignment.presentation`'s, the same the CLI prints as JSON.

Every read needs the READ permission; the services check each write's own permission."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.alignment import services
from accord.alignment.behaviour import behaviour_index
from accord.alignment.behaviour_weights import COMPONENTS
from accord.alignment.instrument import DEFAULT_INSTRUMENT
from accord.alignment.models import Participation
from accord.alignment.presentation import index_document, pulse_document, scorecard_document
from accord.alignment.scorecard import DEFAULT_DAYS, scorecard
from accord.alignment.survey_results import TEAMS, pulse_result, pulses
from accord.api.auth import request_actor
from accord.api.schemas import InSchema, RecordId, ResultList, aware
from accord.core.errors import ValidationFailed
from accord.core.periods import last_days
from accord.identity.actor import Actor
from accord.identity.permissions import Action

router = Router(tags=["alignment"])
MAX_DAYS = 730


def _reader(request: HttpRequest) -> Actor:
    actor = request_actor(request)
    actor.require(Action.READ)
    return actor


# Readings -------------------------------------------------------------------------------------


class ScorecardParams(Schema):
    days: int = Field(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="The behaviour's period.")


@router.get("/alignment/scorecard")
def get_alignment_scorecard(request: HttpRequest, params: Query[ScorecardParams]) -> dict[str, Any]:
    """The survey's reading and the records' side by side per area, weakest first, with
    practices for the weak areas, the clear perception gaps and the change since the last
    pulse."""
    actor = _reader(request)
    return scorecard_document(scorecard(actor.workspace.pk, days=params.days))


class IndexParams(Schema):
    start: dt.datetime | None = Field(
        None,
        description=f"Inclusive, with a UTC offset; default {DEFAULT_DAYS} days before end, "
        f"or with neither bound the last {DEFAULT_DAYS} whole UTC days, today included.",
    )
    end: dt.datetime | None = Field(None, description="Exclusive, with a UTC offset; default now.")


@router.get("/alignment/index")
def get_alignment_index(request: HttpRequest, params: Query[IndexParams]) -> dict[str, Any]:
    """The behavioural alignment index over [start, end): each component's score, the numbers
    behind it, its weight and its change against the period before."""
    actor = _reader(request)
    start, end = aware(params.start, "start"), aware(params.end, "end")
    if start is None and end is None:
        start, end = last_days(DEFAULT_DAYS)  # the dashboard's "last 90 days"
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise ValidationFailed.single("start", "start must be before end.")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise ValidationFailed.single("start", f"The period is at most {MAX_DAYS} days.")
    return index_document(behaviour_index(actor.workspace.pk, start, end))


# The survey -----------------------------------------------------------------------------------


class SurveyOut(Schema):
    version: int | None = Field(description="null: no survey saved yet, the default applies.")
    default: bool
    comment: str
    document: dict[str, Any]


class SurveyIn(InSchema):
    document: dict[str, Any] = Field(description="{schema_version: 1, items: [...]}.")
    comment: str = Field("", max_length=300)


def _survey_out(workspace_id: int) -> dict[str, Any]:
    version = services.latest_version(workspace_id)
    if version is None:
        return {"version": None, "default": True, "comment": "",
                "document": DEFAULT_INSTRUMENT.model_dump(mode="json")}  # fmt: skip
    return {"version": version.number, "default": False, "comment": version.comment,
            "document": version.document}  # fmt: skip


@router.get("/alignment/survey", response=SurveyOut)
def get_alignment_survey(request: HttpRequest) -> dict[str, Any]:
    """The current survey, or the default one while none is saved."""
    return _survey_out(_reader(request).workspace.pk)


@router.put("/alignment/survey", response=SurveyOut)
def update_alignment_survey(request: HttpRequest, payload: SurveyIn) -> dict[str, Any]:
    """Save the survey: in place while no pulse has used the latest version, else as a new
    version (results keep the version they were answered on)."""
    actor = request_actor(request)
    services.survey_update(actor=actor, document=payload.document, comment=payload.comment)
    return _survey_out(actor.workspace.pk)


# Pulses ---------------------------------------------------------------------------------------


class PulseOut(Schema):
    id: int
    title: str
    status: str
    survey_version: int
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    asked: dict[str, int]
    answered: dict[str, int]


def _counts(workspace_id: int) -> dict[int, dict[str, dict[str, int]]]:
    """Per pulse: people asked and answered per team, in one query."""
    rows = (
        Participation.objects.for_workspace(workspace_id)
        .values("pulse_id", "team")
        .annotate(asked=Count("pk"), answered=Count("pk", filter=Q(answered=True)))
    )
    counts: dict[int, dict[str, dict[str, int]]] = {}
    for row in rows:
        entry = counts.setdefault(
            row["pulse_id"], {"asked": dict.fromkeys(TEAMS, 0), "answered": dict.fromkeys(TEAMS, 0)}
        )
        entry["asked"][row["team"]] = row["asked"]
        entry["answered"][row["team"]] = row["answered"]
    return counts


@router.get("/alignment/pulses", response=ResultList[PulseOut])
def list_alignment_pulses(request: HttpRequest) -> dict[str, Any]:
    """The workspace's pulses, newest first."""
    ws = _reader(request).workspace.pk
    counts = _counts(ws)
    empty = {"asked": dict.fromkeys(TEAMS, 0), "answered": dict.fromkeys(TEAMS, 0)}
    return {
        "results": [
            {"id": p.pk, "title": p.title, "status": p.status, "survey_version": p.version.number,
             "opened_at": p.opened_at, "closes_at": p.closes_at, "closed_at": p.closed_at,
             **counts.get(p.pk, empty)}
            for p in pulses(ws)
        ]
    }  # fmt: skip


class PulseIn(InSchema):
    title: str = Field("", max_length=120)
    days: int = Field(14, description=f"How long it stays open, 1 to {services.MAX_PULSE_DAYS}.")


def _pulse_document(workspace_id: int, pulse_id: int) -> dict[str, Any]:
    return pulse_document(pulse_result(services.pulse_for(workspace_id, pulse_id)))


@router.post("/alignment/pulses", response={201: dict[str, Any]})
def open_alignment_pulse(request: HttpRequest, payload: PulseIn) -> Status[Any]:
    """Open a pulse of the current survey to every member of the sales and marketing teams
    (one pulse open at a time)."""
    actor = request_actor(request)
    pulse = services.pulse_open(actor=actor, title=payload.title, days=payload.days)
    return Status(201, _pulse_document(actor.workspace.pk, pulse.pk))


@router.get("/alignment/pulses/{pulse_id}")
def get_alignment_pulse(request: HttpRequest, pulse_id: RecordId) -> dict[str, Any]:
    """A pulse's results per item, area and team. No score rests on fewer than five
    respondents: a smaller team's scores, and "both" while one team is hidden, are null with
    the reason."""
    return _pulse_document(_reader(request).workspace.pk, pulse_id)


@router.post("/alignment/pulses/{pulse_id}/close")
def close_alignment_pulse(request: HttpRequest, pulse_id: RecordId) -> dict[str, Any]:
    actor = request_actor(request)
    services.pulse_close(actor=actor, pulse_id=pulse_id)
    return _pulse_document(actor.workspace.pk, pulse_id)


class ResponseIn(InSchema):
    answers: dict[str, Any] = Field(
        description="{item key: value}: every item, Likert 1 to 5, yes/no 1 or 0."
    )


@router.post("/alignment/pulses/{pulse_id}/responses", response={204: None})
def answer_alignment_pulse(
    request: HttpRequest, pulse_id: RecordId, payload: ResponseIn
) -> Status[None]:
    """Answer a pulse you were asked in, once. The answer is stored with your team only;
    the reply has no body, so nothing in it links you to your answers."""
    services.response_submit(actor=request_actor(request), pulse_id=pulse_id,
                             answers=payload.answers)  # fmt: skip
    return Status(204, None)


# The behavioural index's weighting ------------------------------------------------------------


class WeightingOut(Schema):
    version: int = Field(description="0: the default weighting.")
    weights: dict[str, float]
    components: list[dict[str, str]]


class WeightingIn(InSchema):
    weights: dict[str, Any] = Field(description="{component key: weight 0 to 100}.")
    comment: str = Field("", max_length=300)


def _weighting_out(workspace_id: int) -> dict[str, Any]:
    version, weights = services.current_weights(workspace_id)
    return {
        "version": version,
        "weights": weights,
        "components": [
            {"key": c.key, "title": c.title, "area": c.area, "definition": c.definition}
            for c in COMPONENTS
        ],
    }


@router.get("/alignment/weighting", response=WeightingOut)
def get_alignment_weighting(request: HttpRequest) -> dict[str, Any]:
    return _weighting_out(_reader(request).workspace.pk)


@router.put("/alignment/weighting", response=WeightingOut)
def update_alignment_weighting(request: HttpRequest, payload: WeightingIn) -> dict[str, Any]:
    """A new version of the weights; a component left out keeps the default weight 1."""
    actor = request_actor(request)
    services.weighting_update(actor=actor, weights=payload.weights, comment=payload.comment)
    return _weighting_out(actor.workspace.pk)


# The feedback loop ----------------------------------------------------------------------------


class ReviewIn(InSchema):
    note: str = Field("", max_length=500)


class ReviewOut(Schema):
    handoff_id: int
    reviewed_by_id: int | None
    reviewed_at: dt.datetime
    note: str


@router.post("/alignment/rejections/{handoff_id}/review", response=ReviewOut)
def review_rejection(
    request: HttpRequest, handoff_id: RecordId, payload: ReviewIn | None = None
) -> dict[str, Any]:
    """Marketing has read why sales rejected this lead (once; a second review changes
    nothing): the end of the feedback loop the index measures."""
    review = services.rejection_review(actor=request_actor(request), handoff_id=handoff_id,
                                       note=payload.note if payload else "")  # fmt: skip
    return {"handoff_id": review.handoff_id, "reviewed_by_id": review.reviewed_by_id,
            "reviewed_at": review.reviewed_at, "note": review.note}  # fmt: skip
