"""`accord bench`: the registry, running each benchmark in its own process and reading its
--json figures, skipping a missing script, reporting a failing one, and the docs section."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.cli.management.commands.bench import QUICK, REGISTRY, figures_of, number

COMMON = Path(__file__).resolve().parents[2] / "bench" / "common.py"

GOOD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import Figure, add_json_option, write_json
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int)
    parser.add_argument("--data-dir")
    parser.add_argument("--touchpoints")
    parser.add_argument("--deals")
    add_json_option(parser)
    args = parser.parse_args()
    print("ran with", args.contacts)
    write_json(args.json, "demo", [Figure("demo generation", 12.5, "s", 2.5, "<= 20 s", True)])
    """
)


def _root(tmp_path: Path, scripts: dict[str, str]) -> Path:
    bench = tmp_path / "repo" / "bench"
    bench.mkdir(parents=True)
    (bench / "common.py").write_text(COMMON.read_text())
    for name, text in scripts.items():
        (bench / name).write_text(text)
    return bench.parent


def _run(root: Path, tmp_path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "bench", "--quick", "--root", str(root), "--data-root", str(tmp_path / "data"),
        "--docs", str(tmp_path / "benchmarks.md"), *args, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_list_names_every_benchmark_the_issue_asks_for() -> None:
    out = io.StringIO()
    call_command("bench", "--list", stdout=out)
    names = [line.split()[0] for line in out.getvalue().splitlines()]
    assert names == [b.name for b in REGISTRY]
    for needed in ("demo", "import", "rescore", "backtest", "breach_sweep", "dashboard",
                   "attribution_rules", "attribution_markov", "experiment_stats", "load_test",
                   "clickhouse", "cost_curve"):  # fmt: skip
        assert needed in names


def test_unknown_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Unknown benchmark nope"):
        call_command("bench", "--only", "nope", "--no-docs", stdout=io.StringIO())


def test_runs_a_benchmark_reads_its_json_and_appends_to_the_docs(tmp_path: Path) -> None:
    root = _root(tmp_path, {"large_demo.py": GOOD})
    printed = _run(root, tmp_path, "--only", "demo")
    assert "demo generation: 12.5 s | reference 2.5 s | ratio 5.00" in printed
    docs = (tmp_path / "benchmarks.md").read_text()
    assert "## Run of `accord bench --quick`" in docs
    assert "| demo | demo generation | 12.5 s | 2.5 s | 5.00 | <= 20 s | met |" in docs
    assert "cores " in docs and "sqlite " in docs and "commit " in docs
    log = (tmp_path / "data" / "logs" / "demo.log").read_text()
    assert f"--contacts {QUICK.contacts}" in log
    assert f"ran with {QUICK.contacts}" in log


def test_a_missing_script_is_skipped_with_a_note(tmp_path: Path) -> None:
    root = _root(tmp_path, {"large_demo.py": GOOD})
    printed = _run(root, tmp_path, "--only", "load_test")
    assert "load_test: skipped (bench/load_test.py is not there)" in printed
    docs = (tmp_path / "benchmarks.md").read_text()
    assert "| load_test | skipped: bench/load_test.py is not there |" in docs


def test_a_failing_benchmark_is_reported_and_the_command_fails(tmp_path: Path) -> None:
    failing = "import sys\nprint('something broke')\nsys.exit(3)\n"
    root = _root(tmp_path, {"large_demo.py": GOOD, "rescore.py": failing})
    with pytest.raises(CommandError, match="Some benchmarks failed"):
        _run(root, tmp_path, "--only", "rescore")
    docs = (tmp_path / "benchmarks.md").read_text()
    assert "| rescore | failed: exit 3: something broke |" in docs
    assert "| demo | demo generation |" in docs  # the data step ran first


def test_numbers_are_formatted_by_unit() -> None:
    assert number(0.0123, "s") == "0.012 s"
    assert number(37.21, "s") == "37.2 s"
    assert number(4.26, "ms") == "4.3 ms"
    assert number(234.4, "ms") == "234 ms"
    assert number(13_100.2, "rows/s") == "13,100 rows/s"
    assert number(0.00031, "s") == "0.31 ms"
    assert number(None, "s") == "—"


def test_the_load_tests_result_becomes_figures() -> None:
    result = {"best": {"users": 8, "rps": 42.0, "p99": 310.0}, "top": {"users": 8},
              "bare_best": {"users": 16, "rps": 120.0}, "ratio": 0.35}  # fmt: skip
    throughput, p99 = figures_of(result)
    assert (throughput["value"], throughput["reference"], throughput["met"]) == (42.0, 120.0, True)
    assert throughput["ratio"] == pytest.approx(0.35)
    assert (p99["value"], p99["unit"], p99["met"]) == (310.0, "ms", True)
    missed = {"best": None, "top": {"users": 4, "rps": 10.0, "p99": 900.0}, "bare_best": None}
    throughput, p99 = figures_of(missed)
    assert (throughput["reference"], throughput["ratio"], throughput["met"]) == (None, None, None)
    assert "no step met it" in throughput["name"] and p99["met"] is False
    assert figures_of({"figures": [{"name": "x"}]}) == [{"name": "x"}]
    assert figures_of({"best": None, "top": None}) == []
