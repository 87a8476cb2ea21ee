"""`accord bench`: every benchmark from one command.

    accord bench                      # the issue's sizes: 1,000,000 contacts, 10,000,000
                                      # touchpoints, 100,000 deals, 100,000 open handoffs
    accord bench --quick              # small sizes, a few minutes (development)
    accord bench --only rescore --only dashboard
    accord bench --list

Runs from a source checkout (the `bench/` folder beside `src/`). The data step comes first: the
seeded demo generated with the demo generator into --data-root (reused on later runs) and
topped up to the target sizes. Then each benchmark runs in its own process on the embedded
SQLite with production settings and writes its figures as JSON (`--json FILE`); every figure is
printed beside its reference measured in the same run and the ratio, and the run is appended to
docs/benchmarks.md with the machine's details. A benchmark whose script is missing is skipped
with a note; one that fails is reported with the end of its output (the full log is kept under
the data root).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import accord


@dataclass(frozen=True)
class Sizes:
    label: str
    contacts: int
    touchpoints: int
    deals: int
    handoffs: int
    journeys: int
    assigned: int  # contacts in the benchmark experiment
    import_rows: int
    runs: int  # warm runs per dashboard query


FULL = Sizes("full", 1_000_000, 10_000_000, 100_000, 100_000, 1_000_000, 100_000, 1_000_000, 20)
QUICK = Sizes("quick", 20_000, 200_000, 2_000, 2_000, 20_000, 5_000, 20_000, 5)


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str  # in bench/
    covers: str
    arguments: Callable[[Sizes, Path], list[str]] = field(default=lambda s, d: [])
    by_default: bool = True


def _demo(s: Sizes, d: Path) -> list[str]:
    return ["--contacts", str(s.contacts), "--data-dir", str(d), "--touchpoints",
            str(s.touchpoints), "--deals", str(s.deals)]  # fmt: skip


def _on_demo(s: Sizes, d: Path) -> list[str]:
    return ["--contacts", str(s.contacts), "--data-dir", str(d)]


REGISTRY: list[Benchmark] = [
    Benchmark("demo", "large_demo.py", "demo generation (and the data step)", _demo),
    Benchmark("import", "import_contacts.py", "contacts CSV import end to end",
              lambda s, d: ["--rows", str(s.import_rows)]),
    Benchmark("rescore", "rescore.py", "re-score every contact (31 rules)", _on_demo),
    Benchmark("backtest", "backtest.py", "back-test over 12 months", _on_demo),
    Benchmark("breach_sweep", "breach_sweep.py", "SLA breach sweep over the open handoffs",
              lambda s, d: ["--handoffs", str(s.handoffs), "--data-dir", str(d.parent / "breach")]),
    Benchmark("dashboard", "dashboard.py", "every dashboard query (DuckDB copy)",
              lambda s, d: [*_on_demo(s, d), "--runs", str(s.runs)]),
    Benchmark("funnel", "funnel.py", "the funnel: record store, copy, DuckDB direct", _on_demo),
    Benchmark("attribution_rules", "attribution_rules.py", "ten rule-based attribution models",
              lambda s, d: ["--journeys", str(s.journeys),
                            "--sample", str(min(20_000, s.journeys // 5))]),
    Benchmark("attribution_markov", "attribution_markov.py", "Markov attribution",
              lambda s, d: ["--journeys", str(s.journeys)]),
    Benchmark("experiment_stats", "experiment_stats.py", "experiment results and statistics",
              lambda s, d: [*_on_demo(s, d), "--assigned", str(s.assigned)]),
    Benchmark("clickhouse", "clickhouse.py", "analytics on ClickHouse beside DuckDB",
              lambda s, d: [*_on_demo(s, d), "--runs", str(s.runs)]),
    Benchmark("load_test", "load_test.py", "API throughput under mixed load",
              lambda s, d: ["--quick"] if s is QUICK else ["--no-docs"]),
    Benchmark("cost_curve", "cost_curve.py", "growth from 10,000 to 1,000,000 contacts",
              lambda s, d: ["--sizes", "10000,20000" if s is QUICK else
                            "10000,30000,100000,300000,1000000",
                            "--data-root", str(d.parent / "cost-curve")],
              by_default=False),
]  # fmt: skip


@dataclass
class Outcome:
    benchmark: Benchmark
    status: str  # ok, failed, skipped
    seconds: float = 0.0
    figures: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def find_root(given: str | None) -> Path:
    """The source checkout holding bench/: --root, the working directory, or the package's."""
    candidates = [Path(given)] if given else [Path.cwd(), Path(accord.__file__).parents[2]]
    for candidate in candidates:
        if (candidate / "bench" / "common.py").is_file():
            return candidate.resolve()
    raise CommandError(
        "No bench/ folder found: run `accord bench` from an Accord source checkout "
        "(./scripts/bench does), or pass --root."
    )


