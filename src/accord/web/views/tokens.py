"""Settings → API tokens: each member creates and revokes their own tokens for the REST API;
an admin also sees every active token in the workspace and may revoke any. A new token is
shown once, on the page after it is created; only its digest is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accord.core.errors import ValidationFailed
from accord.identity import services
from accord.identity.models import ApiToken, Membership
from accord.identity.permissions import Action
from accord.identity.selectors import tokens_of
from accord.web.forms import ServiceForm
from accord.web.views.access import member_view, web_actor

_NEW_TOKEN_KEY = "accord_new_api_token"  # noqa: S105 - a session key, not a secret
EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class TokenForm(ServiceForm):
    name = forms.CharField(
        max_length=120,
        label="Name",
        widget=forms.TextInput(attrs={"placeholder": "e.g. marketing sync"}),
    )
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, initial="90")

    def expires_at(self) -> dt.datetime | None:
        days = self.cleaned_data.get("expires") or ""
        return timezone.now() + dt.timedelta(days=int(days)) if days else None


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.MANAGE_OWN_TOKENS)
def token_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            token, plain = services.api_token_create(
                actor=actor,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            request.session[_NEW_TOKEN_KEY] = {"id": token.pk, "plain": plain}
            messages.success(request, f"Token “{token.name}” created. Copy it now.")
            return redirect("web:tokens")
    new_token: dict[str, Any] | None = request.session.pop(_NEW_TOKEN_KEY, None)
    is_admin = actor.can(Action.MANAGE_WORKSPACE)
    others = (
        [
            t
            for t in ApiToken.objects.for_workspace(membership.workspace)
            .exclude(user=membership.user)
            .filter(revoked_at=None)
            .select_related("user")
            .order_by("user__email", "-created_at")
            if t.is_active
        ]
        if is_admin
        else []
    )
    response = render(
        request,
        "web/tokens/list.html",
        {
            "form": form,
            "tokens": tokens_of(membership.workspace, membership.user),
            "others": others,
            "is_admin": is_admin,
            "new_token": new_token if isinstance(new_token, dict) else None,
        },
        status=400 if form.is_bound else 200,
    )
    response["Cache-Control"] = "no-store"  # the new token must not stay in a cache
    return response


@require_POST
@member_view(post_requires=Action.MANAGE_OWN_TOKENS)
def token_revoke(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    # Another member's token is a 404 unless the member is an admin (the service's rule).
    token = services.api_token_revoke(actor=web_actor(membership), token_id=pk)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked.")
    return redirect("web:tokens")
