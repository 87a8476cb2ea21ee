"""Resolving the workspace and acting user named on the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from django.core.management.base import CommandError

from accord.core.errors import AccordError
from accord.identity.actor import Actor, Source
from accord.identity.models import User, Workspace
from accord.identity.selectors import membership_in


def workspace_by_slug(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        known = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True)[:10])
        raise CommandError(f"No workspace '{slug}'. Known workspaces: {known or 'none yet'}.")
    return workspace


def cli_actor(workspace_slug: str, user_email: str) -> Actor:
    """The actor for a CLI write: a member of the workspace, named with --user."""
    workspace = workspace_by_slug(workspace_slug)
    user = User.objects.filter(email=user_email.strip().lower()).first()
    if user is None:
        raise CommandError(f"No user with email {user_email}.")
    membership = membership_in(user, workspace.pk)
    if membership is None:
        raise CommandError(f"{user_email} is not a member of workspace '{workspace.slug}'.")
    return Actor.for_membership(membership, Source.CLI)


def command_error(exc: AccordError) -> CommandError:
    """A domain error as the CLI shows it: the message, then every field's `path: message`."""
    lines = [exc.message]
    for path, messages in exc.fields.items():
        lines += [f"  {path}: {message}" for message in messages if message != exc.message]
    return CommandError("\n".join(lines))


def whole_number(value: str, *, unit: str = "") -> int:
    """An argparse type: a whole number of at least 1 (`unit` names what is counted)."""
    suffix = f" {unit}" if unit else ""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"give at least 1{suffix}")
    return number


def text_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, numbers_right: bool = False
) -> str:
    """Plain columns two spaces apart, easy to read and to grep; with `numbers_right` every
    column but the first is right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in (headers, *rows):
        cells = [
            cell.rjust(width) if numbers_right and i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
