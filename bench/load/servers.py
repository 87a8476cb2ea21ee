"""The processes a load test runs: a throw-away PostgreSQL server and gunicorn serving a WSGI
app, both on 127.0.0.1 and free ports, each stopped by the code that started it."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name.split(".")[0])
    )
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql).")
    return found[-1]


class Postgres:
    """A PostgreSQL server of its own for the run, as `scripts/lib/postgres.sh` starts one
    (fsync off: a benchmark database, not a durable one)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="accord-load-pg."))
        self.port = free_port()
        self.run: list[str] = []
        self.version = ""

    @property
    def url(self) -> str:
        return f"postgres://accord@127.0.0.1:{self.port}/accord"

    def start(self) -> None:
        if os.getuid() == 0:  # the server refuses to run as root: use the postgres account
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                useradd = ["/usr/sbin/useradd", "--system", "--no-create-home", "postgres"]
                subprocess.run(useradd, check=True)
            shutil.chown(self.dir, "postgres")
            self.dir.chmod(0o700)
            self.run = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        subprocess.run(
            [*self.run, str(self.bin / "initdb"), "-D", str(data), "-U", "accord",
             "--auth=trust", "-E", "UTF8"], stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*self.run, str(self.bin / "pg_ctl"), "-D", str(data), "-l",
             str(self.dir / "server.log"), "-w", "-o", options, "start"],
            stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "accord",
             "accord"], check=True,
        )  # fmt: skip
        out = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True
        )
        self.version = out.stdout.split()[2]

    def stop(self) -> None:
        data = self.dir / "data"
        if data.exists():
            subprocess.run(
                [*self.run, str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """gunicorn serving `app` (module:callable) on 127.0.0.1 with `workers` processes: sync
    workers, or threaded ones (`gthread`) when `threads` > 1."""

    def __init__(
        self,
        app: str,
        workers: int,
        env: dict[str, str],
        chdir: Path,
        log: Path,
        *,
        threads: int = 1,
    ) -> None:
        self.app, self.workers, self.env, self.chdir, self.log = app, workers, env, chdir, log
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str = "/") -> None:
        command = [
            str(VENV_BIN / "gunicorn"), self.app,
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", "gthread" if self.threads > 1 else "sync",
            "--threads", str(self.threads),
            "--preload",  # import the app once, before forking
            "--chdir", str(self.chdir),
            "--backlog", "2048",
            "--timeout", "60",
            "--access-logfile", "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
            "--error-logfile", str(self.log),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=self.env, cwd=self.chdir)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + probe, timeout=60):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # it answers (a redirect to the sign-in page, a 401 ...)
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on {self.url}; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
        return [int(x) for x in children.split()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
