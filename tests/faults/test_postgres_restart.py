"""A PostgreSQL restart while the app serves: requests during the outage get a clean 503 (JSON
on the API, a short page on the web), and requests after it succeed without restarting the app.

The test starts its own PostgreSQL server (its own data folder and port, so no other test's
server is touched) and serves the app with `accord serve` (waitress) in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SETUP = """
import django, sys
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, User, Workspace
from accord.identity.services import api_token_create
from accord.identity.tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
ws = WorkspaceFactory(name="Acme", slug="acme")
member = MembershipFactory(workspace=ws, user=UserFactory(email="ana@acme.example"), role="admin")
token = api_token_create(actor=Actor.for_membership(member, Source.CLI), name="t", scope="write")[1]
client = Client()
client.force_login(member.user)
print(token, client.cookies["sessionid"].value)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


@dataclass
class Postgres:
    bin: Path
    data: Path
    port: int
    run_as: list[str]

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("-l", str(self.data.parent / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "stop")


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found")
    folder = Path(tempfile.mkdtemp(prefix="accord-pg-restart-"))
    run_as: list[str] = []
    if os.getuid() == 0:  # the server refuses to run as root
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = Postgres(bin_dir, folder / "data", _free_port(), run_as)
    subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(server.data), "-U", "accord",
         "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    server.start()
    subprocess.run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "accord",
         "accord"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _get(url: str, headers: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def _wait_until_served(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the server did not start")


def test_requests_fail_cleanly_during_a_restart_and_recover(postgres: Postgres) -> None:
    env = {
        **os.environ,
        "ACCORD_DEBUG": "1",
        "ACCORD_DATABASE_URL": f"postgres://accord@127.0.0.1:{postgres.port}/accord",
        "DJANGO_SETTINGS_MODULE": "accord.config.settings",
    }
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr
    token, session = setup.stdout.split()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "serve", "--port", str(port), "--threads", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    api = {"Authorization": f"Bearer {token}"}
    page = {"Cookie": f"sessionid={session}"}
    try:
        _wait_until_served(base, server)
        status, body, _ = _get(f"{base}/api/v1/contacts", api)
        assert status == 200, body
        assert json.loads(body)["results"] == []
        status, body, _ = _get(f"{base}/contacts/", page)
        assert status == 200

        postgres.stop()
        for _ in range(3):  # every request in the outage, not only the first
            status, body, headers = _get(f"{base}/api/v1/contacts", api)
            assert status == 503, body
            assert headers["Retry-After"] == "5"
            assert json.loads(body)["error"]["code"] == "database_unavailable"
            status, body, headers = _get(f"{base}/contacts/", page)
            assert status == 503, body
            assert headers["Content-Type"].startswith("text/html")
            assert "The database is unavailable at the moment" in body

        postgres.start()
        status, body, _ = _get(f"{base}/api/v1/contacts", api)
        assert status == 200, body
        status, body, _ = _get(f"{base}/contacts/", page)
        assert status == 200
        assert server.poll() is None  # the same process served throughout
    finally:
        server.terminate()
        server.wait(timeout=30)
