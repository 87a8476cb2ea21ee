"""The alignment survey's write path: edit the survey (a new version once a pulse used it), open
a pulse to both teams, answer it (once, anonymously), remind, close; version the behavioural
index's weights; and mark a rejected lead's reason as reviewed by marketing.

Admins and managers run surveys (permission `run_surveys`); every member of a sales or
marketing team is asked and answers. Bad input writes nothing and names each field.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import ValidationError

from accord.alignment.behaviour_weights import DEFAULT_WEIGHTS, validate_weights
from accord.alignment.instrument import DEFAULT_INSTRUMENT, Instrument, valid_answer
from accord.alignment.models import (
    IndexWeighting,
    Participation,
    Pulse,
    PulseStatus,
    RejectionReview,
    Response,
    SurveyTeam,
    SurveyVersion,
)
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.handoff.models import Handoff, HandoffStatus
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role, TeamKind
from accord.identity.permissions import Action

logger = logging.getLogger(__name__)
MAX_PULSE_DAYS = 60
REMIND_EVERY = dt.timedelta(days=3)


# The survey ---------------------------------------------------------------------------------


def latest_version(workspace_id: int) -> SurveyVersion | None:
    return SurveyVersion.objects.for_workspace(workspace_id).order_by("-number").first()


def version_used(version: SurveyVersion) -> bool:
    """Whether a pulse ran this version (it is then fixed: an edit makes a new one)."""
    return Pulse.objects.for_workspace(version.workspace_id).filter(version=version).exists()


def _instrument(document: Any) -> Instrument:
    try:
        return Instrument.model_validate(document)
    except ValidationError as error:
        fields: dict[str, list[str]] = {}
        for e in error.errors():
            where = ".".join(str(p) for p in e["loc"]) or "document"
            fields.setdefault(where, []).append(e["msg"])
        message = "The survey is not valid; nothing was saved."
        raise ValidationFailed(message, fields=fields) from None


@transaction.atomic
def survey_update(*, actor: Actor, document: Any, comment: str = "") -> SurveyVersion:
    """Save the survey: in place while no pulse has used the latest version, else as a new
    version (old results keep theirs)."""
    actor.require(Action.RUN_SURVEYS)
    instrument = _instrument(document)
    ws = actor.workspace.pk
    latest = latest_version(ws)
    data = instrument.model_dump(mode="json")
    fields = ["number", "document", "comment"]
    if latest is not None and not version_used(latest):
        before = audit.snapshot(latest, fields)
        latest.document, latest.comment, latest.author = data, comment[:300], actor.user
        latest.save(update_fields=["document", "comment", "author", "updated_at"])
        old, new = audit.changes(before, audit.snapshot(latest, fields))
        if new:
            audit.record(actor, "survey.edited", latest, before=old, after=new)
        return latest
    version = SurveyVersion.objects.create(
        workspace_id=ws, number=(latest.number + 1) if latest else 1, document=data,
        author=actor.user, comment=comment[:300],
    )  # fmt: skip
    audit.record(actor, "survey.version_created", version, after=audit.snapshot(version, fields))
    return version


def _current_version(actor: Actor) -> SurveyVersion:
    latest = latest_version(actor.workspace.pk)
    if latest is not None:
        return latest
    return SurveyVersion.objects.create(
        workspace_id=actor.workspace.pk, number=1, author=actor.user, comment="the default survey",
        document=DEFAULT_INSTRUMENT.model_dump(mode="json"),
    )  # fmt: skip


# Pulses -------------------------------------------------------------------------------------


def survey_team(membership: Membership) -> str | None:
    """The side a member answers for: their team's kind, else their role's (reps and SDRs are
    sales, marketers marketing); admins, viewers and RevOps are not asked."""
    if membership.role in (Role.ADMIN, Role.VIEWER):
        return None
    kind = membership.team.kind if membership.team_id and membership.team else None
    if kind in (TeamKind.SALES, TeamKind.MARKETING):
        return str(kind)
    if membership.role in (Role.SALES_REP, Role.SDR):
        return SurveyTeam.SALES
    if membership.role == Role.MARKETER:
        return SurveyTeam.MARKETING
    return None


@transaction.atomic
def pulse_open(*, actor: Actor, title: str = "", days: Any = 14,
               now: dt.datetime | None = None) -> Pulse:  # fmt: skip
    """Open a pulse of the current survey to every member of both teams."""
    actor.require(Action.RUN_SURVEYS)
    ws = actor.workspace.pk
    try:
        length = int(days)
    except (TypeError, ValueError):
        raise ValidationFailed.single("days", f"'{days}' is not a whole number of days.") from None
    if not 1 <= length <= MAX_PULSE_DAYS:
        raise ValidationFailed.single("days", f"A pulse stays open 1 to {MAX_PULSE_DAYS} days.")
    if Pulse.objects.for_workspace(ws).select_for_update().filter(status=PulseStatus.OPEN).exists():
        raise Conflict("A pulse is already open; close it before opening another.")
    members = Membership.objects.for_workspace(ws).select_related("team", "user")
    asked = [(m.user_id, team) for m in members if (team := survey_team(m)) is not None]
    if not asked:
        raise Conflict("Nobody is in a sales or marketing team to ask.")
    at = now or timezone.now()
    name = (title or "").strip()[:120] or f"Alignment pulse {at:%B %Y}"
    pulse = Pulse.objects.create(
        workspace_id=ws, title=name, version=_current_version(actor), opened_at=at,
        closes_at=at + dt.timedelta(days=length),
    )  # fmt: skip
    Participation.objects.bulk_create(
        Participation(workspace_id=ws, pulse=pulse, user_id=user, team=team)
        for user, team in sorted(asked)  # by user, not by anything about answering
    )
    after = {**audit.snapshot(pulse, PULSE_FIELDS), "asked": len(asked)}
    audit.record(actor, "pulse.opened", pulse, after=after)
    return pulse


PULSE_FIELDS = ["title", "version", "opened_at", "closes_at"]


def pulse_for(workspace_id: int, pulse_id: int) -> Pulse:
    try:
        return Pulse.objects.for_workspace(workspace_id).select_related("version").get(pk=pulse_id)
    except Pulse.DoesNotExist:
        raise NotFound(f"No pulse {pulse_id} in this workspace.") from None


def _answers(instrument: Instrument, answers: Any) -> dict[str, int]:
    if not isinstance(answers, Mapping):
        raise ValidationFailed.single("answers", "Give the answers as {item key: value}.")
    fields: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for item in instrument.items:
        raw = answers.get(item.key)
        try:
            value = int(raw) if raw not in (None, "") and not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None or not valid_answer(item, value):
            allowed = "1 (yes) or 0 (no)" if item.kind == "yes_no" else "1 to 5"
            fields[item.key] = [f"Answer {allowed}."]
        else:
            clean[item.key] = value
    unknown = sorted(set(answers) - {i.key for i in instrument.items})
    if unknown:
        fields["answers"] = [f"Unknown items: {', '.join(map(str, unknown))}."]
    if fields:
        raise ValidationFailed("Every item needs an answer; nothing was saved.", fields=fields)
    return clean


@transaction.atomic
def response_submit(*, actor: Actor, pulse_id: int, answers: Any,
                    now: dt.datetime | None = None) -> None:  # fmt: skip
    """Answer a pulse, once. The response keeps the team and the answers, nothing of who."""
    if actor.user is None:
        raise PermissionDenied("Only a person answers the survey.")
    pulse = pulse_for(actor.workspace.pk, pulse_id)
    at = now or timezone.now()
    if pulse.status != PulseStatus.OPEN or at >= pulse.closes_at:
        raise Conflict("This pulse is closed.")
    participation = (
        Participation.objects.for_workspace(actor.workspace.pk)
        .select_for_update()
        .filter(pulse=pulse, user=actor.user)
        .first()
    )
    if participation is None:
        raise PermissionDenied("This pulse asks the sales and marketing teams; you were not asked.")
    if participation.answered:
        raise Conflict("You have already answered this pulse.")
    clean = _answers(Instrument.model_validate(pulse.version.document), answers)
    # Neither row keeps the time of answering (auto_now would stamp updated_at with it, and
    # the two rows could then be matched): the participation's updated_at is left as it was
    # (a queryset update skips auto_now), the response's set to the pulse's opening.
    ws = actor.workspace.pk
    Participation.objects.for_workspace(ws).filter(pk=participation.pk).update(answered=True)
    response = Response.objects.create(workspace_id=ws, pulse=pulse, team=participation.team,
                                       answers=clean, created_at=pulse.opened_at)  # fmt: skip
    Response.objects.for_workspace(ws).filter(pk=response.pk).update(updated_at=pulse.opened_at)


@transaction.atomic
def pulse_close(*, actor: Actor, pulse_id: int, now: dt.datetime | None = None) -> Pulse:
    actor.require(Action.RUN_SURVEYS)
    pulse_for(actor.workspace.pk, pulse_id)  # NotFound before taking any lock
    # Locked: two closes at once (a person and the schedule) close it, and log it, once.
    pulse = Pulse.objects.for_workspace(actor.workspace.pk).select_for_update().get(pk=pulse_id)
    if pulse.status == PulseStatus.CLOSED:
        return pulse
    pulse.status, pulse.closed_at = PulseStatus.CLOSED, now or timezone.now()
    pulse.save(update_fields=["status", "closed_at", "updated_at"])
    after = audit.snapshot(pulse, ["status", "closed_at"])
    audit.record(actor, "pulse.closed", pulse, before={"status": "open"}, after=after)
    return pulse


@transaction.atomic
def pulse_export_record(*, actor: Actor, pulse: Pulse) -> None:
    """A pulse's results downloaded as CSV: an export, in the audit log like every export."""
    after = {"list": "pulse results", "filters": {"pulse_id": pulse.pk}}
    audit.record(actor, "export.requested", pulse, after=after)


