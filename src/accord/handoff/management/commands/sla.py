"""`accord sla`: the two-way SLA agreement from the command line — read the active one, start a
draft from a JSON file, and take it through proposal, both managers' approval and activation
(or roll back to an earlier version)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.core.periods import last_days
from accord.definitions.models import DefinitionStatus
from accord.handoff import agreements
from accord.handoff.business_hours import MIDNIGHT
from accord.handoff.management.commands.handoff import add_scope, workspace_zone
from accord.handoff.models import SlaAgreement, SlaApproval
from accord.handoff.reports import sla_report
from accord.handoff.sla_document import WEEKDAYS, CalendarSpec, SlaDocument
from accord.identity.actor import Actor
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug
from accord.identity.models import Workspace

ID_HELP = "the agreement's id, or its version as v3 (see `accord sla list`)"


def _plural(count: float, noun: str, plural: str = "") -> str:
    return f"{count:g} {noun if count == 1 else plural or noun + 's'}"


def _clock(moment: dt.time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def _until(moment: dt.time) -> str:
    """An interval's end: midnight ends the day ("24:00")."""
    return "24:00" if moment == MIDNIGHT else _clock(moment)


def _week(spec: CalendarSpec) -> str:
    """Business hours with consecutive days of equal hours grouped: 'Mon-Fri 09:00-17:00'."""
    days = [(day, tuple(spec.hours.get(day, ()))) for day in WEEKDAYS]
    if all(hours == days[0][1] for _, hours in days) and days[0][1]:
        groups = [("every day", days[0][1])]
    else:
        groups = []
        start = 0
        for i in range(1, len(days) + 1):
            if i == len(days) or days[i][1] != days[start][1]:
                if days[start][1]:
                    first, last = days[start][0][:3].title(), days[i - 1][0][:3].title()
                    groups.append((first if first == last else f"{first}-{last}", days[start][1]))
                start = i
    if not groups:
        return "closed"
    return "; ".join(
        f"{label} {', '.join(f'{_clock(a)}-{_until(b)}' for a, b in hours)}"
        for label, hours in groups
    )


def describe(agreement: SlaAgreement, document: SlaDocument, zone: ZoneInfo) -> list[str]:
    """The agreement as readable text, the same terms both managers approved."""
    moments = {
        DefinitionStatus.ACTIVE: ("active since", agreement.activated_at),
        DefinitionStatus.RETIRED: ("retired", agreement.retired_at),
        DefinitionStatus.PROPOSED: ("proposed", agreement.proposed_at),
    }
    label, moment = moments.get(DefinitionStatus(agreement.status), (agreement.status, None))
    when = f" {moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})" if moment else ""
    lines = [f"SLA agreement v{agreement.version} (id {agreement.pk}): {label}{when}"]
    if agreement.comment:
        lines.append(f"Comment: {agreement.comment}")
    approvals = SlaApproval.objects.for_workspace(agreement.workspace_id).filter(
        agreement=agreement
    )
    signed = [
        f"{a.team_kind} ({a.user.email})"
        for a in approvals.select_related("user").order_by("team_kind")
    ]
    if signed:
        lines.append(f"Approved by: {', '.join(signed)}")
    lines += ["", "Marketing promises"]
    for target in document.marketing.targets:
        segment = f" in segment '{target.segment}'" if target.segment else ""
        lines.append(f"  {_plural(target.mqls, 'MQL')} per {target.period}{segment}")
    sales = document.sales
    lines += [
        "Sales promises",
        f"  first touch within {_plural(sales.first_touch_hours, 'business hour')} of assignment",
        f"  {_plural(sales.attempts_before_unresponsive, 'attempt')} within "
        f"{_plural(sales.attempt_days, 'business day')} before a lead may be rejected as "
        "unresponsive",
        f"  a breach not fixed within {_plural(sales.manager_grace_hours, 'business hour')} "
        "(grace) goes to the sales manager",
        "The buyer's cap",
        f"  at most {_plural(document.buyer.max_touches, 'touch', 'touches')} "
        f"per contact in any {_plural(document.buyer.window_hours, 'hour')} (sales calls, "
        "emails and meetings plus marketing emails)",
        "Calendars (business hours)",
    ]
    for name, spec in sorted(document.calendars.items(), key=lambda item: item[0] != "default"):
        lines.append(f"  {name} ({spec.timezone}): {_week(spec)}")
        if spec.holidays:
            lines.append(f"    holidays: {', '.join(d.isoformat() for d in spec.holidays)}")
    return lines


