"""Benchmark: importing a contacts CSV end to end on the embedded SQLite default, beside a raw
`executemany` of the same rows into the same indexed table, measured in the same run.

    python bench/import_contacts.py            # 1,000,000 rows
    python bench/import_contacts.py --rows 100000

Each side runs in its own process on its own fresh database, so peak memory (max RSS) is
measured per side (for Accord: its process, plus the reader process it starts for a large
file). Targets (issue 3): at least 40,000 rows/s, Accord's time at most 2x the raw insert's,
and peak memory under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json

STAGES = ["Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity"]
SOURCES = ["Organic Search", "Paid Search", "Email Marketing", "Direct Traffic", "Paid Social"]
HEADER = [
    "Record ID", "First Name", "Last Name", "Email", "Job Title", "Lifecycle Stage",
    "Lead Status", "Original Source", "Create Date", "Company Name", "Website URL",
    "Country/Region",
]  # fmt: skip


def make_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    companies = max(rows // 4, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(rows):
            c = rng.randrange(companies)
            fh.write(
                f"{100000 + i},Ana,Lee{i},person{i}@firm{c}.example,Head of Ops,"
                f"{rng.choice(STAGES)},New,{rng.choice(SOURCES)},"
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 09:{i % 60:02d},Firm {c},"
                f"https://www.firm{c}.example,DE\n"
            )


def _setup() -> tuple[object, object]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    django.setup()
    from django.core.management import call_command

    from accord.crm.services.provisioning import provision_workspace
    from accord.identity.models import Role
    from accord.identity.services import membership_set, user_create, workspace_create

    call_command("migrate", verbosity=0)
    workspace = workspace_create(name="Bench", slug="bench")
    provision_workspace(workspace)
    user = user_create(email="bench@accord.example", password="bench-password-1")
    membership = membership_set(workspace=workspace, user=user, role=Role.ADMIN)
    return workspace, membership


def run_accord(path: Path) -> dict[str, float]:
    workspace, membership = _setup()
    from accord.identity.actor import Actor, Source
    from accord.integrations.importing.jobs import import_create, import_run

    actor = Actor.for_membership(membership, Source.CLI)  # type: ignore[arg-type]
    start = time.perf_counter()
    job = import_create(actor=actor, path=path, file_name=path.name, record_type="contacts")
    job = import_run(workspace_id=workspace.pk, job_id=job.pk)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    assert job.status == "succeeded", job.message
    return {"seconds": seconds, "created": job.created}


def run_raw(path: Path) -> dict[str, float]:
    """The same rows, already parsed into tuples (with the ids of their companies, created
    beforehand and not timed), inserted with one executemany per 5,000 rows."""
    import csv

    workspace, _ = _setup()
    from django.db import connection, transaction

    ws = workspace.pk  # type: ignore[attr-defined]
    now = "2026-01-01 00:00:00"
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        parsed = list(reader)
    domains = sorted({r[10].removeprefix("https://www.") for r in parsed})
    with connection.cursor() as cursor, transaction.atomic():
        cursor.executemany(
            "INSERT INTO crm_company (workspace_id, name, domain, industry, employee_count, "
            "country, owner_id, external_id, custom_fields, created_at, updated_at) "
            "VALUES (%s, %s, %s, '', NULL, '', NULL, '', '{}', %s, %s)",
            [(ws, d, d, now, now) for d in domains],
        )
        cursor.execute("SELECT domain, id FROM crm_company WHERE workspace_id = %s", [ws])
        company_ids = dict(cursor.fetchall())
    rows = [
        (ws, r[3], r[1], r[2], r[4], "", "", "", company_ids[r[10].removeprefix("https://www.")],
         "DE", None, "lead", "new", "paid_search", "", "", "", "", "", r[0], "{}",
         r[8] + ":00", now)
        for r in parsed
    ]  # fmt: skip
    columns = (
        "workspace_id, email, first_name, last_name, title, seniority, department, phone, "
        "company_id, country, owner_id, lifecycle_stage, lead_status, original_source, "
        "utm_source, utm_medium, utm_campaign, utm_content, utm_term, external_id, "
        "custom_fields, created_at, updated_at"
    )
    sql = f"INSERT INTO crm_contact ({columns}) VALUES ({', '.join(['%s'] * 23)})"
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            with transaction.atomic():
                cursor.executemany(sql, rows[i : i + 5000])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "created": len(rows)}


def _status_kb(pid: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _ChildMemory(threading.Thread):
    """Samples (Linux /proc, every 0.1 s) the peak of the reader process Accord starts, and of
    this process and its children together. Not getrusage(RUSAGE_CHILDREN): a child forked
    from a large parent inherits its max RSS across exec."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.child_peak_kb = 0
        self.together_peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = str(os.getpid())
        while not self.stop.wait(0.1):
            children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            for pid in children:
                self.child_peak_kb = max(self.child_peak_kb, _status_kb(pid, "VmHWM"))
            together = _status_kb(me, "VmRSS") + sum(_status_kb(p, "VmRSS") for p in children)
            self.together_peak_kb = max(self.together_peak_kb, together)