def pulse_remind(pulse: Pulse, today: dt.date) -> int:
    """Email the members who have not answered, at most every three days (and never twice
    the same day, however often the worker runs). Returns the reminders sent."""
    with transaction.atomic():
        pulses = Pulse.objects.for_workspace(pulse.workspace_id).select_for_update()
        locked = pulses.get(pk=pulse.pk)
        last = locked.last_reminder_on
        if locked.status != PulseStatus.OPEN or (last and today - last < REMIND_EVERY):
            return 0
        locked.last_reminder_on = today
        locked.save(update_fields=["last_reminder_on", "updated_at"])
        waiting = list(
            Participation.objects.for_workspace(pulse.workspace_id)
            .filter(pulse=locked, answered=False)
            .values_list("user__email", flat=True)
        )
    sent = 0
    for email in filter(None, waiting):
        try:
            send_mail(
                f"Reminder: {locked.title}",
                "Both teams are asked how well sales and marketing work together. Your answers "
                f"are anonymous. The pulse closes on {locked.closes_at:%d %B %Y}.\n\n"
                f"Answer it in Accord: Alignment, then Survey (/alignment/survey/{locked.pk}/).",
                None,
                [email],
            )
        except (OSError, smtplib.SMTPException):
            # One unreachable address must not stop the others; the banner still reminds.
            logger.warning("survey reminder to %s failed", email, exc_info=True)
        else:
            sent += 1
    return sent


