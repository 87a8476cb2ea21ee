"""The marketing calendar sales can see: the coming weeks as an agenda, each entry with its
expected leads and MQLs (stated, or estimated with the lead-to-MQL rate shown on the page),
the capacity table (expected MQLs per seller per ISO week, weeks over capacity flagged), and
the add / edit form for marketers and managers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accord.core.errors import ValidationFailed
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.marketing import calendar_selectors as cal
from accord.marketing.calendar_models import CalendarEntry, CalendarKind
from accord.marketing.calendar_services import calendar_create, calendar_update
from accord.marketing.models import Campaign
from accord.web.views.access import member_view, web_actor

FIELDS = ("title", "kind", "campaign_id", "start_date", "end_date", "expected_leads",
          "expected_mqls", "notes")  # fmt: skip
WEEKS = 8


def _form_of(entry: CalendarEntry) -> dict[str, Any]:
    return {name: "" if getattr(entry, name) is None else str(getattr(entry, name))
            for name in FIELDS}  # fmt: skip


def _values(form: dict[str, str], *, editing: bool) -> dict[str, Any]:
    if editing:  # an emptied optional field is cleared
        return {k: (None if v == "" and k in ("campaign_id", "expected_mqls") else v)
                for k, v in form.items()}  # fmt: skip
    return {k: v for k, v in form.items() if v != ""}


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_CAMPAIGNS)
def calendar_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    actor = web_actor(membership)
    edit_id = request.GET.get("edit") or request.POST.get("entry_id") or ""
    editing: CalendarEntry | None = None
    if edit_id:
        editing = (
            CalendarEntry.objects.for_workspace(workspace)
            .filter(pk=int(edit_id) if (edit_id.isascii() and edit_id.isdigit()) else 0)
            .first()
        )
        if editing is None:
            raise Http404("No such calendar entry in this workspace.")
    form: dict[str, Any] = _form_of(editing) if editing else dict.fromkeys(FIELDS, "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {name: request.POST.get(name, "").strip() for name in FIELDS}
        try:
            if editing is not None:
                entry = calendar_update(actor=actor, entry_id=editing.pk,
                                        values=_values(form, editing=True))  # fmt: skip
            else:
                entry = calendar_create(actor=actor, values=_values(form, editing=False))
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Saved: {entry.title} ({entry.start_date:%d %b %Y}).")
            return redirect("web:calendar")
    today = timezone.now().date()
    rate = cal.lead_to_mql_rate(workspace, timezone.now())
    plan = cal.capacity_plan(workspace, today=today, weeks=WEEKS, rate=rate)
    past = cal.entries_between(
        workspace, today - dt.timedelta(days=30), today - dt.timedelta(days=1)
    )
    estimates = {e.pk: cal.expected_mqls(e, rate) for w in plan for e in w.entries}
    estimates |= {e.pk: cal.expected_mqls(e, rate) for e in past}
    return render(
        request,
        "web/calendar/index.html",
        {
            "plan": plan,
            "past": [e for e in past if e.end_date < cal.week_start(today)],
            "estimates": estimates,
            "rate": rate,
            "capacity": cal.capacity_limit(),
            "form": form,
            "editing": editing,
            "errors": errors,
            "kinds": CalendarKind.choices,
            "campaigns": list(
                Campaign.objects.for_workspace(workspace).order_by("name").values_list("pk", "name")
            ),
            "can_edit": actor.can(Action.MANAGE_CAMPAIGNS),
        },
        status=400 if errors else 200,
    )
