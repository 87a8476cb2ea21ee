"""Start-up stays light: setting Django up (every CLI command, import, worker and web process
does) loads no numerical or columnar library. Those cost about a second and 120 MB each time,
and an import's memory budget counts them; the code that needs them imports them when used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HEAVY = ("numpy", "scipy", "duckdb", "pyarrow", "pandas", "sklearn", "chdb", "altair")

_PROBE = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
django.setup()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[1]))))
"""


def _probe(code: str, tmp_path: Path, *args: str) -> Any:
    """Run `code` in a fresh Python process; the JSON its last line prints."""
    env = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path), "ACCORD_DEBUG": "1"}
    env.pop("ACCORD_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_django_setup_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded = _probe(_PROBE, tmp_path, json.dumps(HEAVY))
    assert loaded == [], f"loaded at start-up: {sorted({m.split('.')[0] for m in loaded})}"


_SERVER_PROBE = """
import json, sys
from accord.config.wsgi import application
print(json.dumps(sorted(m for m in ("accord.api.router", "scipy") if m in sys.modules)))
"""


def test_a_web_process_loads_its_views_before_the_first_request(tmp_path: Path) -> None:
    """The first visitor of a freshly started server does not wait for the API's schemas and
    the metrics' statistics to load (about 4 s); the server's start does."""
    assert _probe(_SERVER_PROBE, tmp_path) == ["accord.api.router", "scipy"]
