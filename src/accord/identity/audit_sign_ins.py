"""Sign-ins in the audit log: a successful sign-in, a failed one, a sign-out, and a sign-in
refused by the throttle (`web.views.auth`).

An entry belongs to one workspace and a person may belong to several, so each event is
written once to every workspace the account is a member of. The object is the account
(`user`, its id, its email). A failed or refused attempt is not the account holder acting:
its actor is `sign-in attempt via web`, with no user, and the email tried is kept only as the
object of a matching account. An address that is no member's concerns no workspace and is
written nowhere (it still counts towards the throttle). No entry holds a password.

Django's `user_logged_in`, `user_logged_out` and `user_login_failed` signals drive the first
three (connected in `IdentityConfig.ready`), so the admin site's sign-in is covered too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from accord.identity import audit
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, User

ATTEMPT = "sign-in attempt"


def _account(email: Any) -> User | None:
    text = str(email or "").strip()
    if not text:
        return None
    return User.objects.filter(email__iexact=text).first()


def _record(
    user: User,
    action: str,
    request: HttpRequest | None,
    *,
    signed_in: bool,
    note: str = "",
) -> int:
    """One entry per workspace the account belongs to; returns how many were written."""
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    source = Source.WEB if request is not None else Source.SYSTEM
    memberships = Membership.objects.across_workspaces().filter(user=user)
    written = 0
    with transaction.atomic():
        for membership in memberships.select_related("workspace").order_by("workspace_id"):
            if signed_in:
                actor = Actor.for_membership(membership, source, ip=ip or None)
            else:
                actor = Actor(workspace=membership.workspace, source=source, rule=ATTEMPT, ip=ip)
            audit.record(
                actor,
                action,
                object_type="user",
                object_id=user.pk,
                label=user.email,
                note=note,
            )
            written += 1
    return written


def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    _record(user, "auth.signed_in", request, signed_in=True)


def signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        _record(user, "auth.signed_out", request, signed_in=True)


def sign_in_failed(
    sender: Any, credentials: Mapping[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Django hands the credentials with the password already masked; only the email is read."""
    account = _account(credentials.get(User.USERNAME_FIELD) or credentials.get("username"))
    if account is not None:
        _record(account, "auth.sign_in_failed", request, signed_in=False)


def sign_in_throttled(request: HttpRequest, email: Any, wait_seconds: int) -> int:
    """A sign-in refused before the password is checked: too many recent failures for the
    account or from the address. Only the first refusal for an account while it is locked is
    written, so that hammering a locked account cannot grow the log without bound (the log
    is append-only)."""
    account = _account(email)
    if account is None:
        return 0
    if not cache.add(f"accord-audit-throttled:{account.pk}", 1, timeout=max(1, wait_seconds)):
        return 0
    note = (
        f"Refused for {wait_seconds} more seconds after too many failed sign-ins; "
        "further refusals until then are not recorded."
    )
    return _record(account, "auth.sign_in_throttled", request, signed_in=False, note=note)


def connect() -> None:
    """Listen to Django's sign-in signals (once; the uid makes a second call a no-op)."""
    user_logged_in.connect(signed_in, dispatch_uid="accord-audit-signed-in")
    user_logged_out.connect(signed_out, dispatch_uid="accord-audit-signed-out")
    user_login_failed.connect(sign_in_failed, dispatch_uid="accord-audit-sign-in-failed")
