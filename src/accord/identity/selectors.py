"""Reads for identity."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.identity.models import ApiToken, Membership, Team, User, Workspace


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.across_workspaces()
        .filter(user=user)
        .select_related("workspace", "team")
        .order_by("workspace__name")
    )


def membership_in(user: User, workspace_id: int) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace_id)
        .select_related("workspace", "user", "team")
        .filter(user=user)
        .first()
    )


def workspace_members(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.for_workspace(workspace)
        .select_related("user", "team")
        .order_by("user__full_name", "user__email")
    )


def workspace_users(workspace: Workspace) -> QuerySet[User]:
    return User.objects.filter(memberships__workspace=workspace).order_by("full_name", "email")


def is_member(workspace: Workspace, user_id: int) -> bool:
    return Membership.objects.for_workspace(workspace).filter(user_id=user_id).exists()


def team_list(workspace: Workspace) -> QuerySet[Team]:
    return Team.objects.for_workspace(workspace).order_by("name")


def tokens_of(workspace: Workspace, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.for_workspace(workspace).filter(user=user).order_by("-created_at")
