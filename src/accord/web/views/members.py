"""Settings → Members: who is in the workspace, with which role and team. Every member sees
the list; admins add people (someone new is emailed a link to choose their password; the
admin never sees it), change roles and teams, and remove members. The rules (the last admin
stays, a removed member's tokens are revoked and their leads requeued) are the service's,
`identity.members`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.identity import members
from accord.identity.models import Membership, Role, User, Workspace
from accord.identity.permissions import Action
from accord.identity.selectors import team_list, tokens_of, workspace_members
from accord.web.forms import ServiceForm
from accord.web.views.access import member_view, web_actor


class MemberForm(ServiceForm):
    role = forms.ChoiceField(choices=Role.choices, label="Role")
    team = forms.TypedChoiceField(
        required=False, label="Team", coerce=int, empty_value=None, choices=()
    )

    def __init__(self, data: Any = None, *, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        choices = [("", "No team"), *((t.pk, t.name) for t in team_list(workspace))]
        self.fields["team"].choices = choices  # type: ignore[attr-defined]


class MemberAddForm(MemberForm):
    email = forms.CharField(max_length=254, label="Email")
    full_name = forms.CharField(
        required=False, max_length=150, label="Name", help_text="For someone new to Accord."
    )
    field_order = ("email", "full_name", "role", "team")


def _member_or_404(membership: Membership, pk: int) -> Membership:
    found = workspace_members(membership.workspace).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such member in this workspace.")
    return found


@require_GET
@member_view()
def member_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    rows = workspace_members(workspace).annotate(
        active_tokens=Count(
            "user__api_tokens",
            filter=Q(user__api_tokens__workspace=workspace, user__api_tokens__revoked_at=None),
        )
    )
    return render(
        request,
        "web/members/list.html",
        {
            "rows": rows,
            "can_manage": web_actor(membership).can(Action.MANAGE_WORKSPACE),
            "role_counts": {r.label: sum(1 for m in rows if m.role == r.value) for r in Role},
        },
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_WORKSPACE)
def member_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    actor.require(Action.MANAGE_WORKSPACE)
    form = MemberAddForm(
        request.POST if request.method == "POST" else None,
        workspace=membership.workspace,
        initial={"role": Role.VIEWER},
    )
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
        try:
            added, created = members.member_add(
                actor=actor,
                email=values["email"],
                full_name=values["full_name"],
                role=values["role"],
                team_id=values["team"],
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            if created:
                messages.success(
                    request,
                    f"{added.user.display_name} was added. An email with a link to choose "
                    f"their password went to {added.user.email}.",
                )
            else:
                messages.success(
                    request,
                    f"{added.user.display_name} was added and told by email; they sign in "
                    "with their existing password.",
                )
            return redirect("web:member", pk=added.pk)
    status = 400 if form.is_bound else 200
    return render(request, "web/members/new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_WORKSPACE)
def member_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    member = _member_or_404(membership, pk)
    actor = web_actor(membership)
    form = MemberForm(
        request.POST if request.method == "POST" else None,
        workspace=membership.workspace,
        initial={"role": member.role, "team": member.team_id},
    )
    if form.is_bound and form.is_valid():
        try:
            changed = members.member_change(
                actor=actor,
                membership_id=member.pk,
                role=form.cleaned_data["role"],
                team_id=form.cleaned_data["team"],
            )
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            team = changed.team.name if changed.team else "no team"
            messages.success(
                request,
                f"{changed.user.display_name} is now {changed.get_role_display()} ({team}).",
            )
            return redirect("web:member", pk=changed.pk)
    user: User = member.user
    status = 400 if form.is_bound else 200
    return render(
        request,
        "web/members/detail.html",
        {
            "member": member,
            "form": form,
            "can_manage": actor.can(Action.MANAGE_WORKSPACE),
            "is_me": member.user_id == membership.user_id,
            "awaiting_password": not user.has_usable_password(),
            "can_send_link": members.can_send_password_link(membership.workspace, user),
            "tokens": tokens_of(membership.workspace, user),
        },
        status=status,
    )


@require_POST
@member_view(post_requires=Action.MANAGE_WORKSPACE)
def member_remove(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    member = _member_or_404(membership, pk)
    try:
        members.member_remove(actor=web_actor(membership), membership_id=member.pk)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:member", pk=member.pk)
    messages.success(
        request,
        f"{member.user.display_name} was removed from the workspace. Their API tokens here are "
        "revoked and their open leads are back in the fallback queue; the records they own "
        "keep their name.",
    )
    if member.user_id == membership.user_id:
        return redirect("web:home")
    return redirect("web:members")


@require_POST
@member_view(post_requires=Action.MANAGE_WORKSPACE)
def member_password_link(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    member = _member_or_404(membership, pk)
    try:
        members.invite_again(actor=web_actor(membership), membership_id=member.pk)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"A new link to choose a password was emailed to {member.user.email}. Every link "
            "stops working once a password is chosen.",
        )
    return redirect("web:member", pk=member.pk)
