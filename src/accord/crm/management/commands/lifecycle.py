from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.crm.models import Contact
from accord.crm.services import ledger
from accord.identity.cli_support import cli_actor


class Command(BaseCommand):
    help = (
        "Move a contact to another lifecycle stage; the change is appended to the ledger with "
        "you as its author. Example: accord lifecycle ana@buyer.com sql --workspace acme "
        "--user rep@acme.com --reason 'Budget confirmed'"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact", help="the contact's email or id")
        parser.add_argument("stage", help="target lifecycle stage key, e.g. mql, sal, sql")
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--user", required=True, help="your email (the ledger records it)")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["workspace"], options["user"])
        contacts = Contact.objects.for_workspace(actor.workspace)
        ref = options["contact"].strip()
        contact = (
            contacts.filter(pk=int(ref)).first()
            if ref.isdigit()
            else contacts.filter(email=ref.lower()).first()
        )
        if contact is None:
            raise CommandError(f"No contact '{ref}' in workspace {actor.workspace.slug}.")
        try:
            entry = ledger.change_stage(
                actor=actor,
                contact_id=contact.pk,
                to_stage=options["stage"],
                reason=options["reason"],
            )
        except AccordError as exc:
            raise CommandError(exc.message) from exc
        if entry is None:
            self.stdout.write(f"{contact.email} is already in stage {contact.lifecycle_stage}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{contact.email}: {entry.from_stage} → {entry.to_stage} "
                    f"(ledger entry {entry.pk}, {entry.occurred_at:%Y-%m-%d %H:%M} UTC)"
                )
            )
