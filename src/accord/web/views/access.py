"""Who may see a page: a signed-in member of the current workspace. Domain errors become the
matching HTTP responses, so a record of another workspace is a plain 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accord.core.errors import NotFound, PermissionDenied
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.identity.permissions import Action

type MemberView[**P] = Callable[Concatenate[HttpRequest, Membership, P], HttpResponse]
type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponse]


def web_actor(membership: Membership) -> Actor:
    ip = getattr(membership, "remote_addr", None)  # set by the web middleware
    return Actor.for_membership(membership, Source.WEB, ip=ip)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


class member_view:
    """Wrap a view so that it runs only for a signed-in member of the current workspace.

    The view gets the membership as its second argument. Anonymous users are sent to the login
    page; signed-in users without a workspace see the "not a member" page. A POST is refused
    with 403 unless the member's role allows `post_requires` (fail closed: a POST to a view
    without `post_requires` is refused too).
    """

    def __init__(self, *, post_requires: Action | None = None) -> None:
        self.post_requires = post_requires

    def __call__[**P](self, func: MemberView[P]) -> View[P]:
        post_requires = self.post_requires

        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                return render(request, "web/no_workspace.html", status=403)
            if request.method == "POST":
                if post_requires is None:
                    return forbidden(request, "This page does not accept changes.")
                try:
                    web_actor(membership).require(post_requires)
                except PermissionDenied as exc:
                    return forbidden(request, exc.message)
            try:
                return func(request, membership, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                return forbidden(request, exc.message)

        return wrapper
