"""The load test: Accord served by gunicorn on PostgreSQL under a day's mixed traffic from Locust,
stepped up to the highest rate that keeps p99 at or under 500 ms with no errors, beside a bare
Django JSON view served the same way in the same run.

    python bench/load_test.py          # the full run (8-15 min), appended to docs/benchmarks.md
    python bench/load_test.py --quick  # small data, short steps, nothing appended

What it does, all on 127.0.0.1:

1. starts a PostgreSQL server of its own (a temporary directory, removed at the end), migrates
   it and generates the seeded demo workspace (`--contacts`, 20,000 by default), moves
   `--handoffs` leads to MQL so routing hands them to sales (the open handoffs the load accepts
   and rejects), makes signed-in sessions and an API token (bench/load/prepare.py);
2. serves Accord with gunicorn as docs/deployment.md does (`--workers` processes, one per core
   by default, each with `--threads` threads, 4 by default: gthread workers; `--threads 1` for
   sync workers) in production settings: ACCORD_DEBUG off, a generated secret key,
   ALLOWED_HOSTS 127.0.0.1, static files through WhiteNoise, the API rate limit lifted (every
   simulated person shares one token);
3. runs Locust headless for `--step-seconds` per step at each user count of `--users`
   (bench/load/locustfile.py: closed loop, no think time), stopping after the first step with an
   error or a p99 over 500 ms; the last step that met both is the result (when none did, the
   fastest step is reported, marked as missing the target);
4. profiles the workers with py-spy during a run at that user count (`--no-profile` skips it);
5. serves the bare view (bench/load/bare_app.py) with the same gunicorn settings and runs it at
   the same user count, then doubles users until it saturates (p99 over 500 ms, an error, or
   less than 5 % more throughput); the ratio is Accord's throughput to the bare view's best.

Errors are counted strictly: any response other than the exact status each request expects.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
from servers import ROOT, VENV_BIN, Gunicorn, Postgres

LOAD = ROOT / "bench" / "load"
P99_TARGET_MS = 500.0
RATIO_TARGET = 0.35


@dataclass
class Endpoint:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass
class Step:
    target: str
    users: int
    seconds: int
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    endpoints: list[Endpoint] = field(default_factory=list)
    failure_samples: list[str] = field(default_factory=list)
    pool_used: int = 0
    pool_empty: int = 0
    load: float = 0.0  # the machine's 1-minute load average at the end of the step

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.p99 <= P99_TARGET_MS and self.requests > 0


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def run_locust(  # noqa: PLR0917
    locustfile: Path, url: str, users: int, seconds: int, out: Path, env: dict[str, str]
) -> Step:
    """One headless Locust run; statistics from after every user has started."""
    prefix = out / f"{locustfile.stem}-{users}u-{time.time_ns()}"
    state = prefix.with_suffix(".state.json")
    command = [
        str(VENV_BIN / "locust"), "-f", str(locustfile), "--headless",
        "--host", url, "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s",
        "--reset-stats", "--only-summary", "--stop-timeout", "10", "--csv", str(prefix),
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    subprocess.run(
        command,
        env={**env, "LOAD_STATE_OUT": str(state)},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=open(prefix.with_suffix(".log"), "w"),  # noqa: SIM115 - closed with the process
    )
    endpoints: list[Endpoint] = []
    total: Endpoint | None = None
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entry = Endpoint(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=_number(row["Requests/s"]),
                p50=_number(row["50%"]),
                p95=_number(row["95%"]),
                p99=_number(row["99%"]),
            )
            if row["Name"] == "Aggregated":
                total = entry
            else:
                endpoints.append(entry)
    samples = []
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            samples.append(f"{row['Name']}: {row['Error'][:160]} (x{row['Occurrences']})")
    pool = json.loads(state.read_text(encoding="utf-8")) if state.exists() else {}
    if total is None:
        raise RuntimeError(f"Locust wrote no totals; see {prefix}.log")
    return Step(
        target=locustfile.stem,
        users=users,
        seconds=seconds,
        requests=total.requests,
        failures=total.failures,
        rps=total.rps,
        p50=total.p50,
        p95=total.p95,
        p99=total.p99,
        endpoints=endpoints,
        failure_samples=samples[:10],
        pool_used=int(pool.get("pool_used", 0)),
        pool_empty=int(pool.get("pool_empty", 0)),
        load=os.getloadavg()[0],
    )


def print_step(step: Step) -> None:
    verdict = "ok" if step.ok else "over target"
    print(
        f"  {step.target:<16} {step.users:>4} users  {step.rps:8.1f} req/s  p50 {step.p50:6.0f}"
        f"  p95 {step.p95:6.0f}  p99 {step.p99:6.0f} ms  errors {step.failures:>4}  {verdict}"
        f"  (load average {step.load:.1f})",
        flush=True,
    )
    for sample in step.failure_samples:
        print(f"      {sample}")


def profile(app: Gunicorn, seconds: int, out: Path) -> tuple[Path, list[str]]:
    """py-spy over every worker (sampling without pausing them) for `seconds`; the collapsed
    stacks, and a summary of where the samples fall."""
    raw = out / "profile.txt"
    subprocess.run(
        [str(VENV_BIN / "py-spy"), "record", "--pid", str(app.process.pid if app.process else 0),
         "--subprocesses", "--nonblocking", "--idle", "--duration", str(seconds),
         "--format", "raw", "--output", str(raw)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return raw, summarise_profile(raw)


def summarise_profile(raw: Path, top: int = 12) -> list[str]:
    """Where the workers spend the time they are serving a request: the inclusive shares of
    Accord's own functions and the leaf frames' own shares (waiting on PostgreSQL shows as
    psycopg's `Connection.wait`)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if "handle_request" not in stack:
            continue  # the arbiter, or a worker waiting for a connection
        total += count
        seen = set()
        for frame in frames:
            name = frame.split(" (", 1)[0]
            where = frame.split(" (", 1)[1] if " (" in frame else ""
            key = f"{name} ({where.split('/site-packages/')[-1].split('/src/')[-1].split(':')[0]})"
            if key not in seen:
                inclusive[key] += count
                seen.add(key)
        last = frames[-1]
        own[last.split(" (", 1)[0] + " " + last.split("/")[-1].rstrip(")")] += count
    if not total:
        return ["no busy samples"]
    lines = [f"{total} samples inside requests"]
    accord = [(k, v) for k, v in inclusive.items() if "accord/" in k and "config/wsgi" not in k]
    lines.append("Accord functions by inclusive share:")
    lines += [f"  {v / total:6.1%}  {k}" for k, v in sorted(accord, key=lambda kv: -kv[1])[:top]]
    lines.append("Leaf frames by own share:")
    lines += [f"  {v / total:6.1%}  {k}" for k, v in own.most_common(top)]
    return lines


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    kb = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1])
    commit = subprocess.run(
        ["/usr/bin/git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    versions = {}
    for package in ("django", "gunicorn", "locust", "psycopg"):
        from importlib.metadata import version

        versions[package] = version(package)
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{kb / 1024**2:.1f} GiB",
        "python": platform.python_version(),
        "commit": commit,
        **versions,
    }


def step_table(steps: list[Step]) -> list[str]:
    lines = [
        "| server | users | req/s | p50 ms | p95 ms | p99 ms | errors | met | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for s in steps:
        lines.append(
            f"| {'Accord' if s.target == 'locustfile' else 'bare Django view'} | {s.users} | "
            f"{s.rps:,.1f} | {s.p50:.0f} | {s.p95:.0f} | {s.p99:.0f} | {s.failures} | "
            f"{'yes' if s.ok else 'no'} | {s.load:.1f} |"
        )
    return lines


def endpoint_table(step: Step) -> list[str]:
    lines = [
        "| request | share | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in sorted(step.endpoints, key=lambda e: -e.requests):
        share = e.requests / step.requests if step.requests else 0.0
        lines.append(
            f"| `{e.name}` | {share:.0%} | {e.rps:.1f} | {e.p50:.0f} | {e.p95:.0f} | "
            f"{e.p99:.0f} | {e.failures} |"
        )
    return lines


def main() -> None:  # noqa: PLR0912, PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, 15 s steps, no docs")
    parser.add_argument("--contacts", type=int, default=None, help="demo size (20,000)")
    parser.add_argument("--handoffs", type=int, default=None, help="open handoffs made (2,000)")
    parser.add_argument("--step-seconds", type=int, default=None, help="per step (60)")
    parser.add_argument("--users", default=None, help="user counts to step through")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4, help="per worker (1: sync workers)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-docs", action="store_true", help="do not append docs")
    parser.add_argument("--json", default=None, help="also write the results to FILE")
    args = parser.parse_args()
    quick = args.quick
    contacts = args.contacts or (2_000 if quick else 20_000)
    handoffs = args.handoffs or (300 if quick else 2_000)
    seconds = args.step_seconds or (15 if quick else 60)
    users = [int(u) for u in (args.users or ("2,8" if quick else "1,2,4,8,16,32")).split(",")]
    out = Path(tempfile.mkdtemp(prefix="accord-load."))
    print(
        f"Load test: {contacts:,} contacts, gunicorn "
        f"{served(args.workers, args.threads)}, steps of {seconds} s"
    )
    print(f"  output in {out}", flush=True)

    secret = secrets.token_urlsafe(50)
    pg = Postgres()
    app: Gunicorn | None = None
    bare: Gunicorn | None = None
    steps: list[Step] = []
    bare_steps: list[Step] = []
    profile_lines: list[str] = []
    started = time.monotonic()
    try:
        pg.start()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("ACCORD_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            {
                "ACCORD_DATABASE_URL": pg.url,
                "ACCORD_SECRET_KEY": secret,
                "ACCORD_ALLOWED_HOSTS": "127.0.0.1",
                "ACCORD_INSECURE_HTTP": "1",  # plain HTTP on the loopback, no TLS in front
                "ACCORD_DATA_DIR": str(out / "data"),
                # Every simulated person calls the API with the one token prepare.py makes: the
                # per-token limit (600/minute) would turn the load into 429s, not measure it.
                "ACCORD_API_RATE_LIMIT": "1000000/minute",
                "DJANGO_SETTINGS_MODULE": "accord.config.settings",
            }
        )
        setup_file = out / "setup.json"
        print(f"PostgreSQL {pg.version}: migrating and generating the demo ...", flush=True)
        prepared = subprocess.run(
            [str(VENV_BIN / "python"), str(LOAD / "prepare.py"), "--contacts", str(contacts),
             "--handoffs", str(handoffs), "--out", str(setup_file)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        setup = json.loads(setup_file.read_text(encoding="utf-8"))
        print(f"  {json.dumps(setup['sizes'])}", flush=True)
        print(f"  {json.dumps({k: round(v, 1) for k, v in setup['timings'].items()})}")
        del prepared

        app = Gunicorn(
            "accord.config.wsgi:application",
            args.workers,
            env,
            ROOT,
            out / "gunicorn.log",
            threads=args.threads,
        )
        app.start("/login/")
        locust_env = {**env, "LOAD_SETUP": str(setup_file)}
        pool_start = 0

        def app_run(count: int, length: int) -> Step:
            nonlocal pool_start
            step = run_locust(
                LOAD / "locustfile.py",
                app.url if app else "",
                count,
                length,
                out,
                {**locust_env, "LOAD_POOL_START": str(pool_start)},
            )
            pool_start += step.pool_used
            return step

        warm = app_run(users[0], 10)  # warm the workers (imports, connections); not reported
        print(f"Accord (warm-up: {warm.requests} requests, {warm.failures} errors)")
        for count in users:
            step = app_run(count, seconds)
            steps.append(step)
            print_step(step)
            if not step.ok:
                break
        passing = [s for s in steps if s.ok]
        best = max(passing, key=lambda s: s.rps) if passing else None
        # With no step on target, the figures are those of the fastest step, marked unmet.
        top = best or max(steps, key=lambda s: s.rps)
        if not args.no_profile:
            print(f"Profiling the workers at {top.users} users ...", flush=True)
            length = max(10, seconds // 2)
            profile_lines = run_in_background_profile(app, app_run, top.users, length, out)
            for line in profile_lines:
                print(f"  {line}")
        used_pool = pool_start
        app.stop()
        app = None

        bare = Gunicorn(
            "bare_app:application", args.workers, env, LOAD, out / "bare.log", threads=args.threads
        )
        bare.start("/")
        bare_file = LOAD / "bare_locustfile.py"
        run_locust(bare_file, bare.url, users[0], 5, out, env)  # warm-up
        print("Bare Django JSON view")
        reference = top.users
        counts = [reference]
        while True:
            step = run_locust(bare_file, bare.url, counts[-1], seconds, out, env)
            bare_steps.append(step)
            print_step(step)
            better = len(bare_steps) < 2 or step.rps > 1.05 * max(s.rps for s in bare_steps[:-1])
            if not step.ok or not better or len(bare_steps) >= 4:
                break
            counts.append(counts[-1] * 2)
        bare.stop()
        bare = None
    finally:
        for server in (app, bare):
            if server is not None:
                server.stop()
        pg.stop()

    bare_ok = [s for s in bare_steps if s.ok]
    bare_best = max(bare_ok, key=lambda s: s.rps) if bare_ok else None
    same = bare_steps[0] if bare_steps else None
    ratio = top.rps / bare_best.rps if bare_best else None
    ratio_same = top.rps / same.rps if same and same.rps else None
    minutes = (time.monotonic() - started) / 60
    print()
    print("\n".join(step_table(steps + bare_steps)))
    if best:
        print()
        print(f"Accord at {best.users} users, per request:")
        print("\n".join(endpoint_table(best)))
        print()
        print(
            f"Highest rate meeting the target: {best.rps:.1f} req/s at {best.users} users "
            f"(p99 {best.p99:.0f} ms, 0 errors)."
        )
    else:
        print("No step met the target (p99 <= 500 ms, no errors); the fastest step:")
        print("\n".join(endpoint_table(top)))
    if ratio is not None and bare_best is not None:
        print(
            f"Bare Django view: {bare_best.rps:.1f} req/s at {bare_best.users} users; ratio "
            f"{ratio:.3f} (target >= {RATIO_TARGET}); at the same {top.users} "
            f"users: {ratio_same or 0:.3f}."
        )
    print(f"Open handoffs decided: {used_pool:,} of {len(setup['handoff_ids']):,}.")
    print(f"Run time: {minutes:.1f} min")

    result = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "contacts": contacts,
        "workers": args.workers,
        "threads": args.threads,
        "step_seconds": seconds,
        "sizes": setup["sizes"],
        "setup_timings": setup["timings"],
        "steps": [asdict(s) for s in steps],
        "bare_steps": [asdict(s) for s in bare_steps],
        "best": asdict(best) if best else None,
        "top": asdict(top),
        "bare_best": asdict(bare_best) if bare_best else None,
        "ratio": ratio,
        "ratio_same_users": ratio_same,
        "profile": profile_lines,
        "handoffs_decided": used_pool,
        "minutes": minutes,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    if not quick and not args.no_docs:
        append_docs(result, steps + bare_steps, best, top)
        print("Appended to docs/benchmarks.md")


def run_in_background_profile(
    app: Gunicorn, app_run: object, users: int, seconds: int, out: Path
) -> list[str]:
    """Run the app's traffic at `users` while py-spy samples the workers; the summary lines."""
    import threading

    result: dict[str, Step] = {}

    def load() -> None:
        result["step"] = app_run(users, seconds + 4)  # type: ignore[operator]

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(2)  # every user started
    raw, lines = profile(app, seconds, out)
    thread.join()
    step = result.get("step")
    if step is not None:
        lines.insert(0, f"(under profiling: {step.rps:.1f} req/s, p99 {step.p99:.0f} ms)")
    lines.insert(0, f"collapsed stacks: {raw}")
    return lines


def served(workers: object, threads: object = 1) -> str:
    """How gunicorn served the app, as the results record it."""
    if int(str(threads)) > 1:
        return f"{workers} gthread workers x {threads} threads"
    return f"{workers} sync workers"


def append_docs(result: dict[str, object], steps: list[Step], best: Step | None, top: Step) -> None:
    m = result["machine"]
    assert isinstance(m, dict)
    sizes = result["sizes"]
    assert isinstance(sizes, dict)
    ratio = result["ratio"]
    serving = served(result["workers"], result.get("threads", 1))
    lines = [
        "",
        f"## Load test (`bench/load_test.py`, gunicorn + PostgreSQL) — {result['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']}, "
        f"Django {m['django']}, gunicorn {m['gunicorn']} ({serving}), "
        f"Locust {m['locust']} on the same machine; commit {m['commit']}. Data: the seeded demo "
        f"workspace of {sizes['contacts']:,} contacts ({sizes['touchpoints']:,} touchpoints, "
        f"{sizes['handoffs']:,} handoffs of which {sizes['open_handoffs']:,} open at the start). "
        f"Steps of {result['step_seconds']} s, closed loop with no think time.",
        "",
        *step_table(steps),
        "",
    ]
    bare_best = result["bare_best"]
    ratio_text = ""
    if isinstance(bare_best, dict) and isinstance(ratio, float):
        met = "met" if ratio >= RATIO_TARGET else "not met"
        ratio_text = (
            f"The bare Django JSON view peaked at {bare_best['rps']:.1f} req/s "
            f"({bare_best['users']} users): ratio **{ratio:.3f}** (target >= {RATIO_TARGET}: "
            f"{met})."
        )
    if best is not None:
        lines.append(
            f"Highest rate with p99 <= 500 ms and no errors: **{best.rps:.1f} req/s** at "
            f"{best.users} users (p50 {best.p50:.0f} ms, p95 {best.p95:.0f} ms, p99 "
            f"{best.p99:.0f} ms). {ratio_text}"
        )
    else:
        lines.append(
            f"**No step met the target** (p99 <= 500 ms with no errors). The fastest step: "
            f"{top.rps:.1f} req/s at {top.users} users (p50 {top.p50:.0f} ms, p95 "
            f"{top.p95:.0f} ms, p99 {top.p99:.0f} ms, {top.failures} errors). {ratio_text}"
        )
    lines += ["", f"Per request at {top.users} users:", "", *endpoint_table(top), ""]
    profile_lines = result.get("profile") or []
    assert isinstance(profile_lines, list)
    if profile_lines:
        lines += ["Profile (py-spy over the workers at that load):", "", "```"]
        lines += [str(x) for x in profile_lines[1:]]
        lines += ["```", ""]
    docs = ROOT / "docs" / "benchmarks.md"
    with docs.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
