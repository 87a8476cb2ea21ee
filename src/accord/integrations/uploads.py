"""Staged uploads: a file that has been received but whose import is not confirmed yet.

The web's upload page and the API store the file under ``DATA_DIR/uploads/<workspace id>/`` in
chunks (never whole in memory), with a small JSON file beside it that keeps the original name
and the options chosen with it. The preview reads the staged file; confirming copies it into
the import's own storage (``importing.jobs.import_create``) and discards the staged copy.
Uploads that are never confirmed are removed after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accord.core.errors import NotFound, ValidationFailed
from accord.identity.actor import Actor
from accord.identity.permissions import Action

DEFAULT_MAX_UPLOAD_MB = 200
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}


def max_upload_bytes() -> int:
    megabytes = getattr(settings, "ACCORD_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)
    return int(float(megabytes) * 1024 * 1024)


def size_label(size: int) -> str:
    """4006 -> '3.9 KB', 209715200 -> '200 MB'."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2)):
        if size >= factor:
            return f"{size / factor:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size / 1024:,.1f}".removesuffix(".0") + " KB"


def too_large_message(size: int) -> str:
    return (
        f"The file is {size_label(size)}; the upload limit is {size_label(max_upload_bytes())}. "
        "Split the file, or import it from the command line (accord import FILE)."
    )


@dataclass(frozen=True)
class StagedUpload:
    token: str
    workspace_id: int
    path: Path
    file_name: str
    size: int
    options: dict[str, str]

    @property
    def _meta_path(self) -> Path:
        return _meta_path(self.path)


def _folder(workspace_id: int) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / str(workspace_id)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.stem + ".json")


def _prune(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # removed by a concurrent request
            continue


def upload_stage(
    *,
    actor: Actor,
    chunks: Iterable[bytes],
    file_name: str,
    size: int,
    options: dict[str, str] | None = None,
) -> StagedUpload:
    """Write an uploaded file to the workspace's upload folder. Refuses an empty file or one
    over the upload limit (ACCORD_MAX_UPLOAD_MB, 200 by default) with a `file` field error."""
    actor.require(Action.WRITE_RECORDS)
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationFailed.single("file", too_large_message(size))
    if size == 0:
        raise ValidationFailed.single("file", "The file is empty.")
    folder = _folder(actor.workspace.pk)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    token = secrets.token_hex(16)
    suffix = Path(file_name).suffix.lower()
    path = folder / f"{token}{suffix if suffix in _SUFFIXES else ''}"
    written = 0
    try:
        with path.open("wb") as fh:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise ValidationFailed.single("file", too_large_message(written))
                fh.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    upload = StagedUpload(
        token=token,
        workspace_id=actor.workspace.pk,
        path=path,
        file_name=Path(file_name).name[:255] or "upload.csv",
        size=written,
        options=dict(options or {}),
    )
    meta = {"file_name": upload.file_name, "size": written, "options": upload.options}
    upload._meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return upload


def upload_get(workspace_id: int, token: str) -> StagedUpload:
    """A staged upload of this workspace; NotFound for an unknown, expired or foreign token."""
    missing = NotFound("This upload has expired or does not exist; upload the file again.")
    if not _TOKEN.match(token):
        raise missing
    folder = _folder(workspace_id)
    meta_path = folder / f"{token}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        raise missing from None
    candidates = [p for p in folder.glob(f"{token}*") if p.suffix != ".json"]
    if not candidates:
        raise missing
    return StagedUpload(
        token=token,
        workspace_id=workspace_id,
        path=candidates[0],
        file_name=str(meta.get("file_name", "")),
        size=int(meta.get("size", 0)),
        options={str(k): str(v) for k, v in dict(meta.get("options", {})).items()},
    )


def upload_discard(upload: StagedUpload) -> None:
    upload.path.unlink(missing_ok=True)
    upload._meta_path.unlink(missing_ok=True)
