"""Benchmark: the dashboard's queries on ClickHouse (chDB, embedded) beside the DuckDB copy, on
the same large demo workspace in the same run.

    python bench/clickhouse.py                       # the 1,000,000-contact demo, reused
    python bench/clickhouse.py --contacts 100000 --data-dir /tmp/bench100k

Both copies are filled first (timed: the first shipping of every fact, then a sync with nothing
new). Then each dashboard metric (the headlines, open pipeline, time in stage and the cost
metrics, as bench/dashboard.py; the handoff's metrics read the record store on every engine and
are left out) is measured through the metrics layer (`measure(..., engine=...)`) on each engine,
warm, alternating engines so that both see the same machine load. The freshness sync is left
out of these timings (it is measured on its own above). Every value is checked identical on both
engines before anything is timed. Figures: median and 95th percentile per query; the ratio is
ClickHouse p95 / DuckDB p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json
from large_demo import large_demo

RUNS = 10


def _timed_pair(a: Any, b: Any, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median and p95 (seconds) of `runs` warm runs of a and of b, interleaved."""
    a(), b()  # warm
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for run, into in ((a, times[0]), (b, times[1])):
            started = time.perf_counter()
            run()
            into.append(time.perf_counter() - started)
    out = []
    for series in times:
        series.sort()
        out.append((statistics.median(series), series[int(0.95 * (runs - 1))]))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "bench1m"))
    parser.add_argument("--runs", type=int, default=RUNS, help="warm runs per query and engine")
    add_json_option(parser)
    args = parser.parse_args()
    os.environ["ACCORD_ANALYTICS_URL"] = f"chdb://{Path(args.data_dir).resolve()}/clickhouse"
    workspace = large_demo(args.contacts, args.data_dir)
    from accord.metrics import catalogue, clickhouse, clickhouse_copy, columnar
    from accord.metrics.dashboard import COST_METRICS, HEADLINES

    figures: list[Figure] = []
    for name, sync in (("DuckDB", columnar.sync), ("ClickHouse", clickhouse_copy.sync)):
        started = time.perf_counter()
        copied = sync()
        first = time.perf_counter() - started
        started = time.perf_counter()
        sync()
        again = time.perf_counter() - started
        print(f"{name} sync: {sum(copied.values()):,} rows in {first:.1f} s; "
              f"with nothing new {1000 * again:.0f} ms")  # fmt: skip
        figures.append(Figure(f"{name}: sync with nothing new", 1000 * again, "ms",
                              note=f"{sum(copied.values()):,} rows copied first in "
                              f"{first:.1f} s"))  # fmt: skip
    (rows,) = clickhouse.query("SELECT count() FROM marketing_touchpoint")
    print(f"ClickHouse holds {rows[0]:,} touchpoints")
    # The freshness sync is timed above; here each engine answers from the copy as it is.
    columnar.sync_if_stale = lambda *a, **k: None  # type: ignore[assignment]
    clickhouse_copy.sync_if_stale = lambda *a, **k: None  # type: ignore[assignment]

    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(days=365)
    skip = {k for k, m in catalogue.CATALOGUE.items() if m.engines == "record_store"}
    keys = [k for k in dict.fromkeys([*HEADLINES, "open_pipeline", "time_in_stage",
                                      *COST_METRICS]) if k not in skip]  # fmt: skip
    jobs = [(k, "none") for k in keys] + [(k, "source") for k in COST_METRICS]
    print(f"\n{'query':<30}{'DuckDB p50/p95':>18}{'ClickHouse p50/p95':>22}{'ratio p95':>11}")
    ratios = []
    for key, breakdown in jobs:
        spec = catalogue.MetricSpec(metric=key, start=start, end=end, breakdown=breakdown)

        def duck(spec: Any = spec) -> Any:
            return catalogue.measure(workspace.pk, spec, engine="columnar")

        def house(spec: Any = spec) -> Any:
            return catalogue.measure(workspace.pk, spec, engine="analytics")

        d, c = duck(), house()
        assert (d.engine, c.engine) == ("columnar", "analytics"), (d.engine, c.engine)
        assert d.values == c.values, key  # the same numbers, or nothing is worth timing
        duck_t, house_t = _timed_pair(duck, house, args.runs)
        ratio = house_t[1] / duck_t[1]
        ratios.append(ratio)
        name = key + (f" by {breakdown}" if breakdown != "none" else "")
        print(f"{name:<30}{1000 * duck_t[0]:>8.0f} / {1000 * duck_t[1]:<7.0f}"
              f"{1000 * house_t[0]:>12.0f} / {1000 * house_t[1]:<7.0f}{ratio:>9.2f}x")  # fmt: skip
        figures.append(Figure(f"clickhouse: {name} (p95)", 1000 * house_t[1], "ms",
                              1000 * duck_t[1], note=f"p50 {1000 * house_t[0]:.0f} ms; "
                              f"DuckDB p50 {1000 * duck_t[0]:.0f} ms"))  # fmt: skip
    geo = statistics.geometric_mean(ratios)
    print(f"\n{len(jobs)} queries, identical values on both; ClickHouse / DuckDB p95: "
          f"geometric mean {geo:.2f}x, from {min(ratios):.2f}x to {max(ratios):.2f}x")  # fmt: skip
    write_json(args.json, "clickhouse", figures, contacts=args.contacts, runs=args.runs)
    clickhouse.close()
    columnar.close()


if __name__ == "__main__":
    main()
