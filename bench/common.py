"""What every benchmark shares: the uniform machine-readable output (`--json FILE`), the
production-like environment a benchmark process runs in, the top-up of a demo workspace to the
issue's sizes, and the machine's details.

    python bench/common.py machine          # the machine's details as JSON

`--json FILE` makes a benchmark write its figures as

    {"benchmark": "rescore", "figures": [{"name": ..., "value": ..., "unit": ...,
      "reference": ..., "ratio": ..., "target": ..., "met": ..., "note": ...}], ...}

where `reference` is measured in the same run (None when there is none), `ratio` is
value / reference, `target` a plain statement ("<= 1 s") and `met` whether it is met (None when
no target applies or the size is not the target's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: float | None = None
    target: str | None = None
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", metavar="FILE", default=None, help="also write the figures to FILE as JSON"
    )


def write_json(path: str | None, benchmark: str, figures: list[Figure], **context: Any) -> None:
    """Write the figures (no-op without a path)."""
    if not path:
        return
    document = {
        "benchmark": benchmark,
        "figures": [f.as_dict() for f in figures],
        "context": context,
    }
    Path(path).write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


def bench_environment(data_dir: str | Path) -> None:
    """Production settings (no query log) on `data_dir`, with a throwaway key for this local
    run; the embedded SQLite unless a database URL was given on purpose."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("ACCORD_DEBUG", "0")
    os.environ.setdefault("ACCORD_INSECURE_HTTP", "1")
    os.environ.setdefault("ACCORD_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    # The benchmarks time the queries themselves, so repeated runs must not be answered from the
    # metric result cache (the load test serves with the production default, cache on).
    os.environ.setdefault("ACCORD_METRICS_CACHE_SECONDS", "0")


# -- top-up: the demo generator gives ~3.6 touchpoints and ~0.07 deals per contact ----------


def _top_up(table: str, columns: str, shifted: str, target: int) -> int:
    """Copy existing rows (new ids, times shifted) until `table` holds `target` rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id) FROM {table}")
        count, last = cursor.fetchone()
        added = 0
        while count + added < target:
            batch = min(target - count - added, count)
            cursor.execute(
                f"INSERT INTO {table} (id, {columns}) SELECT id + %s, {shifted} "
                f"FROM {table} WHERE id <= %s ORDER BY id LIMIT %s",
                [last, last, batch],
            )
            added += batch
            last += last
    return added


def top_up_all(touchpoints: int, deals: int) -> dict[str, int]:
    """Top the (only) workspace's touchpoints and deals up to these counts (0: leave as is) by
    copying existing rows with their times shifted by a few days; the rows added per table."""
    from django.db import transaction

    added = {"touchpoints": 0, "deals": 0}
    with transaction.atomic():
        if touchpoints:
            cols = ("workspace_id, contact_id, campaign_id, channel, type, utm_source, "
                    "utm_medium, utm_campaign, utm_content, utm_term, landing_page, referrer, "
                    "custom_fields, created_at, updated_at")  # fmt: skip
            added["touchpoints"] = _top_up(
                "marketing_touchpoint",
                f"occurred_at, {cols}",
                f"datetime(occurred_at, '-3 days'), {cols}",
                touchpoints,
            )
        if deals:
            cols = ("workspace_id, name, pipeline_id, stage_id, status, amount, currency, "
                    "owner_id, company_id, primary_contact_id, expected_close_date, source, "
                    "close_reason, external_id, custom_fields, updated_at")  # fmt: skip
            added["deals"] = _top_up(
                "crm_deal",
                f"created_at, closed_at, {cols}",
                f"datetime(created_at, '-5 days'), datetime(closed_at, '-5 days'), {cols}",
                deals,
            )
    return added


# -- the machine --------------------------------------------------------------------------


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=20).stdout.strip()  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _postgres_version() -> str:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    binary = str(found[-1]) if found else shutil.which("postgres")
    return _run([binary, "--version"]).removeprefix("postgres ") if binary else "not installed"


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, load, Python, SQLite, PostgreSQL and DuckDB versions, commit."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:  # pragma: no cover - a dependency
        duck = "not installed"
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "bench"])
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or 0),
        "ram": ram,
        "load average (1, 5, 15 min)": ", ".join(f"{x:.1f}" for x in load),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "duckdb": duck,
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("what", choices=["machine"])
    parser.parse_args()
    sys.stdout.write(json.dumps(machine(), indent=2) + "\n")


if __name__ == "__main__":
    main()
