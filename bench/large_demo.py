"""What the metrics benchmarks share: the large demo workspace (Django set up on a data
directory, migrated, the seeded demo generated there once and reused), and warm timing.

Run as a script, it is the demo-generation benchmark and the data step of `accord bench`:

    python bench/large_demo.py --contacts 1000000 --data-dir /tmp/accord-bench/1000000 \
        --touchpoints 10000000 --deals 100000 --json out.json

It generates the seeded demo into --data-dir (timed; reused when already there, in which case
the figures recorded when it was generated are reported again, marked as such; --fresh
regenerates), then tops the workspace up to --touchpoints / --deals. Reference, measured in the
same run as the generation: `VACUUM INTO` a new file, i.e. SQLite itself writing the same rows
and indexes with no Python in between.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, bench_environment, top_up_all, write_json

RUNS = 20
GENERATION_RECORD = "bench-generation.json"


def large_demo(contacts: int, data_dir: str) -> Any:
    """The demo workspace of `contacts` contacts in `data_dir` (generated if missing)."""
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.setdefault("ACCORD_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    os.environ.setdefault("ACCORD_METRICS_CACHE_SECONDS", "0")  # time the queries, not the cache
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    from accord.demo.loader import demo_generate

    call_command("migrate", verbosity=0)
    return demo_generate(contacts=contacts, seed=42, as_of=None).dataset.workspace


def timed(run: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    """The median and 95th percentile of `runs` warm runs, in seconds."""
    run()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[int(0.95 * (runs - 1))]


def _generate(contacts: int, data_dir: Path, fresh: bool) -> dict[str, Any]:
    """Generate (or reuse) the demo; the generation's figures, recorded in the data dir."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accord.demo.loader import demo_generate

    record = data_dir / GENERATION_RECORD
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    result = demo_generate(contacts=contacts, seed=42, as_of=None, fresh=fresh)
    seconds = time.perf_counter() - started
    if result.reused:
        if record.exists():
            return {**json.loads(record.read_text()), "reused": True}
        return {"contacts": contacts, "seconds": None, "reused": True, "measured": "elsewhere"}
    copy = Path(tempfile.mkdtemp(prefix="accord-bench-vacuum-", dir=data_dir)) / "copy.sqlite3"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    reference = time.perf_counter() - started
    size = copy.stat().st_size
    copy.unlink()
    copy.parent.rmdir()
    figures = {
        "contacts": contacts,
        "seconds": seconds,
        "reference": reference,
        "database_mb": size / 1e6,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "reused": False,
    }
    record.write_text(json.dumps(figures) + "\n")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="The demo-generation benchmark and data step.")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "bench1m"))
    parser.add_argument("--touchpoints", type=int, default=0, help="top up to this many")
    parser.add_argument("--deals", type=int, default=0, help="top up to this many")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if present")
    add_json_option(parser)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    bench_environment(data_dir)
    generated = _generate(args.contacts, data_dir, args.fresh)
    started = time.perf_counter()
    added = top_up_all(args.touchpoints, args.deals)
    topped = time.perf_counter() - started
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in ("crm_contact", "marketing_touchpoint", "crm_deal", "crm_ledgerentry"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    when = "reused, generated " + generated["measured"] if generated["reused"] else "generated now"
    if generated["seconds"] is None:
        print(f"demo, {args.contacts:,} contacts: reused data generated outside this benchmark "
              "(generation not measured; --fresh to measure it)")  # fmt: skip
    else:
        print(
            f"demo, {args.contacts:,} contacts ({when}): {generated['seconds']:.1f} s; reference "
            f"VACUUM INTO ({generated['database_mb']:,.0f} MB): {generated['reference']:.1f} s; "
            f"ratio {generated['seconds'] / generated['reference']:.1f}x"
        )
    rows = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"top-up: {added['touchpoints']:,} touchpoints, {added['deals']:,} deals in "
          f"{topped:.1f} s; rows now: {rows}")  # fmt: skip
    note = f"{args.contacts:,} contacts; " + (
        f"figures recorded when generated ({generated['measured']})" if generated["reused"]
        else "generated in this run"
    )  # fmt: skip
    figures = []
    if generated["seconds"] is not None:
        figures.append(
            Figure("demo generation", generated["seconds"], "s", generated["reference"], note=note)
        )
    if any(added.values()):
        figures.append(Figure("top-up to the target sizes", topped, "s", note=str(added)))
    write_json(args.json, "demo", figures, rows=counts, reused=generated["reused"])


if __name__ == "__main__":
    main()
