"""`accord handoff` and `accord sla`: sales works handed-off leads and both teams take the SLA
agreement from template to active, from the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from accord.crm.models import Contact, LedgerEntry
from accord.crm.services import contacts as contact_services
from accord.crm.services.activities import activity_create
from accord.handoff import dispositions, routing_settings
from accord.handoff.models import (
    Dispute,
    Escalation,
    Handoff,
    HandoffStatus,
    RejectionReason,
    SlaAgreement,
    SlaApproval,
    SlaState,
)
from accord.handoff.tests.factories import SalesFloor, activate_sla, make_mql, sales_floor
from accord.identity.models import Workspace

pytestmark = pytest.mark.django_db(transaction=True)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
FALLBACK = "fallback: no rule matched an available owner"
REASON_KEYS = (
    "not_icp, no_budget, bad_data, duplicate, unresponsive, student_competitor, bad_timing"
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def cells(output: str) -> list[list[str]]:
    """A text table's rows, split into cells (columns are two or more spaces apart)."""
    return [re.split(r"\s{2,}", line) for line in output.strip().splitlines()]


def german_floor(workspace: Workspace) -> SalesFloor:
    """One rep takes German leads; the rest fall to the queue. Due times in Berlin time."""
    Workspace.objects.filter(pk=workspace.pk).update(timezone="Europe/Berlin")
    workspace.refresh_from_db()
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)  # round the clock, first touch within 4 hours
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={
            "name": "Germany",
            "conditions": [{"attribute": "country", "operator": "equals", "value": "DE"}],
            "user_id": floor.sellers[0].user_id,
        },
    )
    return floor


def handoff_of(contact: Contact) -> Handoff:
    return Handoff.objects.for_workspace(contact.workspace_id).get(contact=contact)


def leads(floor: SalesFloor) -> tuple[Handoff, Handoff, Handoff]:
    """At Monday 10:00 UTC: two German leads for rep0 (one touched at 11:00), one in the queue."""
    with time_machine.travel(MONDAY_10, tick=False):
        anna = make_mql(floor, "anna@buyer.example", country="DE")
        bernd = make_mql(floor, "bernd@buyer.example", country="DE")
        carla = make_mql(floor, "carla@buyer.example")
    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=1), tick=False):  # logged at once
        activity_create(
            actor=floor.actor(floor.sellers[0]),
            values={
                "kind": "call",
                "contact_id": anna.pk,
                "occurred_at": MONDAY_10 + dt.timedelta(hours=1),
            },
        )
    return handoff_of(anna), handoff_of(bernd), handoff_of(carla)


# accord handoff list -------------------------------------------------------------------------


def test_list_as_a_table(workspace) -> None:  # type: ignore[no-untyped-def]
    anna, bernd, carla = leads(german_floor(workspace))
    output = run("handoff", "list", "--workspace", "acme")
    assert cells(output) == [
        ["id", "contact email", "owner", "status", "SLA", "due (Europe/Berlin)", "chosen by"],
        [str(carla.pk), "carla@buyer.example", "queue", "open", "due", "2026-11-23 15:00",
         FALLBACK],
        [str(bernd.pk), "bernd@buyer.example", "rep0@acme.example", "open", "due",
         "2026-11-23 15:00", "rule: Germany"],
        [str(anna.pk), "anna@buyer.example", "rep0@acme.example", "open", "met",
         "2026-11-23 15:00", "rule: Germany"],
        ["3 handoffs."],
    ]  # fmt: skip
    header, first = output.splitlines()[:2]
    assert header.index("owner") == first.index("queue")  # the columns line up


