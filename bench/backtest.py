"""Benchmark: back-testing the 30-rule definition over every contact of a large demo workspace
(12 months, event-by-event replay, beside the active version), with a same-run reference: the
plain-numpy evaluation of the same rules at one moment over the same rows read with sqlite3
(bench/definition_sample.py), i.e. the cost of reading the data once.

    python bench/backtest.py                      # 1,000,000 contacts (generated once, reused)
    python bench/backtest.py --contacts 100000

Target (issue 4): a back-test over 1,000,000 historic contacts in at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json
from definition_sample import BENCH_DOCUMENT, reference_mql
from rescore import _activate, _setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=None, help="where the demo database lives")
    add_json_option(parser)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / f"accord-bench-{args.contacts}")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(ACCORD_DATA_DIR=str(data_dir), ACCORD_DEBUG="0", ACCORD_INSECURE_HTTP="1")
    os.environ.setdefault("ACCORD_SECRET_KEY", secrets.token_urlsafe(50))
    workspace = _setup(args.contacts)
    _activate(workspace)
    from accord.definitions.backtest import backtest

    stricter = dict(BENCH_DOCUMENT, mql={"fit_min": 35, "engagement_min": 25})
    started = time.perf_counter()
    result = backtest(workspace, stricter, months=12)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference_mql(str(data_dir / "accord.sqlite3"), workspace.pk, time.time())
    reference = time.perf_counter() - started
    assert result.active is not None
    print(
        f"back-test of {result.contacts:,} contacts over {len(result.months)} months: Accord "
        f"{seconds:.1f} s (stricter {result.proposed.mqls:,} MQLs, SQL rate "
        f"{result.proposed.rates['sql'].value:.3f}; active {result.active.mqls:,}, "
        f"{result.active.rates['sql'].value:.3f}) | reference read+evaluate {reference:.1f} s | "
        f"ratio {seconds / reference:.2f}x"
    )
    write_json(args.json, "backtest", [
        Figure(f"back-test, {result.contacts:,} contacts, 12 months", seconds, "s", reference,
               "<= 10 s at 1,000,000 contacts",
               seconds <= 10 if args.contacts == 1_000_000 else None,
               note=f"stricter {result.proposed.mqls:,} MQLs, active {result.active.mqls:,}"),
    ], contacts=args.contacts)  # fmt: skip


if __name__ == "__main__":
    main()
