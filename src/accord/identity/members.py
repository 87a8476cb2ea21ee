"""The members of a workspace, managed by its admins: add someone, change a member's role or
team, remove a member. A workspace always keeps an admin, and a removed member's API tokens
there are revoked, so re-adding them later does not bring old tokens back to life.

Someone new to Accord gets an account without a password and an email with a link to choose
one. The link goes to their mailbox only, never to the admin: whoever holds it controls the
account, which other workspaces may later add too (the server's operator can print it with
`accord member add`, having the database anyway)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.events import publish
from accord.core.normalise import normalise_email
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import ApiToken, Membership, Role, Team, User, Workspace
from accord.identity.permissions import Action
from accord.identity.services import membership_set

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PasswordLink:
    """The two parts of a set-password address (`/password/set/<uid>/<token>/`). The token is
    Django's password-reset token: it stops working once the password is set, or after
    PASSWORD_RESET_TIMEOUT."""

    uid: str
    token: str

    @property
    def url(self) -> str:
        path = reverse("web:password_set", args=[self.uid, self.token])
        return f"{settings.ACCORD_BASE_URL}{path}"


def _member(actor: Actor, membership_id: int) -> Membership:
    membership = (
        Membership.objects.for_workspace(actor.workspace)
        .select_related("user", "team")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such member in this workspace.")
    return membership


def _team(workspace: Workspace, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.for_workspace(workspace).filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed.single("team_id", "No such team in this workspace.")
    return team


def _lock_workspace(workspace: Workspace) -> None:
    """One membership change at a time per workspace: two admins demoting each other at once
    must not leave it without an admin."""
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()


def _keep_an_admin(membership: Membership, new_role: str | None) -> None:
    """Refuse to demote or remove the workspace's last admin (new_role None: removal)."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    others = (
        Membership.objects.for_workspace(membership.workspace_id)
        .filter(role=Role.ADMIN)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        message = (
            f"{membership.user.display_name} is the only admin of this workspace; make "
            "someone else admin first."
        )
        raise Conflict(message, fields={"role": [message]})


def _role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed.single("role", f"Role must be one of {', '.join(Role.values)}.")
    return role


@transaction.atomic
def member_add(
    *, actor: Actor, email: str, role: str, full_name: str = "", team_id: int | None = None
) -> tuple[Membership, bool]:
    """Add a person to the actor's workspace. Someone without an Accord account gets one with
    no password (they choose it through `password_link`). Returns the membership and whether
    the account is new."""
    actor.require(Action.MANAGE_WORKSPACE)
    _role(role)
    email = normalise_email(email)
    full_name = full_name.strip()
    if len(full_name) > 150:
        raise ValidationFailed.single("full_name", f"At most 150 characters ({len(full_name)}).")
    team = _team(actor.workspace, team_id)
    _lock_workspace(actor.workspace)
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name)
    else:
        existing = Membership.objects.for_workspace(actor.workspace).filter(user=user).first()
        if existing is not None:
            raise Conflict(
                f"{user.display_name} is already a member ({existing.get_role_display()}); "
                "change their role on their page.",
                fields={"email": [f"{user.display_name} is already a member."]},
            )
        if full_name and not user.full_name:
            user.full_name = full_name
            user.save(update_fields=["full_name"])
    membership = membership_set(
        workspace=actor.workspace, user=user, role=role, team=team, actor=actor
    )
    publish(actor.workspace.pk, "member.added", _event_data(membership))
    if created:
        _email_invitation(actor, membership)
    else:
        _email(
            user,
            f"You were added to {actor.workspace.name} in Accord",
            f"{_who(actor)} added you to the workspace "
            f"{actor.workspace.name} as {membership.get_role_display().lower()}. Sign in with "
            f"your Accord password at {settings.ACCORD_BASE_URL}/ and pick the workspace from "
            "the menu at the top.",
        )
    return membership, created


