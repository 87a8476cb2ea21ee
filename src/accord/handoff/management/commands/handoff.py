"""`accord handoff`: work handed-off leads from the command line — list them, claim, accept,
reject, recycle, reassign, pause and resume their SLA clocks, dispute and resolve rejections —
and run the SLA sweep or the routing of MQLs left without a handoff.

Every write calls a handoff service as the member named with --as; a domain error becomes a
`CommandError` (exit code 1) and the service's transaction has written nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.handoff import clocks, dispositions
from accord.handoff.assignment import route_contacts
from accord.handoff.models import (
    DisputeOutcome,
    Handoff,
    HandoffStatus,
    RejectionReason,
    SlaState,
)
from accord.handoff.routing_settings import ensure_default_reasons
from accord.handoff.sweep import sweep_all, unrouted_mqls
from accord.identity.actor import Actor
from accord.identity.cli_support import (
    cli_actor,
    command_error,
    text_table,
    whole_number,
    workspace_by_slug,
)
from accord.identity.models import User, Workspace
from accord.identity.permissions import Action
from accord.identity.selectors import membership_in

LIST_FIELDS = ("id", "contact_email", "owner", "status", "sla_state", "due", "chosen_by")
SLA_FILTERS = (SlaState.DUE, SlaState.MET, SlaState.BREACHED, SlaState.PAUSED)


# Shared by the `handoff` and `sla` commands ------------------------------------------------


def workspace_zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def add_scope(sub: argparse.ArgumentParser, *, acting: bool) -> None:
    """--workspace, and --as (alias --user): the member the command acts as."""
    sub.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
    sub.add_argument(
        "--as",
        "--user",
        dest="acting_user",
        metavar="EMAIL",
        required=acting,
        help=(
            "your email: you must be a member of the workspace; the change records you"
            if acting
            else "act as this member (needed for --owner me)"
        ),
    )


# Argument types ----------------------------------------------------------------------------


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date: use YYYY-MM-DD") from None


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a time: use ISO 8601, e.g. 2026-11-23T15:00:00+00:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Work the leads marketing handed to sales: list them, then claim, accept, reject "
        "(with a reason code), recycle, reassign, pause or resume the SLA clock, dispute or "
        "resolve a rejection. Example: accord handoff list --workspace acme --as "
        "rep@acme.com --owner me --sla due"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def sub(name: str, summary: str, *, acting: bool | None = True) -> Any:
            p = subs.add_parser(name, help=summary, description=summary)
            if acting is not None:
                add_scope(p, acting=acting)
            return p

        p = sub("list", "List handed-off leads, newest first.", acting=False)
        p.add_argument("--status", choices=HandoffStatus.values)
        p.add_argument(
            "--owner", metavar="EMAIL|me|queue", help="a member's leads, yours, or the queue"
        )
        p.add_argument("--sla", choices=[s.value for s in SLA_FILTERS], help="SLA state")
        p.add_argument("--format", choices=["table", "csv", "json"], default="table")
        p.add_argument("--limit", type=whole_number, default=50, help="at most N rows (50)")

        p = sub("claim", "Take a lead from the fallback queue.")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p = sub("accept", "Accept a lead: it becomes a sales-accepted lead (SAL).")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--comment", default="")
        p = sub("reject", "Reject a lead with a reason code (see `accord handoff reasons`).")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--reason", required=True, metavar="KEY", help="a reason code key")
        p.add_argument("--comment", default="", help="what marketing can learn from it")
        p = sub("recycle", "Send a lead back to marketing's nurture until a date.")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--until", required=True, type=_date, metavar="YYYY-MM-DD")
        p.add_argument("--comment", default="")
        p = sub("reassign", "Give an open lead to another member (managers).")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--to", required=True, metavar="EMAIL", help="the new owner's email")
        p = sub("pause", "Stop a lead's first-touch clock, e.g. the buyer is out of office.")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--reason", required=True, help="why the clock stops")
        p = sub("resume", "Restart a paused first-touch clock.")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p = sub("dispute", "Question a rejection (marketing; once per lead).")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--comment", required=True, help="why the rejection looks wrong")
        p = sub("resolve", "Resolve a disputed rejection (managers).")
        p.add_argument("handoff_id", type=int, metavar="ID")
        p.add_argument("--outcome", required=True, choices=["upheld", "overturned"])
        p.add_argument("--resolution", required=True, metavar="TEXT", help="the decision, why")

        p = sub(
            "sweep",
            "Run the SLA sweep once over every workspace: declare breaches, escalate, and "
            "route MQLs left without a handoff (`accord worker` does this on a schedule).",
            acting=None,
        )
        p.add_argument(
            "--now", type=_instant, metavar="ISO", help="sweep as of this time (UTC if no zone)"
        )
        p = sub("reasons", "List the workspace's rejection reason codes.", acting=None)
        p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
        p = sub("route", "Route every MQL that has no open handoff.", acting=None)
        p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")

    def handle(self, *args: Any, **options: Any) -> None:
        actions: dict[str, Callable[[dict[str, Any]], None]] = {
            "list": self._list,
            "sweep": self._sweep,
            "reasons": self._reasons,
            "route": self._route,
        }
        action = options["action"]
        if action in actions:
            actions[action](options)
            return
        actor = cli_actor(options["workspace"], options["acting_user"])
        try:
            message = self._decide(actor, action, options)
        except AccordError as exc:
            raise command_error(exc) from exc
        self.stdout.write(self.style.SUCCESS(message))

    # Writes --------------------------------------------------------------------------------

    def _decide(self, actor: Actor, action: str, options: dict[str, Any]) -> str:
        decisions: dict[str, Callable[[Actor, int, dict[str, Any]], str]] = {
            "claim": _claim,
            "accept": _accept,
            "reject": _reject,
            "recycle": _recycle,
            "reassign": _reassign,
            "pause": _pause,
            "resume": _resume,
            "dispute": _dispute,
            "resolve": _resolve,
        }
        return decisions[action](actor, options["handoff_id"], options)

    # Reads and jobs ------------------------------------------------------------------------

    def _list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        actor = None
        if options["acting_user"]:
            actor = cli_actor(workspace.slug, options["acting_user"])
            try:
                actor.require(Action.READ)
            except AccordError as exc:
                raise command_error(exc) from exc
        handoffs = Handoff.objects.for_workspace(workspace).select_related("contact", "owner")
        if options["status"]:
            handoffs = handoffs.filter(status=options["status"])
        if options["sla"]:
            handoffs = handoffs.filter(sla_state=options["sla"])
        owner = (options["owner"] or "").strip()
        if owner == "queue":
            handoffs = handoffs.filter(owner__isnull=True)
        elif owner == "me":
            if actor is None or actor.user is None:
                raise CommandError("--owner me needs --as EMAIL (who you are).")
            handoffs = handoffs.filter(owner=actor.user)
        elif owner:
            handoffs = handoffs.filter(owner=_member(workspace, owner))
        limit: int = options["limit"]
        rows = [_list_row(h, workspace_zone(workspace)) for h in handoffs[:limit]]
        if options["format"] == "json":
            data = [{**row, "due": row["due"].isoformat() if row["due"] else None} for row in rows]
            self.stdout.write(json.dumps(data, indent=2))
        elif options["format"] == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(LIST_FIELDS)
            for row in rows:
                due = row["due"].isoformat() if row["due"] else ""
                writer.writerow([*(row[f] or "" for f in LIST_FIELDS[:5]), due, row["chosen_by"]])
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            self._list_table(workspace, rows, total=handoffs.count() if len(rows) == limit else 0)

    def _list_table(self, workspace: Workspace, rows: list[dict[str, Any]], total: int) -> None:
        if not rows:
            self.stdout.write("No handoffs match.")
            return
        headers = (
            "id",
            "contact email",
            "owner",
            "status",
            "SLA",
            f"due ({workspace_zone(workspace).key})",
            "chosen by",
        )
        cells = [
            (
                str(row["id"]),
                row["contact_email"],
                row["owner"] or "queue",
                row["status"],
                row["sla_state"],
                row["due"].strftime("%Y-%m-%d %H:%M") if row["due"] else "-",
                row["chosen_by"],
            )
            for row in rows
        ]
        self.stdout.write(text_table(headers, cells))
        if total > len(rows):
            self.stdout.write(f"Showing {len(rows)} of {total} handoffs; raise --limit for more.")
        else:
            self.stdout.write(f"{len(rows)} handoff{'s' if len(rows) != 1 else ''}.")

    def _sweep(self, options: dict[str, Any]) -> None:
        totals = sweep_all(options["now"])
        self.stdout.write(
            f"SLA sweep: {totals['breached']} breached, {totals['escalated_to_manager']} "
            f"escalated to manager, {totals['met_late_logged']} met (late-logged), "
            f"{totals['routed']} routed, {totals['requeued']} requeued (owner left)."
        )

    def _reasons(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        ensure_default_reasons(workspace.pk)
        reasons = RejectionReason.objects.for_workspace(workspace).filter(is_active=True)
        cells = [(r.key, r.label, r.outcome, "yes" if r.needs_attempts else "-") for r in reasons]
        headers = ("key", "label", "lead becomes", "needs the SLA's attempts")
        self.stdout.write(text_table(headers, cells))

    def _route(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        missing = unrouted_mqls(workspace.pk)
        if not missing:
            self.stdout.write("Every MQL already has an open handoff; nothing to route.")
            return
        handoffs = route_contacts(workspace.pk, missing)
        queued = sum(1 for h in handoffs if h.owner_id is None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Routed {len(handoffs)} MQL{'s' if len(handoffs) != 1 else ''} without an open "
                f"handoff ({queued} to the fallback queue)."
            )
        )


# One function per write: call the service as the actor, say what happened ------------------


def _claim(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    handoff = dispositions.handoff_claim(actor=actor, handoff_id=pk)
    due = _due(handoff, workspace_zone(actor.workspace))
    return f"Handoff {pk} ({handoff.contact.email}) is now yours{due}."


def _accept(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    handoff = dispositions.handoff_accept(actor=actor, handoff_id=pk, comment=options["comment"])
    return f"Handoff {pk} accepted: {handoff.contact.email} is now a SAL."


def _reject(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    handoff = dispositions.handoff_reject(
        actor=actor, handoff_id=pk, reason=options["reason"], comment=options["comment"]
    )
    reason = handoff.reason
    assert reason is not None
    return (
        f"Handoff {pk} rejected ({reason.key}: {reason.label}): "
        f"{handoff.contact.email} is now {reason.outcome}."
    )


def _recycle(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    until: dt.date = options["until"]
    handoff = dispositions.handoff_recycle(
        actor=actor, handoff_id=pk, until=until, comment=options["comment"]
    )
    return (
        f"Handoff {pk} recycled: {handoff.contact.email} returns to marketing's nurture "
        f"until {until.isoformat()}."
    )


def _reassign(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    owner = _member(actor.workspace, options["to"])
    handoff = dispositions.handoff_reassign(actor=actor, handoff_id=pk, user_id=owner.pk)
    return f"Handoff {pk} ({handoff.contact.email}) reassigned to {owner.email}."


def _pause(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    handoff = clocks.handoff_pause(actor=actor, handoff_id=pk, reason=options["reason"])
    return f"SLA clock of handoff {pk} paused: {handoff.pause_reason}."


def _resume(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    handoff = clocks.handoff_resume(actor=actor, handoff_id=pk)
    due = _due(handoff, workspace_zone(actor.workspace))
    return f"SLA clock of handoff {pk} is running again{due}."


def _dispute(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    dispositions.handoff_dispute(actor=actor, handoff_id=pk, comment=options["comment"])
    return f"Rejection of handoff {pk} disputed; the sales managers were told."


def _resolve(actor: Actor, pk: int, options: dict[str, Any]) -> str:
    dispute = dispositions.dispute_resolve(
        actor=actor, handoff_id=pk, outcome=options["outcome"], resolution=options["resolution"]
    )
    if dispute.outcome == DisputeOutcome.OVERTURNED:
        return (
            f"Dispute of handoff {pk} resolved: rejection overturned; the lead is an MQL again "
            "and is handed over anew."
        )
    return f"Dispute of handoff {pk} resolved: rejection upheld."


def _member(workspace: Workspace, email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None or membership_in(user, workspace.pk) is None:
        raise CommandError(f"{email} is not a member of workspace '{workspace.slug}'.")
    return user


def _due(handoff: Handoff, zone: ZoneInfo) -> str:
    if handoff.first_touch_due_at is None or handoff.sla_state != SlaState.DUE:
        return ""
    due = handoff.first_touch_due_at.astimezone(zone)
    return f"; first touch due {due:%Y-%m-%d %H:%M} ({zone.key})"


def _list_row(handoff: Handoff, zone: ZoneInfo) -> dict[str, Any]:
    due = handoff.first_touch_due_at
    return {
        "id": handoff.pk,
        "contact_email": handoff.contact.email,
        "owner": handoff.owner.email if handoff.owner else None,
        "status": handoff.status,
        "sla_state": handoff.sla_state,
        "due": due.astimezone(zone) if due else None,
        "chosen_by": handoff.chosen_by,
    }