def test_list_as_csv_and_json(workspace) -> None:  # type: ignore[no-untyped-def]
    anna, bernd, carla = leads(german_floor(workspace))
    assert run("handoff", "list", "--workspace", "acme", "--format", "csv") == (
        "id,contact_email,owner,status,sla_state,due,chosen_by\n"
        f"{carla.pk},carla@buyer.example,,open,due,2026-11-23T15:00:00+01:00,{FALLBACK}\n"
        f"{bernd.pk},bernd@buyer.example,rep0@acme.example,open,due,"
        "2026-11-23T15:00:00+01:00,rule: Germany\n"
        f"{anna.pk},anna@buyer.example,rep0@acme.example,open,met,"
        "2026-11-23T15:00:00+01:00,rule: Germany\n"
    )
    data = json.loads(run("handoff", "list", "--workspace", "acme", "--format", "json"))
    assert data == [
        {"id": carla.pk, "contact_email": "carla@buyer.example", "owner": None,
         "status": "open", "sla_state": "due", "due": "2026-11-23T15:00:00+01:00",
         "chosen_by": FALLBACK},
        {"id": bernd.pk, "contact_email": "bernd@buyer.example", "owner": "rep0@acme.example",
         "status": "open", "sla_state": "due", "due": "2026-11-23T15:00:00+01:00",
         "chosen_by": "rule: Germany"},
        {"id": anna.pk, "contact_email": "anna@buyer.example", "owner": "rep0@acme.example",
         "status": "open", "sla_state": "met", "due": "2026-11-23T15:00:00+01:00",
         "chosen_by": "rule: Germany"},
    ]  # fmt: skip


def test_list_filters_and_limit(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = german_floor(workspace)
    anna, bernd, carla = leads(floor)
    dispositions.handoff_accept(actor=floor.actor(floor.sellers[0]), handoff_id=bernd.pk)

    def ids(*args: str) -> list[int]:
        rows = run("handoff", "list", "--workspace", "acme", "--format", "json", *args)
        return [row["id"] for row in json.loads(rows)]

    assert ids("--owner", "queue") == [carla.pk]
    assert ids("--owner", "me", "--as", "rep0@acme.example") == [bernd.pk, anna.pk]
    assert ids("--owner", "rep0@acme.example", "--status", "open") == [anna.pk]
    assert ids("--status", "accepted") == [bernd.pk]
    assert ids("--sla", "met") == [anna.pk]
    # Bernd was accepted untouched today, days after Monday's deadline: his clock is breached.
    assert ids("--sla", "breached") == [bernd.pk]
    assert ids("--limit", "1") == [carla.pk]
    assert run("handoff", "list", "--workspace", "acme", "--limit", "2").splitlines()[-1] == (
        "Showing 2 of 3 handoffs; raise --limit for more."
    )
    assert run("handoff", "list", "--workspace", "acme", "--sla", "paused") == (
        "No handoffs match.\n"
    )
    with pytest.raises(CommandError, match=r"--owner me needs --as EMAIL"):
        run("handoff", "list", "--workspace", "acme", "--owner", "me")
    with pytest.raises(CommandError, match=r"nobody@acme\.example is not a member"):
        run("handoff", "list", "--workspace", "acme", "--owner", "nobody@acme.example")


# Decisions --------------------------------------------------------------------------------


def test_accept_then_accept_again_fails_and_exits_non_zero(workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    floor = german_floor(workspace)
    _, bernd, _ = leads(floor)
    rep = ("--workspace", "acme", "--as", "rep0@acme.example")
    assert run("handoff", "accept", str(bernd.pk), *rep, "--comment", "Budget confirmed") == (
        f"Handoff {bernd.pk} accepted: bernd@buyer.example is now a SAL.\n"
    )
    handoff = Handoff.objects.for_workspace(workspace).get(pk=bernd.pk)
    assert (handoff.status, handoff.comment, handoff.decided_by) == (
        HandoffStatus.ACCEPTED, "Budget confirmed", floor.sellers[0].user
    )  # fmt: skip
    ledger = LedgerEntry.objects.for_workspace(workspace).filter(contact_id=bernd.contact_id)
    latest = ledger.latest("id")
    assert (latest.from_stage, latest.to_stage, latest.source, latest.actor_user) == (
        "mql", "sal", "cli", floor.sellers[0].user
    )  # fmt: skip
    entries = ledger.count()

    rep0 = re.escape(floor.sellers[0].user.display_name)
    with pytest.raises(CommandError, match=rf"This lead was already accepted by {rep0}; nothing"):
        run("handoff", "accept", str(bernd.pk), *rep)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["accord", "handoff", "accept", str(bernd.pk), *rep])
    assert exit_info.value.code == 1
    assert "already accepted" in capsys.readouterr().err
    assert ledger.count() == entries


def test_reject_needs_a_reason(workspace, capsys) -> None:  # type: ignore[no-untyped-def]
    _, bernd, _ = leads(german_floor(workspace))
    rep = ("--workspace", "acme", "--as", "rep0@acme.example")
    with pytest.raises(CommandError, match="the following arguments are required: --reason"):
        run("handoff", "reject", str(bernd.pk), *rep)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["accord", "handoff", "reject", str(bernd.pk), *rep])
    assert exit_info.value.code == 2
    assert "usage: accord handoff reject" in capsys.readouterr().err
    assert Handoff.objects.for_workspace(workspace).get(pk=bernd.pk).status == "open"