def figures_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A benchmark's figures: its `figures` list, or those of the load test's result."""
    if "figures" in document:
        return list(document["figures"])
    best, bare = document.get("best") or document.get("top"), document.get("bare_best")
    if not best:
        return []
    rps, reference = float(best["rps"]), float(bare["rps"]) if bare else None
    ratio = rps / reference if reference else None
    reached = "highest rate meeting the target" if document.get("best") else "no step met it"
    return [
        {"name": f"API throughput, mixed traffic ({best.get('users')} users; {reached})",
         "value": rps, "unit": "req/s", "reference": reference, "ratio": ratio,
         "target": ">= 0.35x the bare Django view",
         "met": None if ratio is None else ratio >= 0.35, "note": "reference: bare Django view"},
        {"name": "API p99 latency at that rate", "value": float(best["p99"]), "unit": "ms",
         "reference": None, "ratio": None, "target": "<= 500 ms, no errors",
         "met": bool(document.get("best")), "note": ""},
    ]  # fmt: skip


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "s" and value < 0.01:
        unit, value = "ms", value * 1000
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:,.1f} s"
    if unit == "ms":
        return f"{value:.2g} ms" if value < 1 else (
            f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms")  # fmt: skip
    digits = 0 if abs(value) >= 100 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def verdict(met: bool | None) -> str:
    return {True: "met", False: "not met", None: "—"}[met]


class Command(BaseCommand):
    help = "Run every benchmark, print each figure beside its same-run reference, log the run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
        parser.add_argument("--only", action="append", default=[], metavar="NAME",
                            help="run only this benchmark (repeatable; see --list)")  # fmt: skip
        parser.add_argument("--skip", action="append", default=[], metavar="NAME",
                            help="leave this benchmark out (repeatable)")  # fmt: skip
        parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
        parser.add_argument("--data-root", default=None,
                            help="where generated data is kept and reused "
                                 "(default: <tmp>/accord-bench)")  # fmt: skip
        parser.add_argument("--root", default=None, help="the source checkout (holds bench/)")
        parser.add_argument(
            "--docs", default=None, help="the file to append the run to (docs/benchmarks.md)"
        )
        parser.add_argument("--no-docs", action="store_true", help="do not append to the docs")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for b in REGISTRY:
                extra = "" if b.by_default else "  (only with --only)"
                self.stdout.write(f"{b.name:<20} {b.covers}{extra}")
            return
        names = {b.name for b in REGISTRY}
        unknown = sorted((set(options["only"]) | set(options["skip"])) - names)
        if unknown:
            raise CommandError(f"Unknown benchmark {', '.join(unknown)}; see --list.")
        root = find_root(options["root"])
        sizes = QUICK if options["quick"] else FULL
        data_root = Path(options["data_root"] or Path(tempfile.gettempdir()) / "accord-bench")
        data_dir = data_root / str(sizes.contacts)
        logs = data_root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        chosen = [
            b for b in REGISTRY
            if (b.name in options["only"] if options["only"] else b.by_default)
            and b.name not in options["skip"]
        ]  # fmt: skip
        if chosen and chosen[0].name != "demo" and "demo" not in options["skip"]:
            chosen.insert(0, REGISTRY[0])  # the data step comes first
        started = dt.datetime.now(dt.UTC)
        self.stdout.write(
            f"Accord benchmarks, {sizes.label} sizes: {sizes.contacts:,} contacts, "
            f"{sizes.touchpoints:,} touchpoints, {sizes.deals:,} deals, {sizes.handoffs:,} open "
            f"handoffs; data in {data_dir}; logs in {logs}"
        )
        outcomes = [self._run(b, sizes, root, data_dir, logs) for b in chosen]
        self._summary(outcomes)
        if not options["no_docs"]:
            docs = Path(options["docs"]) if options["docs"] else root / "docs" / "benchmarks.md"
            machine = self._machine(root)
            with docs.open("a", encoding="utf-8") as fh:
                fh.write(markdown(outcomes, sizes, machine, started))
            self.stdout.write(f"Appended to {docs}")
        if any(o.status == "failed" for o in outcomes):
            raise CommandError("Some benchmarks failed; see their logs.")

    def _run(self, b: Benchmark, sizes: Sizes, root: Path, data_dir: Path, logs: Path) -> Outcome:
        script = root / "bench" / b.script
        if not script.is_file():
            self.stdout.write(f"- {b.name}: skipped (bench/{b.script} is not there)")
            return Outcome(b, "skipped", note=f"bench/{b.script} is not there")
        source = script.read_text(encoding="utf-8")
        out = Path(tempfile.mkstemp(prefix=f"accord-bench-{b.name}-", suffix=".json")[1])
        out.unlink()
        command = [sys.executable, str(script), *b.arguments(sizes, data_dir)]
        if "--json" in source or "add_json_option" in source:
            command += ["--json", str(out)]
        env = dict(os.environ, ACCORD_DEBUG="0", ACCORD_INSECURE_HTTP="1",
                   PYTHONUNBUFFERED="1")  # fmt: skip
        env.setdefault("ACCORD_SECRET_KEY", secrets.token_urlsafe(50))
        env.pop("ACCORD_DATABASE_URL", None)  # the embedded SQLite: comparable runs
        log = logs / f"{b.name}.log"
        self.stdout.write(f"- {b.name}: {b.covers} …")
        self.stdout.flush()
        began = time.perf_counter()
        with log.open("w", encoding="utf-8") as fh:
            fh.write("$ " + " ".join(command) + "\n")
            fh.flush()
            code = subprocess.run(  # noqa: S603 - our interpreter running a script of bench/
                command, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False
            ).returncode
        seconds = time.perf_counter() - began
        figures = figures_of(json.loads(out.read_text())) if out.exists() else []
        out.unlink(missing_ok=True)
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        if code != 0 and not figures:
            self.stdout.write(f"  failed (exit {code}) after {seconds:.0f} s:")
            for line in tail:
                self.stdout.write(f"    {line}")
            return Outcome(b, "failed", seconds, note=f"exit {code}: {tail[-1] if tail else ''}")
        note = "" if code == 0 else f"exit {code} (a target missed)"
        if not figures:
            note = "no machine-readable figures; its output: " + " / ".join(tail[-3:])
        for f in figures:
            self.stdout.write(
                f"  {f['name']}: {number(f['value'], f['unit'])} | reference "
                f"{number(f['reference'], f['unit'])} | ratio "
                f"{'—' if f['ratio'] is None else format(f['ratio'], '.2f')}"
            )
        self.stdout.write(f"  done in {seconds:.0f} s")
        return Outcome(b, "ok", seconds, figures, note)

    def _summary(self, outcomes: list[Outcome]) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Accord benchmarks (ratio = value / same-run reference)")
        for column in ("benchmark", "figure", "value", "reference", "ratio", "target", "met"):
            numeric = column in {"value", "reference", "ratio"}
            table.add_column(column, justify="right" if numeric else "left")
        for o in outcomes:
            if not o.figures:
                table.add_row(o.benchmark.name, o.status + (f": {o.note}" if o.note else ""),
                              "", "", "", "", "")  # fmt: skip
            for f in o.figures:
                ratio = "—" if f["ratio"] is None else f"{f['ratio']:.2f}"
                table.add_row(o.benchmark.name, f["name"], number(f["value"], f["unit"]),
                              number(f["reference"], f["unit"]), ratio, f["target"] or "",
                              verdict(f["met"]))  # fmt: skip
        Console(file=self.stdout, width=160).print(table)  # type: ignore[arg-type]

    def _machine(self, root: Path) -> dict[str, str]:
        found = subprocess.run(  # noqa: S603 - our interpreter, bench/common.py
            [sys.executable, str(root / "bench" / "common.py"), "machine"],
            capture_output=True, text=True, check=False, cwd=root,
        )  # fmt: skip
        try:
            return dict(json.loads(found.stdout))
        except ValueError:
            return {"machine": "unknown (bench/common.py machine failed)"}


def markdown(
    outcomes: list[Outcome], sizes: Sizes, machine: dict[str, str], started: dt.datetime
) -> str:
    """The run as a dated section of docs/benchmarks.md."""
    flag = " --quick" if sizes is QUICK else ""
    lines = [
        "",
        f"## Run of `accord bench{flag}` — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Sizes: {sizes.contacts:,} contacts, {sizes.touchpoints:,} touchpoints, "
        f"{sizes.deals:,} deals, {sizes.handoffs:,} open handoffs, {sizes.journeys:,} "
        f"journeys, {sizes.assigned:,} contacts in the experiment, {sizes.import_rows:,} rows "
        "imported. Machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()) + ".",
        "",
        "| benchmark | figure | value | reference (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        if not o.figures:
            lines.append(f"| {o.benchmark.name} | {o.status}: {o.note or '—'} | | | | | |")
        for f in o.figures:
            ratio = "—" if f["ratio"] is None else f"{f['ratio']:.2f}"
            name = f["name"] + (f" ({f['note']})" if f.get("note") else "")
            lines.append(
                f"| {o.benchmark.name} | {name.replace('|', '/')} | {number(f['value'], f['unit'])}"
                f" | {number(f['reference'], f['unit'])} | {ratio} | {f['target'] or '—'} | "
                f"{verdict(f['met'])} |"
            )
    took = sum(o.seconds for o in outcomes)
    lines += ["", f"Wall time of the benchmarks: {took / 60:.1f} min.", ""]
    return "\n".join(lines)
