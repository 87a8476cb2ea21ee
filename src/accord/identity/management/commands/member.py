"""`accord member`: a workspace's members, managed by one of its admins.

    accord member list --workspace acme
    accord member add sam@acme.com --role sales_rep --team Sales --workspace acme \
        --user ana@acme.com
    accord member set sam@acme.com --role manager --workspace acme --user ana@acme.com
    accord member remove sam@acme.com --workspace acme --user ana@acme.com

`add` emails someone new to Accord a link to choose their password, and prints it for the
operator to pass on should the mail not arrive. `remove` revokes the
member's API tokens in the workspace and returns their open leads to the fallback queue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.identity import members
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.identity.models import Membership, Role, User, Workspace
from accord.identity.selectors import workspace_members
from accord.identity.services import team_by_name


class Command(BaseCommand):
    help = (
        "List, add, change or remove the members of a workspace. 'accord member list "
        "--workspace acme'; add, set and remove act as an admin named with --user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "add", "set", "remove"])
        parser.add_argument("email", nargs="?", help="the member's email (add, set, remove)")
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--user", help="email of the admin who acts (add, set, remove)")
        parser.add_argument("--role", choices=Role.values, help="role (add: viewer if omitted)")
        parser.add_argument("--team", help="team by name, e.g. Sales; 'none' for no team (set)")
        parser.add_argument("--name", default="", help="full name of someone new (add)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(workspace_by_slug(options["workspace"]))
            return
        if not options["email"]:
            raise CommandError(f"Give the email of the member to {action}.")
        if not options["user"]:
            raise CommandError(f"'{action}' acts as an admin: give --user ADMIN_EMAIL.")
        actor = cli_actor(options["workspace"], options["user"])
        try:
            if action == "add":
                self._add(actor, options)
            else:
                membership = _membership(actor.workspace, options["email"])
                if action == "set":
                    self._set(actor, membership, options)
                else:
                    members.member_remove(actor=actor, membership_id=membership.pk)
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{membership.user.email} was removed from {actor.workspace.slug}; "
                            "their API tokens there are revoked and their open leads requeued."
                        )
                    )
        except AccordError as exc:
            raise command_error(exc) from exc

    def _list(self, workspace: Workspace) -> None:
        rows = [
            (
                m.user.email,
                m.user.full_name or "-",
                m.role,
                m.team.name if m.team else "-",
                m.user.last_login.strftime("%Y-%m-%d") if m.user.last_login else "never",
            )
            for m in workspace_members(workspace)
        ]
        headers = ("email", "name", "role", "team", "last sign-in")
        self.stdout.write(text_table(headers, rows))
        self.stdout.write(f"{len(rows)} member{'s' if len(rows) != 1 else ''}.")

    def _add(self, actor: Any, options: dict[str, Any]) -> None:
        team = team_by_name(actor.workspace, options["team"]) if options["team"] else None
        membership, created = members.member_add(
            actor=actor,
            email=options["email"],
            role=options["role"] or Role.VIEWER,
            full_name=options["name"],
            team_id=team.pk if team else None,
        )
        in_team = f", team {team.name}" if team else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{membership.user.email} is {membership.role} in {actor.workspace.slug}{in_team}."
            )
        )
        if created:
            link = members.password_link(actor=actor, user=membership.user)
            days = settings.PASSWORD_RESET_TIMEOUT // 86400
            self.stdout.write(
                f"They are new to Accord: a link to choose a password was emailed to them. "
                f"Should the mail not reach them, pass on this one (valid {days} days, once):"
            )
            self.stdout.write(link.url)

    def _set(self, actor: Any, membership: Membership, options: dict[str, Any]) -> None:
        if options["role"] is None and options["team"] is None:
            raise CommandError("Give --role or --team to change.")
        team_id = membership.team_id
        if options["team"] is not None:
            none = options["team"].strip().lower() == "none"
            team_id = None if none else team_by_name(actor.workspace, options["team"]).pk
        changed = members.member_change(
            actor=actor,
            membership_id=membership.pk,
            role=options["role"] or membership.role,
            team_id=team_id,
        )
        in_team = f", team {changed.team.name}" if changed.team else ", no team"
        self.stdout.write(self.style.SUCCESS(f"{changed.user.email} is {changed.role}{in_team}."))


def _membership(workspace: Workspace, email: str) -> Membership:
    user = User.objects.filter(email=email.strip().lower()).first()
    membership = (
        Membership.objects.for_workspace(workspace).filter(user=user).first() if user else None
    )
    if membership is None:
        raise CommandError(f"{email} is not a member of workspace '{workspace.slug}'.")
    return membership
