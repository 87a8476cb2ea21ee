"""Contacts: the list, the detail page with its timeline, and the two forms on it (lifecycle
change through the ledger, and logging an activity). Creating and editing them is in
`records`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import AccordError, NeedsConfirmation, NotFound
from accord.crm.models import Contact
from accord.crm.selectors import ContactFilters, DealFilters, contact_get, contact_list, deal_list
from accord.crm.services import activities, ledger
from accord.definitions.evaluation import ScoreExplanation, contact_score_explanation
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.identity.selectors import workspace_users
from accord.marketing.selectors import TimelineItem, contact_timeline
from accord.metrics.funnel import MAIN_PATH
from accord.metrics.presentation import dimension_labels
from accord.web.forms import ActivityForm, ContactFilterForm, LifecycleChangeForm
from accord.web.views.access import member_view, web_actor
from accord.web.views.dashboard import BREAKDOWNS
from accord.web.views.listing import render_list
from accord.web.views.stages import StageCatalogue

SORT_COLUMNS = {
    "name": ("last_name", "first_name"),
    "email": ("email",),
    "company": ("company__name",),
    "stage": ("lifecycle_stage",),
    "owner": ("owner__full_name", "owner__email"),
    "created": ("created_at",),
}


@require_GET
@member_view()
def contact_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    catalogue = StageCatalogue.of(workspace)
    form = ContactFilterForm(request.GET, stages=catalogue.stages, users=workspace_users(workspace))
    values = form.values()
    filters = ContactFilters(
        q=values.get("q", ""),
        lifecycle_stage=values.get("lifecycle_stage", ""),
        owner_id=values.get("owner"),
        original_source=values.get("source", ""),
        country=values.get("country", ""),
        company_id=values.get("company"),
        created_after=values.get("created_after"),
        created_before=values.get("created_before"),
        reached_any_of=_and_later(values.get("reached", "")),
        moved_to=values.get("moved_to", ""),
        moved_after=values.get("moved_after"),
        moved_before=values.get("moved_before"),
        breakdown=values.get("breakdown", ""),
        breakdown_value=values.get("breakdown_value", ""),
    )
    drill_down = _drill_down(values, catalogue)
    if filters.breakdown:
        drill_down = f"{drill_down} {_breakdown_row(membership, filters)}".strip()
    return render_list(
        request,
        template="web/contacts/list.html",
        form=form,
        queryset=contact_list(workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="-created",
        context={
            "stage_labels": catalogue.labels,
            "drill_down": drill_down,
            "filtered": bool(values),
            "can_create": web_actor(membership).can(Action.WRITE_RECORDS),
        },
    )


def _breakdown_row(membership: Membership, filters: ContactFilters) -> str:
    """The breakdown's row in words, named from this workspace's records only."""
    by, value = filters.breakdown, filters.breakdown_value
    if by == "owner" and value:
        users = {str(u.pk): u.display_name for u in workspace_users(membership.workspace)}
        label = users.get(value, "someone outside this workspace")
    else:
        label = dimension_labels(by, [value], membership.workspace_id)[value]
    return f"{BREAKDOWNS[by]}: {label}."


def _and_later(stage: str) -> tuple[str, ...]:
    """A funnel step's contacts: those that reached the stage or any later one of the path."""
    return MAIN_PATH[MAIN_PATH.index(stage) :] if stage in MAIN_PATH else ()


def _drill_down(values: dict[str, Any], catalogue: StageCatalogue) -> str:
    """The banner over a list opened from the dashboard, in words."""

    def day(key: str) -> str:
        return f"{values[key]:%d %b %Y}" if values.get(key) else "…"

    if values.get("reached"):
        label = catalogue.labels.get(values["reached"], values["reached"])
        return (
            f"Contacts created {day('created_after')} to {day('created_before')} "
            f"that reached {label} (or a later stage)."
        )
    if values.get("moved_to"):
        label = catalogue.labels.get(values["moved_to"], values["moved_to"])
        return (
            f"Contacts that moved to {label} between {day('moved_after')} "
            f"and {day('moved_before')}."
        )
    return ""


@dataclass(frozen=True)
class TimelineRow:
    item: TimelineItem
    title: str


