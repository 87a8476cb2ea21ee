"""`accord serve --with-worker` (what the demo runs): the worker runs beside the server, so an
import queued through the API over real HTTP is carried out; the worker stops with the server,
whether it is stopped (SIGTERM) or killed (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integrations.test_api_import import _multipart

CSV = b"Email,First Name,Last Name\nana@buyer.example,Ana,Ruiz\nbo@buyer.example,Bo,Lind\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accord(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (from /proc: field 4 of stat is the parent)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _wait(condition, seconds: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "serve", "--port", str(port),
         "--threads", "2", "--no-migrate", "--with-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, list[subprocess.Popen[bytes]]]]:
    """A data folder with a workspace, an admin and their API token; the servers started are
    killed, with their children, whatever happens."""
    env = {**os.environ, "ACCORD_DEBUG": "1", "ACCORD_DATA_DIR": str(tmp_path)}
    env.pop("ACCORD_DATABASE_URL", None)  # its own SQLite database
    _accord(env, "migrate", "--verbosity", "0")
    _accord(env, "createworkspace", "Acme", "--slug", "acme")
    _accord(env, "createuser", "--email", "ana@acme.example", "--name", "Ana",
            "--workspace", "acme", "--role", "admin", "--password", "a-long-pass-1")  # fmt: skip
    token = _accord(env, "token", "create", "--workspace", "acme", "--user", "ana@acme.example")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        yield env, token.strip().splitlines()[-1], servers
    finally:
        for server in servers:
            for pid in _children(server.pid):
                os.kill(pid, signal.SIGKILL)
            server.kill()
            server.wait()


def _call(base: str, token: str, path: str, form: tuple[bytes, str] | None = None) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if form is not None:
        data, headers["Content-Type"] = form
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=5).close()
    except OSError:
        return False
    return True


def test_the_worker_runs_beside_the_server_and_stops_with_it(
    setup: tuple[dict[str, str], str, list[subprocess.Popen[bytes]]],
) -> None:
    env, token, servers = setup
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    servers.append(server := _serve(env, port))
    assert _wait(lambda: _up(base)), "the server did not start"
    (worker,) = _children(server.pid)

    # An import queued through the API over HTTP is carried out by the worker.
    job = _call(base, token, "/api/v1/imports",
                _multipart({"type": "contacts"}, ("contacts.csv", CSV)))  # fmt: skip
    assert job["status"] == "pending"

    def finished() -> bool:
        return _call(base, token, f"/api/v1/imports/{job['id']}")["status"] == "succeeded"

    assert _wait(finished), "the worker did not run the import"
    assert _call(base, token, f"/api/v1/imports/{job['id']}")["summary"]["created"] == 2
    log = Path(env["ACCORD_DATA_DIR"]) / "worker.log"  # its output, not the server's console
    assert "Accord worker: processing" in log.read_text()

    # Stopped: a clean exit, the worker stopped first.
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert not _alive(worker)

    # Killed: the worker does not outlive it.
    servers.append(server := _serve(env, port))
    assert _wait(lambda: _up(base)), "the server did not start again"
    (worker,) = _children(server.pid)
    server.kill()
    server.wait()
    assert _wait(lambda: not _alive(worker), 30), "the worker outlived its server"