def test_reject_with_an_unknown_reason_names_the_known_ones(workspace) -> None:  # type: ignore[no-untyped-def]
    _, bernd, _ = leads(german_floor(workspace))
    ledger = LedgerEntry.objects.for_workspace(workspace)
    entries, reasons = ledger.count(), RejectionReason.objects.for_workspace(workspace).count()
    rep = ("--workspace", "acme", "--as", "rep0@acme.example")
    with pytest.raises(CommandError) as error:
        run("handoff", "reject", str(bernd.pk), *rep, "--reason", "too_small")
    assert str(error.value) == f"Unknown reason 'too_small' ({REASON_KEYS})."
    handoff = Handoff.objects.for_workspace(workspace).get(pk=bernd.pk)
    assert (handoff.status, handoff.reason, handoff.decided_at) == ("open", None, None)
    assert ledger.count() == entries
    assert RejectionReason.objects.for_workspace(workspace).count() == reasons

    assert run("handoff", "reject", str(bernd.pk), *rep, "--reason", "not_icp") == (
        f"Handoff {bernd.pk} rejected (not_icp: Not our ideal customer profile): "
        "bernd@buyer.example is now disqualified.\n"
    )
    assert Contact.objects.for_workspace(workspace).get(pk=bernd.contact_id).lifecycle_stage == (
        "disqualified"
    )


def test_reasons_lists_the_codes(workspace) -> None:  # type: ignore[no-untyped-def]
    rows = cells(run("handoff", "reasons", "--workspace", "acme"))
    assert rows[0] == ["key", "label", "lead becomes", "needs the SLA's attempts"]
    assert rows[1] == ["not_icp", "Not our ideal customer profile", "disqualified", "-"]
    assert rows[5] == ["unresponsive", "Unresponsive after the agreed attempts", "recycled", "yes"]
    assert ", ".join(row[0] for row in rows[1:]) == REASON_KEYS


def test_claim_reassign_pause_resume_recycle(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = german_floor(workspace)
    _, bernd, carla = leads(floor)
    rep = ("--workspace", "acme", "--as", "rep0@acme.example")
    manager = ("--workspace", "acme", "--as", "sm@acme.example")
    with time_machine.travel(MONDAY_10 + dt.timedelta(minutes=30), tick=False):
        assert run("handoff", "claim", str(carla.pk), *rep) == (
            f"Handoff {carla.pk} (carla@buyer.example) is now yours; first touch due "
            "2026-11-23 15:00 (Europe/Berlin).\n"
        )
        assert run("handoff", "pause", str(carla.pk), *rep, "--reason", "Out of office") == (
            f"SLA clock of handoff {carla.pk} paused: Out of office.\n"
        )
    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=2, minutes=30), tick=False):
        assert run("handoff", "resume", str(carla.pk), *rep) == (
            f"SLA clock of handoff {carla.pk} is running again; first touch due "
            "2026-11-23 17:00 (Europe/Berlin).\n"
        )
    with pytest.raises(CommandError, match=r"Your role \(sales_rep\) does not allow"):
        run("handoff", "reassign", str(carla.pk), *rep, "--to", "sm@acme.example")
    assert run("handoff", "reassign", str(carla.pk), *manager, "--to", "sm@acme.example") == (
        f"Handoff {carla.pk} (carla@buyer.example) reassigned to sm@acme.example.\n"
    )
    assert handoff_of(Contact.objects.for_workspace(workspace).get(pk=carla.contact_id)).owner == (
        floor.sales_manager.user
    )
    with pytest.raises(CommandError, match=r"No handoff with id 999999 in this workspace\."):
        run("handoff", "claim", "999999", *rep)
    until = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    assert run("handoff", "recycle", str(bernd.pk), *rep, "--until", until) == (
        f"Handoff {bernd.pk} recycled: bernd@buyer.example returns to marketing's nurture "
        f"until {until}.\n"
    )
    with pytest.raises(CommandError, match="not a date: use YYYY-MM-DD"):
        run("handoff", "recycle", str(carla.pk), *manager, "--until", "next week")


