"""Removing an erased contact from the columnar copy of the facts (DuckDB).

The copy holds no email or name (ids, stages, sources, times, and the attributes lead-definition
rules read: title, seniority, department, country, the e-mail's domain); still, an erased
contact's rows go at once, so the copy agrees with the record store without waiting for a
rebuild. When another process holds the copy's file, the copy's own sync sees the record store
holding fewer contacts than the copy and rebuilds it (`metrics.columnar.sync`); the ClickHouse
copy is brought in line the same way at its next sync (`metrics.clickhouse_copy.sync`)."""

from __future__ import annotations

import logging

import duckdb

from accord.metrics import columnar
from accord.metrics.copy_feed import TABLES

logger = logging.getLogger(__name__)

_BY_CONTACT = [t.name for t in TABLES if "contact_id" in dict(t.columns)]
_DERIVED = ("marketing_firsttouch", "crm_stay")


def remove_from_columnar(contact_id: int) -> bool:
    """Delete the contact's rows from the DuckDB copy, if there is one; False when the copy is
    held by another process (its next sync rebuilds it) or does not exist."""
    if not columnar.store_path().exists():
        return False
    try:
        with columnar.open_store() as con:
            con.execute("BEGIN")
            try:
                for name in (*_BY_CONTACT, *_DERIVED):
                    con.execute(f"DELETE FROM {name} WHERE contact_id = ?", [contact_id])  # noqa: S608
                con.execute("DELETE FROM crm_contact WHERE id = ?", [contact_id])
                con.execute(
                    "UPDATE crm_deal SET primary_contact_id = NULL WHERE primary_contact_id = ?",
                    [contact_id],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    except duckdb.Error:
        logger.warning("columnar copy busy: contact %s leaves it at the next sync", contact_id)
        return False
    return True
