"""The large demo workspace the metrics benchmarks share: Django set up on a data directory,
migrated, and the seeded demo generated there once (reused by later runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


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
