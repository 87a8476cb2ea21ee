"""Who is calling: an API token (``Authorization: Bearer acc_<prefix>_<secret>``) or the web
app's own session. Either way the request ends up with ``request.auth`` set to a `Principal`
(the membership, and the token when there is one), and every handler reads it through
`request_membership` / `request_actor`.

- A presented token that is unknown, revoked or expired is a 401; it never falls back to the
  session.
- A read-scoped token gets a 403 on POST, PATCH, PUT and DELETE, before any handler runs.
- Session requests must pass Django's CSRF check on unsafe methods (the web app's JS sends the
  X-CSRFToken header). The workspace is the one the web app has selected
  (``request.session["accord_workspace_id"]``) when the user is still a member there, else the
  user's first membership.
- Without credentials: 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accord.core.errors import PermissionDenied
from accord.identity.actor import Actor, Source
from accord.identity.models import ApiToken, Membership
from accord.identity.selectors import membership_in, memberships_of
from accord.identity.services import api_token_authenticate

# The web app stores the workspace a signed-in user works in under this session key.
SESSION_WORKSPACE_KEY = "accord_workspace_id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a membership, reached through a token or a session."""

    membership: Membership
    token: ApiToken | None = None

    @property
    def method(self) -> str:
        return "token" if self.token is not None else "session"


class TokenAuth(HttpBearer):
    """API tokens created in Settings → API tokens (identity.services.api_token_create)."""

    openapi_bearerFormat = "acc_<prefix>_<secret>"
    openapi_description = (
        "An API token: `Authorization: Bearer acc_<prefix>_<secret>`. Read-scoped tokens "
        "may only use GET."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        resolved = api_token_authenticate(token.strip())
        if resolved is None:
            raise AuthenticationError(
                message="The API token is unknown, revoked or expired.",
            )
        api_token, membership = resolved
        if api_token.scope != ApiToken.Scope.WRITE and request.method not in SAFE_METHODS:
            raise PermissionDenied(
                f"The API token '{api_token.name}' is read-only; use a token with write scope."
            )
        return Principal(membership=membership, token=api_token)


class SessionAuth(APIKeyCookie):
    """The signed-in web user (Django session cookie), with CSRF enforced on writes."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The web app's session cookie. Unsafe methods need the CSRF token in the X-CSRFToken "
        "header."
    )

    def __call__(self, request: HttpRequest) -> Principal | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied(
                "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
            )
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal:
        user: Any = request.user
        membership = None
        workspace_id = request.session.get(SESSION_WORKSPACE_KEY)
        if isinstance(workspace_id, int):
            membership = membership_in(user, workspace_id)
        if membership is None:
            membership = memberships_of(user).select_related("user").first()
        if membership is None:
            raise PermissionDenied("You are not a member of any workspace.")
        return Principal(membership=membership)


def request_principal(request: HttpRequest) -> Principal:
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):  # fail closed: no handler runs unauthenticated
        raise AuthenticationError()
    return principal


def request_membership(request: HttpRequest) -> Membership:
    return request_principal(request).membership


def request_actor(request: HttpRequest) -> Actor:
    return Actor.for_membership(
        request_membership(request), Source.API, ip=request.META.get("REMOTE_ADDR")
    )
