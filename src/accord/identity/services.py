"""The write path for identity: workspaces, users, teams, memberships and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zoneinfo
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.core.money import normalise_currency
from accord.core.normalise import normalise_email
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import ApiToken, Membership, Role, Team, TeamKind, User, Workspace
from accord.identity.permissions import Action

TOKEN_PREFIX = "acc"  # noqa: S105 - the public marker of Accord tokens, not a secret


@transaction.atomic
def workspace_create(
    *, name: str, slug: str = "", timezone_name: str = "UTC", currency: str = "USD"
) -> Workspace:
    name = name.strip()
    if not name:
        raise ValidationFailed.single("name", "A workspace needs a name.")
    _at_most(name, Workspace, "name")
    if not _known_zone(timezone_name):
        raise ValidationFailed.single(
            "timezone", f"'{timezone_name}' is not a known time zone (e.g. Europe/Paris)."
        )
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationFailed.single("slug", "Use letters or digits in the workspace slug.")
    if Workspace.objects.filter(slug=slug).exists():
        raise Conflict(
            f"A workspace with slug '{slug}' exists already.", fields={"slug": ["taken"]}
        )
    return Workspace.objects.create(
        name=name,
        slug=slug,
        timezone=timezone_name,
        default_currency=normalise_currency(currency),
    )


def _at_most(value: str, model: type[models.Model], field: str) -> None:
    """Text within its column's length: PostgreSQL refuses a longer value, SQLite would keep it."""
    column = model._meta.get_field(field)
    limit = column.max_length if isinstance(column, models.Field) else None
    if limit is not None and len(value) > limit:
        raise ValidationFailed.single(field, f"At most {limit} characters ({len(value)} given).")


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        return False
    return True


@transaction.atomic
def user_create(*, email: str, password: str, full_name: str = "", is_staff: bool = False) -> User:
    email = normalise_email(email)
    _at_most(full_name.strip(), User, "full_name")
    if len(password) < 8:
        raise ValidationFailed.single("password", "Use a password of at least 8 characters.")
    if User.objects.filter(email=email).exists():
        raise Conflict(f"A user with email {email} exists already.", fields={"email": ["taken"]})
    return User.objects.create_user(email, password, full_name=full_name.strip(), is_staff=is_staff)


@transaction.atomic
def team_create(*, workspace: Workspace, name: str, kind: str, actor: Actor | None = None) -> Team:
    if kind not in TeamKind.values:
        raise ValidationFailed.single("kind", f"Team kind must be one of {TeamKind.values}.")
    team, created = Team.objects.get_or_create(
        workspace=workspace, name=name.strip(), defaults={"kind": kind}
    )
    if created:
        who = actor or Actor.system(workspace)
        audit.record(who, "team.created", team, after=audit.snapshot(team, ["name", "kind"]))
    return team


# The teams a new workspace starts with: approvals of lead definitions and SLA agreements need
# a manager of each side, so a workspace without them could never approve anything.
DEFAULT_TEAMS = (("Sales", TeamKind.SALES), ("Marketing", TeamKind.MARKETING))


def default_teams_create(workspace: Workspace, actor: Actor | None = None) -> list[Team]:
    return [team_create(workspace=workspace, name=n, kind=k, actor=actor) for n, k in DEFAULT_TEAMS]


def team_by_name(workspace: Workspace, name: str) -> Team:
    """A team of the workspace by its name (any case), or an error naming the teams there."""
    team = Team.objects.for_workspace(workspace).filter(name__iexact=name.strip()).first()
    if team is None:
        names = list(
            Team.objects.for_workspace(workspace).order_by("name").values_list("name", flat=True)
        )
        known = f"its teams: {', '.join(names)}" if names else "it has no teams yet"
        raise ValidationFailed.single(
            "team", f"Workspace {workspace.slug} has no team '{name.strip()}' ({known})."
        )
    return team


@transaction.atomic
def membership_set(
    *,
    workspace: Workspace,
    user: User,
    role: str,
    team: Team | None = None,
    actor: Actor | None = None,
) -> Membership:
    """Add a user to a workspace, or change their role and team there. `actor` is who did it
    (the audit log names the system when none is given)."""
    if role not in Role.values:
        raise ValidationFailed.single("role", f"Role must be one of {', '.join(Role.values)}.")
    if team is not None and team.workspace_id != workspace.pk:
        raise ValidationFailed.single("team", "That team belongs to another workspace.")
    fields = ["user", "role", "team"]
    existing = Membership.objects.for_workspace(workspace).filter(user=user).first()
    before = audit.snapshot(existing, fields) if existing is not None else None
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role, "team": team}
    )
    who = actor or Actor.system(workspace)
    label = f"{user.display_name} ({membership.get_role_display()})"
    after = audit.snapshot(membership, fields)
    if before is None:
        audit.record(who, "membership.created", membership, label=label, after=after)
    elif before != after:
        old, new = audit.changes(before, after)
        audit.record(who, "membership.changed", membership, label=label, before=old, after=new)
    return membership


def _digest(secret: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is enough: no dictionary attack applies.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the acting user. Returns the token and its plain text, which is
    never stored and cannot be shown again."""
    actor.require(Action.MANAGE_OWN_TOKENS)
    if actor.user is None:
        raise ValidationFailed("API tokens belong to a user.")
    if scope not in ApiToken.Scope.values:
        raise ValidationFailed.single("scope", "Scope must be 'read' or 'write'.")
    if not name.strip():
        raise ValidationFailed.single("name", "Give the token a name, e.g. 'marketing sync'.")
    _at_most(name.strip(), ApiToken, "name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.single("expires_at", "The expiry must be in the future.")
    for _ in range(5):
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    workspace=actor.workspace,
                    user=actor.user,
                    name=name.strip(),
                    prefix=prefix,
                    digest=_digest(secret),
                    scope=scope,
                    expires_at=expires_at,
                )
        except IntegrityError:  # prefix collision: astronomically rare, try a new one
            continue
        after = audit.snapshot(token, ["user", "name", "prefix", "scope", "expires_at"])
        audit.record(actor, "api_token.created", token, after=after)
        return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"
    raise Conflict("Could not allocate a unique token prefix; try again.")


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.for_workspace(actor.workspace).filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such API token.")
    if token.user_id != getattr(actor.user, "pk", None) and not actor.can(Action.MANAGE_WORKSPACE):
        raise PermissionDenied("Only an admin revokes another member's API token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        after = {"revoked_at": audit.snapshot(token, ["revoked_at"])["revoked_at"]}
        audit.record(actor, "api_token.revoked", token, before={"revoked_at": None}, after=after)
    return token


def api_token_authenticate(plain: str) -> tuple[ApiToken, Membership] | None:
    """Resolve a presented token to its membership, or None if it is unknown, revoked,
    expired, or its user has left the workspace."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    token = (
        ApiToken.objects.across_workspaces()
        .select_related("workspace", "user")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    membership = (
        Membership.objects.for_workspace(token.workspace_id)
        .select_related("workspace", "user", "team")
        .filter(user_id=token.user_id)
        .first()
    )
    if membership is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Throttled so that a busy integration does not write on every request.
        ApiToken.objects.for_workspace(token.workspace_id).filter(pk=token.pk).update(
            last_used_at=now
        )
    return token, membership
