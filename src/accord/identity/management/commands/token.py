from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.core.arguments import int_between
from accord.core.errors import AccordError
from accord.identity import selectors, services
from accord.identity.cli_support import cli_actor


class Command(BaseCommand):
    help = (
        "Manage API tokens. 'accord token create --workspace acme --user ana@acme.com --name "
        "sync' prints a new token once (it is stored hashed); 'list' shows a user's tokens; "
        "'revoke ID' disables one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("token_id", nargs="?", type=int, help="token id (for revoke)")
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--user", required=True, help="email of the token's owner")
        parser.add_argument("--name", default="CLI token")
        parser.add_argument("--scope", choices=["read", "write"], default="write")
        parser.add_argument(
            "--expires-in-days", type=int_between(1, 3650), help="expire after N days (1-3650)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["workspace"], options["user"])
        try:
            if options["action"] == "create":
                days = options["expires_in_days"]
                expires = timezone.now() + dt.timedelta(days=days) if days else None
                token, plain = services.api_token_create(
                    actor=actor, name=options["name"], scope=options["scope"], expires_at=expires
                )
                self.stdout.write(f"Token {token.pk} ({token.scope}) created. Copy it now:")
                self.stdout.write(plain)
            elif options["action"] == "list":
                assert actor.user is not None
                for t in selectors.tokens_of(actor.workspace, actor.user):
                    state = "active" if t.is_active else "inactive"
                    self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.scope}\t{state}\t{t.name}")
            else:
                if options["token_id"] is None:
                    raise CommandError("Give the id of the token to revoke.")
                services.api_token_revoke(actor=actor, token_id=options["token_id"])
                self.stdout.write(self.style.SUCCESS(f"Token {options['token_id']} revoked."))
        except AccordError as exc:
            raise CommandError(exc.message) from exc
