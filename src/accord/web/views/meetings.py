"""Joint meetings: the index (cadence with its form, upcoming and past meetings, the open action
items across meetings, the user's reminders) and a meeting's page (its generated agenda with
sections and links, notes, decisions, action items with buttons to complete or drop them, and
"Generate agenda" / "Mark held"). Every member reads; the services decide who may change what
(`meetings.permissions`): a refused change is a 403 page, bad input a 400 with the fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.identity.models import Membership, Workspace
from accord.identity.permissions import Action
from accord.meetings import services
from accord.meetings.models import Meeting, Weekday
from accord.meetings.permissions import PARTICIPANTS, can_organise, can_participate
from accord.meetings.reminders import reminders_for
from accord.meetings.schedule import local_day
from accord.meetings.selectors import (
    cadence_of,
    meeting_get,
    meeting_items,
    open_items,
    past_meetings,
    upcoming_meetings,
)
from accord.web.views.access import member_view, web_actor

CADENCE_FIELDS = ("title", "every_weeks", "weekday", "local_time", "time_zone",
                  "duration_minutes", "starts_on")  # fmt: skip
ACTION_FIELDS = ("title", "owner_id", "due_on")


def _members(workspace: Workspace) -> list[tuple[int, str]]:
    """Who may own an action item: the teams' members (a viewer could not complete it)."""
    return [
        (m.user_id, m.user.display_name)
        for m in Membership.objects.for_workspace(workspace)
        .filter(role__in=PARTICIPANTS)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ]


def _errors(exc: ValidationFailed) -> dict[str, list[str]]:
    return exc.fields or {"__all__": [exc.message]}


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def meeting_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    actor = web_actor(membership)
    cadence = cadence_of(workspace)
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {}
    if cadence is not None:
        form = {"title": cadence.title, "every_weeks": cadence.every_weeks,
                "weekday": cadence.weekday, "local_time": f"{cadence.local_time:%H:%M}",
                "time_zone": cadence.time_zone, "duration_minutes": cadence.duration_minutes,
                "starts_on": cadence.starts_on.isoformat()}  # fmt: skip
    else:
        form = {"title": "Weekly revenue sync", "every_weeks": 1, "weekday": 0,
                "local_time": "10:00", "time_zone": workspace.timezone, "duration_minutes": 45,
                "starts_on": ""}  # fmt: skip
    if request.method == "POST":
        what = request.POST.get("what", "")
        try:
            if what == "cadence":
                form = {name: request.POST.get(name, "") for name in CADENCE_FIELDS}
                services.cadence_set(actor=actor, values=form)
                messages.success(request, "Cadence saved.")
            elif what == "schedule":
                when = request.POST.get("scheduled_at", "")
                meeting = services.meeting_schedule(
                    actor=actor, values={"scheduled_at": when} if when else {}
                )
                messages.success(request, "Meeting scheduled; its agenda is generated.")
                return redirect("web:meeting", pk=meeting.pk)
            else:
                raise NotFound(f"No form '{what}'.")
        except ValidationFailed as exc:
            errors = _errors(exc)
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            return redirect("web:meetings")
    now = timezone.now()
    return render(
        request,
        "web/meetings/index.html",
        {
            "cadence": cadence,
            "form": form,
            "errors": errors,
            "weekdays": Weekday.choices,
            "upcoming": list(upcoming_meetings(workspace, now)),
            "past": list(past_meetings(workspace, now)[:20]),
            "open_items": list(open_items(workspace)),
            "today": local_day(now, workspace.pk),
            "reminders": reminders_for(workspace.pk, membership.user_id),
            "can_organise": can_organise(actor),
        },
        status=400 if errors else 200,
    )


# What each agenda section's count counts (its items may be more: every rejection reason is
# listed beside the spikes, carried-over action items beside the overdue ones).
COUNTED = {
    "sla_breaches": "to act on",
    "rejection_spikes": "spikes",
    "goal_pacing": "behind",
    "experiments_concluded": "concluded",
    "awaiting_approval": "waiting",
    "action_items": "overdue",
}


