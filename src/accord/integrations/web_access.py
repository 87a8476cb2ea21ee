"""Who may use the import and export pages: a signed-in member of the current workspace (set on
the request by the web shell's middleware). Domain errors become HTTP answers: NotFound is a
404, PermissionDenied the 403 page, so another workspace's job simply does not exist.

This mirrors `accord.web.views.access.member_view`; integrations sits below the web layer
(see the import-linter contracts), so it does not import it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from accord.core.errors import NotFound, PermissionDenied
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.identity.permissions import Action

type MemberView[**P] = Callable[Concatenate[HttpRequest, Membership, P], HttpResponseBase]
type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def web_actor(membership: Membership) -> Actor:
    ip = getattr(membership, "remote_addr", None)  # set by the web middleware
    return Actor.for_membership(membership, Source.WEB, ip=ip)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def member_view[**P](*, post_requires: Action | None = None) -> Callable[[MemberView[P]], View[P]]:
    """Run the view for a member of the current workspace, who is passed as its second
    argument. A POST needs `post_requires` (a view without it refuses every POST)."""

    def decorate(func: MemberView[P]) -> View[P]:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                return render(request, "web/no_workspace.html", status=403)
            try:
                if request.method == "POST":
                    if post_requires is None:
                        return forbidden(request, "This page does not accept changes.")
                    web_actor(membership).require(post_requires)
                return func(request, membership, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                return forbidden(request, exc.message)

        return wrapper

    return decorate
