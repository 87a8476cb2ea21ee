"""Switching the current workspace (kept in the session, checked against memberships)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.identity.selectors import membership_in
from accord.web.forms import WorkspaceSwitchForm
from accord.web.middleware import SESSION_KEY


@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    form = WorkspaceSwitchForm(request.POST)
    membership = (
        membership_in(request.user, form.cleaned_data["workspace_id"]) if form.is_valid() else None
    )
    if membership is None:
        return render(
            request,
            "web/forbidden.html",
            {"message": "You are not a member of that workspace."},
            status=403,
        )
    request.session[SESSION_KEY] = membership.workspace_id
    messages.success(request, f"Switched to {membership.workspace.name}.")
    return redirect("web:home")