def _sections(agenda: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**section, "counted": COUNTED.get(section.get("key", ""), "")}
        for section in agenda.get("sections", [])
    ]


def _window(agenda: dict[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        return (
            dt.datetime.fromisoformat(agenda["since"]),
            dt.datetime.fromisoformat(agenda["until"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _detail(
    request: HttpRequest, membership: Membership, meeting: Meeting,
    errors: dict[str, list[str]] | None = None, form: dict[str, Any] | None = None,
) -> HttpResponse:  # fmt: skip
    actor = web_actor(membership)
    return render(
        request,
        "web/meetings/detail.html",
        {
            "meeting": meeting,
            "sections": _sections(meeting.agenda or {}),
            "window": _window(meeting.agenda or {}),
            "decisions": list(meeting.decisions.select_related("decided_by")),
            "items": list(meeting_items(meeting)),
            "members": _members(membership.workspace),
            "today": local_day(timezone.now(), membership.workspace_id),
            "can_take_part": can_participate(actor),
            "can_organise": can_organise(actor),
            "errors": errors or {},
            "form": form or {},
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET"])
@member_view()
def meeting_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _detail(request, membership, meeting_get(membership.workspace, pk))


def _agenda(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    services.agenda_generate(actor=web_actor(membership), meeting_id=meeting.pk)
    return "Agenda generated."


def _hold(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    services.meeting_hold(actor=web_actor(membership), meeting_id=meeting.pk)
    return "Meeting marked held: its agenda is frozen and open items carry over."


def _cancel(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    services.meeting_cancel(actor=web_actor(membership), meeting_id=meeting.pk)
    return "Meeting cancelled."


def _notes(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    services.notes_save(actor=web_actor(membership), meeting_id=meeting.pk,
                        notes=request.POST.get("notes", ""))  # fmt: skip
    return "Notes saved."


def _decision(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    services.decision_add(actor=web_actor(membership), meeting_id=meeting.pk,
                          text=request.POST.get("text", ""))  # fmt: skip
    return "Decision recorded."


def _action(request: HttpRequest, membership: Membership, meeting: Meeting) -> str:
    values = {name: request.POST.get(name, "") for name in ACTION_FIELDS}
    services.action_add(actor=web_actor(membership), values=values | {"meeting_id": meeting.pk})
    return "Action item added."


MEETING_ACTIONS: dict[str, Callable[[HttpRequest, Membership, Meeting], str]] = {
    "agenda": _agenda, "hold": _hold, "cancel": _cancel, "notes": _notes,
    "decision": _decision, "action": _action,
}  # fmt: skip


@require_POST
@member_view(post_requires=Action.WRITE_RECORDS)
def meeting_action(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    meeting = meeting_get(membership.workspace, pk)
    handler = MEETING_ACTIONS.get(action)
    if handler is None:
        raise NotFound(f"No action '{action}'.")
    try:
        messages.success(request, handler(request, membership, meeting))
    except ValidationFailed as exc:
        form = {name: request.POST.get(name, "") for name in (*ACTION_FIELDS, "text", "notes")}
        return _detail(request, membership, meeting, errors=_errors(exc), form=form)
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("web:meeting", pk=meeting.pk)


@require_POST
@member_view(post_requires=Action.WRITE_RECORDS)
def action_item_change(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    actor = web_actor(membership)
    try:
        if action == "done":
            item = services.action_complete(actor=actor, item_id=pk)
            messages.success(request, f"Done: {item.title}.")
        elif action == "drop":
            item = services.action_drop(actor=actor, item_id=pk)
            messages.success(request, f"Dropped: {item.title}.")
        elif action == "reassign":
            values = {k: request.POST.get(k, "") for k in ("owner_id", "due_on")}
            item = services.action_reassign(actor=actor, item_id=pk, values=values)
            messages.success(request, f"Reassigned: {item.title}.")
        else:
            raise NotFound(f"No action '{action}'.")
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next", "")
    if back.startswith("/meetings/") and "//" not in back:
        return redirect(back)
    return redirect("web:meetings")