class Command(BaseCommand):
    help = (
        "The SLA agreement between marketing and sales: show the active one, list versions, "
        "start a draft from a JSON file (`accord sla template` prints one to start from), "
        "propose it, approve it (a marketing and a sales manager), activate or roll back. "
        "Example: accord sla draft sla.json --workspace acme --as sm@acme.com"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def sub(name: str, summary: str, *, acting: bool | None = True) -> Any:
            p = subs.add_parser(name, help=summary, description=summary)
            if acting is not None:
                add_scope(p, acting=acting)
            return p

        p = sub("show", "Show the active agreement (or one version) as text.", acting=None)
        p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
        p.add_argument("--version", type=int, metavar="N", help="show version N instead")
        p = sub("list", "List every version with its status and approvals.", acting=None)
        p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
        p = sub("draft", "Create a draft from a JSON file (see `accord sla template`).")
        p.add_argument("file", type=Path, metavar="FILE.json")
        p.add_argument("--comment", default="", help="what changes and why")
        p = sub("propose", "Propose a draft for both managers' approval.")
        p.add_argument("agreement", metavar="ID", help=ID_HELP)
        p = sub("approve", "Approve a proposed version for your side (managers).")
        p.add_argument("agreement", metavar="ID", help=ID_HELP)
        p = sub("activate", "Make an approved version the active agreement.")
        p.add_argument("agreement", metavar="ID", help=ID_HELP)
        p = sub("rollback", "Propose an earlier version's terms again, as a new version.")
        p.add_argument("agreement", metavar="ID", help=ID_HELP)
        p.add_argument("--comment", default="")
        p = sub("template", "Print the default agreement as JSON to start a draft from.",
                acting=None)  # fmt: skip
        p.add_argument("--workspace", metavar="SLUG",
                       help="write the business hours in this workspace's time zone")  # fmt: skip
        p = sub("report", "Both sides' compliance over the last N days.", acting=None)
        p.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
        p.add_argument("--days", type=int, default=90, help="the last N days, today included (90)")
        p.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "template":
            zone = (
                workspace_by_slug(options["workspace"]).timezone if options["workspace"] else "UTC"
            )
            self.stdout.write(json.dumps(agreements.default_sla(zone), indent=2))
            return
        if action == "report":
            self._report(workspace_by_slug(options["workspace"]), options)
            return
        if action in ("show", "list"):
            workspace = workspace_by_slug(options["workspace"])
            if action == "show":
                self._show(workspace, options["version"])
            else:
                self._list(workspace)
            return
        actor = cli_actor(options["workspace"], options["acting_user"])
        try:
            message = self._write(actor, action, options)
        except AccordError as exc:
            raise command_error(exc) from exc
        self.stdout.write(self.style.SUCCESS(message))

    def _write(self, actor: Actor, action: str, options: dict[str, Any]) -> str:
        who = f"--workspace {actor.workspace.slug}"
        if action == "draft":
            draft = agreements.sla_create_draft(
                actor=actor, document=_read(options["file"]), comment=options["comment"]
            )
            return (
                f"Draft v{draft.version} created (id {draft.pk}). Propose it with: "
                f"accord sla propose {draft.pk} {who} --as EMAIL"
            )
        pk = _agreement_id(actor.workspace, options["agreement"])
        if action == "propose":
            proposed = agreements.sla_propose(actor=actor, agreement_id=pk)
            return (
                f"v{proposed.version} proposed; a marketing manager and a sales manager approve "
                f"it with: accord sla approve {pk} {who} --as EMAIL"
            )
        if action == "approve":
            approval = agreements.sla_approve(actor=actor, agreement_id=pk)
            agreement = approval.agreement
            done = f"{approval.user.email} approved v{agreement.version} for {approval.team_kind}"
            if agreement.status == DefinitionStatus.APPROVED:
                return (
                    f"{done}; both sides have approved. Activate it with: "
                    f"accord sla activate {pk} {who} --as EMAIL"
                )
            other = "sales" if approval.team_kind == "marketing" else "marketing"
            return f"{done}; waiting for the {other} side."
        if action == "activate":
            active = agreements.sla_activate(actor=actor, agreement_id=pk)
            return (
                f"v{active.version} is now the active SLA agreement; leads handed over from "
                "now on are timed by it."
            )
        assert action == "rollback"
        earlier = SlaAgreement.objects.for_workspace(actor.workspace).filter(pk=pk).first()
        again = agreements.sla_rollback(actor=actor, agreement_id=pk, comment=options["comment"])
        assert earlier is not None  # the service raised NotFound otherwise
        return (
            f"v{again.version} (id {again.pk}) proposes the terms of v{earlier.version} again; "
            "it needs a marketing and a sales manager's approval before it can be activated."
        )

    def _show(self, workspace: Workspace, version: int | None) -> None:
        if version is not None:
            agreement = (
                SlaAgreement.objects.for_workspace(workspace).filter(version=version).first()
            )
            if agreement is None:
                raise CommandError(
                    f"Workspace {workspace.slug} has no SLA agreement v{version}; "
                    f"`accord sla list --workspace {workspace.slug}` shows the versions."
                )
        else:
            active = agreements.active_agreement(workspace)
            if active is None:
                raise CommandError(
                    f"Workspace {workspace.slug} has no active SLA agreement yet. Start from "
                    "`accord sla template > sla.json`, then `accord sla draft sla.json "
                    f"--workspace {workspace.slug} --as EMAIL`."
                )
            agreement = active[0]
        document = agreements.agreement_document(agreement)
        self.stdout.write("\n".join(describe(agreement, document, workspace_zone(workspace))))

    def _list(self, workspace: Workspace) -> None:
        versions = list(
            SlaAgreement.objects.for_workspace(workspace)
            .select_related("author")
            .order_by("-version")
        )
        if not versions:
            self.stdout.write(
                f"Workspace {workspace.slug} has no SLA agreement yet; "
                "`accord sla template` prints one to start from."
            )
            return
        sides: dict[int, list[str]] = {}
        for agreement_id, kind in (
            SlaApproval.objects.for_workspace(workspace)
            .order_by("team_kind")
            .values_list("agreement_id", "team_kind")
        ):
            sides.setdefault(agreement_id, []).append(kind)
        cells = [
            (
                str(a.pk),
                f"v{a.version}",
                a.status,
                a.author.email if a.author else "-",
                ", ".join(sides.get(a.pk, [])) or "-",
                a.comment or "-",
            )
            for a in versions
        ]
        headers = ("id", "version", "status", "author", "approved by", "comment")
        self.stdout.write(text_table(headers, cells))

    def _report(self, workspace: Workspace, options: dict[str, Any]) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        report = sla_report(workspace, *last_days(options["days"]))
        if options["format"] == "json":
            self.stdout.write(json.dumps(dataclasses.asdict(report), default=str, indent=2))
            return

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{100 * value:.1f}%"

        self.stdout.write(
            f"SLA report, last {options['days']} days (agreement v"
            f"{report.agreement_version or '-'})\n\nMarketing: MQL volume"
        )
        self.stdout.write(
            text_table(
                ("period", "segment", "MQLs", "target", "attained", "pacing"),
                [
                    (
                        v.period,
                        v.segment or "all",
                        str(v.mqls),
                        str(v.target),
                        pct(v.attainment),
                        v.pacing or "-",
                    )
                    for v in report.volume
                ],
            )
        )
        self.stdout.write(f"\nSales: first touch within {report.first_touch_hours} business hours")
        self.stdout.write(
            text_table(
                (
                    "owner",
                    "handed over",
                    "met",
                    "breached",
                    "running",
                    "compliance",
                    "95% interval",
                ),
                [
                    (
                        r.owner,
                        str(r.handed_over),
                        str(r.met),
                        str(r.breached),
                        str(r.due),
                        pct(r.compliance.value),
                        f"{pct(r.compliance.low)}-{pct(r.compliance.high)}"
                        if r.compliance.n
                        else "-",
                    )
                    for r in report.first_touch
                ],
            )
        )
        attempts = report.attempts
        self.stdout.write(
            f"\nSales: {attempts.successes} of {attempts.n} unresponsive rejections had the "
            f"agreed attempts ({pct(attempts.value)})."
            f"\nBuyer: {_plural(report.cap_violations, 'touch', 'touches')} over the cap on "
            f"{_plural(report.contacts_over_cap, 'contact')}."
        )


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc


def _agreement_id(workspace: Workspace, ref: str) -> int:
    text = ref.strip().lower()
    if text.isdigit():
        return int(text)
    if text.startswith("v") and text[1:].isdigit():
        pk = (
            SlaAgreement.objects.for_workspace(workspace)
            .filter(version=int(text[1:]))
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            raise CommandError(f"Workspace {workspace.slug} has no SLA agreement {text}.")
        return pk
    raise CommandError(f"'{ref}' is not an agreement id (12) or a version (v3).")