@transaction.atomic
def member_change(
    *, actor: Actor, membership_id: int, role: str, team_id: int | None
) -> Membership:
    """Set a member's role and team (team_id None: no team)."""
    actor.require(Action.MANAGE_WORKSPACE)
    _role(role)
    team = _team(actor.workspace, team_id)
    _lock_workspace(actor.workspace)
    membership = _member(actor, membership_id)
    _keep_an_admin(membership, role)
    return membership_set(
        workspace=actor.workspace, user=membership.user, role=role, team=team, actor=actor
    )


@transaction.atomic
def member_remove(*, actor: Actor, membership_id: int) -> Membership:
    """Take a member out of the workspace. Their records keep them as owner (history stays
    true); their API tokens here are revoked; their open leads go back to the fallback queue
    (the handoff context hears `member.removed`)."""
    actor.require(Action.MANAGE_WORKSPACE)
    _lock_workspace(actor.workspace)
    membership = _member(actor, membership_id)
    _keep_an_admin(membership, None)
    now = timezone.now()
    tokens = ApiToken.objects.for_workspace(actor.workspace).filter(
        user=membership.user, revoked_at__isnull=True
    )
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            "api_token.revoked",
            token,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
            note="its owner left the workspace",
        )
    data = _event_data(membership)
    label = f"{membership.user.display_name} ({membership.get_role_display()})"
    before = audit.snapshot(membership, ["user", "role", "team"])
    audit.record(actor, "membership.removed", membership, label=label, before=before)
    membership.delete()
    publish(actor.workspace.pk, "member.removed", data)
    return membership


def _event_data(membership: Membership) -> dict[str, object]:
    return {
        "user_id": membership.user_id,
        "email": membership.user.email,
        "name": membership.user.display_name,
        "role": membership.role,
        "team_id": membership.team_id,
    }


def can_send_password_link(workspace: Workspace, user: User) -> bool:
    """Only for someone who has never chosen a password and belongs to this workspace alone:
    an admin must not be able to take over an account that is used in another workspace."""
    if user.has_usable_password() or not user.is_active:
        return False
    return (
        not Membership.objects.across_workspaces()
        .filter(user=user)
        .exclude(workspace=workspace)
        .exists()
        and Membership.objects.for_workspace(workspace).filter(user=user).exists()
    )


def password_link(*, actor: Actor, user: User) -> PasswordLink:
    """A link for a new member to choose their password (see `can_send_password_link`). Only
    for the invitation email and the server operator's CLI: never show it to an admin."""
    actor.require(Action.MANAGE_WORKSPACE)
    if not can_send_password_link(actor.workspace, user):
        raise Conflict(
            f"{user.display_name} has chosen a password already (or belongs to another "
            "workspace): they sign in with it.",
        )
    return PasswordLink(
        uid=urlsafe_base64_encode(force_bytes(user.pk)),
        token=default_token_generator.make_token(user),
    )


def invite_again(*, actor: Actor, membership_id: int) -> Membership:
    """Email a new member a fresh link to choose their password (the last one was lost)."""
    membership = _member(actor, membership_id)
    _email_invitation(actor, membership)
    return membership


def _email_invitation(actor: Actor, membership: Membership) -> None:
    link = password_link(actor=actor, user=membership.user)
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    who = _who(actor)
    _email(
        membership.user,
        f"Your invitation to {actor.workspace.name} in Accord",
        f"{who} added you to the workspace {actor.workspace.name} in Accord as "
        f"{membership.get_role_display().lower()}.\n\nChoose your password here (the link "
        f"works once, for {days} days):\n{link.url}\n\nThen sign in with "
        f"{membership.user.email} and that password.",
    )
    audit.record(
        actor, "membership.invited", membership, label=membership.user.email,
        note="a link to choose a password was emailed",
    )  # fmt: skip


def _who(actor: Actor) -> str:
    return actor.user.display_name if actor.user else "An admin"


def _email(user: User, subject: str, body: str) -> None:
    """Send once the change has committed; a mail failure does not undo the membership (the
    admin can send the invitation again)."""

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except OSError:
            logger.exception("the email to %s could not be sent", user.email)

    transaction.on_commit(send)
