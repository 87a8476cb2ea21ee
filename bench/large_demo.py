"""What the metrics benchmarks share: the large demo workspace (Django set up on a data
directory, migrated, the seeded demo generated there once and reused), and warm timing."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS = 20


def large_demo(contacts: int, data_dir: str) -> Any:
    """The demo workspace of `contacts` contacts in `data_dir` (generated if missing)."""
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.setdefault("ACCORD_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
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
