"""Helpers for the fault tests: run `accord` work in a second process on the test database,
wait until it has committed part of its work, and kill it with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.db import connection


def database_env() -> dict[str, str]:
    env = {**os.environ, "ACCORD_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "accord.config.settings"}
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        env["ACCORD_DATABASE_URL"] = f"sqlite:///{s['NAME']}"
    else:
        env["ACCORD_DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return env


def needs_a_shared_database() -> None:
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared with a second process")


def python(code: str) -> subprocess.Popen[str]:
    """Run `code` after django.setup() in a second process on the test database."""
    prelude = "import django\ndjango.setup()\n"
    return subprocess.Popen(
        [sys.executable, "-c", prelude + code], env=database_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def accord(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args], env=database_env(),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def kill_when(process: subprocess.Popen[str], partial: Callable[[], bool]) -> None:
    """SIGKILL `process` as soon as `partial()` sees part of its work committed."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if partial():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return
        if process.poll() is not None:
            pytest.fail(f"the work ended before it could be killed: {process.communicate()}")
        time.sleep(0.02)
    process.kill()
    pytest.fail("the work made no visible progress")