def _display_title(item: TimelineItem, labels: dict[str, str]) -> str:
    """Lifecycle items name stages by key ('lead → mql'); show their labels instead."""
    if item.kind != "lifecycle" or " → " not in item.title:
        return item.title
    before, after = item.title.split(" → ", 1)
    return f"{labels.get(before, before)} → {labels.get(after, after)}"


def _detail_context(
    membership: Membership,
    contact: Contact,
    catalogue: StageCatalogue,
    *,
    lifecycle_form: LifecycleChangeForm | None = None,
    activity_form: ActivityForm | None = None,
) -> dict[str, Any]:
    workspace = membership.workspace
    actor = web_actor(membership)
    can_change_stage = actor.can(Action.CHANGE_LIFECYCLE)
    can_log_activity = actor.can(Action.WRITE_RECORDS)
    timeline = [
        TimelineRow(item=item, title=_display_title(item, catalogue.labels))
        for item in reversed(contact_timeline(workspace, contact))  # newest first
    ]
    return {
        "contact": contact,
        "stage_labels": catalogue.labels,
        "timeline": timeline,
        "deals": deal_list(workspace, DealFilters()).filter(primary_contact=contact)[:20],
        "custom_fields": sorted(contact.custom_fields.items())
        if isinstance(contact.custom_fields, dict)
        else [],
        "lifecycle_form": lifecycle_form
        or (
            LifecycleChangeForm(stages=catalogue.stages, current=contact.lifecycle_stage)
            if can_change_stage
            else None
        ),
        "activity_form": activity_form or (ActivityForm() if can_log_activity else None),
        "score": _score(membership, contact),
        "can_manage_personal_data": actor.can(Action.MANAGE_PERSONAL_DATA),
        "can_edit": can_log_activity,  # creating and editing records: Action.WRITE_RECORDS
    }


def _score(membership: Membership, contact: Contact) -> ScoreExplanation | None:
    """Why the contact scores what it does under the active definition (None without one)."""
    try:
        return contact_score_explanation(membership.workspace, contact.pk)
    except NotFound:
        return None


@require_GET
@member_view()
def contact_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    contact = contact_get(membership.workspace, pk)
    catalogue = StageCatalogue.of(membership.workspace)
    return render(
        request, "web/contacts/detail.html", _detail_context(membership, contact, catalogue)
    )


@require_POST
@member_view(post_requires=Action.CHANGE_LIFECYCLE)
def contact_change_stage(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    contact = contact_get(membership.workspace, pk)
    catalogue = StageCatalogue.of(membership.workspace)
    form = LifecycleChangeForm(request.POST, stages=catalogue.stages)
    if form.is_valid():
        try:
            entry = ledger.change_stage(
                actor=web_actor(membership),
                contact_id=contact.pk,
                to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
            )
        except AccordError as exc:
            form.add_service_errors(exc)
        else:
            label = catalogue.labels.get(form.cleaned_data["to_stage"], "")
            if entry is None:
                messages.info(request, f"{contact} is already in stage {label}; nothing changed.")
            else:
                messages.success(request, f"Moved {contact} to {label}. The ledger has the entry.")
            return redirect("web:contact", pk=contact.pk)
    context = _detail_context(membership, contact, catalogue, lifecycle_form=form)
    return render(request, "web/contacts/detail.html", context, status=400)


@require_POST
@member_view(post_requires=Action.WRITE_RECORDS)
def contact_log_activity(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    contact = contact_get(membership.workspace, pk)
    form = ActivityForm(request.POST)
    cap_warning = ""
    if form.is_valid():
        values = dict(form.cleaned_data)
        confirmed = ["contact_cap"] if values.pop("confirm_cap") else []
        try:
            activities.activity_create(
                actor=web_actor(membership),
                values={**values, "contact_id": contact.pk},
                confirmed=confirmed,
            )
        except NeedsConfirmation as exc:
            cap_warning = exc.message  # nothing was logged: ask first
        except AccordError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Activity logged.")
            return redirect("web:contact", pk=contact.pk)
    catalogue = StageCatalogue.of(membership.workspace)
    context = _detail_context(membership, contact, catalogue, activity_form=form)
    context["cap_warning"] = cap_warning
    return render(request, "web/contacts/detail.html", context, status=409 if cap_warning else 400)
