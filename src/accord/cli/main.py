"""The `accord` console command.

Every sub-command is a Django management command owned by the context it belongs to; this entry
point only prepares the environment, prints a curated overview for `accord --help`, and hands the
arguments to Django.
"""

from __future__ import annotations

import os
import secrets
import sys

import accord

# (command, one-line summary) in the order a new user meets them.
COMMANDS: list[tuple[str, str]] = [
    ("demo", "Create a demo workspace with ~12 months of realistic data and serve it"),
    ("serve", "Serve the web app and the REST API (production WSGI server)"),
    ("migrate", "Create or upgrade the database schema"),
    ("createuser", "Create a user (and optionally a workspace and membership)"),
    ("member", "List, add, change or remove a workspace's members (acting as its admin)"),
    ("createworkspace", "Create a workspace with the default lifecycle stages and pipeline"),
    ("lifecycle", "Move a contact to another lifecycle stage (written to the ledger)"),
    (
        "import",
        "Import contacts, companies, deals … from CSV/XLSX (HubSpot, Salesforce, Pipedrive)",
    ),
    ("export", "Export a list (with its filters) to CSV or Parquet"),
    ("contacts", "A contact's personal data: export everything held about it, or erase it"),
    ("rescore", "Re-score contacts with the active lead definition (ledger: lead → MQL)"),
    ("predict", "Train the predictive score and show its test AUC, calibration and verdict"),
    ("backtest", "Replay a lead definition over past months beside the active one"),
    ("sla", "Show, draft, approve and activate the SLA agreement between the teams"),
    ("handoff", "Work handed-off leads: list, accept, reject, recycle; run the SLA sweep"),
    ("report", "Print a metric (the funnel) as a table, CSV or the API's JSON document"),
    ("goal", "Set a revenue goal; show the plan it needs from each team, and its pacing"),
    ("digest", "Preview or send the weekly digest (email and Slack) to both teams"),
    ("attribution", "Marketing's part in revenue and pipeline per channel, model by model"),
    ("experiment", "Experiments judged on pipeline outcomes: results and the learnings log"),
    ("asset", "The sales-enablement library: assets, usage on deals, win-rate report"),
    ("calendar", "The marketing calendar and the sales capacity plan (MQLs per seller)"),
    ("meeting", "Joint meetings: the schedule, generated agendas and action items"),
    ("alignment", "The alignment scorecard, the behavioural index and the survey's pulses"),
    ("token", "Create, list or revoke API tokens"),
    ("audit", "The audit log: who changed what, when, from where; list or export as CSV"),
    ("worker", "Run background jobs: imports, re-scores, webhook deliveries and retries"),
    ("backup", "Back up the database and uploaded files into one file (SQLite or PostgreSQL)"),
    ("restore", "Restore a backup (refuses to overwrite a database holding data without --force)"),
    ("bench", "Run every benchmark (--quick for small sizes); append the figures to the docs"),
    ("version", "Print the Accord version"),
]


def _print_overview() -> None:
    width = max(len(name) for name, _ in COMMANDS)
    lines = [
        f"Accord {accord.__version__} — the shared revenue workspace for sales and marketing.",
        "",
        "Usage: accord COMMAND [options]      accord COMMAND --help for a command's options",
        "",
        "Commands:",
        *(f"  {name.ljust(width)}  {summary}" for name, summary in COMMANDS),
        "",
        "Environment: ACCORD_DATABASE_URL (default: SQLite in ACCORD_DATA_DIR, ./.accord),",
        "ACCORD_SECRET_KEY (required unless ACCORD_DEBUG=1), ACCORD_ALLOWED_HOSTS.",
        "Every Django management command (check, shell, dbshell, …) also works.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def _prepare_demo_environment() -> None:
    """The demo runs on plain HTTP on loopback: allow non-secure cookies, and generate a secret
    key for this process if none is configured, so a first run needs no set-up. Its emails (the
    digest, escalations, reminders) are files in the data folder's outbox, not SMTP."""
    os.environ.setdefault("ACCORD_INSECURE_HTTP", "1")
    os.environ.setdefault("ACCORD_MAIL_OUTBOX", "1")
    os.environ.setdefault("ACCORD_SSL_REDIRECT", "0")
    if not os.environ.get("ACCORD_SECRET_KEY") and os.environ.get("ACCORD_DEBUG") != "1":
        os.environ["ACCORD_SECRET_KEY"] = secrets.token_urlsafe(50)


def _exit_on_bad_configuration() -> None:
    """Load the settings now, so a missing secret key or a bad variable is one line saying what
    to set (exit status 2) rather than the traceback Django would print from inside a command."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading one setting loads them all
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        _print_overview()
        return
    if args[0] in {"version", "--version", "-V"}:
        sys.stdout.write(f"accord {accord.__version__}\n")
        return
    if args[0] in {"demo", "bench"}:  # local runs on loopback
        _prepare_demo_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    _exit_on_bad_configuration()
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(["accord", *args])
    except (OperationalError, InterfaceError) as exc:  # down, read-only or full: no traceback
        from accord.core.database_errors import database_problem

        sys.stderr.write(f"Error: {database_problem(exc)[1]} ({exc})\n")
        sys.exit(1)
    except OSError as exc:  # a file or folder named on the command line, a port in use …
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
