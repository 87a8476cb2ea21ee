from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accord.core.errors import AccordError
from accord.identity import services
from accord.identity.actor import Actor, Source
from accord.identity.cli_support import workspace_by_slug
from accord.identity.models import Membership, Role, Team, User, Workspace


class Command(BaseCommand):
    help = (
        "Create a user who signs in with an email address, and optionally add them to a "
        "workspace with a role. Example: accord createuser --email ana@acme.com "
        "--name 'Ana Ruiz' --workspace acme --role manager"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument(
            "--password", help="password (asked for when omitted; at least 8 characters)"
        )
        parser.add_argument("--workspace", help="slug of a workspace to add the user to")
        parser.add_argument(
            "--role",
            choices=Role.values,
            help="role in --workspace (viewer for a new member; given to change a member's role)",
        )
        parser.add_argument(
            "--team",
            help="team in --workspace by name, e.g. Sales or Marketing (a manager of each "
            "approves definitions and SLA agreements); given to change a member's team",
        )
        parser.add_argument(
            "--staff", action="store_true", help="may use the Django admin (/admin/)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            with transaction.atomic():
                workspace = (
                    workspace_by_slug(options["workspace"]) if options["workspace"] else None
                )
                if options["team"] and workspace is None:
                    raise CommandError("--team needs --workspace.")
                team = (
                    services.team_by_name(workspace, options["team"])
                    if workspace is not None and options["team"]
                    else None
                )
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = services.user_create(
                        email=options["email"],
                        password=options["password"] or _ask_password(),
                        full_name=options["name"],
                        is_staff=options["staff"],
                    )
                    self.stdout.write(self.style.SUCCESS(f"Created user {user.email}"))
                elif workspace is None:
                    raise CommandError(f"A user with email {user.email} exists already.")
                elif options["password"]:
                    self.stdout.write(f"{user.email} exists: their password is left unchanged.")
                if workspace is not None:
                    self._join(workspace, user, options["role"], team)
        except AccordError as exc:
            raise CommandError(exc.message) from exc

    def _join(self, workspace: Workspace, user: User, role: str | None, team: Team | None) -> None:
        """Add the user to the workspace, or change their role or team there when --role or
        --team says so (what is not given is kept; the only admin is never demoted)."""
        member = Membership.objects.for_workspace(workspace).filter(user=user).first()
        if member is not None:
            if role is None and team is None:
                raise CommandError(
                    f"{user.email} is already {member.role} in {workspace.slug}; "
                    "pass --role or --team to change it."
                )
            role = role or member.role
            team = team or member.team
            if role == member.role and team == member.team:
                self.stdout.write(f"{user.email} is already {role} in {workspace.slug}.")
                return
            admins = Membership.objects.for_workspace(workspace).filter(role=Role.ADMIN)
            if (
                member.role == Role.ADMIN
                and role != Role.ADMIN
                and not admins.exclude(pk=member.pk).exists()
            ):
                raise CommandError(
                    f"{user.email} is the only admin of {workspace.slug}; make someone else "
                    "admin first."
                )
        services.membership_set(
            workspace=workspace,
            user=user,
            role=role or Role.VIEWER,
            team=team,
            actor=Actor.system(workspace, Source.CLI, rule="accord createuser"),
        )
        now = role or Role.VIEWER
        change = f" (was {member.role})" if member is not None and member.role != now else ""
        in_team = f", team {team.name}" if team is not None else ""
        self.stdout.write(
            self.style.SUCCESS(f"{user.email} is {now} in {workspace.slug}{in_team}{change}")
        )


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise CommandError("Give --password: there is no terminal to ask for it on.")
    try:
        return getpass.getpass("Password: ")
    except EOFError:
        raise CommandError("No password given.") from None
