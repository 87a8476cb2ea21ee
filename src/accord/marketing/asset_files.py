"""Checks and storage for uploaded enablement files. No Django model import.

A file is accepted only when its extension is on a short list AND its first bytes (its
content signature) match that extension: a renamed executable or an HTML page called
`brochure.pdf` is refused. Office documents must be zip archives that hold the part their
extension promises (`word/`, `xl/` or `ppt/`); text and CSV must be UTF-8 without NUL bytes.
Files are written under ``DATA_DIR/assets/<workspace id>/`` with a random name, never the
uploaded one.
"""

from __future__ import annotations

import codecs
import hashlib
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accord.core.errors import ValidationFailed

DEFAULT_MAX_ASSET_MB = 25

# extension -> (content type, the check of the file's content)
_OFFICE = "application/vnd.openxmlformats-officedocument."
CONTENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".docx": _OFFICE + "wordprocessingml.document",
    ".xlsx": _OFFICE + "spreadsheetml.sheet",
    ".pptx": _OFFICE + "presentationml.presentation",
    ".mp4": "video/mp4",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
_OFFICE_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


def max_asset_bytes() -> int:
    megabytes = getattr(settings, "ACCORD_MAX_ASSET_MB", DEFAULT_MAX_ASSET_MB)
    return int(float(megabytes) * 1024 * 1024)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".removesuffix(".0") + " MB"


def allowed_extensions() -> str:
    return ", ".join(CONTENT_TYPES)


_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}


def _head_matches(suffix: str, head: bytes) -> bool:
    if suffix == ".mp4":  # an ISO media file: a box size, then 'ftyp'
        return len(head) >= 12 and head[4:8] == b"ftyp"
    signatures = _SIGNATURES.get(suffix)
    return signatures is None or head.startswith(signatures)  # text is checked as a whole


def _office_ok(path: Path, suffix: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    part = _OFFICE_PARTS[suffix]
    return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    path: Path
    size: int
    sha256: str
    content_type: str


def folder(workspace_id: int) -> Path:
    return Path(settings.DATA_DIR) / "assets" / str(workspace_id)


def stored_path(workspace_id: int, storage_name: str) -> Path:
    return folder(workspace_id) / storage_name


def store_checked(workspace_id: int, file_name: str, chunks: Iterable[bytes]) -> StoredFile:
    """Write the file while checking its size, signature and (for text) encoding; on any
    failure remove what was written and raise a `file` field error."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise ValidationFailed.single(
            "file",
            f"Files of type '{suffix or 'none'}' are not accepted; use {allowed_extensions()}.",
        )
    limit = max_asset_bytes()
    target = folder(workspace_id)
    target.mkdir(parents=True, exist_ok=True)
    storage_name = secrets.token_hex(16)
    path = target / storage_name
    digest = hashlib.sha256()
    text = suffix in (".txt", ".csv")
    decoder = codecs.getincrementaldecoder("utf-8")()
    written, head = 0, b""
    try:
        with path.open("wb") as fh:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise ValidationFailed.single(
                        "file", f"The file is over the {_mb(limit)} limit for assets."
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                if text:
                    if b"\x00" in chunk:
                        raise ValidationFailed.single("file", "A text file cannot hold NUL bytes.")
                    decoder.decode(chunk)
                digest.update(chunk)
                fh.write(chunk)
            if text:
                decoder.decode(b"", final=True)
        if written == 0:
            raise ValidationFailed.single("file", "The file is empty.")
        if not _head_matches(suffix, head) or (
            suffix in _OFFICE_PARTS and not _office_ok(path, suffix)
        ):
            raise ValidationFailed.single(
                "file", f"The file's content is not a {suffix[1:].upper()} file."
            )
    except UnicodeDecodeError:
        path.unlink(missing_ok=True)
        raise ValidationFailed.single("file", "A text or CSV file must be UTF-8.") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(storage_name, path, written, digest.hexdigest(), CONTENT_TYPES[suffix])