def test_dispute_and_resolve(workspace) -> None:  # type: ignore[no-untyped-def]
    _, bernd, _ = leads(german_floor(workspace))
    run("handoff", "reject", str(bernd.pk), "--workspace", "acme", "--as", "rep0@acme.example",
        "--reason", "not_icp")  # fmt: skip
    marketer = ("--workspace", "acme", "--as", "marketer@acme.example")
    assert run("handoff", "dispute", str(bernd.pk), *marketer, "--comment", "They fit") == (
        f"Rejection of handoff {bernd.pk} disputed; the sales managers were told.\n"
    )
    with pytest.raises(CommandError, match="already been disputed once"):
        run("handoff", "dispute", str(bernd.pk), *marketer, "--comment", "Again")
    with pytest.raises(CommandError, match=r"does not allow this action \(resolve_disputes\)"):
        run("handoff", "resolve", str(bernd.pk), *marketer, "--outcome", "upheld",
            "--resolution", "No")  # fmt: skip
    assert run(
        "handoff", "resolve", str(bernd.pk), "--workspace", "acme", "--as", "sm@acme.example",
        "--outcome", "overturned", "--resolution", "Fits the ICP after all",
    ) == (
        f"Dispute of handoff {bernd.pk} resolved: rejection overturned; the lead is an MQL "
        "again and is handed over anew.\n"
    )  # fmt: skip
    dispute = Dispute.objects.for_workspace(workspace).get(handoff_id=bernd.pk)
    assert (dispute.outcome, dispute.resolution) == ("overturned", "Fits the ICP after all")
    reopened = Handoff.objects.for_workspace(workspace).filter(
        contact_id=bernd.contact_id, status="open"
    )
    assert reopened.count() == 1


# Sweep and route --------------------------------------------------------------------------


def test_sweep_prints_the_counts(workspace) -> None:  # type: ignore[no-untyped-def]
    leads(german_floor(workspace))  # bernd and carla are due at 14:00 UTC, anna was touched
    assert run("handoff", "sweep", "--now", "2026-11-23T13:59:00+00:00") == (
        "SLA sweep: 0 breached, 0 escalated to manager, 0 met (late-logged), 0 routed, "
        "0 requeued (owner left).\n"
    )
    assert run("handoff", "sweep", "--now", "2026-11-23T14:30:00") == (
        "SLA sweep: 2 breached, 0 escalated to manager, 0 met (late-logged), 0 routed, "
        "0 requeued (owner left).\n"
    )
    states = Handoff.objects.for_workspace(workspace).values_list("sla_state", flat=True)
    assert sorted(states) == [SlaState.BREACHED, SlaState.BREACHED, SlaState.MET]
    # The default grace is 4 business hours after the breach: the managers hear of it at 18:00.
    assert run("handoff", "sweep", "--now", "2026-11-23T18:00:00+00:00") == (
        "SLA sweep: 0 breached, 2 escalated to manager, 0 met (late-logged), 0 routed, "
        "0 requeued (owner left).\n"
    )
    assert Escalation.objects.for_workspace(workspace).filter(kind="breach_manager").count() > 0
    with pytest.raises(CommandError, match="is not a time: use ISO 8601"):
        run("handoff", "sweep", "--now", "tomorrow")


