"""Alignment: the scorecard (survey and behaviour side by side, weakest area first, with
practices), the survey form a member answers anonymously, the pulses (open, close, results —
every number through `alignment.survey_results`, so the five-respondent rule holds here too),
and the rejections awaiting marketing's review (the feedback loop)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.alignment import services
from accord.alignment.behaviour_weights import COMPONENTS
from accord.alignment.instrument import AREAS, DEFAULT_INSTRUMENT, Instrument
from accord.alignment.models import Participation, RejectionReview
from accord.alignment.scorecard import scorecard
from accord.alignment.survey_results import MIN_GROUP, pulse_result, pulses
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.handoff.models import Dispute, Handoff, HandoffStatus
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.web.views.access import member_view, web_actor

FEEDBACK_ROWS = 100
LIKERT = [(1, "Strongly disagree"), (2, "Disagree"), (3, "Neither"), (4, "Agree"),
          (5, "Strongly agree")]  # fmt: skip


@require_GET
@member_view()
def scorecard_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        days = min(max(int(request.GET.get("days", 90)), 7), 365)
    except ValueError:
        days = 90
    card = scorecard(membership.workspace.pk, days=days)
    return render(
        request,
        "web/alignment/scorecard.html",
        {
            "card": card,
            "days": days,
            "min_group": MIN_GROUP,
            "can_run": web_actor(membership).can(Action.RUN_SURVEYS),
        },
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.READ)
def survey_answer(request: HttpRequest, membership: Membership, pulse_id: int) -> HttpResponse:
    pulse = services.pulse_for(membership.workspace.pk, pulse_id)
    instrument = Instrument.model_validate(pulse.version.document)
    errors: dict[str, list[str]] = {}
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {i.key: request.POST.get(i.key, "") for i in instrument.items}
        try:
            services.response_submit(actor=web_actor(membership), pulse_id=pulse.pk, answers=given)
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
            return redirect("web:alignment")
        else:
            messages.success(request, "Thank you: your answers are in, anonymously.")
            return redirect("web:alignment")
    participation = (
        Participation.objects.for_workspace(membership.workspace)
        .filter(pulse=pulse, user=membership.user)
        .first()
    )
    sections = [
        (title, [i for i in instrument.items if i.area == area]) for area, title in AREAS.items()
    ]
    return render(
        request,
        "web/alignment/survey.html",
        {
            "pulse": pulse,
            "sections": [(t, items) for t, items in sections if items],
            "participation": participation,
            "errors": errors,
            "given": given,
            "likert": LIKERT,
            "min_group": MIN_GROUP,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.RUN_SURVEYS)
def pulse_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            pulse = services.pulse_open(actor=web_actor(membership),
                                        title=request.POST.get("title", ""),
                                        days=request.POST.get("days", "14"))  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        except Conflict as exc:
            errors = {"__all__": [exc.message]}
        else:
            messages.success(request, f"{pulse.title} is open to both teams.")
            return redirect("web:alignment_pulse", pulse_id=pulse.pk)
    return render(
        request,
        "web/alignment/pulses.html",
        {
            "results": [pulse_result(p) for p in pulses(membership.workspace.pk)],
            "can_run": web_actor(membership).can(Action.RUN_SURVEYS),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@require_GET
@member_view()
def pulse_detail(request: HttpRequest, membership: Membership, pulse_id: int) -> HttpResponse:
    pulse = services.pulse_for(membership.workspace.pk, pulse_id)
    return render(
        request,
        "web/alignment/pulse.html",
        {
            "result": pulse_result(pulse),
            "can_run": web_actor(membership).can(Action.RUN_SURVEYS),
            "min_group": MIN_GROUP,
            "area_titles": AREAS,
        },
    )


@require_POST
@member_view(post_requires=Action.RUN_SURVEYS)
def pulse_close(request: HttpRequest, membership: Membership, pulse_id: int) -> HttpResponse:
    try:
        pulse = services.pulse_close(actor=web_actor(membership), pulse_id=pulse_id)
    except NotFound as exc:
        messages.error(request, exc.message)
        return redirect("web:alignment_pulses")
    messages.success(request, f"{pulse.title} is closed.")
    return redirect("web:alignment_pulse", pulse_id=pulse.pk)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.DISPUTE_HANDOFFS)
def feedback(request: HttpRequest, membership: Membership) -> HttpResponse:
    ws = membership.workspace
    if request.method == "POST":
        try:
            services.rejection_review(actor=web_actor(membership),
                                      handoff_id=int(request.POST.get("handoff_id", "0") or 0),
                                      note=request.POST.get("note", ""))  # fmt: skip
        except (NotFound, Conflict) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Marked as reviewed.")
        return redirect("web:alignment_feedback")
    reviewed = RejectionReview.objects.for_workspace(ws).values("handoff_id")
    disputed = Dispute.objects.for_workspace(ws).values("handoff_id")
    waiting = (
        Handoff.objects.for_workspace(ws)
        .filter(status=HandoffStatus.REJECTED)
        .exclude(pk__in=reviewed)
        .exclude(pk__in=disputed)
        .select_related("contact", "reason", "decided_by")
        .order_by("decided_at")[:FEEDBACK_ROWS]
    )
    return render(
        request,
        "web/alignment/feedback.html",
        {
            "waiting": list(waiting),
            "can_review": web_actor(membership).can(Action.DISPUTE_HANDOFFS),
            "components": COMPONENTS,
        },
    )


NEW_ROWS = 3


def _document_from_form(post: Any, count: int) -> dict[str, Any]:
    """The survey document from the editor's rows (a row marked for removal, or a new row left
    blank, is dropped)."""
    items = []
    for n in range(count + NEW_ROWS):
        key, text = post.get(f"key-{n}", "").strip(), post.get(f"text-{n}", "").strip()
        if post.get(f"remove-{n}") or (n >= count and not key and not text):
            continue
        items.append({
            "key": key, "text": text, "area": post.get(f"area-{n}", ""),
            "kind": post.get(f"kind-{n}", "likert"), "reverse": bool(post.get(f"reverse-{n}")),
            "origin": post.get(f"origin-{n}", "custom") or "custom",
        })  # fmt: skip
    return {"schema_version": 1, "items": items}


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.RUN_SURVEYS)
def survey_edit(request: HttpRequest, membership: Membership) -> HttpResponse:
    ws = membership.workspace.pk
    latest = services.latest_version(ws)
    document = latest.document if latest else DEFAULT_INSTRUMENT.model_dump(mode="json")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        posted = _document_from_form(request.POST, len(document["items"]))
        try:
            version = services.survey_update(actor=web_actor(membership), document=posted,
                                             comment=request.POST.get("comment", ""))  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
            document = posted
        else:
            messages.success(request, f"Survey saved as version {version.number}.")
            return redirect("web:alignment_survey_edit")
    rows = (
        list(document["items"])
        + [
            {
                "key": "",
                "text": "",
                "area": "",
                "kind": "likert",
                "reverse": False,
                "origin": "custom",
            }
        ]
        * NEW_ROWS
    )
    return render(
        request,
        "web/alignment/survey_edit.html",
        {
            "rows": rows,
            "existing": len(document["items"]),
            "version": latest,
            "used": latest is not None and services.version_used(latest),
            "areas": AREAS,
            "errors": errors,
            # A list, not errors.items: the template would read a field named "items" instead.
            "error_items": list(errors.items()),
            "can_run": web_actor(membership).can(Action.RUN_SURVEYS),
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.RUN_SURVEYS)
def weighting(request: HttpRequest, membership: Membership) -> HttpResponse:
    ws = membership.workspace.pk
    version, weights = services.current_weights(ws)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        posted = {c.key: request.POST.get(c.key, "") for c in COMPONENTS}
        try:
            saved = services.weighting_update(actor=web_actor(membership), weights=posted,
                                              comment=request.POST.get("comment", ""))  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
            weights = posted  # type: ignore[assignment]
        else:
            messages.success(request, f"Weighting saved as version {saved.number}.")
            return redirect("web:alignment")
    return render(
        request,
        "web/alignment/weighting.html",
        {
            "components": [(c, weights.get(c.key, "")) for c in COMPONENTS],
            "version": version,
            "errors": errors,
            "can_run": web_actor(membership).can(Action.RUN_SURVEYS),
        },
        status=400 if errors else 200,
    )


@require_GET
@member_view()
def pulse_export(request: HttpRequest, membership: Membership, pulse_id: int) -> HttpResponse:
    """The pulse's results as CSV: one row per item and area, the same hidden cells as the page
    (a hidden cell is empty, with the reason)."""
    result = pulse_result(services.pulse_for(membership.workspace.pk, pulse_id))
    services.pulse_export_record(actor=web_actor(membership), pulse=result.pulse)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pulse-{result.pulse.pk}.csv"'
    write = csv.writer(response).writerow
    write(["level", "key", "text", "area", "sales", "marketing", "both", "sales_minus_marketing",
           "gap_low", "gap_high", "hidden"])  # fmt: skip
    rows = [("area", a.area, a.title, a.area, a.scores, a.gap) for a in result.areas]
    rows += [("item", i.key, i.text, i.area, i.scores, i.gap) for i in result.items]
    for level, key, text, area, scores, gap in rows:
        cells = [_cell(scores[t].value) for t in ("sales", "marketing", "both")]
        hidden = "; ".join(sorted({s.hidden for s in scores.values() if s.hidden}))
        gaps = [_cell(gap.value), _cell(gap.low), _cell(gap.high)] if gap else ["", "", ""]
        write([level, key, text, area, *cells, *gaps, hidden])
    return response


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
