"""Back up and restore an Accord installation: the record store and the data directory's files.

A backup is one tar file holding:

- ``manifest.json``: the Accord version, the database engine, when it was taken;
- ``database.sqlite3`` (SQLite, copied with the online backup API, so the app may keep running)
  or ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``);
- ``files/``: the data directory's uploaded assets, import sources and upload staging area,
  and the demo parameters. The DuckDB analytics copy is left out: it is rebuilt from the
  record store. Transient files (import progress, the development outbox) are left out too.

Restoring refuses to overwrite a database that holds workspaces or users unless forced.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

import accord
from accord.core.errors import Conflict, ValidationFailed

FORMAT = 1
FILE_FOLDERS = ("assets", "uploads", "imports")
FILE_NAMES = ("demo-parameters.json",)
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    engine: str
    database_bytes: int
    files: int


def _database() -> dict[str, Any]:
    return dict(connections["default"].settings_dict)


def engine_name() -> str:
    engine = str(_database()["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise ValidationFailed(f"Backups support SQLite and PostgreSQL, not {engine}.")


def pg_binary(name: str) -> str:
    """pg_dump / pg_restore: from PATH, else the newest Debian postgresql package's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise ValidationFailed(
            f"{name} was not found. Install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)."
        )
    return str(candidates[-1])


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    db = _database()
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - fixed binaries, no shell
    if result.returncode != 0:
        raise ValidationFailed(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def _dump_database(engine: str, target: Path) -> None:
    if engine == "sqlite":
        source = sqlite3.connect(str(_database()["NAME"]))
        destination = sqlite3.connect(str(target))
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    args, env = _pg_args_env()
    _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
         env)  # fmt: skip


def _data_files(data_dir: Path) -> list[Path]:
    found: list[Path] = []
    for folder in FILE_FOLDERS:
        root = data_dir / folder
        if root.is_dir():
            found += sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    found += [data_dir / name for name in FILE_NAMES if (data_dir / name).is_file()]
    return found


def backup_create(output: Path | None = None) -> BackupSummary:
    engine = engine_name()
    data_dir = Path(settings.DATA_DIR)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = (output or Path(f"accord-backup-{stamp}.tar")).resolve()
    if path.is_dir():
        path = path / f"accord-backup-{stamp}.tar"
    member = SQLITE_MEMBER if engine == "sqlite" else PG_MEMBER
    files = _data_files(data_dir)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".accord-backup-") as work:
        dump = Path(work) / member
        _dump_database(engine, dump)
        manifest = {
            "format": FORMAT,
            "accord_version": accord.__version__,
            "engine": engine,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": member,
            "files": len(files),
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            raw = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(raw)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(raw))
            tar.add(dump, arcname=member)
            for file in files:
                tar.add(file, arcname=f"files/{file.relative_to(data_dir).as_posix()}")
        size = dump.stat().st_size
        os.replace(partial, path)  # a backup file is either complete or absent
    return BackupSummary(path=path, engine=engine, database_bytes=size, files=len(files))


def database_in_use() -> bool:
    """Whether the current database already holds workspaces or users."""
    from accord.identity.models import User, Workspace

    try:
        return Workspace.objects.exists() or User.objects.exists()
    except DatabaseError:  # no schema yet: nothing to lose
        return False


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ValidationFailed(f"No such backup file: {path}")
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except (tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"{path} is not an Accord backup ({exc}).") from None
    if manifest.get("format") != FORMAT or manifest.get("engine") not in {"sqlite", "postgresql"}:
        raise ValidationFailed(f"{path}: unsupported backup format {manifest.get('format')!r}.")
    return manifest


def backup_restore(path: Path, *, force: bool = False) -> dict[str, Any]:
    manifest = read_manifest(path)
    engine = engine_name()
    if manifest["engine"] != engine:
        raise ValidationFailed(
            f"This backup holds a {manifest['engine']} database; the configured database is "
            f"{engine}. Point ACCORD_DATABASE_URL at a {manifest['engine']} database."
        )
    if not force and database_in_use():
        raise Conflict(
            "The database already holds workspaces or users. Restoring replaces all of it: "
            "run again with --force to overwrite it (take a backup first)."
        )
    data_dir = Path(settings.DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="accord-restore-") as work:
        with tarfile.open(path, "r") as tar:
            tar.extractall(work, filter="data")
        dump = Path(work) / str(manifest["database"])
        if not dump.is_file():
            raise ValidationFailed(f"{path} has no database dump.")
        connections.close_all()
        _load_database(engine, dump)
        connections.close_all()
        restored = _replace_files(Path(work) / "files", data_dir)
    return {**manifest, "files_restored": restored}


def _load_database(engine: str, dump: Path) -> None:
    if engine == "sqlite":
        source = sqlite3.connect(str(dump))
        destination = sqlite3.connect(str(_database()["NAME"]), timeout=20)
        try:
            with destination:
                source.backup(destination)  # replaces every page of the destination
        finally:
            destination.close()
            source.close()
        return
    args, env = _pg_args_env()
    _run([pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", *args, str(dump)], env)  # fmt: skip


def _replace_files(source: Path, data_dir: Path) -> int:
    for folder in FILE_FOLDERS:
        shutil.rmtree(data_dir / folder, ignore_errors=True)
    for stale in ("analytics.duckdb", "analytics.duckdb.wal"):
        (data_dir / stale).unlink(missing_ok=True)  # rebuilt from the restored records
    count = 0
    if not source.is_dir():
        return 0
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        target = data_dir / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
        count += 1
    return count
