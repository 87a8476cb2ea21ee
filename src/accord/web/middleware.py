"""Resolve the signed-in user's current workspace and membership for every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accord.identity.selectors import membership_in, memberships_of

SESSION_KEY = "accord_workspace_id"


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            workspace_id = request.session.get(SESSION_KEY)
            membership = membership_in(user, workspace_id) if workspace_id else None  # type: ignore[arg-type]
            if membership is None:
                membership = memberships_of(user).first()  # type: ignore[arg-type]
                if membership is not None:
                    request.session[SESSION_KEY] = membership.workspace_id
            request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)
