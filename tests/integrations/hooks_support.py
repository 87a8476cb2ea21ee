"""Helpers for the inbound-events and webhook tests: a real HTTP receiver on 127.0.0.1, the
documented signature algorithm written out independently, and a worker loop."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

# Near-zero retry delays so a test can run every attempt with the worker.
FAST_RETRIES = {
    "ACCORD_WEBHOOK_RETRY_DELAYS": (0, 0, 0, 0, 0),
    "ACCORD_WEBHOOK_MAX_ATTEMPTS": 6,
    "ACCORD_WEBHOOK_TIMEOUT": 5,
}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """X-Accord-Signature as docs/events-and-webhooks.md describes it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver-side check exactly as docs/events-and-webhooks.md prints it (written
    independently of Accord's own code)."""
    fields = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [v for k, v in fields if k == "t"]
    candidates = [v for k, v in fields if k == "v1"]
    if not timestamps or not candidates or not timestamps[0].isdigit():
        return False
    t = int(timestamps[0])
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, c) for c in candidates)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers POSTs with the scripted statuses in order, then with `default`."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            return self.statuses.pop(0) if self.statuses else self.default

    def events(self) -> list[str]:
        return [r.headers["X-Accord-Event"] for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.respond(Received(self.path, dict(self.headers.items()), body))
            answer = b"ok" if status < 400 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def receiver_servers() -> Iterator[Callable[..., Receiver]]:
    """For a fixture: yields `start(statuses=None, default=200) -> Receiver`, and stops every
    receiver it started afterwards."""
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int] | None = None, default: int = 200) -> Receiver:
        receiver = Receiver(statuses=list(statuses or []), default=default)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        servers.append(server)
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run_worker(rounds: int = 10) -> None:
    """Run the queue until nothing is due (retries with zero delay are due at once)."""
    for _ in range(rounds):
        call_command("worker", "--once", stdout=io.StringIO())
        if not DBTaskResult.objects.ready().exists():
            return
    raise AssertionError("the worker queue did not settle")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
