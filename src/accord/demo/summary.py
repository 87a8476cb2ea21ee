"""The tables `accord demo` prints: what was generated, and how to sign in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from accord.demo.loader import DemoResult


def summary_table(result: DemoResult) -> Table:
    dataset = result.dataset
    s = dataset.summary
    state = "reused (same seed and size; --fresh regenerates)" if result.reused else "generated"
    table = Table(title=f"Demo dataset {state}", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    rows = [
        ("Workspace", f"{dataset.parameters.get('workspace_name', '')} (slug demo)"),
        ("Seed", str(dataset.seed)),
        ("Data window", f"{s['window_start'][:10]} → {s['as_of'][:16].replace('T', ' ')} UTC"),
        ("Contacts", f"{s['contacts']:,}"),
        ("Companies", f"{s['companies']:,}"),
        (
            "Deals",
            f"{s['deals']:,} ({s['deals_won']:,} won, {s['deals_lost']:,} lost, "
            f"{s['deals_open']:,} open)",
        ),
        ("Deal stage changes", f"{s['deal_stage_changes']:,}"),
        ("Touchpoints", f"{s['touchpoints']:,}"),
        ("Activities", f"{s['activities']:,}"),
        ("Ledger entries", f"{s['ledger_entries']:,}"),
        ("Campaigns (weekly cost entries)", f"{s['campaigns']:,} ({s['campaign_costs']:,})"),
        ("Users", f"{s['users']:,}"),
        ("Time taken", f"{s['seconds']:.1f} s" if not result.reused else "0 s (reused)"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def login_table(result: DemoResult, *, host: str, port: int) -> Table:
    shown = "localhost" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - display only
    if ":" in shown:
        shown = f"[{shown}]"
    table = Table(title="Sign in", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("URL", f"http://{shown}:{port}/")
    table.add_row("Email", result.login_email)
    table.add_row("Password", result.password)
    table.add_row("Other users", "every demo user (e.g. sales.manager@northwind.example) has it")
    return table