def _child(side: str, path: str) -> None:
    monitor = _ChildMemory()
    monitor.start()
    result = (run_accord if side == "accord" else run_raw)(Path(path))
    monitor.stop.set()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["child_peak_rss_mb"] = monitor.child_peak_kb / 1024
    result["together_peak_rss_mb"] = monitor.together_peak_kb / 1024
    sys.stdout.write(json.dumps(result) + "\n")


def _measure(side: str, path: Path) -> dict[str, float]:
    data_dir = tempfile.mkdtemp(prefix=f"accord-bench-{side}-")
    env = {**os.environ, "ACCORD_DATA_DIR": data_dir, "ACCORD_DEBUG": "0",
           "ACCORD_SECRET_KEY": "bench-" + "x" * 50, "ACCORD_INSECURE_HTTP": "1"}  # fmt: skip
    env.pop("ACCORD_DATABASE_URL", None)
    output = subprocess.run(
        [sys.executable, __file__, "--child", side, str(path)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    path = folder / "contacts.csv"
    make_file(path, args.rows)
    size_mb = path.stat().st_size / 1e6
    raw = _measure("raw", path)
    accord = _measure("accord", path)
    ratio = accord["seconds"] / raw["seconds"]
    print(f"contacts import, {args.rows:,} rows ({size_mb:.0f} MB CSV), SQLite")
    print(
        f"  raw executemany (reference): {raw['seconds']:.1f} s  "
        f"{args.rows / raw['seconds']:,.0f} rows/s  peak {raw['peak_rss_mb']:.0f} MB"
    )
    print(
        f"  accord import end to end:   {accord['seconds']:.1f} s  "
        f"{args.rows / accord['seconds']:,.0f} rows/s  peak {accord['peak_rss_mb']:.0f} MB "
        f"+ reader process {accord['child_peak_rss_mb']:.0f} MB "
        f"(both at once: {accord['together_peak_rss_mb']:.0f} MB)"
    )
    print(
        f"  ratio accord / raw: {ratio:.2f}x (target <= 2x); "
        f"rows/s target >= 40,000; peak target < 500 MB"
    )
    together = accord["together_peak_rss_mb"]
    at_size = args.rows >= 1_000_000 or None
    write_json(args.json, "import", [
        Figure(f"contacts import, {args.rows:,} rows", accord["seconds"], "s", raw["seconds"],
               "<= 2x the raw insert", ratio <= 2),
        Figure("import throughput", args.rows / accord["seconds"], "rows/s",
               args.rows / raw["seconds"], ">= 40,000 rows/s",
               at_size and args.rows / accord["seconds"] >= 40_000),
        Figure("import peak memory (process + reader)", together, "MB", raw["peak_rss_mb"],
               "< 500 MB", together < 500),
    ], rows=args.rows, csv_mb=size_mb)  # fmt: skip


if __name__ == "__main__":
    main()
