"""Resolve the signed-in user's current workspace and membership for every request, and show
times in that workspace's time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accord.identity.models import Membership
from accord.identity.selectors import membership_in, memberships_of

SESSION_KEY = "accord_workspace_id"


def _current_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    workspace_id = request.session.get(SESSION_KEY)
    membership = None
    if isinstance(workspace_id, int):
        membership = membership_in(user, workspace_id)  # type: ignore[arg-type]
    if membership is None:
        membership = memberships_of(user).first()  # type: ignore[arg-type]
        if membership is not None:
            request.session[SESSION_KEY] = membership.workspace_id
    return membership


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        membership = _current_membership(request)
        if membership is not None:  # where the request came from, for the audit log
            setattr(membership, "remote_addr", request.META.get("REMOTE_ADDR"))  # noqa: B010
        request.membership = membership  # type: ignore[attr-defined]
        if membership is None:
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(membership.workspace.timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
