from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accord.core.errors import AccordError
from accord.identity import services
from accord.identity.actor import Actor, Source
from accord.identity.cli_support import workspace_by_slug
from accord.identity.models import Role, User


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
        parser.add_argument("--role", choices=Role.values, default=Role.VIEWER)
        parser.add_argument(
            "--staff", action="store_true", help="may use the Django admin (/admin/)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Password: ")
        try:
            with transaction.atomic():
                workspace = (
                    workspace_by_slug(options["workspace"]) if options["workspace"] else None
                )
                user = User.objects.filter(email=options["email"].strip().lower()).first()
                if user is None:
                    user = services.user_create(
                        email=options["email"],
                        password=password,
                        full_name=options["name"],
                        is_staff=options["staff"],
                    )
                    self.stdout.write(self.style.SUCCESS(f"Created user {user.email}"))
                elif workspace is None:
                    raise CommandError(f"A user with email {user.email} exists already.")
                if workspace is not None:
                    services.membership_set(
                        workspace=workspace,
                        user=user,
                        role=options["role"],
                        actor=Actor.system(workspace, Source.CLI, rule="accord createuser"),
                    )
                    self.stdout.write(
                        self.style.SUCCESS(f"{user.email} is {options['role']} in {workspace.slug}")
                    )
        except AccordError as exc:
            raise CommandError(exc.message) from exc
