"""`accord contacts`: a contact's personal data, exported or erased."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.identity.cli_support import cli_actor, command_error
from accord.integrations.privacy.erase import erase_contact
from accord.integrations.privacy.export import personal_data_export


class Command(BaseCommand):
    help = (
        "A contact's personal data (admins and managers). "
        "personal-data ID: everything held about the contact as one JSON document; "
        "erase ID --yes: remove the contact and its personal data everywhere (deals stay). "
        "Example: accord contacts personal-data 42 --workspace acme --user ana@acme.com "
        "--output contact-42.json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("personal-data", help="export everything held about a contact")
        export.add_argument("contact_id", type=int)
        export.add_argument("--output", help="file to write (default: standard output)")
        erase = sub.add_parser("erase", help="erase a contact and its personal data")
        erase.add_argument("contact_id", type=int)
        erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
        for command in (export, erase):
            command.add_argument("--workspace", required=True, help="workspace slug")
            command.add_argument("--user", required=True, help="your email (admin or manager)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options["workspace"], options["user"])
        contact_id = options["contact_id"]
        try:
            if options["action"] == "personal-data":
                document = personal_data_export(actor=actor, contact_id=contact_id)
                text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
                if options["output"]:
                    Path(options["output"]).write_text(text, encoding="utf-8")
                    self.stderr.write(f"Wrote the personal data of contact {contact_id} to "
                                      f"{options['output']}")  # fmt: skip
                else:
                    sys.stdout.write(text)
                return
            if not options["yes"]:
                raise CommandError(
                    f"Erasing contact {contact_id} cannot be undone; add --yes to confirm."
                )
            erasure = erase_contact(actor=actor, contact_id=contact_id)
        except AccordError as exc:
            raise command_error(exc) from exc
        scrubbed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in erasure.scrubbed.items())
        removed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in erasure.removed.items())
        self.stdout.write(
            f"Erased contact {contact_id}. Removed: {removed}. Scrubbed: {scrubbed}. "
            f"Deals kept without the contact: {erasure.deals_kept}."
        )