def pulses_tend(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's daily pass: close pulses past their end, remind the others."""
    at = now or timezone.now()
    closed = reminded = 0
    for pulse in Pulse.objects.across_workspaces().filter(status=PulseStatus.OPEN):
        if at >= pulse.closes_at:
            with transaction.atomic():
                done = Pulse.objects.for_workspace(pulse.workspace_id).filter(
                    pk=pulse.pk, status=PulseStatus.OPEN
                )
                if not done.update(status=PulseStatus.CLOSED, closed_at=pulse.closes_at):
                    continue  # closed meanwhile, by a person or another pass
                audit.record(
                    Actor.system(pulse.workspace, rule="pulse schedule"),
                    "pulse.closed",
                    pulse,
                    before={"status": "open"},
                    after={"status": "closed", "closed_at": pulse.closes_at},
                )
            closed += 1
        else:
            reminded += pulse_remind(pulse, at.date())
    return {"closed": closed, "reminded": reminded}


# The behavioural index's weights ----------------------------------------------------------


@transaction.atomic
def weighting_update(*, actor: Actor, weights: Any, comment: str = "") -> IndexWeighting:
    actor.require(Action.RUN_SURVEYS)
    clean = validate_weights(weights)
    ws = actor.workspace.pk
    last = IndexWeighting.objects.for_workspace(ws).aggregate(n=Max("number"))["n"] or 0
    weighting = IndexWeighting.objects.create(workspace_id=ws, number=last + 1, weights=clean,
                                              author=actor.user, comment=comment[:300])  # fmt: skip
    after = audit.snapshot(weighting, ["number", "weights", "comment"])
    audit.record(actor, "index_weighting.created", weighting, after=after)
    return weighting


def current_weights(workspace_id: int) -> tuple[int, dict[str, float]]:
    """(version, weights); version 0 is the default weighting."""
    latest = IndexWeighting.objects.for_workspace(workspace_id).order_by("-number").first()
    return (latest.number, dict(latest.weights)) if latest else (0, dict(DEFAULT_WEIGHTS))


# The feedback loop ------------------------------------------------------------------------


@transaction.atomic
def rejection_review(*, actor: Actor, handoff_id: int, note: str = "",
                     now: dt.datetime | None = None) -> RejectionReview:  # fmt: skip
    """Marketing has read why sales rejected a lead (once; a second review changes nothing)."""
    actor.require(Action.DISPUTE_HANDOFFS)
    ws = actor.workspace.pk
    handoff = Handoff.objects.for_workspace(ws).filter(pk=handoff_id).first()
    if handoff is None:
        raise NotFound(f"No handoff {handoff_id} in this workspace.")
    if handoff.status != HandoffStatus.REJECTED:
        raise Conflict("Only a rejected lead's reason is reviewed.")
    review, _ = RejectionReview.objects.for_workspace(ws).get_or_create(
        handoff=handoff,
        defaults={"workspace_id": ws, "reviewed_by": actor.user, "note": note.strip()[:500],
                  "reviewed_at": now or timezone.now()},
    )  # fmt: skip
    return review