def test_route_hands_over_mqls_without_a_handoff(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = german_floor(workspace)
    # Created directly as an MQL: no lifecycle change was published, so nothing routed it.
    contact_services.contact_create(
        actor=floor.system,
        values={"email": "dora@buyer.example", "lifecycle_stage": "mql", "country": "DE"},
    )
    assert Handoff.objects.for_workspace(workspace).count() == 0
    assert run("handoff", "route", "--workspace", "acme") == (
        "Routed 1 MQL without an open handoff (0 to the fallback queue).\n"
    )
    handoff = Handoff.objects.for_workspace(workspace).get()
    assert (handoff.owner, handoff.chosen_by) == (floor.sellers[0].user, "rule: Germany")
    assert run("handoff", "route", "--workspace", "acme") == (
        "Every MQL already has an open handoff; nothing to route.\n"
    )


# accord sla ---------------------------------------------------------------------------------

DEFAULT_SHOWN = [
    "",
    "Marketing promises",
    "  200 MQLs per month",
    "Sales promises",
    "  first touch within 4 business hours of assignment",
    "  3 attempts within 5 business days before a lead may be rejected as unresponsive",
    "  a breach not fixed within 4 business hours (grace) goes to the sales manager",
    "The buyer's cap",
    "  at most 6 touches per contact in any 24 hours (sales calls, emails and meetings plus "
    "marketing emails)",
    "Calendars (business hours)",
    "  default (UTC): Mon-Fri 09:00-17:00",
]


def test_sla_from_template_to_active(workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sales_floor(workspace)
    path = tmp_path / "sla.json"
    path.write_text(run("sla", "template"), encoding="utf-8")
    sm = ("--workspace", "acme", "--as", "sm@acme.example")
    mm = ("--workspace", "acme", "--as", "mm@acme.example")
    assert run("sla", "draft", str(path), *sm, "--comment", "First agreement").startswith(
        "Draft v1 created (id "
    )
    agreement = SlaAgreement.objects.for_workspace(workspace).get()
    pk = str(agreement.pk)
    with pytest.raises(CommandError, match="missing approval: marketing, sales"):
        run("sla", "activate", pk, *sm)
    assert run("sla", "propose", pk, *sm).startswith("v1 proposed; a marketing manager and ")
    with pytest.raises(CommandError, match="Only a manager of this workspace's marketing team"):
        run("sla", "approve", pk, "--workspace", "acme", "--as", "marketer@acme.example")
    assert run("sla", "approve", "v1", *mm) == (
        "mm@acme.example approved v1 for marketing; waiting for the sales side.\n"
    )
    assert run("sla", "approve", pk, *sm) == (
        "sm@acme.example approved v1 for sales; both sides have approved. Activate it with: "
        f"accord sla activate {pk} --workspace acme --as EMAIL\n"
    )
    assert run("sla", "activate", pk, *sm) == (
        "v1 is now the active SLA agreement; leads handed over from now on are timed by it.\n"
    )
    agreement.refresh_from_db()
    assert agreement.status == "active"
    approvals = SlaApproval.objects.for_workspace(workspace).filter(agreement=agreement)
    assert sorted(approvals.values_list("team_kind", "user__email")) == [
        ("marketing", "mm@acme.example"), ("sales", "sm@acme.example")
    ]  # fmt: skip

    lines = run("sla", "show", "--workspace", "acme").splitlines()
    assert re.fullmatch(
        rf"SLA agreement v1 \(id {pk}\): active since \d{{4}}-\d\d-\d\d \d\d:\d\d \(UTC\)",
        lines[0],
    )
    assert lines[1:] == [
        "Comment: First agreement",
        "Approved by: marketing (mm@acme.example), sales (sm@acme.example)",
        *DEFAULT_SHOWN,
    ]
    assert cells(run("sla", "list", "--workspace", "acme")) == [
        ["id", "version", "status", "author", "approved by", "comment"],
        [pk, "v1", "active", "sm@acme.example", "marketing, sales", "First agreement"],
    ]
    assert run("sla", "rollback", pk, *sm) == (
        f"v2 (id {pk_of(workspace, 2)}) proposes the terms of v1 again; it needs a marketing "
        "and a sales manager's approval before it can be activated.\n"
    )
    assert run("sla", "show", "--workspace", "acme", "--version", "2").splitlines()[1:3] == [
        "Comment: Roll back to v1",
        "",
    ]


def pk_of(workspace: Workspace, version: int) -> int:
    return SlaAgreement.objects.for_workspace(workspace).get(version=version).pk


def test_a_bad_sla_file_lists_every_field_error(workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sales_floor(workspace)
    document = json.loads(run("sla", "template"))
    document["sales"]["first_touch_hours"] = 0
    document["calendars"]["default"]["timezone"] = "Mars/Olympus_Mons"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("sla", "draft", str(path), "--workspace", "acme", "--as", "sm@acme.example")
    assert str(error.value).splitlines() == [
        "The SLA agreement is not valid; nothing was saved.",
        "  document.sales.first_touch_hours: Input should be greater than 0",
        "  document.calendars.default.timezone: unknown time zone 'Mars/Olympus_Mons' "
        "(use e.g. Europe/Berlin)",
    ]
    assert SlaAgreement.objects.for_workspace(workspace).count() == 0
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match=rf"Cannot read {re.escape(str(path))}: Expecting"):
        run("sla", "draft", str(path), "--workspace", "acme", "--as", "sm@acme.example")


def test_sla_show_without_an_agreement_says_how_to_start(workspace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=r"no active SLA agreement yet\. Start from"):
        run("sla", "show", "--workspace", "acme")
    with pytest.raises(CommandError, match=r"has no SLA agreement v3"):
        run("sla", "show", "--workspace", "acme", "--version", "3")


# Help ---------------------------------------------------------------------------------------


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ACCORD_DEBUG": "1"},
        timeout=120,
        check=False,
    )


def test_help_lists_and_explains_the_commands() -> None:
    overview = _accord("--help").stdout
    assert "\n  sla " in overview and "\n  handoff " in overview
    for args in (("handoff",), ("handoff", "list"), ("handoff", "reject"), ("sla",),
                 ("sla", "draft")):  # fmt: skip
        result = _accord(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert f"usage: accord {' '.join(args)}" in result.stdout
    assert "--reason KEY" in _accord("handoff", "reject", "--help").stdout


def test_sla_report_shows_both_sides(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    contact = make_mql(floor, "report@example.org")
    activity_create(
        actor=floor.actor(floor.sellers[0]), values={"kind": "call", "contact_id": contact.pk}
    )
    out = run("sla", "report", "--workspace", workspace.slug, "--days", "30")
    assert "Marketing: MQL volume" in out
    rows = {row[0]: row for row in cells(out) if row and row[0] in ("Everyone",)}
    assert rows["Everyone"][1:5] == ["1", "1", "0", "0"]
    data = json.loads(run("sla", "report", "--workspace", workspace.slug, "--format", "json"))
    assert data["first_touch"][-1]["met"] == 1 and data["volume"][-1]["mqls"] == 1
    with pytest.raises(CommandError, match="--days must be at least 1"):
        run("sla", "report", "--workspace", workspace.slug, "--days", "0")


def test_the_template_writes_the_business_hours_in_the_workspaces_zone(workspace) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(run("sla", "template"))["calendars"]["default"]["timezone"] == "UTC"
    workspace.timezone = "Europe/Berlin"
    workspace.save(update_fields=["timezone"])
    document = json.loads(run("sla", "template", "--workspace", workspace.slug))
    calendar = document["calendars"]["default"]
    assert calendar["timezone"] == "Europe/Berlin"
    assert calendar["hours"]["monday"] == [["09:00", "17:00"]]
    assert "saturday" not in calendar["hours"]
