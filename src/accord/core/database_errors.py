"""What to tell people when the database itself fails: the server is down or restarting, the
SQLite file is read-only, or the disk (or the database's size limit) is full.

The web pages and the API answer these with 503 and a sentence from `database_problem`, never a
500: the request changed nothing (its transaction was rolled back), and trying again later is
the right thing to do. Django drops a broken connection at the end of the request and opens a
fresh one for the next, so the app recovers by itself once the database is back.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_problem(exc: BaseException) -> tuple[str, str]:
    """(code, message) for a database failure."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return (
            "database_read_only",
            "The database is read-only, so nothing was changed. An operator must make the "
            "database file writable again (check its permissions and the disk).",
        )
    if "disk is full" in text or "disk full" in text or "no space left" in text:
        return (
            "database_full",
            "The database is full (no space left on the disk, or its size limit reached), so "
            "nothing was changed. An operator must free space; then try again.",
        )
    return (
        "database_unavailable",
        "The database is unavailable at the moment, so nothing was changed. Try again in a "
        "few seconds.",
    )
