from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accord.core.errors import AccordError
from accord.crm.services.provisioning import provision_workspace
from accord.identity.services import default_teams_create, workspace_create


class Command(BaseCommand):
    help = (
        "Create a workspace (one business unit) with the default lifecycle stages, sales "
        "pipeline and two teams, Sales and Marketing (give members a team with `accord "
        "createuser --team`). Example: accord createworkspace 'Acme EMEA' --slug acme-emea "
        "--currency EUR"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", default="", help="short id used in commands and URLs")
        parser.add_argument("--currency", default="USD", help="ISO 4217 default currency")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                workspace = workspace_create(
                    name=options["name"],
                    slug=options["slug"],
                    currency=options["currency"],
                    timezone_name=options["timezone"],
                )
                provision_workspace(workspace)
                teams = default_teams_create(workspace)
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        names = " and ".join(t.name for t in teams)
        self.stdout.write(self.style.SUCCESS(f"Created workspace {workspace.slug} (teams {names})"))
